import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { awaitAllCallbacks } from "@langchain/core/callbacks/promises";
import { HumanMessage, SystemMessage } from "@langchain/core/messages";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { createHttpClient, type Exporter, ObservabilityCallbackHandler } from "@langchain-observability/core";
import { createMemoryExporter } from "@langchain-observability/core/testing";
import type { Variant } from "./measure";

export const messages = [
  new SystemMessage("You are a helpful assistant. Answer in one short sentence."),
  new HumanMessage("What is the capital of France?"),
];

export function createModel(sleepMs = 0): FakeListChatModel {
  return new FakeListChatModel({
    responses: ["The capital of France is Paris."],
    ...(sleepMs > 0 ? { sleep: sleepMs } : {}),
  });
}

/** A handler that implements the model callbacks and does nothing: the floor any handler pays. */
export class NoopHandler extends BaseCallbackHandler {
  name = "noop_handler";
  override handleChatModelStart(): void {}
  override handleLLMStart(): void {}
  override handleLLMEnd(): void {}
  override handleLLMError(): void {}
}

/** What a variant invokes: a callback list and how to wait for its export. */
export interface HandlerSetup {
  name: string;
  callbacks: BaseCallbackHandler[];
  flush(): Promise<unknown>;
  dispose?(): Promise<void>;
}

export function noHandler(): HandlerSetup {
  return { name: "no handler", callbacks: [], flush: async () => {} };
}

export function noopHandler(): HandlerSetup {
  return { name: "no-op handler", callbacks: [new NoopHandler()], flush: () => awaitAllCallbacks() };
}

export function coreWithMemoryExporter(): HandlerSetup {
  const exporter = createMemoryExporter();
  const handler = new ObservabilityCallbackHandler({ exporters: [exporter] });
  return {
    name: "core + in-memory exporter",
    callbacks: [handler],
    flush: async () => {
      await handler.flush();
      exporter.records.length = 0;
      exporter.batches.length = 0;
    },
    dispose: async () => {
      await handler.shutdown();
    },
  };
}

/** A minimal batched JSON exporter over core's HTTP client, as a vendor package writes one. */
export function createBatchedHttpExporter(baseUrl: string): Exporter {
  const client = createHttpClient({ vendor: "Sink", baseUrl });
  return {
    name: "http-sink",
    maxBatchSize: 100,
    async export(records, signal) {
      await client.request({ method: "POST", path: "batch", json: records, signal });
      return {};
    },
  };
}

export function coreWithHttpExporter(sinkUrl: string): HandlerSetup {
  const handler = new ObservabilityCallbackHandler({ exporters: [createBatchedHttpExporter(sinkUrl)] });
  return {
    name: "core + batched HTTP exporter",
    callbacks: [handler],
    flush: () => handler.flush(),
    dispose: async () => {
      await handler.shutdown();
    },
  };
}

/** A round: `calls` sequential invokes, then the handler's export is awaited. */
export function sequentialVariant(setup: HandlerSetup): Variant {
  const model = createModel();
  return {
    name: setup.name,
    async round(calls) {
      for (let index = 0; index < calls; index++) {
        await model.invoke(messages, { callbacks: setup.callbacks });
      }
      await setup.flush();
    },
    ...(setup.dispose ? { dispose: setup.dispose } : {}),
  };
}
