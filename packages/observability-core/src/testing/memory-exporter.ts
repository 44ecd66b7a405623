import type { LLMRunRecord } from "../capture/llm-run-record";
import type { RunSpanRecord } from "../capture/run-span-record";
import type { Exporter, ExportResult } from "../export/exporter";
import { buildSpanTrees, type FormatSpanTreeOptions, formatSpanTrees, type SpanTreeNode } from "./span-tree";

/** An exporter of model-call records (`consumes: "llm-runs"`, the default) that keeps them in memory. */
export interface MemoryExporter extends Exporter<LLMRunRecord> {
  /** Every record delivered, in order. */
  readonly records: LLMRunRecord[];
  /** Every batch delivered. */
  readonly batches: LLMRunRecord[][];
  /** Forgets everything received. */
  clear(): void;
}

/**
 * An exporter of the whole run tree (`consumes: "spans"`) that keeps the spans in memory, with
 * helpers to assert on a trace's shape in tests.
 */
export interface MemorySpanExporter extends Exporter<RunSpanRecord> {
  readonly consumes: "spans";
  /** Every span delivered, in the order received (a span arrives when its run ends: children first). */
  readonly spans: RunSpanRecord[];
  /** The same list as `spans` (the name every memory exporter has). */
  readonly records: RunSpanRecord[];
  /** Every batch delivered. */
  readonly batches: RunSpanRecord[][];
  /** The received spans as trees, one per trace (or only `traceId`'s): roots and children in start order. */
  trees(traceId?: string): SpanTreeNode[];
  /**
   * The received trees as an indented outline, one line per span (`kind name`, plus the status when
   * it is not `success`): made for `toMatchInlineSnapshot`.
   */
  formatTrees(options?: FormatSpanTreeOptions): string;
  /** The `LLMRunRecord`s carried by the model-call spans, in the order received. */
  llmRecords(): LLMRunRecord[];
  /** Forgets everything received. */
  clear(): void;
}

export interface MemoryExporterOptions<TRecord extends LLMRunRecord | RunSpanRecord = LLMRunRecord> {
  /** @default "memory" */
  name?: string;
  /** What it takes: model-call records, or the spans of the whole run tree. @default "llm-runs" */
  consumes?: "llm-runs" | "spans";
  /** @default 1000 */
  maxBatchSize?: number;
  /** Batches in flight at once. @default 2 */
  concurrency?: number;
  /** Called with every batch before it is stored: throw to fail it, or return a partial result. */
  onExport?: (
    records: TRecord[],
    signal: AbortSignal,
  ) => Promise<ExportResult | undefined> | ExportResult | undefined;
}

/**
 * An exporter that keeps what it receives in memory: for tests (yours too: assert on your agent's
 * trace) and benchmarks. `createMemoryExporter({ consumes: "spans" })` receives the whole run tree.
 *
 * ```ts
 * const exporter = createMemoryExporter({ consumes: "spans" });
 * const handler = new ObservabilityCallbackHandler({ exporters: [exporter] });
 * await agent.invoke(input, { callbacks: [handler] });
 * await handler.flush();
 * expect(exporter.formatTrees()).toMatchInlineSnapshot();
 * ```
 */
export function createMemoryExporter(
  options: MemoryExporterOptions<RunSpanRecord> & { consumes: "spans" },
): MemorySpanExporter;
export function createMemoryExporter(
  options?: MemoryExporterOptions<LLMRunRecord> & { consumes?: "llm-runs" },
): MemoryExporter;
export function createMemoryExporter(
  options: MemoryExporterOptions<LLMRunRecord> | MemoryExporterOptions<RunSpanRecord> = {},
): MemoryExporter | MemorySpanExporter {
  if (options.consumes === "spans")
    return createSpanExporter(options as MemoryExporterOptions<RunSpanRecord>);
  return createStore(options as MemoryExporterOptions<LLMRunRecord>) as MemoryExporter;
}

function createSpanExporter(options: MemoryExporterOptions<RunSpanRecord>): MemorySpanExporter {
  const store = createStore(options);
  return {
    ...store,
    consumes: "spans",
    spans: store.records,
    trees: (traceId) => {
      const trees = buildSpanTrees(store.records);
      return traceId === undefined ? trees : trees.filter((tree) => tree.span.traceId === traceId);
    },
    formatTrees: (formatOptions) => formatSpanTrees(store.records, formatOptions),
    llmRecords: () => store.records.flatMap((span) => span.llmRecords ?? []),
  };
}

function createStore<TRecord extends LLMRunRecord | RunSpanRecord>(options: MemoryExporterOptions<TRecord>) {
  const records: TRecord[] = [];
  const batches: TRecord[][] = [];
  return {
    name: options.name ?? "memory",
    maxBatchSize: options.maxBatchSize ?? 1000,
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    records,
    batches,
    clear() {
      records.length = 0;
      batches.length = 0;
    },
    async export(batch: TRecord[], signal: AbortSignal): Promise<ExportResult> {
      const result = (await options.onExport?.(batch, signal)) ?? {};
      const failed = new Set((result.failed ?? []).map((failure) => failure.recordId));
      const delivered = batch.filter((record) => !failed.has(record.recordId));
      batches.push(delivered);
      for (const record of delivered) records.push(record);
      return result;
    },
  };
}
