import { hasMarker, mark, markerFor, ObservabilityError } from "./observability-error";

const marker = markerFor("VendorApiError");
const MAX_BODY_CHARS = 1_000;

export interface VendorApiErrorOptions {
  vendor: string;
  method: string;
  url: string;
  /** HTTP status; absent when no answer arrived (connection refused or reset). */
  status?: number;
  responseBody?: string;
  isRetryable?: boolean;
  /**
   * `"unknown"` when the request may have reached the vendor and been stored (a connection lost after
   * the request was sent): such a request is never resent. @default "failed"
   */
  outcome?: DeliveryOutcome;
  /** The wait the vendor asked for (`Retry-After`), in ms, when it answered with one. */
  retryAfterMs?: number;
  message?: string;
  cause?: unknown;
}

/**
 * What a failed request did at the vendor: `"failed"` — surely not stored; `"unknown"` — it may have
 * been stored (it was sent, then the answer was lost), so sending it again could store it twice.
 */
export type DeliveryOutcome = "failed" | "unknown";

const RETRYABLE_STATUS = new Set([408, 425, 429]);

/** Whether a request that got this status can succeed if sent again. */
export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUS.has(status) || status >= 500;
}

/** A vendor answered with an error, answered something unusable, or could not be reached. */
export class VendorApiError extends ObservabilityError {
  readonly vendor: string;
  readonly method: string;
  readonly url: string;
  readonly status: number | undefined;
  readonly responseBody: string | undefined;
  readonly isRetryable: boolean;
  readonly outcome: DeliveryOutcome;
  readonly retryAfterMs: number | undefined;

  constructor(options: VendorApiErrorOptions) {
    const responseBody =
      options.responseBody !== undefined && options.responseBody.length > MAX_BODY_CHARS
        ? `${options.responseBody.slice(0, MAX_BODY_CHARS)}…`
        : options.responseBody;
    const what = options.status === undefined ? "failed" : `answered ${options.status}`;
    super({
      message:
        options.message ??
        `${options.vendor}: ${options.method} ${options.url} ${what}${responseBody ? `: ${responseBody}` : ""}`,
      cause: options.cause,
    });
    this.name = "VendorApiError";
    mark(this, marker);
    this.vendor = options.vendor;
    this.method = options.method;
    this.url = options.url;
    this.status = options.status;
    this.responseBody = responseBody;
    this.isRetryable =
      options.isRetryable ?? (options.status === undefined ? true : isRetryableStatus(options.status));
    this.outcome = options.outcome ?? "failed";
    this.retryAfterMs = options.retryAfterMs;
  }

  static override isInstance(error: unknown): error is VendorApiError {
    return hasMarker(error, marker);
  }
}
