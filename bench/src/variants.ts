import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { awaitAllCallbacks } from "@langchain/core/callbacks/promises";
import { HumanMessage, SystemMessage } from "@langchain/core/messages";
import { StringOutputParser } from "@langchain/core/output_parsers";
import type { LLMResult } from "@langchain/core/outputs";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { type Runnable, RunnableLambda, RunnableSequence } from "@langchain/core/runnables";
import { LangChainTracer } from "@langchain/core/tracers/tracer_langchain";
import { ArthurCallbackHandler, exportArthur } from "@langchain-observability/arthur";
import { createArthurTokenSequenceModel } from "@langchain-observability/arthur/testing";
import {
  ObservabilityCallbackHandler,
  type ObservabilityCallbackHandlerOptions,
} from "@langchain-observability/core";
import { createMemoryExporter, FakeDetailedChatModel } from "@langchain-observability/core/testing";
import { exportPromptLayer, PromptLayerCallbackHandler } from "@langchain-observability/promptlayer";
import { exportTrubrics, TrubricsCallbackHandler } from "@langchain-observability/trubrics";
import { CallbackHandler as LangfuseCallbackHandler } from "@langfuse/langchain";
import { LangfuseSpanProcessor } from "@langfuse/otel";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { Client as LangSmithClient } from "langsmith";

export const messages = [
  new SystemMessage("You are a helpful assistant. Answer in one short sentence."),
  new HumanMessage("What is the capital of France?"),
];

/** The fake chat model every variant invokes (optionally with simulated provider latency). */
export function createModel(sleepMs = 0): FakeDetailedChatModel {
  return new FakeDetailedChatModel({
    model: "bench-model",
    sleepMs,
    responses: [
      {
        content: "The capital of France is Paris.",
        usage: { input_tokens: 28, output_tokens: 8, total_tokens: 36 },
        responseMetadata: { model_name: "bench-model", finish_reason: "stop" },
      },
    ],
  });
}

/**
 * A 5-step chain (prompt → model → parser → two small functions): 6 runs per call, one of them a
 * model call, for the whole-tree variant.
 */
export function createFiveStepChain(sleepMs = 0): Runnable<{ question: string }, string> {
  const prompt = ChatPromptTemplate.fromMessages([
    ["system", "You are a helpful assistant. Answer in one short sentence."],
    ["human", "{question}"],
  ]);
  return RunnableSequence.from([
    prompt,
    createModel(sleepMs),
    new StringOutputParser(),
    RunnableLambda.from((text: string) => text.trim()).withConfig({ runName: "trim" }),
    RunnableLambda.from((text: string) => text.toUpperCase()).withConfig({ runName: "shout" }),
  ]);
}

export const chainInput = { question: "What is the capital of France?" };

/** A handler that implements the model callbacks and does nothing: the floor any handler pays. */
export class NoopHandler extends BaseCallbackHandler {
  name = "noop_handler";
  override handleChatModelStart(): void {}
  override handleLLMStart(): void {}
  override handleLLMEnd(): void {}
  override handleLLMError(): void {}
}

/** The naive reference: POST each record with fetch from the handler's own callback. */
export class NaiveFetchHandler extends BaseCallbackHandler {
  name = "naive_fetch_handler";
  private readonly starts = new Map<string, { messages: unknown; startTime: number }>();
  constructor(private readonly url: string) {
    super();
  }
  override handleChatModelStart(_llm: unknown, messageGroups: unknown[][], runId: string): void {
    this.starts.set(runId, { messages: messageGroups[0], startTime: Date.now() });
  }
  override async handleLLMEnd(output: LLMResult, runId: string): Promise<void> {
    const start = this.starts.get(runId);
    this.starts.delete(runId);
    await fetch(`${this.url}/naive`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        runId,
        input: start?.messages,
        output: output.generations,
        llmOutput: output.llmOutput,
        startTime: start?.startTime,
        endTime: Date.now(),
      }),
    }).then((response) => response.text());
  }
}

/** One way of observing the model: its callbacks, how to wait for its export, and how to end it. */
export interface HandlerSetup {
  name: string;
  callbacks: BaseCallbackHandler[];
  flush(options?: { timeoutMs?: number }): Promise<unknown>;
  shutdown(): Promise<void>;
  /** Our handlers: the handler whose stats tell what happened. */
  handler?: ObservabilityCallbackHandler;
}

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

/** Options pointing each vendor at the sink. */
export function vendorOptions(sinkUrl: string) {
  return {
    trubrics: { apiKey: "bench-trubrics-key", host: `${sinkUrl}/api/ingestion` },
    arthur: {
      apiKey: ARTHUR_KEY,
      arthurUrl: sinkUrl,
      organizationId: "bench-org",
      model: createArthurTokenSequenceModel(),
    },
    promptlayer: { apiKey: "pl_bench_key", baseUrl: sinkUrl },
  };
}

export function ourHandler(
  vendor: OurVendor,
  sinkUrl: string,
  common: Partial<ObservabilityCallbackHandlerOptions> = {},
): HandlerSetup {
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

export function fanOutHandler(sinkUrl: string): HandlerSetup {
  const options = vendorOptions(sinkUrl);
  return ours(
    "fan-out, 3 vendors (ours)",
    new ObservabilityCallbackHandler({
      exporters: [
        exportTrubrics(options.trubrics),
        exportArthur(options.arthur),
        exportPromptLayer(options.promptlayer),
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

export function coreWithMemoryExporter(): HandlerSetup {
  const exporter = createMemoryExporter();
  const handler = new ObservabilityCallbackHandler({ exporters: [exporter] });
  return {
    ...ours("core + in-memory exporter", handler),
    flush: async () => {
      await handler.flush();
      exporter.records.length = 0;
      exporter.batches.length = 0;
    },
  };
}

/** Core with an in-memory exporter that consumes spans: the whole run tree is captured. */
export function coreWithSpanExporter(): HandlerSetup {
  const exporter = createMemoryExporter({ consumes: "spans" });
  const handler = new ObservabilityCallbackHandler({ exporters: [exporter] });
  return {
    ...ours("core + in-memory, whole tree", handler),
    flush: async () => {
      await handler.flush();
      exporter.clear();
    },
  };
}

export function naiveHandler(sinkUrl: string): HandlerSetup {
  return {
    name: "naive fetch per record",
    callbacks: [new NaiveFetchHandler(sinkUrl)],
    flush: () => awaitAllCallbacks(),
    shutdown: async () => {},
  };
}

let langfuseProvider: NodeTracerProvider | undefined;
let langfuseProcessor: LangfuseSpanProcessor | undefined;

/** Langfuse's current LangChain handler, exporting through its OpenTelemetry span processor. */
export function langfuseHandler(sinkUrl: string): HandlerSetup {
  if (!langfuseProvider) {
    langfuseProcessor = new LangfuseSpanProcessor({
      publicKey: "pk-lf-bench",
      secretKey: "sk-lf-bench",
      baseUrl: sinkUrl,
      mediaUploadEnabled: false,
    });
    langfuseProvider = new NodeTracerProvider({ spanProcessors: [langfuseProcessor] });
    langfuseProvider.register();
  }
  const processor = langfuseProcessor!;
  return {
    name: "Langfuse (@langfuse/langchain)",
    callbacks: [new LangfuseCallbackHandler()],
    flush: async () => {
      await awaitAllCallbacks();
      await processor.forceFlush().catch(() => {});
    },
    shutdown: async () => {},
  };
}

/** LangSmith's LangChainTracer with its batching client. */
export function langsmithHandler(sinkUrl: string): HandlerSetup {
  const client = new LangSmithClient({ apiUrl: sinkUrl, apiKey: "ls-bench-key", autoBatchTracing: true });
  return {
    name: "LangSmith (LangChainTracer)",
    callbacks: [new LangChainTracer({ client, projectName: "bench" })],
    flush: async () => {
      await awaitAllCallbacks();
      await client.awaitPendingTraceBatches().catch(() => {});
    },
    shutdown: async () => {},
  };
}
