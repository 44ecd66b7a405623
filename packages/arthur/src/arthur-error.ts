import { truncateText, VendorApiError } from "@langchain-observability/core";
import type { ArthurErrorBody } from "./arthur-api";

/** The vendor name in every error and message of this package. */
export const ARTHUR_VENDOR = "Arthur";

/** Longest vendor text quoted in a message. */
const MAX_MESSAGE_CHARS = 300;

/**
 * The message of an Arthur error body: `error`, `message`, or FastAPI's `detail` (a string, or a
 * list of `{ msg, loc }` validation errors). Lenient: anything else gives `undefined`.
 */
export function readArthurErrorMessage(body: unknown): string | undefined {
  if (body === null || typeof body !== "object") return undefined;
  const { error, message, detail } = body as ArthurErrorBody;
  for (const candidate of [error, message, detail]) {
    if (typeof candidate === "string" && candidate !== "") return truncateText(candidate, MAX_MESSAGE_CHARS);
  }
  if (Array.isArray(detail)) {
    const parts = detail
      .map((item) =>
        item !== null && typeof item === "object" && typeof (item as { msg?: unknown }).msg === "string"
          ? (item as { msg: string }).msg
          : undefined,
      )
      .filter((part): part is string => part !== undefined);
    if (parts.length > 0) return truncateText(parts.join("; "), MAX_MESSAGE_CHARS);
  }
  return undefined;
}

/** A copy of `error` with a clearer message (and possibly another retryability), same request facts. */
function restate(error: VendorApiError, message: string, isRetryable = false): VendorApiError {
  return new VendorApiError({
    vendor: ARTHUR_VENDOR,
    method: error.method,
    url: error.url,
    ...(error.status === undefined ? {} : { status: error.status }),
    ...(error.responseBody === undefined ? {} : { responseBody: error.responseBody }),
    isRetryable,
    message,
  });
}

/** A 401 to an API key: it names the option and the env var, never the key. */
export function rejectedApiKeyError(
  error: VendorApiError,
  where: "Arthur" | "The Arthur engine",
): VendorApiError {
  return restate(
    error,
    `${where} rejected the API key (${error.method} ${error.url} answered ${error.status ?? 401}); check \`apiKey\` (or env ARTHUR_API_KEY).`,
  );
}

/** A 403 to an engine key: the key is known but lacks the `TRACES_WRITE` permission. */
export function forbiddenEngineKeyError(error: VendorApiError): VendorApiError {
  return restate(
    error,
    `The Arthur engine refused the API key for traces (${error.method} ${error.url} answered 403): the key needs a role with TRACES_WRITE permission (not TENANT_USER); check \`apiKey\` (or env ARTHUR_API_KEY).`,
  );
}

/** A 401 / 403 to `POST /login`. */
export function rejectedLoginError(error: VendorApiError, login: string): VendorApiError {
  return restate(
    error,
    `Arthur rejected the login "${login}" and its password (${error.method} ${error.url} answered ${error.status}); check \`arthurLogin\` (or env ARTHUR_LOGIN) and \`arthurPassword\` (or env ARTHUR_PASSWORD).`,
  );
}

/** A second 401 right after a new login. */
export function rejectedSessionError(error: VendorApiError, login: string): VendorApiError {
  return restate(
    error,
    `Arthur rejected the session of login "${login}" again right after a new login (${error.method} ${error.url} answered 401); check that this user may use this model and organization.`,
  );
}

/** A 404 to `GET /models/{id}`. */
export function unknownModelError(
  error: VendorApiError,
  modelId: string,
  organizationKnown: boolean,
): VendorApiError {
  return restate(
    error,
    `Arthur has no model with id "${modelId}" that these credentials can see (${error.method} ${error.url} answered 404); check \`modelId\`${organizationKnown ? " and `organizationId`" : ""}.`,
  );
}

/** A 401 / 403 / 404 from the platform's `connection_info`. */
export function connectionInfoError(error: VendorApiError, modelId: string): VendorApiError {
  if (error.status === 401 || error.status === 403) {
    return restate(
      error,
      `The Arthur platform refused the token (${error.method} ${error.url} answered ${error.status}); check \`platformToken\` (or env ARTHUR_PLATFORM_TOKEN) — platform tokens expire after a few minutes.`,
    );
  }
  if (error.status === 404) {
    return restate(
      error,
      `The Arthur platform has no model "${modelId}" with a task (${error.method} ${error.url} answered 404); check \`modelId\`.`,
    );
  }
  return error;
}

/**
 * A 2xx answer that cannot be read (not JSON, or not the expected object): most likely a proxy or a
 * server in trouble, so it is retryable — the next export asks again instead of giving up for good.
 */
export function unreadableAnswerError(options: {
  method: string;
  url: string;
  status: number;
  expected: string;
  /** What happens next. @default "it is asked again on the next export" */
  next?: string;
}): VendorApiError {
  return new VendorApiError({
    vendor: ARTHUR_VENDOR,
    method: options.method,
    url: options.url,
    status: options.status,
    isRetryable: true,
    message: `Arthur: ${options.method} ${options.url} answered ${options.status} without ${options.expected}; ${options.next ?? "it is asked again on the next export"}.`,
  });
}
