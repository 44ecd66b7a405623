import type { ChatMessage, LLMRunRecord, OutputCandidate, RecordOutput, RecordUsage } from "./llm-run-record";
import { contentText, normalizeMessage } from "./normalize-message";
import {
  copyRunMetadata,
  isLangChainInternalKey,
  isLangChainInternalTag,
  isStreamedRun,
  readModelName,
  takeUserAndSession,
} from "./record-rules";
import { type SizeCounter, toJsonSafe, truncateText } from "./to-json-safe";

/** What the handler remembers of a run between its start and its end. */
export interface RunState {
  runId: string;
  parentRunId: string | undefined;
  traceId: string;
  kind: "llm" | "chat";
  name: string;
  serializedId: string[];
  /** Text prompts (`llm`) — one per prompt. */
  prompts: string[] | undefined;
  /** Message lists (`chat`) — one per prompt. */
  messages: unknown[][] | undefined;
  invocationParams: Record<string, unknown> | undefined;
  runMetadata: Record<string, unknown> | undefined;
  runTags: string[] | undefined;
  startTime: number;
  firstTokenTime: number | undefined;
  /** The run received tokens or stream events (it was streamed, whatever its params say). */
  streamed?: boolean;
  /** Usage summed from streamed chunks, or the stream's final usage event. */
  streamUsage: { input: number; output: number; total: number; seen: boolean } | undefined;
}

/** Handler-level settings the record builder needs. */
export interface RecordDefaults {
  userId: string | undefined;
  sessionId: string | undefined;
  tags: string[];
  metadata: Record<string, unknown>;
  captureContent: boolean;
  maxFieldChars: number;
}

/** The LangChain `LLMResult` fields this module reads. */
export interface LLMResultLike {
  generations?: Array<Array<GenerationLike> | undefined>;
  llmOutput?: Record<string, unknown> | null;
}

interface GenerationLike {
  text?: unknown;
  generationInfo?: Record<string, unknown>;
  message?: {
    content?: unknown;
    usage_metadata?: UsageMetadataLike;
    response_metadata?: Record<string, unknown>;
  } & Record<string, unknown>;
}

interface UsageMetadataLike {
  input_tokens?: number;
  output_tokens?: number;
  total_tokens?: number;
  input_token_details?: { cache_read?: number; cache_creation?: number };
  output_token_details?: { reasoning?: number };
}

export interface RecordEnding {
  endTime: number;
  status: LLMRunRecord["status"];
  result?: LLMResultLike;
  error?: { name: string; message: string };
  cached?: boolean;
}

/**
 * A record and its estimated serialized size, measured while building so the queue never
 * serializes a record just to weigh it.
 */
export interface BuiltRecord {
  record: LLMRunRecord;
  bytes: number;
}

/** Builds one record per prompt of a finished, failed or evicted run. */
export function buildRecords(state: RunState, ending: RecordEnding, defaults: RecordDefaults): BuiltRecord[] {
  const count = Math.max(
    state.prompts?.length ?? state.messages?.length ?? 1,
    ending.result?.generations?.length ?? 0,
    1,
  );
  const records: BuiltRecord[] = [];
  for (let index = 0; index < count; index++) {
    records.push(buildRecord(state, index, count, ending, defaults));
  }
  return records;
}

function buildRecord(
  state: RunState,
  index: number,
  count: number,
  ending: RecordEnding,
  defaults: RecordDefaults,
): BuiltRecord {
  const maxChars = defaults.maxFieldChars;
  const generations = (ending.result?.generations?.[index] ?? []) as GenerationLike[];
  const llmOutput = (ending.result?.llmOutput ?? undefined) as Record<string, unknown> | undefined;
  const runMetadata = state.runMetadata ?? {};
  const size: SizeCounter = { chars: 700 };
  const copiedParams = toJsonSafe(state.invocationParams ?? {}, maxChars, size);
  const params = (
    copiedParams !== null && typeof copiedParams === "object" && !Array.isArray(copiedParams)
      ? copiedParams
      : {}
  ) as Record<string, unknown>;

  const { messages, prompt } = readInput(state, index, maxChars);
  const output = readOutput(generations, maxChars, size);
  const firstMessage = generations[0]?.message;
  const responseMetadata = firstMessage?.response_metadata ?? {};

  const answeredModel =
    firstString(
      responseMetadata.model_name,
      responseMetadata.model,
      generations[0]?.generationInfo?.model_name,
    ) ?? firstString(llmOutput?.model_name, llmOutput?.modelName, llmOutput?.model);
  const metadata: Record<string, unknown> = {};
  const facts = copyRunMetadata(metadata, defaults.metadata, runMetadata, isLangChainInternalKey);
  const { name: modelName, responseName } = readModelName(params, facts.lsModelName, answeredModel);
  const provider = firstString(responseMetadata.model_provider, facts.lsProvider);
  if (isStreamedRun(params, state.streamed === true)) params.stream = true;
  const { userId, sessionId } = takeUserAndSession(metadata, facts, defaults.metadata, defaults);

  const endTime = ending.endTime;
  const record: LLMRunRecord = {
    schemaVersion: 1,
    recordId: count === 1 && index === 0 ? state.runId : `${state.runId}:${index}`,
    runId: state.runId,
    traceId: state.traceId,
    kind: state.kind,
    name: state.name,
    serializedId: state.serializedId,
    model: { params },
    input: defaults.captureContent ? (messages ? { prompt, messages } : { prompt }) : { prompt: "" },
    output: defaults.captureContent ? output : withoutContent(output),
    usage: readUsage(generations, llmOutput, state),
    timing: {
      startTime: state.startTime,
      endTime,
      latencyMs: Math.max(0, endTime - state.startTime),
    },
    status: ending.status,
    cached: ending.cached === true,
    tags: mergeTags(defaults.tags, state.runTags),
    metadata: (toJsonSafe(metadata, maxChars, size) ?? {}) as Record<string, unknown>,
  };
  size.chars += prompt.length + (messages ? messagesSize(messages) : 0) + state.serializedId.length * 16;
  for (const tag of record.tags) size.chars += tag.length + 3;
  if (state.parentRunId) record.parentRunId = state.parentRunId;
  if (provider) record.model.provider = provider;
  if (modelName) record.model.name = modelName;
  if (responseName) record.model.responseName = responseName;
  if (state.firstTokenTime !== undefined) {
    record.timing.timeToFirstTokenMs = Math.max(0, state.firstTokenTime - state.startTime);
  }
  if (ending.error) {
    record.error = { name: ending.error.name, message: truncateText(ending.error.message, maxChars) };
  }
  if (userId) record.userId = userId;
  if (sessionId) record.sessionId = sessionId;
  return { record, bytes: size.chars };
}

function readInput(
  state: RunState,
  index: number,
  maxChars: number,
): { prompt: string; messages?: ChatMessage[] } {
  if (state.kind === "llm") {
    const prompt = state.prompts?.[index];
    return { prompt: truncateText(typeof prompt === "string" ? prompt : "", maxChars) };
  }
  const source = state.messages?.[index] ?? [];
  const messages = source.map((message) => normalizeMessage(message, maxChars));
  let prompt = "";
  for (let position = messages.length - 1; position >= 0; position--) {
    if (messages[position]!.role === "user") {
      prompt = messages[position]!.content;
      break;
    }
  }
  if (prompt === "" && messages.length > 0) prompt = messages[messages.length - 1]!.content;
  return { prompt, messages };
}

function readOutput(generations: GenerationLike[], maxChars: number, size: SizeCounter): RecordOutput {
  if (generations.length === 0) return { text: "" };
  const candidates = generations.map((generation) => readCandidate(generation, maxChars, size));
  const output: RecordOutput = { ...candidates[0]! };
  if (candidates.length > 1) output.candidates = candidates;
  return output;
}

function readCandidate(generation: GenerationLike, maxChars: number, size: SizeCounter): OutputCandidate {
  const message = generation.message;
  const text =
    typeof generation.text === "string" && generation.text !== ""
      ? truncateText(generation.text, maxChars)
      : message
        ? contentText(message.content, maxChars).text
        : "";
  const candidate: OutputCandidate = { text };
  size.chars += text.length + 40;
  if (message && typeof message === "object") {
    candidate.message = normalizeMessage(message, maxChars);
    size.chars += messagesSize([candidate.message]);
  }
  const info = generation.generationInfo ?? {};
  const responseMetadata = message?.response_metadata ?? {};
  const finishReason = firstString(
    info.finish_reason,
    info.finishReason,
    responseMetadata.finish_reason,
    responseMetadata.stop_reason,
  );
  if (finishReason) candidate.finishReason = finishReason;
  const logprobs = info.logprobs ?? responseMetadata.logprobs;
  if (logprobs !== undefined && logprobs !== null) candidate.logprobs = toJsonSafe(logprobs, maxChars, size);
  return candidate;
}

function messagesSize(messages: ChatMessage[]): number {
  let chars = 0;
  for (const message of messages) {
    chars += 40 + message.content.length;
    if (message.parts) chars += roughSize(message.parts);
    if (message.toolCalls) chars += roughSize(message.toolCalls);
  }
  return chars;
}

/** Sums string lengths of a small structure (tool calls, content parts) without serializing it. */
function roughSize(value: unknown, depth = 0): number {
  if (typeof value === "string") return value.length + 2;
  if (value === null || typeof value !== "object" || depth > 8) return 8;
  let chars = 2;
  for (const [key, item] of Object.entries(value)) chars += key.length + 4 + roughSize(item, depth + 1);
  return chars;
}

function withoutContent(output: RecordOutput): RecordOutput {
  const strip = (candidate: OutputCandidate): OutputCandidate => {
    const stripped: OutputCandidate = { text: "" };
    if (candidate.finishReason) stripped.finishReason = candidate.finishReason;
    return stripped;
  };
  const result: RecordOutput = strip(output);
  if (output.candidates) result.candidates = output.candidates.map(strip);
  return result;
}

function readUsage(
  generations: GenerationLike[],
  llmOutput: Record<string, unknown> | undefined,
  state: RunState,
): RecordUsage {
  const metadata = generations.find((generation) => generation.message?.usage_metadata)?.message
    ?.usage_metadata;
  if (metadata && (isCount(metadata.input_tokens) || isCount(metadata.output_tokens))) {
    // Named stores (no assignCount): a keyed store with changing keys is a slow one.
    const usage: RecordUsage = { source: "provider" };
    if (isCount(metadata.input_tokens)) usage.inputTokens = metadata.input_tokens;
    if (isCount(metadata.output_tokens)) usage.outputTokens = metadata.output_tokens;
    if (isCount(metadata.total_tokens)) usage.totalTokens = metadata.total_tokens;
    const inputDetails = metadata.input_token_details;
    if (inputDetails) {
      if (isCount(inputDetails.cache_read)) usage.cacheReadTokens = inputDetails.cache_read;
      if (isCount(inputDetails.cache_creation)) usage.cacheWriteTokens = inputDetails.cache_creation;
    }
    const reasoning = metadata.output_token_details?.reasoning;
    if (isCount(reasoning)) usage.reasoningTokens = reasoning;
    return completeTotal(usage);
  }
  const camel = llmOutput?.tokenUsage as Record<string, unknown> | undefined;
  if (camel && (isCount(camel.promptTokens) || isCount(camel.completionTokens))) {
    const usage: RecordUsage = { source: "provider" };
    assignCount(usage, "inputTokens", camel.promptTokens);
    assignCount(usage, "outputTokens", camel.completionTokens);
    assignCount(usage, "totalTokens", camel.totalTokens);
    return completeTotal(usage);
  }
  const snake = llmOutput?.token_usage as Record<string, unknown> | undefined;
  if (snake && (isCount(snake.prompt_tokens) || isCount(snake.completion_tokens))) {
    const usage: RecordUsage = { source: "provider" };
    assignCount(usage, "inputTokens", snake.prompt_tokens);
    assignCount(usage, "outputTokens", snake.completion_tokens);
    assignCount(usage, "totalTokens", snake.total_tokens);
    assignCount(
      usage,
      "cacheReadTokens",
      (snake.prompt_tokens_details as Record<string, unknown>)?.cached_tokens,
    );
    assignCount(
      usage,
      "reasoningTokens",
      (snake.completion_tokens_details as Record<string, unknown>)?.reasoning_tokens,
    );
    return completeTotal(usage);
  }
  if (state.streamUsage?.seen) {
    return completeTotal({
      source: "stream",
      inputTokens: state.streamUsage.input,
      outputTokens: state.streamUsage.output,
      ...(state.streamUsage.total > 0 ? { totalTokens: state.streamUsage.total } : {}),
    });
  }
  return { source: "none" };
}

function completeTotal(usage: RecordUsage): RecordUsage {
  if (
    usage.totalTokens === undefined &&
    (usage.inputTokens !== undefined || usage.outputTokens !== undefined)
  ) {
    usage.totalTokens = (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0);
  }
  return usage;
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

function assignCount(usage: RecordUsage, key: Exclude<keyof RecordUsage, "source">, value: unknown): void {
  if (isCount(value)) usage[key] = value;
}

function firstString(...values: unknown[]): string | undefined {
  for (const value of values) {
    if (typeof value === "string" && value !== "") return value;
  }
  return undefined;
}

/** Handler tags, then the run's own, without duplicates and without LangChain's internal tags. */
function mergeTags(handlerTags: string[], runTags: string[] | undefined): string[] {
  if (!runTags || runTags.length === 0) return [...handlerTags];
  const tags = [...handlerTags];
  for (const tag of runTags) {
    if (typeof tag === "string" && !isLangChainInternalTag(tag) && !tags.includes(tag)) tags.push(tag);
  }
  return tags;
}
