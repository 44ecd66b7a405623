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
import { z } from "zod";
import type { Backends, PlaygroundHandlers, VendorName } from "./backends";

/** What a scenario gets: the handlers, the backends, and model factories (fake, or real with OPENAI_API_KEY). */
export interface ScenarioContext {
  handlers: PlaygroundHandlers;
  backends: Backends;
  models: ModelFactory;
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

const perVendor = (handlers: PlaygroundHandlers): BaseCallbackHandler[] => [
  handlers.trubrics,
  handlers.arthur,
  handlers.promptlayer,
];
const ALL: VendorName[] = ["trubrics", "arthur", "promptlayer"];

export const SCENARIOS: Scenario[] = [
  {
    name: "llm-generate",
    description: "a text LLM generate() of two prompts (two records)",
    vendors: ALL,
    expectedRecords: 2,
    async run({ handlers, models, timed }) {
      const llm = models.text({
        responses: ["Why did the chicken cross the road? To log its run.", "Roses are red, traces are too."],
      });
      await timed(() =>
        llm.generate(["Tell me a joke", "Write me a poem"], { callbacks: perVendor(handlers) }),
      );
    },
  },
  {
    name: "chat-system",
    description: "a chat call with a system message, handler tags, user id and extra metadata",
    vendors: ALL,
    expectedRecords: 1,
    async run({ handlers, models, timed }) {
      const chat = models.chat({ responses: ["Knock knock. Who's there? Observability."] });
      await timed(() =>
        chat.invoke(
          [new SystemMessage("You are a comedian. Keep it short."), new HumanMessage("Tell me a joke")],
          {
            callbacks: perVendor(handlers),
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
    async run({ handlers, models, timed }) {
      const chat = models.chat({
        responses: ["Observability is seeing inside.", "Traces, metrics and logs.", "Start with traces."],
      });
      const history: BaseMessage[] = [new SystemMessage("You are a helpful assistant.")];
      for (const question of ["What is observability?", "What are its signals?", "Where should I start?"]) {
        history.push(new HumanMessage(question));
        const answer = await timed(async () => {
          let text = "";
          for await (const chunk of await chat.stream(history, { callbacks: perVendor(handlers) }))
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
    async run({ handlers, models, timed }) {
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
      await chain.invoke({ question: "What is the weather in Paris?" }, { callbacks: perVendor(handlers) });
    },
  },
  {
    name: "model-error",
    description: "a model that throws (an error record; the app sees its own error)",
    vendors: ALL,
    expectedRecords: 1,
    async run({ handlers, models, timed }) {
      const failing = models.failing();
      try {
        await timed(() => failing.invoke("This call fails", { callbacks: perVendor(handlers) }));
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
    async run({ handlers, backends, models, timed }) {
      const template = await backends.promptlayer.client.templates.get("example", {
        version: 1,
        langchain: true,
      });
      const text = await template.format({ product: "toasters" });
      const llm = models.text({ responses: ["Toast of the town, every morning."] });
      await timed(() => llm.invoke(text, { callbacks: [handlers.promptlayer] }));
    },
  },
  {
    name: "fan-out",
    description: "one core handler exporting the same runs to all three vendors at once",
    vendors: ALL,
    expectedRecords: 2,
    async run({ handlers, models, timed }) {
      const chat = models.chat({ responses: ["Fanned out.", "Twice."] });
      await timed(() => chat.invoke("First fan-out call", { callbacks: [handlers.fanOut] }));
      await timed(() => chat.invoke("Second fan-out call", { callbacks: [handlers.fanOut] }));
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
