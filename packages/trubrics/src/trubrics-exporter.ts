import {
  ConfigurationError,
  createHttpClient,
  type Exporter,
  type ExporterContext,
  type ExporterHttpOptions,
  type ExportResult,
  type HttpClient,
  type HttpSettings,
  type LLMRunRecord,
  loadHttpSettings,
  loadString,
  loadUrl,
  ObservabilityError,
  redactSecrets,
  VendorApiError,
} from "@langchain-observability/core";
import { mapRecordToTrubricsLlmEvent, mapRecordToTrubricsPromptDocument } from "./map-record-to-trubrics";
import type {
  FirebaseSignInRequest,
  FirebaseSignInResponse,
  FirestoreListDocumentsResponse,
  FirestoreRunQueryRequest,
  TrubricsLlmEvent,
  TrubricsPromptDocument,
} from "./trubrics-api";
import {
  TRUBRICS_DEFAULT_FIREBASE_API_KEY,
  TRUBRICS_DEFAULT_FIREBASE_PROJECT_ID,
  TRUBRICS_DEFAULT_FIRESTORE_URL,
  TRUBRICS_DEFAULT_HOST,
  TRUBRICS_DEFAULT_IDENTITY_TOOLKIT_URL,
} from "./trubrics-defaults";
import { VERSION } from "./version";

const VENDOR = "Trubrics";
const USER_AGENT = `@langchain-observability/trubrics/${VERSION}`;
/** The ingestion API takes at most 100 items per request. */
const MAX_INGESTION_BATCH_SIZE = 100;
/** The legacy API writes one document per request; a batch is only how many the exporter takes at once. */
const LEGACY_BATCH_SIZE = 25;
const LEGACY_WRITE_CONCURRENCY = 4;
/** Sign in again when less than this is left of the token's lifetime. */
const TOKEN_RENEW_MARGIN_MS = 5 * 60_000;
const DEFAULT_TOKEN_LIFETIME_SECONDS = 3600;
const PROJECTS_PAGE_SIZE = 50;
const MAX_PROJECT_PAGES = 20;
const CREDENTIAL_ERROR_CODES =
  /^(INVALID_LOGIN_CREDENTIALS|EMAIL_NOT_FOUND|INVALID_PASSWORD|INVALID_EMAIL|MISSING_EMAIL|MISSING_PASSWORD|USER_DISABLED)\b/;

/** Options of `exportTrubrics` (the handler accepts them too). */
export interface TrubricsExporterOptions extends ExporterHttpOptions {
  /**
   * Project API key of the current ingestion API (Trubrics app settings). When set (here or in the
   * environment), records go to the ingestion API and `email`/`password` are not used.
   * @default process.env.TRUBRICS_API_KEY
   */
  apiKey?: string;
  /**
   * Base URL of the ingestion API, for self-hosted Trubrics or a local emulator.
   * @default process.env.TRUBRICS_HOST ?? "https://app.trubrics.com/api/ingestion"
   */
  host?: string;
  /**
   * Trubrics project the legacy platform API writes prompts to; it must exist in your organisation.
   * @default "default"
   */
  project?: string;
  /**
   * Account email of the legacy platform API (used only without `apiKey`).
   * @default process.env.TRUBRICS_EMAIL
   */
  email?: string;
  /**
   * Account password of the legacy platform API (used only without `apiKey`).
   * @default process.env.TRUBRICS_PASSWORD
   */
  password?: string;
  /**
   * Firebase Web API key of the legacy platform; give it together with `firebaseProjectId`.
   * @default "AIzaSyB6WPIVzMaRCnlL1ZmRosrQsbQYYagZARQ" (the public key of the Trubrics SDK)
   */
  firebaseApiKey?: string;
  /**
   * Firebase project of the legacy platform; give it together with `firebaseApiKey`.
   * @default "trubrics-streamlit"
   */
  firebaseProjectId?: string;
  /**
   * Base URL of Firebase Identity Toolkit (email/password sign-in), e.g. a local emulator.
   * @default "https://identitytoolkit.googleapis.com"
   */
  identityToolkitUrl?: string;
  /**
   * Base URL of the Firestore REST API, e.g. a local emulator.
   * @default "https://firestore.googleapis.com"
   */
  firestoreUrl?: string;
}

/** The Trubrics exporter; `transport` says which API it sends to. */
export interface TrubricsExporter extends Exporter {
  readonly transport: "ingestion" | "legacy";
}

interface IngestionSettings {
  transport: "ingestion";
  apiKey: string;
  host: string;
  http: HttpSettings;
}

interface LegacySettings {
  transport: "legacy";
  email: string;
  password: string;
  project: string;
  firebaseApiKey: string;
  firebaseProjectId: string;
  identityToolkitUrl: string;
  firestoreUrl: string;
  http: HttpSettings;
}

type Failure = NonNullable<ExportResult["failed"]>[number];
/** A mapped record: its vendor payload and the record id the queue knows it by. */
interface Entry<T> {
  recordId: string;
  payload: T;
}

/**
 * Creates the Trubrics exporter (for fan-out with other vendors). With `apiKey` (or env
 * `TRUBRICS_API_KEY`) it sends to the ingestion API; with `email` and `password` only (or env
 * `TRUBRICS_EMAIL` / `TRUBRICS_PASSWORD`), to the legacy platform API. Settings are checked now
 * (synchronously, without network); signing in happens on the first export.
 */
export function exportTrubrics(options: TrubricsExporterOptions = {}): TrubricsExporter {
  requireOptionsObject(options, "exportTrubrics");
  const settings = resolveTrubricsSettings(options ?? {});
  return settings.transport === "ingestion"
    ? createIngestionExporter(settings)
    : createLegacyExporter(settings);
}

/** Options must be a plain object (or nothing): a string or an array is a mistake, not a key list. */
export function requireOptionsObject(options: unknown, receiver: string): void {
  if (options === undefined || options === null) return;
  if (typeof options !== "object" || Array.isArray(options)) {
    throw new ConfigurationError({
      message: `The \`options\` of ${receiver} must be an object, got ${Array.isArray(options) ? "an array" : typeof options}.`,
      option: "options",
    });
  }
}

function resolveTrubricsSettings(options: TrubricsExporterOptions): IngestionSettings | LegacySettings {
  const http: HttpSettings = loadHttpSettings(options);
  const apiKey = loadString({ option: "apiKey", value: options.apiKey, envVar: "TRUBRICS_API_KEY" });
  if (apiKey) {
    const host = loadUrl({
      option: "host",
      value: options.host,
      envVar: "TRUBRICS_HOST",
      default: TRUBRICS_DEFAULT_HOST,
    });
    return { transport: "ingestion", apiKey, host, http };
  }

  const email = loadString({ option: "email", value: options.email, envVar: "TRUBRICS_EMAIL" });
  const password = loadString({ option: "password", value: options.password, envVar: "TRUBRICS_PASSWORD" });
  if (!email && !password) {
    throw new ConfigurationError({
      message:
        "Missing Trubrics credentials: pass `apiKey` (or env TRUBRICS_API_KEY) for the ingestion API, " +
        "or `email` (or env TRUBRICS_EMAIL) and `password` (or env TRUBRICS_PASSWORD) for the legacy platform API.",
      option: "apiKey",
      envVar: "TRUBRICS_API_KEY",
    });
  }
  if (!email || !password) {
    const [option, envVar] = email ? ["password", "TRUBRICS_PASSWORD"] : ["email", "TRUBRICS_EMAIL"];
    throw new ConfigurationError({
      message: `Missing Trubrics \`${option}\` (or env ${envVar}): the legacy platform API signs in with email and password (or pass \`apiKey\` / env TRUBRICS_API_KEY for the ingestion API).`,
      option,
      envVar,
    });
  }
  const project = loadString({ option: "project", value: options.project, default: "default" });
  if (project === "" || project.includes("/")) {
    throw new ConfigurationError({
      message: "`project` must be a non-empty Trubrics project name without `/`.",
      option: "project",
    });
  }
  const firebaseApiKey = loadString({ option: "firebaseApiKey", value: options.firebaseApiKey });
  const firebaseProjectId = loadString({ option: "firebaseProjectId", value: options.firebaseProjectId });
  if (Boolean(firebaseApiKey) !== Boolean(firebaseProjectId)) {
    // As the legacy SDK: one without the other would sign in to one Firebase project and write to another.
    throw new ConfigurationError({
      message: "Pass both `firebaseApiKey` and `firebaseProjectId`, or neither.",
      option: firebaseApiKey ? "firebaseProjectId" : "firebaseApiKey",
    });
  }
  return {
    transport: "legacy",
    email,
    password,
    project,
    firebaseApiKey: firebaseApiKey || TRUBRICS_DEFAULT_FIREBASE_API_KEY,
    firebaseProjectId: firebaseProjectId || TRUBRICS_DEFAULT_FIREBASE_PROJECT_ID,
    identityToolkitUrl: loadUrl({
      option: "identityToolkitUrl",
      value: options.identityToolkitUrl,
      default: TRUBRICS_DEFAULT_IDENTITY_TOOLKIT_URL,
    }),
    firestoreUrl: loadUrl({
      option: "firestoreUrl",
      value: options.firestoreUrl,
      default: TRUBRICS_DEFAULT_FIRESTORE_URL,
    }),
    http,
  };
}

// ---- Ingestion API ----------------------------------------------------------------------------

function createIngestionExporter(settings: IngestionSettings): TrubricsExporter {
  let context: ExporterContext | undefined;
  const client = createClient(settings.host, settings.http, () => context?.onRetry(), [settings.apiKey], {
    "x-api-key": settings.apiKey,
    accept: "application/json",
  });

  const publish = async (entries: Array<Entry<TrubricsLlmEvent>>, signal: AbortSignal): Promise<void> => {
    // Any 2xx is success (the answer's body is UNCONFIRMED, so it is not read).
    await client.request({
      method: "POST",
      path: "publish_llm_events",
      json: entries.map((entry) => entry.payload),
      signal,
    });
  };

  return {
    name: "trubrics",
    transport: "ingestion",
    maxBatchSize: MAX_INGESTION_BATCH_SIZE,
    bind(bound) {
      context = bound;
    },
    async export(records, signal) {
      const failed: Failure[] = [];
      const entries = mapEach(records, mapRecordToTrubricsLlmEvent, failed);
      const requestFailures: Array<{ entries: Array<Entry<TrubricsLlmEvent>>; error: unknown }> = [];
      let delivered = 0;

      /** Sends one chunk; what cannot be delivered goes to `requestFailures` (never throws). */
      const send = async (chunk: Array<Entry<TrubricsLlmEvent>>, isResend = false): Promise<void> => {
        try {
          await publish(chunk, signal);
          delivered += chunk.length;
          return;
        } catch (error) {
          const rejected = isResend ? undefined : rejectedItems(error, chunk.length);
          if (!rejected) {
            requestFailures.push({ entries: chunk, error });
            return;
          }
          // A 422 that names its items: fail those, send the others once more.
          requestFailures.push({ entries: chunk.filter((_, index) => rejected.has(index)), error });
          const rest = chunk.filter((_, index) => !rejected.has(index));
          if (rest.length > 0) await send(rest, true);
        }
      };

      // The queue already caps batches at 100; this keeps the limit if the exporter is driven directly.
      for (let start = 0; start < entries.length; start += MAX_INGESTION_BATCH_SIZE) {
        await send(entries.slice(start, start + MAX_INGESTION_BATCH_SIZE));
      }
      // One request that failed for the whole batch is reported once, as a failed batch.
      const [only] = requestFailures;
      if (delivered === 0 && requestFailures.length === 1 && only!.entries.length === entries.length) {
        throw only!.error;
      }
      for (const { entries: undelivered, error } of requestFailures) {
        const reason = asObservabilityError(error);
        for (const entry of undelivered) {
          failed.push({ recordId: entry.recordId, error: reason, retryable: false });
        }
      }
      return failed.length > 0 ? { failed } : {};
    },
  };
}

/** The item indices a FastAPI-style 422 names (`detail[].loc = ["body", index, …]`), if all are named. */
function rejectedItems(error: unknown, count: number): Set<number> | undefined {
  if (!VendorApiError.isInstance(error) || error.status !== 422 || !error.responseBody) return undefined;
  const body = parseJson(error.responseBody) as { detail?: unknown } | undefined;
  if (!Array.isArray(body?.detail) || body.detail.length === 0) return undefined;
  const indices = new Set<number>();
  for (const entry of body.detail) {
    const location = (entry as { loc?: unknown })?.loc;
    const index = Array.isArray(location) && location[0] === "body" ? location[1] : undefined;
    if (typeof index !== "number" || !Number.isInteger(index) || index < 0 || index >= count)
      return undefined;
    indices.add(index);
  }
  return indices;
}

// ---- Legacy platform API (Firebase sign-in + Firestore) ----------------------------------------

function createLegacyExporter(settings: LegacySettings): TrubricsExporter {
  let context: ExporterContext | undefined;
  const onRetry = () => context?.onRetry();
  const identityToolkit = createClient(settings.identityToolkitUrl, settings.http, onRetry, [
    settings.password,
  ]);
  const firestore = createClient(settings.firestoreUrl, settings.http, onRetry, [settings.password]);
  const signInPath = "v1/accounts:signInWithPassword";
  const signInUrl = `${settings.identityToolkitUrl}/${signInPath}`;

  let token: { idToken: string; renewAt: number } | undefined;
  let signingIn: Promise<string> | undefined;
  /** `…/organisations/{id}/projects/{project}` once the project is known to exist. */
  let projectUrl: string | undefined;
  let resolvingProject: Promise<string> | undefined;

  /** The cached token, or a new one when it is missing or close to expiry (one sign-in at a time). */
  const getIdToken = (signal: AbortSignal): Promise<string> => {
    if (token && Date.now() < token.renewAt) return Promise.resolve(token.idToken);
    signingIn ??= signIn(signal).finally(() => {
      signingIn = undefined;
    });
    return signingIn;
  };

  const signIn = async (signal: AbortSignal): Promise<string> => {
    const request: FirebaseSignInRequest = {
      email: settings.email,
      password: settings.password,
      returnSecureToken: true,
    };
    let response: Awaited<ReturnType<HttpClient["request"]>>;
    try {
      response = await identityToolkit.request({
        method: "POST",
        path: signInPath,
        searchParams: { key: settings.firebaseApiKey },
        json: request,
        signal,
      });
    } catch (error) {
      throw describeSignInError(error);
    }
    const body = response.body as Partial<FirebaseSignInResponse> | undefined;
    if (!body || typeof body.idToken !== "string" || body.idToken === "") {
      // The body is left out of the error: it may hold a token.
      throw new VendorApiError({
        vendor: VENDOR,
        method: "POST",
        url: signInUrl,
        status: response.status,
        isRetryable: false,
        message: `${VENDOR}: POST ${signInUrl} answered ${response.status} without an idToken`,
      });
    }
    const lifetimeSeconds = Number(body.expiresIn);
    const lifetimeMs =
      (Number.isFinite(lifetimeSeconds) && lifetimeSeconds > 0
        ? lifetimeSeconds
        : DEFAULT_TOKEN_LIFETIME_SECONDS) * 1000;
    token = { idToken: body.idToken, renewAt: Date.now() + lifetimeMs - TOKEN_RENEW_MARGIN_MS };
    return body.idToken;
  };

  /** Organisation lookup and project check, once (again after a failure). */
  const getProjectUrl = (idToken: string, signal: AbortSignal): Promise<string> => {
    if (projectUrl) return Promise.resolve(projectUrl);
    resolvingProject ??= resolveProject(idToken, signal)
      .then((url) => {
        projectUrl = url;
        return url;
      })
      .finally(() => {
        resolvingProject = undefined;
      });
    return resolvingProject;
  };

  const resolveProject = async (idToken: string, signal: AbortSignal): Promise<string> => {
    const query: FirestoreRunQueryRequest = {
      structuredQuery: {
        from: [{ collectionId: "organisations" }],
        where: {
          fieldFilter: {
            field: { fieldPath: "users" },
            op: "ARRAY_CONTAINS",
            value: { stringValue: settings.email },
          },
        },
      },
    };
    const queryPath = `v1/projects/${encodeURIComponent(settings.firebaseProjectId)}/databases/(default)/documents:runQuery`;
    const response = await firestore.request({
      method: "POST",
      path: queryPath,
      headers: bearer(idToken),
      json: query,
      signal,
    });
    if (!Array.isArray(response.body)) {
      throw unusableAnswer(
        "POST",
        `${settings.firestoreUrl}/${queryPath}`,
        response.status,
        "not a list of results",
      );
    }
    const entries = response.body as Array<{ document?: { name?: unknown } } | null>;
    const organisation = entries
      .map((entry) => entry?.document?.name)
      .find((name) => typeof name === "string");
    if (typeof organisation !== "string") {
      throw new ConfigurationError({
        message:
          "Trubrics: no organisation lists the signed-in account (`email` or env TRUBRICS_EMAIL); ask your organisation's owner to add it.",
        option: "email",
        envVar: "TRUBRICS_EMAIL",
      });
    }
    if (
      !/^projects\/[^/]+\/databases\/[^/]+\/documents\/[^?#]+$/.test(organisation) ||
      organisation.includes("..")
    ) {
      throw unusableAnswer(
        "POST",
        `${settings.firestoreUrl}/${queryPath}`,
        response.status,
        "an invalid document name",
      );
    }
    const organisationUrl = `${settings.firestoreUrl}/v1/${organisation}`;
    const projects = await listProjects(organisationUrl, idToken, signal);
    if (!projects.includes(settings.project)) {
      throw new ConfigurationError({
        message: `Trubrics project ${JSON.stringify(settings.project)} not found. Please select one of [${projects
          .map((name) => JSON.stringify(name))
          .join(", ")}] (option \`project\`).`,
        option: "project",
      });
    }
    return `${organisationUrl}/projects/${encodeURIComponent(settings.project)}`;
  };

  /** Names of the organisation's projects that are not archived (every page). */
  const listProjects = async (
    organisationUrl: string,
    idToken: string,
    signal: AbortSignal,
  ): Promise<string[]> => {
    const names: string[] = [];
    let pageToken: string | undefined;
    for (let page = 0; page < MAX_PROJECT_PAGES; page++) {
      const response = await firestore.request({
        method: "GET",
        path: `${organisationUrl}/projects`,
        headers: bearer(idToken),
        searchParams: pageToken
          ? { pageSize: PROJECTS_PAGE_SIZE, pageToken }
          : { pageSize: PROJECTS_PAGE_SIZE },
        signal,
      });
      const body = response.body as FirestoreListDocumentsResponse | undefined;
      if (!body || typeof body !== "object" || Array.isArray(body)) {
        throw unusableAnswer("GET", `${organisationUrl}/projects`, response.status, "not a document list");
      }
      for (const document of Array.isArray(body.documents) ? body.documents : []) {
        const name = typeof document?.name === "string" ? document.name.split("/").pop() : undefined;
        const archived = (document?.fields?.archived as { booleanValue?: unknown } | undefined)?.booleanValue;
        if (name && archived !== true) names.push(name);
      }
      pageToken =
        typeof body.nextPageToken === "string" && body.nextPageToken !== "" ? body.nextPageToken : undefined;
      if (!pageToken) break;
    }
    return names;
  };

  const writePrompt = async (
    document: TrubricsPromptDocument,
    url: string,
    auth: { idToken: string },
    signal: AbortSignal,
  ): Promise<void> => {
    const send = () =>
      firestore.request({ method: "POST", path: url, headers: bearer(auth.idToken), json: document, signal });
    let response: Awaited<ReturnType<HttpClient["request"]>>;
    try {
      response = await send();
    } catch (error) {
      if (!VendorApiError.isInstance(error) || error.status !== 401) throw error;
      // The token was revoked or expired early: sign in again, once.
      if (token?.idToken === auth.idToken) token = undefined;
      auth.idToken = await getIdToken(signal);
      response = await send();
    }
    // The legacy SDK also treated an `error` member in a 2xx answer as a failure.
    const body = response.body as { error?: unknown } | undefined;
    if (body && typeof body === "object" && "error" in body) {
      throw new VendorApiError({
        vendor: VENDOR,
        method: "POST",
        url,
        status: response.status,
        // Built here, not by the HTTP client: redact what it cannot know, the session token.
        responseBody: redactSecrets(response.text, [settings.password, auth.idToken]),
        isRetryable: false,
      });
    }
  };

  return {
    name: "trubrics",
    transport: "legacy",
    maxBatchSize: LEGACY_BATCH_SIZE,
    bind(bound) {
      context = bound;
    },
    async export(records, signal) {
      // The legacy prompt document has no place for an error: failed and cancelled runs are not sent.
      const successful = records.filter((record) => record.status === "success");
      if (successful.length === 0) return {};
      const failed: Failure[] = [];
      const entries = mapEach(successful, mapRecordToTrubricsPromptDocument, failed);
      if (entries.length === 0) return { failed };
      const auth = { idToken: await getIdToken(signal) };
      const url = `${await getProjectUrl(auth.idToken, signal)}/prompts`;
      const writeFailures: Failure[] = [];
      await forEachConcurrently(entries, LEGACY_WRITE_CONCURRENCY, async (entry) => {
        try {
          await writePrompt(entry.payload, url, auth, signal);
        } catch (error) {
          writeFailures.push({
            recordId: entry.recordId,
            error: asObservabilityError(error),
            retryable: false,
          });
        }
      });
      // Every write failed: report it once, as a failed batch.
      if (writeFailures.length === entries.length) throw writeFailures[0]!.error;
      failed.push(...writeFailures);
      return failed.length > 0 ? { failed } : {};
    },
  };

  function describeSignInError(error: unknown): ObservabilityError {
    if (VendorApiError.isInstance(error) && error.status === 400) {
      const code = googleErrorMessage(error.responseBody);
      if (code && /API key not valid|API_KEY_INVALID/i.test(code)) {
        return new ConfigurationError({
          message:
            "Trubrics sign-in was refused: the Firebase API key is not valid (option `firebaseApiKey`).",
          option: "firebaseApiKey",
        });
      }
      const reason = code ? CREDENTIAL_ERROR_CODES.exec(code)?.[1] : undefined;
      if (reason) {
        return new ConfigurationError({
          message: `Trubrics sign-in was refused (${reason}): check \`email\` (or env TRUBRICS_EMAIL) and \`password\` (or env TRUBRICS_PASSWORD).`,
          option: "password",
          envVar: "TRUBRICS_PASSWORD",
        });
      }
    }
    return asObservabilityError(error);
  }
}

// ---- Shared helpers ----------------------------------------------------------------------------

function createClient(
  baseUrl: string,
  http: HttpSettings,
  onRetry: () => void,
  secrets: string[],
  headers?: Record<string, string>,
): HttpClient {
  return createHttpClient({
    vendor: VENDOR,
    baseUrl,
    timeoutMs: http.timeoutMs,
    maxRetries: http.maxRetries,
    ...(http.fetch ? { fetch: http.fetch } : {}),
    ...(headers ? { headers } : {}),
    onRetry,
    userAgent: USER_AGENT,
    // Redacted from error messages and bodies, should a service ever echo them back.
    secrets,
  });
}

/** Maps each record, turning a mapping failure into a failed record rather than a failed batch. */
function mapEach<T>(
  records: LLMRunRecord[],
  map: (record: LLMRunRecord) => T,
  failed: Failure[],
): Array<Entry<T>> {
  const entries: Array<Entry<T>> = [];
  for (const record of records) {
    try {
      entries.push({ recordId: record.recordId, payload: map(record) });
    } catch (error) {
      failed.push({
        recordId: record.recordId,
        error: new ObservabilityError({
          message: `${VENDOR}: record ${record.recordId} could not be mapped: ${describeError(error).message}`,
          cause: error,
        }),
        retryable: false,
      });
    }
  }
  return entries;
}

/** Core's HTTP client only throws `ObservabilityError`s; anything else is wrapped (without its cause). */
function asObservabilityError(error: unknown): ObservabilityError {
  if (ObservabilityError.isInstance(error)) return error;
  const { name, message } = describeError(error);
  return new ObservabilityError({ message: `${VENDOR}: ${name}: ${message}` });
}

function unusableAnswer(method: string, url: string, status: number, what: string): VendorApiError {
  return new VendorApiError({
    vendor: VENDOR,
    method,
    url,
    status,
    isRetryable: false,
    message: `${VENDOR}: ${method} ${url} answered ${status} with ${what}`,
  });
}

/** `error.message` of a Google API error body (`INVALID_PASSWORD`, `API key not valid…`). */
function googleErrorMessage(responseBody: string | undefined): string | undefined {
  const body = responseBody
    ? (parseJson(responseBody) as { error?: { message?: unknown } } | undefined)
    : undefined;
  const message = body?.error?.message;
  return typeof message === "string" ? message : undefined;
}

function bearer(idToken: string): Record<string, string> {
  return { authorization: `Bearer ${idToken}` };
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

/** Name and message of anything thrown, without ever throwing itself. */
function describeError(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name || "Error", message: String(error.message ?? "") };
  try {
    return { name: "Error", message: typeof error === "string" ? error : String(JSON.stringify(error)) };
  } catch {
    return { name: "Error", message: String(error) };
  }
}

/** Parses JSON without throwing: an unparseable body is `undefined`. */
function parseJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
