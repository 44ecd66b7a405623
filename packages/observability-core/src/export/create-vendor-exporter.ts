import type { LLMRunRecord } from "../capture/llm-run-record";
import type { RunSpanRecord } from "../capture/run-span-record";
import { MAX_TIMER_MS } from "../config/load-setting";
import { ConfigurationError } from "../errors/configuration-error";
import { ObservabilityError } from "../errors/observability-error";
import type { DeliveryOutcome } from "../errors/vendor-api-error";
import { redactSecrets } from "../http/redact-secrets";
import { yieldToEventLoop } from "../runtime/yield-to-event-loop";
import type { Exporter, ExporterContext, ExportResult, RecordFailure } from "./exporter";

/** A record that failed to be delivered, as `send` reports it (records not listed were delivered). */
export type VendorRecordFailure = RecordFailure;

/** One record handed to `send`: the record, what `map` made of it, and that wire value as JSON text. */
export interface VendorSendItem<TRecord, TWire> {
  record: TRecord;
  wire: TWire;
  /**
   * `JSON.stringify(wire)`, computed once by the kit when it checked that the wire value serializes.
   * A transport may join these into its request body (`body` of `HttpClient.request`) instead of
   * serializing again.
   */
  json: string;
}

/** What `send` gets besides its items. */
export interface VendorSendContext {
  /** Aborted when the handler shuts down; pass it to every request. */
  signal: AbortSignal;
  /** Report a non-fatal problem: it reaches the handler's `onError`, never the chain. */
  reportError(error: unknown): void;
  /** Count one resent request; pass it as `onRetry` of each HTTP request (or of the HTTP client). */
  onRetry(): void;
  /**
   * Runs a user-supplied callback (`plIdCallback` …) outside the export slot: `send` does not wait
   * for it, so a callback that never settles cannot stall export. A throw, a rejection, or not
   * settling within `userCallbackTimeoutMs` is reported through `reportError` naming `name`; none of
   * them affects delivery. `flush()` waits for pending callbacks within its deadline.
   */
  runUserCallback(name: string, callback: () => unknown): void;
}

/** Options of `createVendorExporter`. */
export interface VendorExporterOptions<TRecord extends LLMRunRecord | RunSpanRecord, TWire> {
  /** Exporter name, in stats and errors (distinct per handler). */
  name: string;
  /** Vendor name, in messages (e.g. `"PromptLayer"`). */
  vendor: string;
  /** What the exporter takes: model calls or the whole run tree. @default "llm-runs" */
  consumes?: TRecord extends RunSpanRecord ? "spans" : "llm-runs";
  /** The most records the vendor takes in one call. */
  maxBatchSize: number;
  /** Export calls in flight at once. @default 2 */
  concurrency?: number;
  /**
   * Pure mapping of one record to its wire value. A throw, or a result that `JSON.stringify` cannot
   * serialize (a `BigInt`, a cycle, `undefined`), fails that record only (not retryable).
   */
  map(record: TRecord): TWire;
  /**
   * Sends the mapped records (in batch order) and resolves to the records that failed; records not
   * listed were delivered. A throw or rejection fails every record of the call with that error
   * (retryable when the error says so, unless its outcome is `"unknown"`).
   */
  send(
    items: Array<VendorSendItem<TRecord, TWire>>,
    context: VendorSendContext,
    // biome-ignore lint/suspicious/noConfusingVoidType: lets `async send() {}` mean "all delivered".
  ): Promise<VendorRecordFailure[] | void>;
  /** Releases what the transport holds (sessions …); called once by the handler's `shutdown()`. */
  shutdown?(): Promise<void>;
  /** Longest time a user callback may take before it is reported as hanging. @default 30000 */
  userCallbackTimeoutMs?: number;
  /** User callbacks pending at once; more are skipped and reported (bounded memory). @default 1000 */
  maxPendingUserCallbacks?: number;
  /**
   * Credentials removed from the messages the kit writes (mapping and callback failures). A function
   * is called each time, so tokens obtained later are covered. @default []
   */
  secrets?: ReadonlyArray<string | undefined> | (() => ReadonlyArray<string | undefined>);
}

/** The exporter `createVendorExporter` returns. */
export interface VendorExporter<TRecord extends LLMRunRecord | RunSpanRecord = LLMRunRecord>
  extends Exporter<TRecord> {
  /** Vendor name, in messages. */
  readonly vendor: string;
  /** Resolves once every pending user callback has settled or timed out. */
  settle(): Promise<void>;
}

const MAX_WARNED = 256;

/**
 * JSON text (UTF-16 units) mapped and serialized between two yields to the event loop: about
 * 0.3 ms of work on a slow core, so that export never holds the callers' timers and I/O for long.
 */
const YIELD_EVERY_JSON_UNITS = 16_384;

/**
 * Builds a vendor exporter from a pure `map` and a `send` transport: each record is mapped and
 * checked for JSON on its own (a bad record fails alone), `send` gets the rest with a context
 * (abort signal, error reporting, retry counting, user callbacks run outside the export slot), and
 * the outcome of every record is reported to the queue. Retrying is not the exporter's job: the
 * HTTP client resends idempotent requests; the queue keeps records marked `retryable`.
 *
 * @example
 * ```ts
 * const exporter = createVendorExporter({
 *   name: "acme", vendor: "Acme", maxBatchSize: 100,
 *   map: mapRecordToAcme,
 *   async send(items, context) {
 *     await client.request({ method: "PUT", path: "events", body: `[${items.map((i) => i.json).join(",")}]`,
 *       signal: context.signal, onRetry: context.onRetry });
 *   },
 * });
 * ```
 */
export function createVendorExporter<
  TRecord extends LLMRunRecord | RunSpanRecord = LLMRunRecord,
  TWire = unknown,
>(options: VendorExporterOptions<TRecord, TWire>): VendorExporter<TRecord> {
  validateOptions(options);
  const { name, vendor, map, send } = options;
  const callbackTimeoutMs = options.userCallbackTimeoutMs ?? 30_000;
  const maxPending = options.maxPendingUserCallbacks ?? 1000;
  const readSecrets = (): string[] => {
    const list = typeof options.secrets === "function" ? options.secrets() : (options.secrets ?? []);
    return list.filter((secret): secret is string => typeof secret === "string");
  };
  const redact = (text: string) => redactSecrets(text, readSecrets());

  let context: ExporterContext | undefined;
  const warned = new Set<string>();
  const reportError = (error: unknown) => {
    try {
      if (context) {
        context.onError(error);
        return;
      }
      // Not attached to a handler (used on its own): warn once per distinct message.
      const message = redact(describe(error));
      if (warned.has(message) || warned.size >= MAX_WARNED) return;
      warned.add(message);
      console.warn(`[langchain-observability] ${message}`);
    } catch {
      // Reporting must never break export.
    }
  };
  const onRetry = () => {
    try {
      context?.onRetry();
    } catch {
      // A counter must never break export.
    }
  };

  let pendingCallbacks = 0;
  let skippedCallbacks = 0;
  let settleWaiters: Array<() => void> = [];
  const callbackSettled = () => {
    pendingCallbacks--;
    if (pendingCallbacks === 0 && settleWaiters.length > 0) {
      const waiters = settleWaiters;
      settleWaiters = [];
      for (const waiter of waiters) waiter();
    }
  };
  const runUserCallback = (callbackName: string, callback: () => unknown) => {
    if (pendingCallbacks >= maxPending) {
      skippedCallbacks++;
      // Once per burst: the count tells how many were skipped so far.
      if (skippedCallbacks === 1 || skippedCallbacks % 1000 === 0) {
        reportError(
          new ObservabilityError({
            message: `${vendor}: ${callbackName} was not called (${skippedCallbacks} so far): ${maxPending} earlier calls have not settled yet.`,
          }),
        );
      }
      return;
    }
    pendingCallbacks++;
    let settled = false;
    const finish = (error?: ObservabilityError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reportError(error);
      callbackSettled();
    };
    const timer = setTimeout(() => {
      finish(
        new ObservabilityError({
          message: `${vendor}: ${callbackName} did not settle within ${callbackTimeoutMs} ms; export went on without it.`,
        }),
      );
    }, callbackTimeoutMs);
    (timer as { unref?: () => void }).unref?.();
    // A microtask: the callback never runs inside `send`, and a synchronous throw becomes a rejection.
    Promise.resolve()
      .then(callback)
      .then(
        () => finish(),
        (error: unknown) =>
          finish(
            new ObservabilityError({
              message: redact(`${vendor}: ${callbackName} failed: ${describe(error)}`),
            }),
          ),
      );
  };

  const exporter: VendorExporter<TRecord> = {
    name,
    vendor,
    maxBatchSize: options.maxBatchSize,
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    ...(options.consumes === undefined ? {} : { consumes: options.consumes }),
    bind(bound) {
      context = bound;
    },
    settle() {
      if (pendingCallbacks === 0) return Promise.resolve();
      return new Promise<void>((resolve) => settleWaiters.push(resolve));
    },
    async export(records, signal): Promise<ExportResult> {
      const failed: RecordFailure[] = [];
      const items: Array<VendorSendItem<TRecord, TWire>> = [];
      let bytesSinceYield = 0;
      for (const record of records) {
        const mapped = mapOne(record);
        if ("failure" in mapped) {
          failed.push(mapped.failure);
          continue;
        }
        items.push(mapped.item);
        bytesSinceYield += mapped.item.json.length;
        if (bytesSinceYield >= YIELD_EVERY_JSON_UNITS) {
          // Mapping a full batch at once blocked the callers' event loop for milliseconds (their
          // added p99): give it back between slices.
          bytesSinceYield = 0;
          await yieldToEventLoop();
        }
      }
      if (items.length === 0) return failed.length > 0 ? { failed } : {};
      const sendContext: VendorSendContext = { signal, reportError, onRetry, runUserCallback };
      let result: unknown;
      try {
        result = await send(items, sendContext);
      } catch (error) {
        // The whole call failed: every record sent in it failed with this one error (the queue
        // recognises a shared 413 and splits the batch).
        const failure = toRecordFailure("", error, vendor);
        for (const item of items) failed.push({ ...failure, recordId: item.record.recordId });
        return { failed };
      }
      if (Array.isArray(result) && result.length > 0) {
        const sent = new Set(items.map((item) => item.record.recordId));
        for (const entry of result as VendorRecordFailure[]) {
          if (!entry || typeof entry.recordId !== "string" || !sent.has(entry.recordId)) continue;
          failed.push(normalizeFailure(entry, vendor));
        }
      }
      return failed.length > 0 ? { failed } : {};
    },
    ...(options.shutdown ? { shutdown: options.shutdown } : {}),
  };

  function mapOne(record: TRecord): { item: VendorSendItem<TRecord, TWire> } | { failure: RecordFailure } {
    let wire: TWire;
    try {
      wire = map(record);
    } catch (error) {
      return { failure: mapFailure(record, `could not map it: ${describe(error)}`) };
    }
    let json: string | undefined;
    try {
      json = JSON.stringify(wire);
    } catch (error) {
      return { failure: mapFailure(record, `its payload cannot be serialized as JSON: ${describe(error)}`) };
    }
    if (json === undefined) {
      return { failure: mapFailure(record, "its payload cannot be serialized as JSON (nothing to send)") };
    }
    return { item: { record, wire, json } };
  }

  function mapFailure(record: TRecord, reason: string): RecordFailure {
    return {
      recordId: record.recordId,
      retryable: false,
      error: new ObservabilityError({
        message: redact(`${vendor}: record ${record.recordId} was not sent: ${reason}`),
      }),
    };
  }

  return exporter;
}

/**
 * The failure of one record from an error a transport caught: `retryable` from the error's
 * `isRetryable`, `outcome` from its `outcome` (`"unknown"` is never retryable). An error that is not
 * an `ObservabilityError` (a bug in the transport) is wrapped and not retryable.
 */
export function toRecordFailure(recordId: string, error: unknown, vendor = "exporter"): VendorRecordFailure {
  if (ObservabilityError.isInstance(error)) {
    const outcome = readOutcome(error);
    const retryable = (error as { isRetryable?: unknown }).isRetryable === true && outcome !== "unknown";
    return { recordId, error, retryable, ...(outcome === "unknown" ? { outcome } : {}) };
  }
  return {
    recordId,
    retryable: false,
    error: new ObservabilityError({ message: `${vendor}: export failed: ${describe(error)}`, cause: error }),
  };
}

function normalizeFailure(entry: VendorRecordFailure, vendor: string): RecordFailure {
  const error = ObservabilityError.isInstance(entry.error)
    ? entry.error
    : new ObservabilityError({ message: `${vendor}: ${describe(entry.error)}`, cause: entry.error });
  const outcome = entry.outcome ?? readOutcome(error);
  return {
    recordId: entry.recordId,
    error,
    retryable: entry.retryable === true && outcome !== "unknown",
    ...(outcome === "unknown" ? { outcome } : {}),
  };
}

function readOutcome(error: unknown): DeliveryOutcome {
  return (error as { outcome?: unknown } | null)?.outcome === "unknown" ? "unknown" : "failed";
}

/** `Name: message` of anything thrown, without ever throwing itself. */
function describe(error: unknown): string {
  try {
    if (error instanceof Error) return `${error.name || "Error"}: ${error.message}`;
    if (typeof error === "string") return error;
    return String(JSON.stringify(error) ?? String(error));
  } catch {
    return "an unprintable value";
  }
}

function validateOptions(options: VendorExporterOptions<never, unknown>): void {
  const fail = (option: string, what: string) => {
    throw new ConfigurationError({ message: `createVendorExporter: \`${option}\` must be ${what}.`, option });
  };
  if (!options || typeof options !== "object") fail("options", "an object");
  if (typeof options.name !== "string" || options.name === "") fail("name", "a non-empty string");
  if (typeof options.vendor !== "string" || options.vendor === "") fail("vendor", "a non-empty string");
  if (!Number.isInteger(options.maxBatchSize) || options.maxBatchSize < 1)
    fail("maxBatchSize", "an integer >= 1");
  if (
    options.concurrency !== undefined &&
    (!Number.isInteger(options.concurrency) || options.concurrency < 1)
  ) {
    fail("concurrency", "an integer >= 1");
  }
  if (typeof options.map !== "function") fail("map", "a function");
  if (typeof options.send !== "function") fail("send", "a function");
  if (options.shutdown !== undefined && typeof options.shutdown !== "function")
    fail("shutdown", "a function");
  if (options.consumes !== undefined && options.consumes !== "llm-runs" && options.consumes !== "spans") {
    fail("consumes", '"llm-runs" or "spans"');
  }
  const timeout = options.userCallbackTimeoutMs;
  if (timeout !== undefined && !(Number.isFinite(timeout) && timeout >= 1 && timeout <= MAX_TIMER_MS)) {
    fail("userCallbackTimeoutMs", `a number from 1 to ${MAX_TIMER_MS}`);
  }
  const pending = options.maxPendingUserCallbacks;
  if (pending !== undefined && (!Number.isInteger(pending) || pending < 1)) {
    fail("maxPendingUserCallbacks", "an integer >= 1");
  }
}
