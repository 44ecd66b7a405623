// TEMPORARY: the shape of core's exporter kit (`createVendorExporter`, brief contract 3) until it lands
// on main; then this file goes and the imports point at `@langchain-observability/core`.
import {
  describeError,
  type Exporter,
  type ExporterContext,
  type ExportResult,
  type LLMRunRecord,
  type ObservabilityError,
  ObservabilityError as ObservabilityErrorClass,
} from "@langchain-observability/core";

export interface VendorSendContext {
  signal: AbortSignal;
  reportError(error: unknown): void;
  onRetry(): void;
  runUserCallback(name: string, fn: () => unknown): void;
}

export interface VendorRecordFailure {
  recordId: string;
  error: ObservabilityError;
  retryable: boolean;
  outcome?: "failed" | "unknown";
}

export interface VendorExporterSpec<TRecord extends LLMRunRecord, TWire> {
  name: string;
  vendor: string;
  maxBatchSize: number;
  concurrency?: number;
  map(record: TRecord): TWire;
  send(
    items: Array<{ record: TRecord; wire: TWire }>,
    context: VendorSendContext,
  ): Promise<VendorRecordFailure[] | undefined>;
  shutdown?(): Promise<void>;
}

export function createVendorExporter<TRecord extends LLMRunRecord, TWire>(
  spec: VendorExporterSpec<TRecord, TWire>,
): Exporter<TRecord> {
  let context: ExporterContext | undefined;
  return {
    name: spec.name,
    maxBatchSize: spec.maxBatchSize,
    ...(spec.concurrency === undefined ? {} : { concurrency: spec.concurrency }),
    bind(bound) {
      context = bound;
    },
    ...(spec.shutdown ? { shutdown: spec.shutdown } : {}),
    async export(records, signal): Promise<ExportResult> {
      const failed: NonNullable<ExportResult["failed"]> = [];
      const items: Array<{ record: TRecord; wire: TWire }> = [];
      for (const record of records) {
        try {
          items.push({ record, wire: spec.map(record) });
        } catch (error) {
          failed.push({
            recordId: record.recordId,
            error: new ObservabilityErrorClass({
              message: `${spec.vendor}: record ${record.recordId} could not be mapped: ${describeError(error).message}`,
            }),
            retryable: false,
          });
        }
      }
      if (items.length > 0) {
        const failures = await spec.send(items, {
          signal,
          reportError: (error) => context?.onError(error),
          onRetry: () => context?.onRetry(),
          runUserCallback: (_name, fn) => {
            void fn();
          },
        });
        const [first] = failures ?? [];
        // One error for the whole batch, nothing to retry: report it once, as the queue does for a throw.
        if (
          first &&
          failed.length === 0 &&
          failures!.length === records.length &&
          failures!.every((failure) => failure.error === first.error && !failure.retryable)
        ) {
          throw first.error;
        }
        for (const failure of failures ?? []) {
          failed.push({ recordId: failure.recordId, error: failure.error, retryable: failure.retryable });
        }
      }
      return failed.length > 0 ? { failed } : {};
    },
  };
}
