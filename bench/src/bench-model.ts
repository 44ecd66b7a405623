import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { BaseChatModel, type BaseChatModelParams } from "@langchain/core/language_models/chat_models";
import { AIMessage, HumanMessage, SystemMessage } from "@langchain/core/messages";
import { StringOutputParser } from "@langchain/core/output_parsers";
import type { ChatResult } from "@langchain/core/outputs";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { type Runnable, RunnableLambda, RunnableSequence } from "@langchain/core/runnables";

// What every variant runs. Kept apart from core's `./testing` entry on purpose: that entry also
// loads the emulators' dependencies (msw), which would add ~120 ms of start-up to each process that
// counts instructions under callgrind (~80x slower there).

export const messages = [
  new SystemMessage("You are a helpful assistant. Answer in one short sentence."),
  new HumanMessage("What is the capital of France?"),
];

export const chainInput = { question: "What is the capital of France?" };

/**
 * The fake chat model of the benchmarks: the answer core's `FakeDetailedChatModel` gives (content,
 * `usage_metadata`, `response_metadata`, LangChain's `ls_*` params), optionally after a simulated
 * provider latency.
 */
export class BenchChatModel extends BaseChatModel {
  readonly sleepMs: number;

  constructor(fields: BaseChatModelParams & { sleepMs?: number } = {}) {
    super(fields);
    this.sleepMs = fields.sleepMs ?? 0;
  }

  _llmType(): string {
    return "bench-chat";
  }

  override invocationParams(): Record<string, unknown> {
    return { model: "bench-model", temperature: 0.2 };
  }

  // One object literal, as provider packages write it (ChatOpenAI's shape). Spreading
  // `super.getLsParams()` and redefining its keys, as test fakes do, makes V8 give the run metadata a
  // new hidden class on every call, which no real model does and which makes every handler that reads
  // the metadata pay for it on every call.
  override getLsParams(options: this["ParsedCallOptions"]) {
    return {
      ls_provider: "fake",
      ls_model_name: "bench-model",
      ls_model_type: "chat" as const,
      ls_temperature: 0.2,
      ls_max_tokens: undefined,
      ls_stop: options.stop,
    };
  }

  async _generate(): Promise<ChatResult> {
    if (this.sleepMs > 0) await new Promise((resolve) => setTimeout(resolve, this.sleepMs));
    const message = new AIMessage({
      content: "The capital of France is Paris.",
      tool_calls: [],
      usage_metadata: { input_tokens: 28, output_tokens: 8, total_tokens: 36 },
      response_metadata: { model_name: "bench-model", finish_reason: "stop" },
    });
    return { generations: [{ text: "The capital of France is Paris.", message }] };
  }
}

/** The chat model every variant invokes (optionally with simulated provider latency). */
export function createModel(sleepMs = 0): BenchChatModel {
  return new BenchChatModel({ sleepMs });
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

/** A handler that implements the model callbacks and does nothing: the floor any handler pays. */
export class NoopHandler extends BaseCallbackHandler {
  name = "noop_handler";
  override handleChatModelStart(): void {}
  override handleLLMStart(): void {}
  override handleLLMEnd(): void {}
  override handleLLMError(): void {}
}
