import type { ChatMessage, LLMRunRecord, OutputCandidate, ToolCall } from "../capture/llm-run-record";
import type { RunSpanKind, RunSpanRecord } from "../capture/run-span-record";
import { AttributeList, safeJson, toKeyValues } from "./otlp-attributes";
import { toOtlpSpanId, toOtlpTraceId, toUnixNanos } from "./otlp-ids";
import {
  type OtlpSpan,
  type OtlpSpanEvent,
  OtlpSpanKind,
  type OtlpStatus,
  OtlpStatusCode,
} from "./otlp-types";

/**
 * Which attribute vocabulary spans carry: OpenInference (`openinference.span.kind`, `llm.*`,
 * `input.value` … — read by Arthur, Arize Phoenix, Arize), OpenTelemetry GenAI (`gen_ai.*` — read
 * by OTel-native backends, Datadog, Grafana, PromptLayer's `/v1/traces`), or both.
 */
export type OtlpSemanticConventions = "openinference" | "gen-ai" | "both";

export interface MapRunSpanToOtlpOptions {
  /** The attribute vocabulary. @default "both" */
  semanticConventions?: OtlpSemanticConventions;
}

/** W3C "sampled" plus OTLP's "whether the parent is remote is known" (it is local), as OTel SDKs send. */
const SPAN_FLAGS = 0x101;

const OPENINFERENCE_KIND: Record<RunSpanKind, string> = {
  chain: "CHAIN",
  tool: "TOOL",
  retriever: "RETRIEVER",
  llm: "LLM",
  chat: "LLM",
  agent: "AGENT",
  graph: "CHAIN",
  node: "CHAIN",
};

/** LangChain `ls_provider` values → `gen_ai.provider.name` well-known values. */
const GEN_AI_PROVIDER: Record<string, string> = {
  azure: "azure.ai.openai",
  azure_openai: "azure.ai.openai",
  bedrock: "aws.bedrock",
  amazon_bedrock: "aws.bedrock",
  google_genai: "gcp.gemini",
  google_vertexai: "gcp.vertex_ai",
  vertexai: "gcp.vertex_ai",
  mistralai: "mistral_ai",
  xai: "x_ai",
};

/**
 * Maps one run span to an OTLP span: ids derived from the run ids (a resend is idempotent), parent
 * link, times, status (`ERROR` plus an `exception` event for failed runs), the record's events
 * (`agent-action`, `agent-finish`, `first-token` …) and attributes in the chosen vocabulary.
 * Model-call spans take model, messages, usage and parameters from their first `LLMRunRecord`.
 */
export function mapRunSpanToOtlp(record: RunSpanRecord, options: MapRunSpanToOtlpOptions = {}): OtlpSpan {
  const conventions = options.semanticConventions ?? "both";
  const openInference = conventions !== "gen-ai";
  const genAi = conventions !== "openinference";
  const isModelCall = record.kind === "llm" || record.kind === "chat";
  const llm = isModelCall ? record.llmRecords?.[0] : undefined;

  const attributes = new AttributeList();
  attributes.string("session.id", record.sessionId);
  attributes.string("user.id", record.userId);
  if (openInference) addOpenInferenceAttributes(attributes, record, llm);
  if (genAi) addGenAiAttributes(attributes, record, llm, !openInference);

  const span: OtlpSpan = {
    traceId: toOtlpTraceId(record.traceId),
    spanId: toOtlpSpanId(record.runId),
    name: genAi ? genAiSpanName(record, llm) : record.name,
    kind: genAi && isModelCall ? OtlpSpanKind.CLIENT : OtlpSpanKind.INTERNAL,
    startTimeUnixNano: toUnixNanos(record.timing.startTime),
    endTimeUnixNano: toUnixNanos(record.timing.endTime),
    attributes: attributes.items,
    events: mapEvents(record),
    status: mapStatus(record),
    flags: SPAN_FLAGS,
  };
  if (record.parentRunId) span.parentSpanId = toOtlpSpanId(record.parentRunId);
  return span;
}

function addOpenInferenceAttributes(
  attributes: AttributeList,
  record: RunSpanRecord,
  llm: LLMRunRecord | undefined,
): void {
  attributes.string("openinference.span.kind", OPENINFERENCE_KIND[record.kind] ?? "CHAIN");
  if (llm) {
    addValue(attributes, "input", llm.input.messages ?? llm.input.prompt);
    addValue(attributes, "output", modelOutputValue(llm));
  } else {
    addValue(attributes, "input", record.input);
    addValue(attributes, "output", record.output);
  }
  if (Object.keys(record.metadata).length > 0) attributes.json("metadata", record.metadata);
  attributes.stringArray("tag.tags", record.tags);

  if (llm) {
    attributes.string("llm.model_name", llm.model.name);
    attributes.string("llm.provider", llm.model.provider);
    attributes.string("llm.system", llm.model.provider);
    const { tools, ...parameters } = llm.model.params;
    if (Object.keys(parameters).length > 0) attributes.json("llm.invocation_parameters", parameters);
    if (Array.isArray(tools)) {
      for (const [index, tool] of tools.entries())
        attributes.json(`llm.tools.${index}.tool.json_schema`, tool);
    }
    if (llm.input.messages) {
      for (const [index, message] of llm.input.messages.entries()) {
        addOpenInferenceMessage(attributes, `llm.input_messages.${index}.message`, message);
      }
    } else if (llm.input.prompt) {
      attributes.stringArray("llm.prompts", [llm.input.prompt]);
    }
    if (llm.status === "success") {
      for (const [index, candidate] of outputCandidates(llm).entries()) {
        const message = candidate.message ?? { role: "assistant", content: candidate.text };
        addOpenInferenceMessage(attributes, `llm.output_messages.${index}.message`, message);
      }
    }
    const usage = llm.usage;
    attributes.integer("llm.token_count.prompt", usage.inputTokens);
    attributes.integer("llm.token_count.completion", usage.outputTokens);
    attributes.integer("llm.token_count.total", totalTokens(llm));
    attributes.integer("llm.token_count.prompt_details.cache_read", usage.cacheReadTokens);
    attributes.integer("llm.token_count.prompt_details.cache_write", usage.cacheWriteTokens);
    attributes.integer("llm.token_count.completion_details.reasoning", usage.reasoningTokens);
  }
  if (record.kind === "tool") attributes.string("tool.name", record.toolName ?? record.name);
  record.documents?.forEach((document, index) => {
    const prefix = `retrieval.documents.${index}.document`;
    attributes.string(`${prefix}.id`, document.id);
    attributes.string(`${prefix}.content`, document.pageContent);
    if (Object.keys(document.metadata).length > 0) attributes.json(`${prefix}.metadata`, document.metadata);
  });
}

/** `input.value` / `output.value` with their MIME type: a string as is, anything else as JSON. */
function addValue(attributes: AttributeList, prefix: "input" | "output", value: unknown): void {
  if (value === undefined || value === null || value === "") return;
  const isText = typeof value === "string";
  attributes.string(`${prefix}.value`, isText ? value : safeJson(value));
  attributes.string(`${prefix}.mime_type`, isText ? "text/plain" : "application/json");
}

/** The model's answer as text; a tool-calling turn without text gives its tool calls as JSON. */
function modelOutputValue(llm: LLMRunRecord): unknown {
  if (llm.status !== "success") return undefined;
  if (llm.output.text) return llm.output.text;
  const toolCalls = llm.output.message?.toolCalls;
  return toolCalls && toolCalls.length > 0 ? toolCalls : undefined;
}

function addOpenInferenceMessage(attributes: AttributeList, prefix: string, message: ChatMessage): void {
  attributes.string(`${prefix}.role`, message.role);
  attributes.string(`${prefix}.content`, message.content);
  attributes.string(`${prefix}.name`, message.name);
  message.toolCalls?.forEach((toolCall, index) => {
    const callPrefix = `${prefix}.tool_calls.${index}.tool_call`;
    attributes.string(`${callPrefix}.id`, toolCall.id);
    attributes.string(`${callPrefix}.function.name`, toolCall.name);
    attributes.string(`${callPrefix}.function.arguments`, toolArguments(toolCall));
  });
  attributes.string(`${prefix}.tool_call_id`, message.toolCallId);
  if (message.functionCall) {
    attributes.string(`${prefix}.function_call_name`, message.functionCall.name);
    attributes.string(`${prefix}.function_call_arguments_json`, message.functionCall.arguments);
  }
  message.parts?.forEach((part, index) => {
    const partPrefix = `${prefix}.contents.${index}.message_content`;
    const imageUrl = imageUrlOf(part);
    attributes.string(`${partPrefix}.type`, imageUrl !== undefined ? "image" : part.type);
    if (typeof part.text === "string") attributes.string(`${partPrefix}.text`, part.text);
    if (imageUrl !== undefined) attributes.string(`${partPrefix}.image.image.url`, imageUrl);
  });
}

function addGenAiAttributes(
  attributes: AttributeList,
  record: RunSpanRecord,
  llm: LLMRunRecord | undefined,
  alone: boolean,
): void {
  attributes.string("gen_ai.conversation.id", record.sessionId);
  const operation = genAiOperation(record);
  attributes.string("gen_ai.operation.name", operation);
  if (record.error) attributes.string("error.type", record.error.name || "Error");
  else if (record.status === "cancelled") attributes.string("error.type", "cancelled");
  if (alone) {
    // GenAI has no place for LangChain's tags and metadata; keep them under a LangChain prefix.
    attributes.stringArray("langchain.tags", record.tags);
    if (Object.keys(record.metadata).length > 0) attributes.json("langchain.metadata", record.metadata);
  }
  if (llm) {
    const provider = llm.model.provider;
    attributes.string("gen_ai.provider.name", provider && (GEN_AI_PROVIDER[provider] ?? provider));
    attributes.string("gen_ai.request.model", llm.model.name);
    attributes.string("gen_ai.response.model", llm.model.responseName ?? llm.model.name);
    addGenAiRequestParameters(attributes, llm.model.params);
    const usage = llm.usage;
    attributes.integer("gen_ai.usage.input_tokens", usage.inputTokens);
    attributes.integer("gen_ai.usage.output_tokens", usage.outputTokens);
    attributes.integer("gen_ai.usage.cache_read.input_tokens", usage.cacheReadTokens);
    attributes.integer("gen_ai.usage.cache_creation.input_tokens", usage.cacheWriteTokens);
    attributes.integer("gen_ai.usage.reasoning.output_tokens", usage.reasoningTokens);
    const messages =
      llm.input.messages ?? (llm.input.prompt ? [{ role: "user", content: llm.input.prompt }] : []);
    if (messages.length > 0) attributes.json("gen_ai.input.messages", messages.map(toGenAiMessage));
    if (llm.status === "success") {
      const candidates = outputCandidates(llm);
      attributes.stringArray(
        "gen_ai.response.finish_reasons",
        candidates.flatMap((candidate) => (candidate.finishReason ? [candidate.finishReason] : [])),
      );
      attributes.json(
        "gen_ai.output.messages",
        candidates.map((candidate) => ({
          ...toGenAiMessage(candidate.message ?? { role: "assistant", content: candidate.text }),
          finish_reason: genAiFinishReason(candidate.finishReason),
        })),
      );
    }
  } else if (record.kind === "tool") {
    attributes.string("gen_ai.tool.name", record.toolName ?? record.name);
    attributes.json("gen_ai.tool.call.arguments", record.input);
    attributes.json("gen_ai.tool.call.result", record.output);
  } else if (record.kind === "agent") {
    attributes.string("gen_ai.agent.name", record.name);
  }
}

function genAiOperation(record: RunSpanRecord): string | undefined {
  switch (record.kind) {
    case "chat":
      return "chat";
    case "llm":
      return "text_completion";
    case "tool":
      return "execute_tool";
    case "agent":
      return "invoke_agent";
    case "retriever":
      return "retrieval";
    case "graph":
      return "invoke_workflow";
    default:
      return undefined;
  }
}

/** GenAI span names: `"{operation} {model}"`, `"execute_tool {tool}"`, `"invoke_agent {agent}"`. */
function genAiSpanName(record: RunSpanRecord, llm: LLMRunRecord | undefined): string {
  const operation = genAiOperation(record);
  if (record.kind === "llm" || record.kind === "chat") {
    const model = llm?.model.name;
    return model ? `${operation} ${model}` : (operation ?? record.name);
  }
  if (record.kind === "tool") return `execute_tool ${record.toolName ?? record.name}`;
  if (record.kind === "agent") return `invoke_agent ${record.name}`;
  return record.name;
}

const GEN_AI_PARAMETERS: Array<[attribute: string, keys: string[], type: "double" | "integer" | "strings"]> =
  [
    ["gen_ai.request.temperature", ["temperature"], "double"],
    ["gen_ai.request.top_p", ["top_p", "topP"], "double"],
    ["gen_ai.request.top_k", ["top_k", "topK"], "double"],
    [
      "gen_ai.request.max_tokens",
      ["max_tokens", "maxTokens", "max_completion_tokens", "maxOutputTokens"],
      "integer",
    ],
    ["gen_ai.request.frequency_penalty", ["frequency_penalty", "frequencyPenalty"], "double"],
    ["gen_ai.request.presence_penalty", ["presence_penalty", "presencePenalty"], "double"],
    ["gen_ai.request.seed", ["seed"], "integer"],
    ["gen_ai.request.stop_sequences", ["stop", "stop_sequences", "stopSequences"], "strings"],
  ];

function addGenAiRequestParameters(attributes: AttributeList, params: Record<string, unknown>): void {
  for (const [attribute, keys, type] of GEN_AI_PARAMETERS) {
    const value = keys.map((key) => params[key]).find((item) => item !== undefined && item !== null);
    if (type === "strings") {
      const strings = typeof value === "string" ? [value] : Array.isArray(value) ? value : undefined;
      if (strings?.every((item) => typeof item === "string")) attributes.stringArray(attribute, strings);
    } else if (typeof value === "number") {
      if (type === "double") attributes.double(attribute, value);
      else attributes.integer(attribute, value);
    }
  }
}

interface GenAiMessage {
  role: string;
  parts: Array<Record<string, unknown>>;
  name?: string;
}

/** A chat message in the GenAI message schema (`{ role, parts: [text | tool_call | tool_call_response | uri] }`). */
function toGenAiMessage(message: ChatMessage): GenAiMessage {
  const isToolAnswer = message.role === "tool" || message.role === "function";
  const parts: Array<Record<string, unknown>> = [];
  if (isToolAnswer) {
    parts.push({
      type: "tool_call_response",
      ...(message.toolCallId ? { id: message.toolCallId } : {}),
      response: message.content,
    });
  } else if (message.parts && message.parts.length > 0) {
    for (const part of message.parts) {
      const imageUrl = imageUrlOf(part);
      if (typeof part.text === "string") parts.push({ type: "text", content: part.text });
      else if (imageUrl !== undefined) parts.push({ type: "uri", modality: "image", uri: imageUrl });
      else parts.push({ type: part.type });
    }
  } else if (message.content) {
    parts.push({ type: "text", content: message.content });
  }
  for (const toolCall of message.toolCalls ?? []) {
    parts.push({
      type: "tool_call",
      ...(toolCall.id ? { id: toolCall.id } : {}),
      name: toolCall.name,
      arguments: toolCall.args,
    });
  }
  if (message.functionCall) {
    parts.push({
      type: "tool_call",
      name: message.functionCall.name,
      arguments: message.functionCall.arguments,
    });
  }
  return {
    role: isToolAnswer ? "tool" : message.role,
    parts,
    ...(message.name ? { name: message.name } : {}),
  };
}

/** Provider finish reasons → the GenAI output message's `finish_reason` values. */
const GEN_AI_FINISH_REASON: Record<string, string> = {
  tool_calls: "tool_call",
  function_call: "tool_call",
  tool_use: "tool_call",
  end_turn: "stop",
  stop_sequence: "stop",
  max_tokens: "length",
  STOP: "stop",
  MAX_TOKENS: "length",
  SAFETY: "content_filter",
};

function genAiFinishReason(reason: string | undefined): string {
  if (!reason) return "stop";
  return GEN_AI_FINISH_REASON[reason] ?? reason;
}

function outputCandidates(llm: LLMRunRecord): OutputCandidate[] {
  return llm.output.candidates && llm.output.candidates.length > 0 ? llm.output.candidates : [llm.output];
}

function totalTokens(llm: LLMRunRecord): number | undefined {
  const { inputTokens, outputTokens, totalTokens: total } = llm.usage;
  if (total !== undefined) return total;
  return inputTokens !== undefined && outputTokens !== undefined ? inputTokens + outputTokens : undefined;
}

function toolArguments(toolCall: ToolCall): string {
  return typeof toolCall.args === "string" ? toolCall.args : safeJson(toolCall.args);
}

function imageUrlOf(part: { type: string } & Record<string, unknown>): string | undefined {
  if (part.type !== "image_url" && part.type !== "image") return undefined;
  const value = part.image_url ?? part.url;
  if (typeof value === "string") return value;
  if (value && typeof value === "object" && typeof (value as { url?: unknown }).url === "string") {
    return (value as { url: string }).url;
  }
  return undefined;
}

function mapEvents(record: RunSpanRecord): OtlpSpanEvent[] {
  const events: OtlpSpanEvent[] = record.events.map((event) => ({
    timeUnixNano: toUnixNanos(event.time),
    name: event.name,
    attributes: toKeyValues(event.attributes),
  }));
  if (record.error) {
    events.push({
      timeUnixNano: toUnixNanos(record.timing.endTime),
      name: "exception",
      attributes: toKeyValues({
        "exception.type": record.error.name,
        "exception.message": record.error.message,
      }),
    });
  }
  return events;
}

function mapStatus(record: RunSpanRecord): OtlpStatus {
  if (record.status === "success") return { code: OtlpStatusCode.OK };
  const message = record.error
    ? `${record.error.name}: ${record.error.message}`
    : record.status === "cancelled"
      ? "cancelled"
      : undefined;
  return message ? { code: OtlpStatusCode.ERROR, message } : { code: OtlpStatusCode.ERROR };
}
