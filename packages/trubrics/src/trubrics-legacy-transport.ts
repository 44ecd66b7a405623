import {
  createHttpClient,
  type HttpClient,
  type HttpResponse,
  type LLMRunRecord,
  redactSecrets,
  VendorApiError,
  type VendorRecordFailure,
  type VendorSendContext,
} from "@langchain-observability/core";
import { mapRecordToTrubricsPromptDocument, toTrubricsDocumentId } from "./map-record-to-trubrics";
import type { TrubricsPromptDocument } from "./trubrics-api";
import {
  asObservabilityError,
  describeRefusedToken,
  isAlreadyExists,
  isUnauthenticated,
  legacyFailureOutcome,
  TRUBRICS_VENDOR,
} from "./trubrics-error";
import type { TrubricsTransport } from "./trubrics-exporter";
import { bearer, createTrubricsFirebaseSession } from "./trubrics-firebase-session";
import type { TrubricsLegacySettings } from "./trubrics-settings";
import { VERSION } from "./version";

/** The legacy API writes one document per request; a batch is only how many the exporter takes at once. */
const LEGACY_BATCH_SIZE = 25;
const LEGACY_WRITE_CONCURRENCY = 4;

/**
 * The legacy platform API of the Python handler: Firebase email/password sign-in, organisation lookup
 * and project check (once), then one Firestore `createDocument` per record. Each create names its
 * document with the record id (`documentId`), so a resend after a timeout or a lost connection is
 * refused with 409 ALREADY_EXISTS, which counts as delivered: exactly once.
 */
export function createTrubricsLegacyTransport(
  settings: TrubricsLegacySettings,
): TrubricsTransport<TrubricsPromptDocument | null> {
  // Read by the clients when a request fails: the password, then each id token the session obtains.
  const secrets: string[] = [settings.password];
  const client = (baseUrl: string): HttpClient =>
    createHttpClient({
      vendor: TRUBRICS_VENDOR,
      baseUrl,
      timeoutMs: settings.http.timeoutMs,
      maxRetries: settings.http.maxRetries,
      ...(settings.http.fetch ? { fetch: settings.http.fetch } : {}),
      userAgent: `@langchain-observability/trubrics/${VERSION}`,
      secrets,
    });
  const firestore = client(settings.firestoreUrl);
  const session = createTrubricsFirebaseSession(
    settings,
    { identityToolkit: client(settings.identityToolkitUrl), firestore },
    secrets,
  );

  /** Creates one prompt document; a 401 signs in again once, a 409 means an earlier attempt stored it. */
  const writePrompt = async (
    write: { documentId: string; json: string },
    url: string,
    auth: { idToken: string },
    context: VendorSendContext,
  ): Promise<void> => {
    const { signal } = context;
    const create = (idToken: string) =>
      firestore.request({
        method: "POST",
        path: url,
        searchParams: { documentId: write.documentId },
        headers: bearer(idToken),
        body: write.json,
        signal,
        onRetry: context.onRetry,
        // A second create of the same document id is refused (409), never stored twice.
        idempotent: true,
      });
    const idToken = auth.idToken;
    let response: HttpResponse;
    try {
      try {
        response = await create(idToken);
      } catch (error) {
        if (!isUnauthenticated(error)) throw error;
        // The token expired early or was revoked: sign in again, once (the batch's other writes share it).
        session.invalidate(idToken);
        if (auth.idToken === idToken) auth.idToken = await session.getIdToken(context);
        response = await create(auth.idToken).catch((retryError: unknown) => {
          throw describeRefusedToken(retryError);
        });
      }
    } catch (error) {
      if (isAlreadyExists(error)) return;
      throw error;
    }
    // The legacy SDK also treated an `error` member in a 2xx answer as a failure.
    const body = response.body as { error?: unknown } | undefined;
    if (body && typeof body === "object" && "error" in body) {
      throw new VendorApiError({
        vendor: TRUBRICS_VENDOR,
        method: "POST",
        url,
        status: response.status,
        // Built here, not by the HTTP client: redact what it would have.
        responseBody: redactSecrets(response.text, secrets),
        isRetryable: false,
      });
    }
  };

  return {
    kind: "legacy",
    maxBatchSize: LEGACY_BATCH_SIZE,
    // The prompt document has no place for an error: failed and cancelled runs are not written.
    secrets: () => [...secrets],
    map: (record: LLMRunRecord) =>
      record.status === "success" ? mapRecordToTrubricsPromptDocument(record) : null,
    async send(items, context) {
      const writes = items.filter((item) => item.wire !== null);
      if (writes.length === 0) return [];
      let url: string;
      const auth = { idToken: "" };
      try {
        auth.idToken = await session.getIdToken(context);
        url = `${await session.getProjectUrl(auth.idToken, context)}/prompts`;
      } catch (error) {
        const reason = asObservabilityError(error);
        const { retryable, outcome } = legacyFailureOutcome(reason);
        return writes.map(({ record }) => ({ recordId: record.recordId, error: reason, retryable, outcome }));
      }
      const failures: VendorRecordFailure[] = [];
      await forEachConcurrently(writes, LEGACY_WRITE_CONCURRENCY, async ({ record, json }) => {
        try {
          await writePrompt({ documentId: toTrubricsDocumentId(record.recordId), json }, url, auth, context);
        } catch (error) {
          const reason = asObservabilityError(error);
          failures.push({ recordId: record.recordId, error: reason, ...legacyFailureOutcome(reason) });
        }
      });
      return failures;
    },
  };
}

async function forEachConcurrently<T>(
  items: T[],
  concurrency: number,
  action: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await action(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
