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
  const message =
    options.reason ??
    (isRecord(options.body) && typeof options.body.message === "string"
      ? `answered success: false: ${redactSecrets(options.body.message, secrets)}`
      : "answered success: false");
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

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
