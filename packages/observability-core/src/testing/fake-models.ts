import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import { BaseChatModel, type BaseChatModelParams } from "@langchain/core/language_models/chat_models";
import { type BaseLLMParams, LLM } from "@langchain/core/language_models/llms";
import type { UsageMetadata } from "@langchain/core/messages";
import { AIMessage, AIMessageChunk, type BaseMessage } from "@langchain/core/messages";
import {
  ChatGenerationChunk,
  type ChatResult,
  GenerationChunk,
  type LLMResult,
} from "@langchain/core/outputs";

/** One scripted answer of `FakeDetailedChatModel`. */
export interface FakeChatResponse {
  content: AIMessage["content"];
  toolCalls?: Array<{ id: string; name: string; args: Record<string, unknown> }>;
  usage?: UsageMetadata;
  responseMetadata?: Record<string, unknown>;
  /** Thrown instead of answering. */
  error?: Error;
}

export interface FakeDetailedChatModelFields extends BaseChatModelParams {
  responses: FakeChatResponse[];
  /** Model name reported through `ls_model_name` and invocation params. @default "fake-chat-model" */
  model?: string;
  /** Provider reported through `ls_provider`. @default "fake" */
  provider?: string;
  /** Simulated latency of each answer, in ms. @default 0 */
  sleepMs?: number;
  /** Stream the answer in chunks of this many characters. @default 4 */
  chunkSize?: number;
}

/**
 * A chat model that answers from a script, with what real providers return and LangChain's own
 * fakes do not: `usage_metadata`, tool calls, `response_metadata`, and streaming chunks.
 */
export class FakeDetailedChatModel extends BaseChatModel {
  responses: FakeChatResponse[];
  model: string;
  provider: string;
  sleepMs: number;
  chunkSize: number;
  private index = 0;

  constructor(fields: FakeDetailedChatModelFields) {
    super(fields);
    this.responses = fields.responses;
    this.model = fields.model ?? "fake-chat-model";
    this.provider = fields.provider ?? "fake";
    this.sleepMs = fields.sleepMs ?? 0;
    this.chunkSize = fields.chunkSize ?? 4;
  }

  _llmType(): string {
    return "fake-detailed-chat";
  }

  override invocationParams(): Record<string, unknown> {
    return { model: this.model, temperature: 0.2 };
  }

  override getLsParams(options: this["ParsedCallOptions"]) {
    return {
      ...super.getLsParams(options),
      ls_provider: this.provider,
      ls_model_name: this.model,
      ls_model_type: "chat" as const,
    };
  }

  private next(): FakeChatResponse {
    const response = this.responses[this.index % this.responses.length]!;
    this.index++;
    return response;
  }

  private toMessage(response: FakeChatResponse): AIMessage {
    return new AIMessage({
      content: response.content,
      tool_calls: response.toolCalls ?? [],
      ...(response.usage ? { usage_metadata: response.usage } : {}),
      response_metadata: response.responseMetadata ?? {},
    });
  }

  async _generate(_messages: BaseMessage[]): Promise<ChatResult> {
    if (this.sleepMs > 0) await sleep(this.sleepMs);
    const response = this.next();
    if (response.error) throw response.error;
    const message = this.toMessage(response);
    return {
      generations: [{ text: typeof message.content === "string" ? message.content : message.text, message }],
    };
  }

  override async *_streamResponseChunks(
    _messages: BaseMessage[],
    _options: this["ParsedCallOptions"],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatGenerationChunk> {
    if (this.sleepMs > 0) await sleep(this.sleepMs);
    const response = this.next();
    if (response.error) throw response.error;
    const text =
      typeof response.content === "string"
        ? response.content
        : new AIMessage({ content: response.content }).text;
    for (let offset = 0; offset < text.length; offset += this.chunkSize) {
      const piece = text.slice(offset, offset + this.chunkSize);
      const chunk = new ChatGenerationChunk({ text: piece, message: new AIMessageChunk({ content: piece }) });
      yield chunk;
      await runManager?.handleLLMNewToken(piece, undefined, undefined, undefined, undefined, { chunk });
    }
    yield new ChatGenerationChunk({
      text: "",
      message: new AIMessageChunk({
        content: "",
        ...(response.usage ? { usage_metadata: response.usage } : {}),
        response_metadata: response.responseMetadata ?? {},
        tool_call_chunks: (response.toolCalls ?? []).map((call, index) => ({
          id: call.id,
          name: call.name,
          args: JSON.stringify(call.args),
          index,
          type: "tool_call_chunk" as const,
        })),
      }),
    });
  }
}

export interface FakeDetailedLLMFields extends BaseLLMParams {
  /** Answers, one per call, cycling. */
  responses: string[];
  /** Candidates per prompt (`n`). @default 1 */
  n?: number;
  /** `llmOutput` of every call (e.g. `{ tokenUsage: {...} }` or `{ token_usage: {...} }`). */
  llmOutput?: Record<string, unknown>;
  /** `generationInfo` of every candidate (e.g. `{ finish_reason, logprobs }`). */
  generationInfo?: Record<string, unknown>;
  model?: string;
  /** Thrown instead of answering. */
  error?: Error;
}

/** A text LLM answering from a script, with `n` candidates, `llmOutput` and `generationInfo`. */
export class FakeDetailedLLM extends LLM {
  responses: string[];
  n: number;
  llmOutput: Record<string, unknown> | undefined;
  generationInfo: Record<string, unknown> | undefined;
  model: string;
  error: Error | undefined;
  private index = 0;

  constructor(fields: FakeDetailedLLMFields) {
    super(fields);
    this.responses = fields.responses;
    this.n = fields.n ?? 1;
    this.llmOutput = fields.llmOutput;
    this.generationInfo = fields.generationInfo;
    this.model = fields.model ?? "fake-text-model";
    this.error = fields.error;
  }

  _llmType(): string {
    return "fake-detailed-llm";
  }

  override invocationParams(): Record<string, unknown> {
    return { model_name: this.model, n: this.n, max_tokens: 256 };
  }

  async _call(): Promise<string> {
    return this.responses[0] ?? "";
  }

  override async _generate(prompts: string[]): Promise<LLMResult> {
    if (this.error) throw this.error;
    const generations = prompts.map(() =>
      Array.from({ length: this.n }, () => {
        const text = this.responses[this.index % this.responses.length] ?? "";
        this.index++;
        return this.generationInfo ? { text, generationInfo: this.generationInfo } : { text };
      }),
    );
    return this.llmOutput ? { generations, llmOutput: this.llmOutput } : { generations };
  }

  override async *_streamResponseChunks(): AsyncGenerator<GenerationChunk> {
    const text = this.responses[this.index % this.responses.length] ?? "";
    this.index++;
    for (const piece of text.split(/(?<= )/)) yield new GenerationChunk({ text: piece });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
