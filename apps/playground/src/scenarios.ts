import type { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { BaseLLM } from "@langchain/core/language_models/llms";
import {
  AIMessage,
  type AIMessageChunk,
  type BaseMessage,
  HumanMessage,
  SystemMessage,
  ToolMessage,
} from "@langchain/core/messages";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { type Runnable, RunnableLambda } from "@langchain/core/runnables";
import { type StructuredToolInterface, tool } from "@langchain/core/tools";
import { FakeDetailedChatModel, FakeDetailedLLM } from "@langchain-observability/core/testing";
import type { PromptLayerClient } from "@langchain-observability/promptlayer";
import { z } from "zod";
import type { VendorName } from "./backends";

/**
 * Where a scenario's runs go. The command line gives each vendor its own handler (and a fan-out
 * handler); the inspector (`--ui`) gives every list its one handler, which exports to every vendor
 * and keeps the whole run tree.
 */
export interface ScenarioCallbacks {
  /** Each vendor's own handler. */
  perVendor: BaseCallbackHandler[];
  /** PromptLayer's handler, whose `plIdCallback` scores, tags and links each request. */
  promptLayer: BaseCallbackHandler[];
  /** One core handler exporting to every vendor. */
  fanOut: BaseCallbackHandler[];
}

/** Faults a scenario can ask the emulators for (vendors used for real are left alone). */
export interface ScenarioFaults {
  /**
   * The next `times` requests to each emulated vendor's ingestion route are answered 503 with
   * `Retry-After: 0`, then the vendor recovers.
   */
  outage(times: number): void;
}

/** What a scenario gets: where to send runs, model factories (fake, or real with OPENAI_API_KEY), faults. */
export interface ScenarioContext {
  callbacks: ScenarioCallbacks;
  /** PromptLayer's client (templates registry and tracking), on its emulator or the real service. */
  promptLayerClient: PromptLayerClient;
  models: ModelFactory;
  faults: ScenarioFaults;
  /** Times one model call (for the latency column). */
  timed<T>(call: () => Promise<T>): Promise<T>;
}

export interface ModelFactory {
  kind: "fake" | "openai";
  chat(script: { responses: string[] }): BaseChatModel;
  /** A chat model bound to `tools` that first asks for a tool, then answers with its result. */
  toolCalling(tools: StructuredToolInterface[]): Runnable<BaseMessage[], AIMessageChunk | AIMessage>;
  failing(): BaseChatModel;
  text(script: { responses: string[] }): BaseLLM;
}

export interface Scenario {
  name: string;
  description: string;
  /** Which vendors receive this scenario's records. */
  vendors: VendorName[];
  /** Records each vendor should receive. */
  expectedRecords: number;
  run(context: ScenarioContext): Promise<void>;
}

const ALL: VendorName[] = ["trubrics", "arthur", "promptlayer"];

export const SCENARIOS: Scenario[] = [
  {
    name: "llm-generate",
    description: "a text LLM generate() of two prompts (two records)",
    vendors: ALL,
    expectedRecords: 2,
    async run({ callbacks, models, timed }) {
      const llm = models.text({
        responses: ["Why did the chicken cross the road? To log its run.", "Roses are red, traces are too."],
      });
      await timed(() =>
        llm.generate(["Tell me a joke", "Write me a poem"], { callbacks: callbacks.perVendor }),
      );
    },
  },
  {
    name: "chat-system",
    description: "a chat call with a system message, handler tags, user id and extra metadata",
    vendors: ALL,
    expectedRecords: 1,
    async run({ callbacks, models, timed }) {
      const chat = models.chat({ responses: ["Knock knock. Who's there? Observability."] });
      await timed(() =>
        chat.invoke(
          [new SystemMessage("You are a comedian. Keep it short."), new HumanMessage("Tell me a joke")],
          {
            callbacks: callbacks.perVendor,
            metadata: { session_id: "playground-session-1", feature: "jokes" },
            tags: ["chat model"],
          },
        ),
      );
    },
  },
  {
    name: "streamed-chat",
    description: "a streamed chat that keeps its history over three turns",
    vendors: ALL,
    expectedRecords: 3,
    async run({ callbacks, models, timed }) {
      const chat = models.chat({
        responses: ["Observability is seeing inside.", "Traces, metrics and logs.", "Start with traces."],
      });
      const history: BaseMessage[] = [new SystemMessage("You are a helpful assistant.")];
      for (const question of ["What is observability?", "What are its signals?", "Where should I start?"]) {
        history.push(new HumanMessage(question));
        const answer = await timed(async () => {
          let text = "";
          for await (const chunk of await chat.stream(history, { callbacks: callbacks.perVendor }))
            text += chunk.text;
          return text;
        });
        history.push(new AIMessage(answer));
      }
    },
  },
  {
    name: "chain-tool",
    description: "a chain (prompt → model → parser) whose model calls a tool first",
    vendors: ALL,
    expectedRecords: 2,
    async run({ callbacks, models, timed }) {
      const weather = tool(async ({ city }: { city: string }) => `It is 21°C and sunny in ${city}.`, {
        name: "get_weather",
        description: "Current weather of a city",
        schema: z.object({ city: z.string() }),
      });
      const model = models.toolCalling([weather]);
      const prompt = ChatPromptTemplate.fromMessages([
        ["system", "Answer with the weather tool."],
        ["human", "{question}"],
      ]);
      const chain = RunnableLambda.from(async (input: { question: string }, config) => {
        const messages = await prompt.formatMessages(input);
        const first = (await timed(() => model.invoke(messages, config))) as AIMessage;
        const results: BaseMessage[] = [];
        for (const call of first.tool_calls ?? []) {
          const output = await weather.invoke(call.args as { city: string }, config);
          results.push(new ToolMessage({ content: String(output), tool_call_id: call.id ?? "call" }));
        }
        const final = await timed(() => model.invoke([...messages, first, ...results], config));
        return new StringOutputParser().invoke(final, config);
      }).withConfig({ runName: "weather-chain" });
      await chain.invoke({ question: "What is the weather in Paris?" }, { callbacks: callbacks.perVendor });
    },
  },
  {
    name: "model-error",
    description: "a model that throws (an error record; the app sees its own error)",
    vendors: ALL,
    expectedRecords: 1,
    async run({ callbacks, models, timed }) {
      const failing = models.failing();
      try {
        await timed(() => failing.invoke("This call fails", { callbacks: callbacks.perVendor }));
        throw new Error("the failing model did not fail");
      } catch (error) {
        if ((error as Error).message === "the failing model did not fail") throw error;
      }
    },
  },
  {
    name: "promptlayer-flow",
    description: "PromptLayer: a registry template, plIdCallback → score, metadata and prompt link",
    vendors: ["promptlayer"],
    expectedRecords: 1,
    async run({ callbacks, promptLayerClient, models, timed }) {
      const template = await promptLayerClient.templates.get("example", {
        version: 1,
        langchain: true,
      });
      const text = await template.format({ product: "toasters" });
      const llm = models.text({ responses: ["Toast of the town, every morning."] });
      await timed(() => llm.invoke(text, { callbacks: callbacks.promptLayer }));
    },
  },
  {
    name: "vendor-outage",
    description:
      "every vendor answers 503 four times, then recovers (retried, requeued, reported, delivered once)",
    vendors: ALL,
    expectedRecords: 1,
    async run({ callbacks, faults, models, timed }) {
      // Four 503s outlast the HTTP client's 3 resends: the record goes back to its queue (reported
      // through onError), and the next batch after the pause is delivered.
      faults.outage(4);
      const chat = models.chat({ responses: ["Still here: delivered after the outage."] });
      await timed(() => chat.invoke("Are you there?", { callbacks: callbacks.perVendor }));
    },
  },
  {
    name: "fan-out",
    description: "one core handler exporting the same runs to all three vendors at once",
    vendors: ALL,
    expectedRecords: 2,
    async run({ callbacks, models, timed }) {
      const chat = models.chat({ responses: ["Fanned out.", "Twice."] });
      await timed(() => chat.invoke("First fan-out call", { callbacks: callbacks.fanOut }));
      await timed(() => chat.invoke("Second fan-out call", { callbacks: callbacks.fanOut }));
    },
  },
];

/** LangChain fake models (the default), scripted with what real providers return. */
export function fakeModels(): ModelFactory {
  const usage = { input_tokens: 24, output_tokens: 12, total_tokens: 36 };
  return {
    kind: "fake",
    chat: ({ responses }) =>
      new FakeDetailedChatModel({
        model: "fake-chat-model",
        responses: responses.map((content) => ({
          content,
          usage,
          responseMetadata: { model_name: "fake-chat-model", finish_reason: "stop" },
        })),
      }),
    toolCalling: () =>
      // The fake has no bindTools: its script already holds the tool call.
      new FakeDetailedChatModel({
        model: "fake-tool-model",
        responses: [
          {
            content: "",
            toolCalls: [{ id: "call_weather_1", name: "get_weather", args: { city: "Paris" } }],
            usage,
            responseMetadata: { finish_reason: "tool_calls" },
          },
          { content: "It is 21°C and sunny in Paris.", usage, responseMetadata: { finish_reason: "stop" } },
        ],
      }),
    failing: () =>
      new FakeDetailedChatModel({
        model: "fake-failing-model",
        responses: [{ content: "", error: new Error("The model provider is unavailable (simulated).") }],
      }),
    text: ({ responses }) =>
      new FakeDetailedLLM({
        model: "fake-text-model",
        responses,
        llmOutput: { tokenUsage: { promptTokens: 8, completionTokens: 14, totalTokens: 22 } },
        generationInfo: { finish_reason: "stop" },
      }),
  };
}
