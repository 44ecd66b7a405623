import type { LLMRunRecord } from "../capture/llm-run-record";
import type { Exporter, ExportResult } from "../export/exporter";

export interface MemoryExporter extends Exporter {
  /** Every record delivered, in order. */
  readonly records: LLMRunRecord[];
  /** Every batch delivered. */
  readonly batches: LLMRunRecord[][];
}

export interface MemoryExporterOptions {
  name?: string;
  maxBatchSize?: number;
  concurrency?: number;
  /** Called with every batch before it is stored: throw to fail it, or return a partial result. */
  onExport?: (
    records: LLMRunRecord[],
    signal: AbortSignal,
  ) => Promise<ExportResult | undefined> | ExportResult | undefined;
}

/** An exporter that keeps what it receives in memory: for tests and benchmarks. */
export function createMemoryExporter(options: MemoryExporterOptions = {}): MemoryExporter {
  const records: LLMRunRecord[] = [];
  const batches: LLMRunRecord[][] = [];
  return {
    name: options.name ?? "memory",
    maxBatchSize: options.maxBatchSize ?? 1000,
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    records,
    batches,
    async export(batch, signal) {
      const result = (await options.onExport?.(batch, signal)) ?? {};
      const failed = new Set((result.failed ?? []).map((failure) => failure.recordId));
      const delivered = batch.filter((record) => !failed.has(record.recordId));
      batches.push(delivered);
      records.push(...delivered);
      return result;
    },
  };
}
