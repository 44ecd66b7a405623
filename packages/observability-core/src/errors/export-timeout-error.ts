import { hasMarker, mark, markerFor, ObservabilityError } from "./observability-error";
import type { DeliveryOutcome } from "./vendor-api-error";

const marker = markerFor("ExportTimeoutError");

export interface ExportTimeoutErrorOptions {
  vendor: string;
  method?: string;
  url?: string;
  timeoutMs: number;
  /** `"unknown"` when the request was sent before the deadline: the vendor may have stored it. @default "failed" */
  outcome?: DeliveryOutcome;
  message?: string;
  cause?: unknown;
}

/** A request or a flush did not finish within its deadline. */
export class ExportTimeoutError extends ObservabilityError {
  readonly vendor: string;
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly timeoutMs: number;
  readonly isRetryable = true;
  readonly outcome: DeliveryOutcome;

  constructor(options: ExportTimeoutErrorOptions) {
    const target = options.method && options.url ? ` ${options.method} ${options.url}` : "";
    super({
      message: options.message ?? `${options.vendor}:${target} timed out after ${options.timeoutMs} ms`,
      cause: options.cause,
    });
    this.name = "ExportTimeoutError";
    mark(this, marker);
    this.vendor = options.vendor;
    this.method = options.method;
    this.url = options.url;
    this.timeoutMs = options.timeoutMs;
    this.outcome = options.outcome ?? "failed";
  }

  static override isInstance(error: unknown): error is ExportTimeoutError {
    return hasMarker(error, marker);
  }
}
