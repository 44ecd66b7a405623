import {
  type ChatMessage,
  type LLMRunRecord,
  type OutputCandidate,
  truncateText,
} from "@langchain-observability/core";
import type {
  PromptLayerCompletionResponse,
  PromptLayerMessage,
  PromptLayerToolCall,
  PromptLayerTrackRequestBody,
} from "./promptlayer-api";

/** What the mapper needs besides the record. */
export interface MapRecordToPromptLayerOptions {
  /** Tags sent before the record's own tags. @default [] */
  plTags?: string[];
  /** Ask PromptLayer to return the request id (set when a `plIdCallback` waits for it). @default false */
  returnPlId?: boolean;
}

/** Longest metadata value sent; PromptLayer indexes metadata for search, so it is kept short. */
const MAX_METADATA_VALUE_CHARS = 4_000;

/**
 * Maps one normalized record to the body of `POST /track-request`, without `api_key` (the exporter
 * adds it, so no mapped body or snapshot ever holds the key). Pure: no I/O, no clock, no env.
 */
export function mapRecordToPromptLayer(
  record: LLMRunRecord,
  options: MapRecordToPromptLayerOptions = {},
): PromptLayerTrackRequestBody {
  const body: PromptLayerTrackRequestBody = {
    function_name: record.serializedId.length > 0 ? record.serializedId.join(".") : record.name,
    provider_type: "langchain",
    args:
      record.kind === "chat"
        ? (record.input.messages ?? []).map((message) => mapMessage(message))
        : [record.input.prompt],
    kwargs: mapKwargs(record),
    tags: mergeTags(options.plTags ?? [], record.tags),
    request_response: record.kind === "chat" ? mapChatResponse(record) : mapCompletionResponse(record),
    request_start_time: record.timing.startTime / 1000,
    request_end_time: record.timing.endTime / 1000,
    metadata: mapRecordMetadata(record),
  };
  if (options.returnPlId) body.return_pl_id = true;
  if (record.status !== "success") {
    body.status = record.status === "error" ? "ERROR" : "WARNING";
    body.error_type = record.error?.name ?? (record.status === "error" ? "Error" : "RunCancelled");
    body.error_message = record.error?.message ?? "";
  }
  return body;
}

/** A normalized message in the OpenAI shape PromptLayer uses for its own chat templates. */
function mapMessage(message: ChatMessage): PromptLayerMessage {
  const mapped: PromptLayerMessage = {
    role: message.role,
    content: message.parts ? message.parts.map((part) => ({ ...part })) : message.content,
  };
  if (message.role === "tool") {
    if (message.toolCallId !== undefined) mapped.tool_call_id = message.toolCallId;
    if (message.name !== undefined) mapped.name = message.name;
    return mapped;
  }
  if (message.name !== undefined) mapped.name = message.name;
  if (message.toolCalls && message.toolCalls.length > 0) {
    mapped.tool_calls = message.toolCalls.map(
      (call): PromptLayerToolCall => ({
        ...(call.id === undefined ? {} : { id: call.id }),
        type: "function",
        function: { name: call.name, arguments: stringifyArguments(call.args) },
      }),
    );
  }
  if (message.functionCall) mapped.function_call = { ...message.functionCall };
  return mapped;
}

/** Tool-call arguments as the JSON text OpenAI's shape wants. */
export function stringifyArguments(args: unknown): string {
  if (typeof args === "string") return args;
  try {
    return JSON.stringify(args ?? {}) ?? "{}";
  } catch {
    return "{}";
  }
}

export function candidatesOf(record: LLMRunRecord): OutputCandidate[] {
  return record.output.candidates ?? [record.output];
}

/** One assistant message per candidate; a failed or cancelled run has none. */
function mapChatResponse(record: LLMRunRecord): PromptLayerMessage[] {
  if (record.status !== "success") return [];
  return candidatesOf(record).map((candidate) => {
    if (!candidate.message) return { role: "assistant", content: candidate.text };
    return mapMessage({ ...candidate.message, role: "assistant" });
  });
}

function mapCompletionResponse(record: LLMRunRecord): PromptLayerCompletionResponse {
  const response: PromptLayerCompletionResponse = {
    text: record.output.text,
    llm_output: mapLlmOutput(record),
  };
  if (record.output.candidates && record.output.candidates.length > 1) {
    response.candidates = record.output.candidates.map((candidate) =>
      candidate.finishReason === undefined
        ? { text: candidate.text }
        : { text: candidate.text, finish_reason: candidate.finishReason },
    );
  }
  return response;
}

/** The `llm_output` the Python handler forwarded, rebuilt in OpenAI's snake_case shape. */
function mapLlmOutput(record: LLMRunRecord): Record<string, unknown> | null {
  const output: Record<string, unknown> = {};
  const usage = record.usage;
  if (usage.source !== "none") {
    const tokenUsage: Record<string, number> = {};
    if (usage.inputTokens !== undefined) tokenUsage.prompt_tokens = usage.inputTokens;
    if (usage.outputTokens !== undefined) tokenUsage.completion_tokens = usage.outputTokens;
    if (usage.totalTokens !== undefined) tokenUsage.total_tokens = usage.totalTokens;
    if (Object.keys(tokenUsage).length > 0) output.token_usage = tokenUsage;
  }
  if (record.model.name !== undefined) output.model_name = record.model.name;
  return Object.keys(output).length > 0 ? output : null;
}

/** The invocation parameters, with the model name added when the model class does not report one. */
function mapKwargs(record: LLMRunRecord): Record<string, unknown> {
  const kwargs: Record<string, unknown> = { ...record.model.params };
  if (record.model.name !== undefined && kwargs.model === undefined && kwargs.model_name === undefined) {
    kwargs.model = record.model.name;
  }
  return kwargs;
}

/**
 * String → string metadata: the record's own metadata stringified (null and undefined left out, never
 * a placeholder such as `"None"`), then the run ids, tags, model, usage, user and session (these win).
 */
export function mapRecordMetadata(record: LLMRunRecord): Record<string, string> {
  const metadata = mapStringMetadata(record.metadata);
  metadata._langchain_run_id = record.runId;
  if (record.parentRunId) metadata._langchain_parent_run_id = record.parentRunId;
  if (record.traceId !== record.runId) metadata._langchain_trace_id = record.traceId;
  if (record.tags.length > 0) metadata._langchain_tags = JSON.stringify(record.tags);
  if (record.model.name !== undefined) metadata.model = record.model.name;
  if (record.model.responseName !== undefined) metadata.response_model = record.model.responseName;
  if (record.model.provider !== undefined) metadata.provider = record.model.provider;
  const usage = record.usage;
  const counts: Array<[string, number | undefined]> = [
    ["input_tokens", usage.inputTokens],
    ["output_tokens", usage.outputTokens],
    ["total_tokens", usage.totalTokens],
    ["cache_read_tokens", usage.cacheReadTokens],
    ["cache_write_tokens", usage.cacheWriteTokens],
    ["reasoning_tokens", usage.reasoningTokens],
  ];
  for (const [key, count] of counts) {
    if (count !== undefined) metadata[key] = String(count);
  }
  if (record.output.finishReason !== undefined) metadata.finish_reason = record.output.finishReason;
  if (record.timing.timeToFirstTokenMs !== undefined) {
    metadata.time_to_first_token_ms = String(record.timing.timeToFirstTokenMs);
  }
  if (record.cached) metadata.cached = "true";
  if (record.userId !== undefined) metadata.user_id = record.userId;
  if (record.sessionId !== undefined) metadata.session_id = record.sessionId;
  return metadata;
}

/** Run metadata as PromptLayer takes it: string values only, `null`/`undefined` left out. */
export function mapStringMetadata(source: Record<string, unknown>): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(source)) {
    const text = stringifyMetadataValue(value);
    if (text !== undefined) metadata[key] = text;
  }
  return metadata;
}

/** One metadata value as text: strings as they are, numbers and booleans as text, the rest as JSON. */
export function stringifyMetadataValue(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === "string") return truncateText(value, MAX_METADATA_VALUE_CHARS);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
    return String(value);
  }
  try {
    const json = JSON.stringify(value);
    return json === undefined ? undefined : truncateText(json, MAX_METADATA_VALUE_CHARS);
  } catch {
    return undefined;
  }
}

/** `plTags` first, then the run's tags (core already left LangChain's internal tags out), without duplicates. */
export function mergeTags(plTags: string[], recordTags: string[]): string[] {
  const tags: string[] = [];
  for (const tag of plTags) {
    if (typeof tag === "string" && !tags.includes(tag)) tags.push(tag);
  }
  for (const tag of recordTags) {
    if (typeof tag === "string" && !tags.includes(tag)) tags.push(tag);
  }
  return tags;
}
