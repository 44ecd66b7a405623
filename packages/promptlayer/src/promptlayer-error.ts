import { redactSecrets, VendorApiError } from "@langchain-observability/core";
import { PROMPTLAYER_VENDOR } from "./promptlayer-settings";

/**
 * PromptLayer answers some failures with a 2xx status and `{"success": false, "message": …}`;
 * this turns such an answer into a `VendorApiError` (not retryable: sending it again gets the same).
 * The HTTP client redacts only the bodies of the failures it raises, so a successful answer that
 * echoes the key is redacted here.
 */
export function rejectedAnswerError(options: {
  method: string;
  url: string;
  status: number;
  text: string;
  body: unknown;
  apiKey: string;
  reason?: string;
}): VendorApiError {
  const secrets = [options.apiKey];
  const vendorMessage = readVendorMessage(options.body);
  const message =
    options.reason ??
    (vendorMessage === undefined
      ? "answered success: false"
      : `answered success: false: ${redactSecrets(vendorMessage, secrets)}`);
  return new VendorApiError({
    vendor: PROMPTLAYER_VENDOR,
    method: options.method,
    url: options.url,
    status: options.status,
    responseBody: redactSecrets(options.text, secrets),
    isRetryable: false,
    message: `${PROMPTLAYER_VENDOR}: ${options.method} ${options.url} ${message}`,
  });
}

/**
 * The message of a PromptLayer error body, whichever shape it has: `{ message }` (tracking
 * endpoints), `{ error }` (403), `{ loc, msg, type }` (400) or FastAPI's `{ detail: [{ loc, msg }] }` (422).
 */
export function readVendorMessage(body: unknown): string | undefined {
  if (!isRecord(body)) return undefined;
  if (typeof body.message === "string") return body.message;
  if (typeof body.error === "string") return body.error;
  if (typeof body.msg === "string") return withLocation(body.msg, body.loc);
  if (typeof body.detail === "string") return body.detail;
  if (Array.isArray(body.detail)) {
    const messages = body.detail
      .filter(isRecord)
      .map((item) => (typeof item.msg === "string" ? withLocation(item.msg, item.loc) : undefined))
      .filter((text): text is string => text !== undefined);
    if (messages.length > 0) return messages.join("; ");
  }
  return undefined;
}

function withLocation(message: string, location: unknown): string {
  return Array.isArray(location) && location.length > 0 ? `${location.join(".")}: ${message}` : message;
}

/**
 * A refused credential (401 / 403) says which option and env var to check, so the warning a user
 * sees points at the fix; other errors pass through as they are.
 */
export function explainCredentialError(error: unknown): unknown {
  if (!VendorApiError.isInstance(error) || (error.status !== 401 && error.status !== 403)) return error;
  return new VendorApiError({
    vendor: error.vendor,
    method: error.method,
    url: error.url,
    status: error.status,
    ...(error.responseBody === undefined ? {} : { responseBody: error.responseBody }),
    isRetryable: false,
    message: `${error.message} — PromptLayer refused the API key: check \`apiKey\` (env PROMPTLAYER_API_KEY).`,
  });
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
