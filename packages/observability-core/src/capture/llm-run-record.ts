/** A role in a normalized chat transcript. */
export type ChatRole = "system" | "user" | "assistant" | "tool" | "function" | (string & {});

/** A tool call an assistant message asked for. */
export interface ToolCall {
  id?: string;
  name: string;
  args: unknown;
}

/** One part of a multimodal message (text, image, audio, file …), kept as LangChain gave it. */
export type ContentPart = { type: string } & Record<string, unknown>;

/** One message of a chat transcript, role-mapped. */
export interface ChatMessage {
  role: ChatRole;
  /** The text of the message; for multimodal content, the text parts joined. */
  content: string;
  /** Multimodal content parts, when the message had any besides plain text. */
  parts?: ContentPart[];
  /** The author name (`name` of the LangChain message). */
  name?: string;
  /** Tool calls of an assistant message. */
  toolCalls?: ToolCall[];
  /** The tool call a tool message answers. */
  toolCallId?: string;
  /** A legacy OpenAI function call of an assistant message. */
  functionCall?: { name: string; arguments: string };
}

/** One candidate answer to a prompt. */
export interface OutputCandidate {
  text: string;
  message?: ChatMessage;
  finishReason?: string;
  logprobs?: unknown;
}

export interface RecordOutput extends OutputCandidate {
  /** Every candidate (including the first) when the model returned more than one (`n > 1`). */
  candidates?: OutputCandidate[];
}

export interface RecordUsage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
  reasoningTokens?: number;
  /** Where the counts come from: the provider's answer, summed stream chunks, or nowhere. */
  source: "provider" | "stream" | "none";
}

export interface RecordTiming {
  /** Epoch milliseconds. */
  startTime: number;
  endTime: number;
  latencyMs: number;
  timeToFirstTokenMs?: number;
}

export interface RecordModel {
  provider?: string;
  /**
   * The model asked for: the most specific name known when the run started (invocation params, then
   * `ls_model_name`), the same on success and error; the answer's name when nothing named it at start.
   */
  name?: string;
  /** The name the provider's answer gave, when it differs from `name` (e.g. a dated snapshot). */
  responseName?: string;
  /**
   * The invocation parameters (temperature, max tokens, stop, tools …); `stream: true` when the run
   * was streamed (tokens or stream events arrived), whatever the model's own params said.
   */
  params: Record<string, unknown>;
}

/** The normalized record of one prompt of one LangChain LLM or chat-model run. */
export interface LLMRunRecord {
  schemaVersion: 1;
  /** Stable id (run id and prompt index): the idempotency key on retries. */
  recordId: string;
  runId: string;
  parentRunId?: string;
  /** The root run id of the tree this run belongs to. */
  traceId: string;
  kind: "llm" | "chat";
  name: string;
  /** The LangChain class path, e.g. `["langchain", "chat_models", "openai", "ChatOpenAI"]`. */
  serializedId: string[];
  model: RecordModel;
  input: { prompt: string; messages?: ChatMessage[] };
  output: RecordOutput;
  usage: RecordUsage;
  timing: RecordTiming;
  status: "success" | "error" | "cancelled";
  error?: { name: string; message: string };
  cached: boolean;
  tags: string[];
  metadata: Record<string, unknown>;
  userId?: string;
  sessionId?: string;
}
