import {
  describeError,
  ExportTimeoutError,
  ObservabilityError,
  VendorApiError,
} from "@langchain-observability/core";
import { PROMPTLAYER_VENDOR } from "./promptlayer-settings";

const REDACTED = "[redacted]";

/** Replaces every occurrence of the key in a text (a vendor could echo it back in an error body). */
export function redactSecret(text: string, secret: string): string {
  return secret.length > 0 && text.includes(secret) ? text.split(secret).join(REDACTED) : text;
}

/**
 * Rebuilds an error of the HTTP client without its `cause`: the underlying ky error keeps the request
 * options, and so the JSON body with `api_key` and the `X-API-KEY` header, where `console.error(error)`
 * or `util.inspect` would print them. Messages and bodies are also scrubbed of the key.
 */
export function sanitizePromptLayerError(error: unknown, apiKey: string): ObservabilityError {
  if (VendorApiError.isInstance(error)) {
    return new VendorApiError({
      vendor: error.vendor,
      method: error.method,
      url: error.url,
      ...(error.status === undefined ? {} : { status: error.status }),
      ...(error.responseBody === undefined ? {} : { responseBody: redactSecret(error.responseBody, apiKey) }),
      isRetryable: error.isRetryable,
      message: redactSecret(error.message, apiKey),
    });
  }
  if (ExportTimeoutError.isInstance(error)) {
    return new ExportTimeoutError({
      vendor: error.vendor,
      ...(error.method === undefined ? {} : { method: error.method }),
      ...(error.url === undefined ? {} : { url: error.url }),
      timeoutMs: error.timeoutMs,
      message: redactSecret(error.message, apiKey),
    });
  }
  const { name, message } = describeError(error);
  return new ObservabilityError({
    message: redactSecret(`${PROMPTLAYER_VENDOR}: ${name}: ${message}`, apiKey),
  });
}

/**
 * PromptLayer answers some failures with a 2xx status and `{"success": false, "message": …}`;
 * this turns such an answer into a `VendorApiError` (not retryable: sending it again gets the same).
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
  const responseBody = redactSecret(options.text, options.apiKey);
  const message =
    options.reason ??
    (isRecord(options.body) && typeof options.body.message === "string"
      ? `answered success: false: ${redactSecret(options.body.message, options.apiKey)}`
      : "answered success: false");
  return new VendorApiError({
    vendor: PROMPTLAYER_VENDOR,
    method: options.method,
    url: options.url,
    status: options.status,
    responseBody,
    isRetryable: false,
    message: `${PROMPTLAYER_VENDOR}: ${options.method} ${options.url} ${message}`,
  });
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
