import type { BaseCallbackHandlerInput } from "@langchain/core/callbacks/base";
import type { LLMRunRecord } from "./capture/llm-run-record";
import type { RunSpanRecord } from "./capture/run-span-record";
import { loadNumber, MAX_TIMER_MS } from "./config/load-setting";
import { ConfigurationError } from "./errors/configuration-error";

/** Options every handler of this project accepts (the vendor handlers too). */
export interface CommonHandlerOptions extends BaseCallbackHandlerInput {
  /** Default user id of every record; a run's `user_id`/`userId` metadata overrides it. @default undefined */
  userId?: string;
  /** Alias of `userId`, spelled as in the Python handlers. @default undefined */
  user_id?: string;
  /** Default session id; a run's `session_id`/`sessionId`/`thread_id` metadata overrides it. @default undefined */
  sessionId?: string;
  /** Alias of `sessionId`, spelled as in the Python handlers. @default undefined */
  session_id?: string;
  /** Tags added to every record (before the run's own tags). @default [] */
  tags?: string[];
  /** Metadata added to every record (the run's own metadata wins on equal keys). @default {} */
  metadata?: Record<string, unknown>;
  /**
   * Called with each whole record before export; return a (rewritten) record, or `null` to drop it.
   * A mask that throws drops the record (fail closed) and reports the error. When an exporter
   * consumes spans, it is also called with each `RunSpanRecord` (tell them apart with
   * `isRunSpanRecord(record)`); a model-call span's `llmRecords` have been through it already.
   * Declared as a method so a mask typed `(record: LLMRunRecord) => LLMRunRecord | null` still fits.
   */
  mask?(record: LLMRunRecord | RunSpanRecord): LLMRunRecord | RunSpanRecord | null;
  /** Fraction of traces kept, 0..1, decided by trace id so a trace is kept or dropped whole. @default 1 */
  sampleRate?: number;
  /** Most records in one batch (also capped by each exporter's own limit). @default 100 */
  maxBatchSize?: number;
  /** Most serialized bytes in one batch; a single larger record is dropped as oversize. @default 5000000 */
  maxBatchBytes?: number;
  /** How often queued records are sent. @default 1000 */
  flushIntervalMs?: number;
  /** Records each exporter may hold; beyond it the oldest are dropped and counted. @default 10000 */
  maxQueueSize?: number;
  /**
   * Estimated bytes of records each exporter may hold (the size estimates records carry); beyond it
   * the oldest are dropped and counted (`dropped.queueFull`). @default 33554432 (32 MB)
   */
  maxQueueBytes?: number;
  /**
   * A record kept queued this long without being delivered (the vendor keeps failing) is dropped
   * and counted (`dropped.expired`); at most 2147483647. @default 600000 (10 minutes)
   */
  maxRecordAgeMs?: number;
  /** Per-request timeout, at most 2147483647 (the longest timer). @default 10000 */
  timeoutMs?: number;
  /**
   * Resends of one request by the HTTP client, only where a resend is safe (idempotent requests
   * after network errors, timeouts, 408, 425, 429, 5xx; any request after a refused connection, 429
   * or 503). Records that still fail for a retryable reason stay queued and go in a later batch
   * (`stats().requeued`), within `maxQueueSize`, `maxQueueBytes` and `maxRecordAgeMs`. @default 3
   */
  maxRetries?: number;
  /** Receives every background failure. @default one `console.warn` per distinct error */
  onError?: (error: unknown) => void;
  /** Custom fetch passed to the HTTP client (tests, proxies). @default globalThis.fetch */
  fetch?: typeof globalThis.fetch;
  /** Send prompt and response text; false sends neither (metadata, usage and timing still go). @default true */
  captureContent?: boolean;
  /** Longest text kept in one field; longer text is cut and ends with `…[truncated]`. @default 100000 */
  maxFieldChars?: number;
  /** Most runs tracked at once; beyond it the oldest become `cancelled` records. @default 10000 */
  maxInFlightRuns?: number;
  /** A run not ended after this long becomes a `cancelled` record. @default 600000 */
  runTtlMs?: number;
  /**
   * Default deadline of `flush()`, `shutdown()` and of the drain when the process is about to exit,
   * at most 2147483647 (the longest timer). @default 10000
   */
  flushTimeoutMs?: number;
}

/** The settings of `CommonHandlerOptions` that configure an exporter's HTTP client. */
export interface ExporterHttpOptions {
  /** Per-request timeout, at most 2147483647 (the longest timer). @default 10000 */
  timeoutMs?: number;
  /**
   * Resends of one request by the HTTP client, only where a resend is safe (idempotent requests
   * after network errors, timeouts, 408, 425, 429, 5xx; any request after a refused connection, 429
   * or 503). Records that still fail for a retryable reason stay queued and go in a later batch
   * (`stats().requeued`), within `maxQueueSize`, `maxQueueBytes` and `maxRecordAgeMs`. @default 3
   */
  maxRetries?: number;
  /** Custom fetch passed to the HTTP client. @default globalThis.fetch */
  fetch?: typeof globalThis.fetch;
}

/**
 * Every key of `CommonHandlerOptions`, as a complete record: an option added to core fails the type
 * check here, so vendor handlers that split their options never treat it as a vendor key or metadata.
 */
export const COMMON_HANDLER_OPTION_KEYS: Readonly<Record<keyof CommonHandlerOptions, true>> = Object.freeze({
  userId: true,
  user_id: true,
  sessionId: true,
  session_id: true,
  tags: true,
  metadata: true,
  mask: true,
  sampleRate: true,
  maxBatchSize: true,
  maxBatchBytes: true,
  flushIntervalMs: true,
  maxQueueSize: true,
  maxQueueBytes: true,
  maxRecordAgeMs: true,
  timeoutMs: true,
  maxRetries: true,
  onError: true,
  fetch: true,
  captureContent: true,
  maxFieldChars: true,
  maxInFlightRuns: true,
  runTtlMs: true,
  flushTimeoutMs: true,
  // LangChain's BaseCallbackHandlerInput
  ignoreLLM: true,
  ignoreChain: true,
  ignoreAgent: true,
  ignoreRetriever: true,
  ignoreCustomEvent: true,
  _awaitHandler: true,
  raiseError: true,
});

/** The documented aliases among the common options, each with the option it stands for. */
export const COMMON_HANDLER_OPTION_ALIASES: Readonly<Record<string, keyof CommonHandlerOptions>> =
  Object.freeze({
    user_id: "userId",
    session_id: "sessionId",
  });

/** Whether `key` is one of the options every handler accepts. */
export function isCommonHandlerOption(key: string): key is keyof CommonHandlerOptions {
  return Object.hasOwn(COMMON_HANDLER_OPTION_KEYS, key);
}

/** The common options out of a vendor handler's options (the vendor keys stay behind). */
export function pickCommonHandlerOptions(options: object): CommonHandlerOptions {
  const common: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined && isCommonHandlerOption(key)) common[key] = value;
  }
  return common as CommonHandlerOptions;
}

/** Resolved and validated `ExporterHttpOptions`, as `createHttpClient` takes them. */
export interface HttpSettings {
  timeoutMs: number;
  maxRetries: number;
  fetch?: typeof globalThis.fetch;
}

/** Validates the HTTP options every exporter accepts and applies their defaults. */
export function loadHttpSettings(options: ExporterHttpOptions): HttpSettings {
  const fetch = options.fetch ?? undefined;
  if (fetch !== undefined && typeof fetch !== "function") {
    throw new ConfigurationError({ message: "`fetch` must be a function.", option: "fetch" });
  }
  const settings: HttpSettings = {
    timeoutMs: loadNumber({
      option: "timeoutMs",
      value: options.timeoutMs,
      default: 10_000,
      min: 1,
      max: MAX_TIMER_MS,
    }),
    maxRetries: loadNumber({
      option: "maxRetries",
      value: options.maxRetries,
      default: 3,
      min: 0,
      max: 20,
      integer: true,
    }),
  };
  if (fetch) settings.fetch = fetch;
  return settings;
}
