import type { LLMRunRecord } from "../capture/llm-run-record";
import type { RunSpanRecord } from "../capture/run-span-record";
import type { ObservabilityError } from "../errors/observability-error";

/** What an exporter says about one batch: records not listed in `failed` were delivered. */
export interface ExportResult {
  failed?: Array<{
    recordId: string;
    error: ObservabilityError;
    /** True to have the queue send this record again later (up to `maxRetries` times). */
    retryable: boolean;
  }>;
}

/** What the handler gives an exporter when it is attached, to report what happens in the background. */
export interface ExporterContext {
  /** Count one retried request (the HTTP client calls it before each retry). */
  onRetry(): void;
  /** Report a non-fatal problem (it reaches the handler's `onError`, never the chain). */
  onError(error: unknown): void;
}

/**
 * Sends normalized records to one vendor. The handler owns one queue per exporter, so a slow
 * or failing vendor never delays the others.
 *
 * `export` is called from the queue only; a rejected promise fails the whole batch. The HTTP client
 * has already retried what can succeed on retry by then, so the queue does not send the batch again
 * (it pauses before the next one instead).
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
  shutdown?(): Promise<void>;
}
