import type { LLMRunRecord } from "../capture/llm-run-record";
import type { RunSpanRecord } from "../capture/run-span-record";
import type { ObservabilityError } from "../errors/observability-error";
import type { DeliveryOutcome } from "../errors/vendor-api-error";

/** One record an exporter could not deliver. */
export interface RecordFailure {
  recordId: string;
  error: ObservabilityError;
  /**
   * True when sending the record again later can succeed (the vendor was down, rate limited, timed
   * out before the request was sent): the queue keeps it queued and sends it again once the vendor
   * recovers, within `maxQueueSize`, `maxQueueBytes` and `maxRecordAgeMs`. Ignored when `outcome` is
   * `"unknown"`.
   */
  retryable: boolean;
  /**
   * `"unknown"`: the vendor may have stored the record (the request was sent, then its answer was
   * lost). Counted apart (`stats().unknown`) and never sent again. @default "failed"
   */
  outcome?: DeliveryOutcome;
}

/** What an exporter says about one batch: records not listed in `failed` were delivered. */
export interface ExportResult {
  failed?: RecordFailure[];
}

/** What the handler gives an exporter when it is attached, to report what happens in the background. */
export interface ExporterContext {
  /** Count one resent request (the HTTP client calls it before each resend). */
  onRetry(): void;
  /** Report a non-fatal problem (it reaches the handler's `onError`, never the chain). */
  onError(error: unknown): void;
}

/**
 * Sends normalized records to one vendor. The handler owns one queue per exporter, so a slow
 * or failing vendor never delays the others. Vendor packages build theirs with
 * `createVendorExporter`, which implements this interface.
 *
 * `export` is called from the queue only. A rejected promise fails the whole batch with that error:
 * the queue keeps the records queued when the error is retryable (`isRetryable`) and its outcome is
 * not `"unknown"`, and pauses before the next batch. The queue never resends a request itself — the
 * HTTP client does, for idempotent requests only; the queue sends records again in a later batch.
 */
export interface Exporter<TRecord extends LLMRunRecord | RunSpanRecord = LLMRunRecord> {
  readonly name: string;
  /**
   * What the exporter takes: `"llm-runs"` (one `LLMRunRecord` per prompt of each model call) or
   * `"spans"` (one `RunSpanRecord` per LangChain run of the whole tree; model-call spans carry their
   * `LLMRunRecord`s). Spans are only built when some exporter consumes them. @default "llm-runs"
   */
  readonly consumes?: TRecord extends RunSpanRecord ? "spans" : "llm-runs";
  /** The most records the vendor takes in one call. */
  readonly maxBatchSize: number;
  /** Requests this exporter may have in flight at once. @default 2 */
  readonly concurrency?: number;
  export(records: TRecord[], signal: AbortSignal): Promise<ExportResult>;
  /** Called once when the exporter joins a handler. */
  bind?(context: ExporterContext): void;
  /**
   * Resolves once background work the exporter started outside `export` (user callbacks such as
   * `plIdCallback`) has settled. `flush()` waits for it, within its deadline.
   */
  settle?(): Promise<void>;
  shutdown?(): Promise<void>;
}
