import {
  ConfigurationError,
  ExportTimeoutError,
  ObservabilityError,
  VendorApiError,
} from "@langchain-observability/core";

/** The vendor name in every message. */
export const TRUBRICS_VENDOR = "Trubrics";

const CREDENTIAL_ERROR_CODES =
  /^(INVALID_LOGIN_CREDENTIALS|EMAIL_NOT_FOUND|INVALID_PASSWORD|INVALID_EMAIL|MISSING_EMAIL|MISSING_PASSWORD|USER_DISABLED)\b/;

/** What became of a record whose request failed. */
export interface TrubricsFailureOutcome {
  /** Trubrics surely did not store it, and sending it again later may succeed. */
  retryable: boolean;
  /** `"unknown"`: Trubrics may have stored it (the request was sent, no answer came). */
  outcome: "failed" | "unknown";
}

/** Core's HTTP client only throws `ObservabilityError`s; anything else is wrapped (without its cause). */
export function asObservabilityError(error: unknown): ObservabilityError {
  if (ObservabilityError.isInstance(error)) return error;
  const name = error instanceof Error ? error.name : "Error";
  const message = error instanceof Error ? error.message : String(error);
  return new ObservabilityError({ message: `${TRUBRICS_VENDOR}: ${name}: ${message}` });
}

/** Parses a vendor's error body leniently: anything that is not JSON is `undefined`. */
function parseJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * A 2xx answer this package cannot use (`what`: "without an idToken" …); its body is left out. Only
 * the legacy session's calls (which store nothing) get one, so trying again later is safe.
 */
export function unusableAnswer(method: string, url: string, status: number, what: string): VendorApiError {
  return new VendorApiError({
    vendor: TRUBRICS_VENDOR,
    method,
    url,
    status,
    isRetryable: true,
    message: `${TRUBRICS_VENDOR}: ${method} ${url} answered ${status} ${what}`,
  });
}

// ---- Ingestion API (FastAPI-style `detail`) -----------------------------------------------------

/** A 401 of the ingestion API, with the option and env var that hold the key. */
export function describeIngestionError(error: unknown): ObservabilityError {
  if (VendorApiError.isInstance(error) && error.status === 401) {
    return new VendorApiError({
      vendor: error.vendor,
      method: error.method,
      url: error.url,
      status: 401,
      ...(error.responseBody === undefined ? {} : { responseBody: error.responseBody }),
      isRetryable: false,
      message: `${error.message} (the API key was refused: check \`apiKey\` or env TRUBRICS_API_KEY)`,
    });
  }
  return asObservabilityError(error);
}

/**
 * What a failed `publish_llm_events` request means for its records. The API has no idempotency key,
 * so only an answer that says nothing was stored (408, 425, 429, 503; 413 and 422 are handled by the
 * transport) or a connection that was never made lets a record be sent again; after a timeout, a lost connection or another 5xx, Trubrics may
 * have stored the batch, so it is never resent (at most once).
 */
export function ingestionFailureOutcome(error: unknown): TrubricsFailureOutcome {
  const declared = declaredOutcome(error);
  if (declared === "unknown") return { retryable: false, outcome: "unknown" };
  if (ExportTimeoutError.isInstance(error)) return { retryable: false, outcome: "unknown" };
  if (!VendorApiError.isInstance(error)) return { retryable: false, outcome: "failed" };
  if (error.status === undefined) {
    return neverConnected(error)
      ? { retryable: true, outcome: "failed" }
      : { retryable: false, outcome: "unknown" };
  }
  // 408, 425, 429 and 503 say the request was not processed: it may go again.
  if ([408, 425, 429, 503].includes(error.status)) return { retryable: true, outcome: "failed" };
  if (error.status >= 500) return { retryable: false, outcome: "unknown" };
  return { retryable: false, outcome: "failed" };
}

/**
 * The item indices a FastAPI-style 422 names (`detail[].loc = ["body", index, …]`), if every entry
 * names one; `undefined` when the answer does not say which items were refused.
 */
export function rejectedIngestionItems(error: unknown, count: number): Set<number> | undefined {
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

// ---- Legacy platform (Google API errors) --------------------------------------------------------

/**
 * What a failed Firestore write means for its record. The write carries the record id as its
 * document id, so sending it again is safe (a second copy is refused with 409): every failure that may
 * pass on a later attempt is retryable.
 */
export function legacyFailureOutcome(error: unknown): TrubricsFailureOutcome {
  if (ConfigurationError.isInstance(error)) return { retryable: false, outcome: "failed" };
  if (ExportTimeoutError.isInstance(error)) return { retryable: true, outcome: "failed" };
  if (VendorApiError.isInstance(error)) return { retryable: error.isRetryable, outcome: "failed" };
  return { retryable: false, outcome: "failed" };
}

/** Firestore's answer to a create whose document id exists already (our earlier attempt was stored). */
export function isAlreadyExists(error: unknown): boolean {
  return VendorApiError.isInstance(error) && error.status === 409;
}

/** A Firestore 401: the id token expired early or was revoked. */
export function isUnauthenticated(error: unknown): boolean {
  return VendorApiError.isInstance(error) && error.status === 401;
}

/** A refused sign-in, as a `ConfigurationError` naming the options to check when it is one. */
export function describeSignInError(error: unknown): ObservabilityError {
  if (VendorApiError.isInstance(error) && error.status === 400) {
    const code = googleErrorMessage(error.responseBody);
    if (code && /API key not valid|API_KEY_INVALID/i.test(code)) {
      return new ConfigurationError({
        message: "Trubrics sign-in was refused: the Firebase API key is not valid (option `firebaseApiKey`).",
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

/** A Firestore 401 that a fresh sign-in did not cure, pointing at the account options. */
export function describeRefusedToken(error: unknown): ObservabilityError {
  if (!VendorApiError.isInstance(error) || error.status !== 401) return asObservabilityError(error);
  return new VendorApiError({
    vendor: error.vendor,
    method: error.method,
    url: error.url,
    status: 401,
    ...(error.responseBody === undefined ? {} : { responseBody: error.responseBody }),
    isRetryable: false,
    message: `${error.message} (Firestore refused a fresh token: check \`email\` or env TRUBRICS_EMAIL and \`password\` or env TRUBRICS_PASSWORD)`,
  });
}

/** `error.message` of a Google API error body (`INVALID_PASSWORD`, `API key not valid…`). */
export function googleErrorMessage(responseBody: string | undefined): string | undefined {
  const body = responseBody
    ? (parseJson(responseBody) as { error?: { message?: unknown } } | undefined)
    : undefined;
  const message = body?.error?.message;
  return typeof message === "string" ? message : undefined;
}

/** The outcome core's HTTP client put on the error, when it says. */
function declaredOutcome(error: unknown): unknown {
  return typeof error === "object" && error !== null ? (error as { outcome?: unknown }).outcome : undefined;
}

/** Whether the connection was refused, so the request surely never reached Trubrics. */
function neverConnected(error: VendorApiError): boolean {
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  return code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN";
}
