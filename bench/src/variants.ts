import type { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { awaitAllCallbacks } from "@langchain/core/callbacks/promises";
import { ArthurCallbackHandler, type ArthurModel, exportArthur } from "@langchain-observability/arthur";
import {
  type Exporter,
  type LLMRunRecord,
  ObservabilityCallbackHandler,
  type ObservabilityCallbackHandlerOptions,
  type RunSpanRecord,
} from "@langchain-observability/core";
import { exportPromptLayer, PromptLayerCallbackHandler } from "@langchain-observability/promptlayer";
import { exportTrubrics, TrubricsCallbackHandler } from "@langchain-observability/trubrics";
import { NoopHandler } from "./bench-model";

// Our handlers and the reference handlers without a vendor. Only what the instruction-count child
// process needs is imported here (see instructions-child.ts): other vendors' handlers are in
// third-party-variants.ts.

/** One way of observing the model: its callbacks, how to wait for its export, and how to end it. */
export interface HandlerSetup {
  name: string;
  callbacks: BaseCallbackHandler[];
  flush(options?: { timeoutMs?: number }): Promise<unknown>;
  shutdown(): Promise<void>;
  /** Our handlers: the handler whose stats tell what happened. */
  handler?: ObservabilityCallbackHandler;
}

/** Options of our handlers that the benchmarks set (e.g. `onError`, or queue timing for callgrind). */
export type CommonOptions = Partial<ObservabilityCallbackHandlerOptions>;

export const ARTHUR_KEY = "bench-arthur-key";

function ours(name: string, handler: ObservabilityCallbackHandler): HandlerSetup {
  return {
    name,
    callbacks: [handler],
    handler,
    flush: (options) => handler.flush(options ?? { timeoutMs: 60_000 }),
    shutdown: async () => {
      await handler.shutdown({ timeoutMs: 1000 });
    },
  };
}

export type OurVendor = "trubrics" | "arthur" | "promptlayer";

/** The Arthur model the handler sends to (given, so no request reads it): a token-sequence model. */
export function benchArthurModel(): ArthurModel {
  const attribute = (name: string, stage: string, valueType: string, position: number) => ({
    name,
    stage,
    value_type: valueType,
    position,
    categorical: false,
    is_unique: false,
  });
  return {
    id: "arthur-llm-model",
    partner_model_id: "arthur-llm-model-partner",
    display_name: "LangChain LLM",
    input_type: "NLP",
    output_type: "TOKEN_SEQUENCE",
    attributes: [
      attribute("input_text", "PIPELINE_INPUT", "UNSTRUCTURED_TEXT", 0),
      attribute("output_text", "PREDICTED_VALUE", "UNSTRUCTURED_TEXT", 0),
      attribute("output_likelihoods", "PREDICTED_VALUE", "TOKEN_LIKELIHOODS", 1),
    ],
  } as ArthurModel;
}

/** Options pointing each vendor at the sink. */
export function vendorOptions(sinkUrl: string) {
  return {
    trubrics: { apiKey: "bench-trubrics-key", host: `${sinkUrl}/api/ingestion` },
    arthur: {
      apiKey: ARTHUR_KEY,
      arthurUrl: sinkUrl,
      organizationId: "bench-org",
      model: benchArthurModel(),
    },
    promptlayer: { apiKey: "pl_bench_key", baseUrl: sinkUrl },
  };
}

export function ourHandler(vendor: OurVendor, sinkUrl: string, common: CommonOptions = {}): HandlerSetup {
  const options = vendorOptions(sinkUrl);
  switch (vendor) {
    case "trubrics":
      return ours("Trubrics (ours)", new TrubricsCallbackHandler({ ...options.trubrics, ...common }));
    case "arthur":
      return ours("Arthur (ours)", new ArthurCallbackHandler({ ...options.arthur, ...common }));
    case "promptlayer":
      return ours(
        "PromptLayer (ours)",
        new PromptLayerCallbackHandler({ ...options.promptlayer, ...common }),
      );
  }
}

export function fanOutHandler(sinkUrl: string, common: CommonOptions = {}): HandlerSetup {
  const options = vendorOptions(sinkUrl);
  const http = common.timeoutMs === undefined ? {} : { timeoutMs: common.timeoutMs };
  return ours(
    "fan-out, 3 vendors (ours)",
    new ObservabilityCallbackHandler({
      ...common,
      exporters: [
        exportTrubrics({ ...options.trubrics, ...http }),
        exportArthur({ ...options.arthur, ...http }),
        exportPromptLayer({ ...options.promptlayer, ...http }),
      ],
    }),
  );
}

export function noHandler(): HandlerSetup {
  return { name: "no handler", callbacks: [], flush: async () => {}, shutdown: async () => {} };
}

export function noopHandler(): HandlerSetup {
  return {
    name: "no-op handler",
    callbacks: [new NoopHandler()],
    flush: () => awaitAllCallbacks(),
    shutdown: async () => {},
  };
}

/**
 * An exporter that keeps what it receives in memory until the round ends (as core's testing
 * `createMemoryExporter` does, without loading that entry).
 */
function memoryExporter<TRecord extends LLMRunRecord | RunSpanRecord>(
  consumes: "llm-runs" | "spans",
): Exporter<TRecord> & { records: TRecord[] } {
  const records: TRecord[] = [];
  return {
    name: "memory",
    consumes: consumes as Exporter<TRecord>["consumes"],
    maxBatchSize: 1000,
    records,
    async export(batch) {
      for (const record of batch) records.push(record);
      return {};
    },
  };
}

export function coreWithMemoryExporter(common: CommonOptions = {}): HandlerSetup {
  const exporter = memoryExporter<LLMRunRecord>("llm-runs");
  const handler = new ObservabilityCallbackHandler({ ...common, exporters: [exporter] });
  return {
    ...ours("core + in-memory exporter", handler),
    flush: async (options) => {
      await handler.flush(options ?? { timeoutMs: 60_000 });
      exporter.records.length = 0;
    },
  };
}

/** Core with an in-memory exporter that consumes spans: the whole run tree is captured. */
export function coreWithSpanExporter(common: CommonOptions = {}): HandlerSetup {
  const exporter = memoryExporter<RunSpanRecord>("spans");
  const handler = new ObservabilityCallbackHandler({ ...common, exporters: [exporter] });
  return {
    ...ours("core + in-memory, whole tree", handler),
    flush: async (options) => {
      await handler.flush(options ?? { timeoutMs: 60_000 });
      exporter.records.length = 0;
    },
  };
}
