// Interim copy of the types of core's exporter kit (`createVendorExporter`), until it lands on main.
// Deleted when it does: the transports then import these names from `@langchain-observability/core`.
import {
  describeError,
  type Exporter,
  type ExporterContext,
  type ExportResult,
  type LLMRunRecord,
  ObservabilityError,
  type RunSpanRecord,
  redactSecrets,
} from "@langchain-observability/core";

export interface VendorRecordFailure {
  recordId: string;
  error: ObservabilityError;
  retryable: boolean;
  outcome?: "failed" | "unknown";
}

export interface VendorSendItem<TRecord, TWire> {
  record: TRecord;
  wire: TWire;
  json: string;
}

export interface VendorSendContext {
  signal: AbortSignal;
  reportError(error: unknown): void;
  onRetry(): void;
  runUserCallback(name: string, callback: () => unknown): void;
}

export function toRecordFailure(recordId: string, error: unknown, vendor = "exporter"): VendorRecordFailure {
  if (ObservabilityError.isInstance(error)) {
    const outcome = (error as { outcome?: unknown }).outcome === "unknown" ? "unknown" : "failed";
    const retryable = (error as { isRetryable?: unknown }).isRetryable === true && outcome !== "unknown";
    return { recordId, error, retryable, ...(outcome === "unknown" ? { outcome } : {}) };
  }
  return {
    recordId,
    retryable: false,
    error: new ObservabilityError({ message: `${vendor}: export failed: ${String(error)}`, cause: error }),
  };
}

export interface VendorExporterOptions<TRecord extends LLMRunRecord | RunSpanRecord, TWire> {
  name: string;
  vendor: string;
  consumes?: "llm-runs" | "spans";
  maxBatchSize: number;
  concurrency?: number;
  map(record: TRecord): TWire;
  send(
    items: Array<VendorSendItem<TRecord, TWire>>,
    context: VendorSendContext,
  ): Promise<VendorRecordFailure[] | undefined>;
  userCallbackTimeoutMs?: number;
  secrets?: ReadonlyArray<string | undefined>;
}

export interface VendorExporter<TRecord extends LLMRunRecord | RunSpanRecord = LLMRunRecord>
  extends Exporter<TRecord> {
  readonly vendor: string;
  settle(): Promise<void>;
}

/** A minimal stand-in for core's `createVendorExporter` (same contract), until the kit lands. */
export function createVendorExporter<
  TRecord extends LLMRunRecord | RunSpanRecord = LLMRunRecord,
  TWire = unknown,
>(options: VendorExporterOptions<TRecord, TWire>): VendorExporter<TRecord> {
  let context: ExporterContext | undefined;
  const secrets = (options.secrets ?? []).filter((secret): secret is string => typeof secret === "string");
  const reportError = (error: unknown) => {
    if (context) context.onError(error);
    else console.warn(`[langchain-observability] ${describeError(error).message}`);
  };
  let pending = 0;
  let waiters: Array<() => void> = [];
  const runUserCallback = (name: string, callback: () => unknown) => {
    pending++;
    let settled = false;
    const finish = (error?: ObservabilityError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reportError(error);
      pending--;
      if (pending === 0) {
        const ready = waiters;
        waiters = [];
        for (const waiter of ready) waiter();
      }
    };
    const timeoutMs = options.userCallbackTimeoutMs ?? 30_000;
    const timer = setTimeout(
      () =>
        finish(
          new ObservabilityError({
            message: `${options.vendor}: ${name} did not settle within ${timeoutMs} ms; export went on without it.`,
          }),
        ),
      timeoutMs,
    );
    (timer as { unref?: () => void }).unref?.();
    Promise.resolve()
      .then(callback)
      .then(
        () => finish(),
        (error: unknown) => {
          const { name: errorName, message } = describeError(error);
          finish(
            new ObservabilityError({
              message: redactSecrets(`${options.vendor}: ${name} failed: ${errorName}: ${message}`, secrets),
            }),
          );
        },
      );
  };
  return {
    name: options.name,
    vendor: options.vendor,
    maxBatchSize: options.maxBatchSize,
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    ...(options.consumes === undefined ? {} : { consumes: options.consumes as never }),
    bind(bound) {
      context = bound;
    },
    settle() {
      return pending === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve));
    },
    async export(records, signal): Promise<ExportResult> {
      const failed: VendorRecordFailure[] = [];
      const items: Array<VendorSendItem<TRecord, TWire>> = [];
      for (const record of records) {
        try {
          const wire = options.map(record);
          const json = JSON.stringify(wire);
          if (json === undefined) throw new Error("nothing to send");
          items.push({ record, wire, json });
        } catch (error) {
          failed.push({
            recordId: record.recordId,
            retryable: false,
            error: new ObservabilityError({
              message: `${options.vendor}: record ${record.recordId} was not sent: ${describeError(error).message}`,
            }),
          });
        }
      }
      if (items.length > 0) {
        try {
          const result = await options.send(items, {
            signal,
            reportError,
            onRetry: () => context?.onRetry(),
            runUserCallback,
          });
          if (Array.isArray(result)) failed.push(...result);
        } catch (error) {
          for (const item of items) failed.push(toRecordFailure(item.record.recordId, error, options.vendor));
        }
      }
      return failed.length > 0 ? { failed } : {};
    },
  };
}
