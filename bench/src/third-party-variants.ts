import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { awaitAllCallbacks } from "@langchain/core/callbacks/promises";
import type { LLMResult } from "@langchain/core/outputs";
import { LangChainTracer } from "@langchain/core/tracers/tracer_langchain";
import { CallbackHandler as LangfuseCallbackHandler } from "@langfuse/langchain";
import { LangfuseSpanProcessor } from "@langfuse/otel";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { Client as LangSmithClient } from "langsmith";
import type { HandlerSetup } from "./variants";

// The handlers users would otherwise pick, and a naive one, for comparison in the timed sections.

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
