import type {
  ChatMessage,
  ContentPart,
  LLMRunRecord,
  RunSpanEvent,
  RunSpanRecord,
} from "@langchain-observability/core";
import { formatIsoTime, truncateText } from "@langchain-observability/core";
import {
  candidatesOf,
  mapRecordMetadata,
  mapStringMetadata,
  mergeTags,
  stringifyArguments,
} from "./map-record-to-promptlayer";
import type {
  PromptLayerAttributeValue,
  PromptLayerContentBlock,
  PromptLayerErrorType,
  PromptLayerLogMessage,
  PromptLayerLogRequest,
  PromptLayerLogTemplate,
  PromptLayerSpan,
  PromptLayerToolCall,
} from "./promptlayer-api";

/** What the span mapper needs besides the record. */
export interface MapSpanToPromptLayerOptions {
  /** Tags sent first in every `log_request.tags`. @default [] */
  plTags?: string[];
  /** `resource.attributes` of every span. @default { "service.name": "langchain" } */
  resource?: Record<string, string>;
}

/** PromptLayer's documented limits of a `log_request`. */
const MAX_TAG_CHARS = 512;
const MAX_METADATA_KEY_CHARS = 1024;
const MAX_ERROR_MESSAGE_CHARS = 1024;
/** Longest text of an unknown content part kept as a text block. */
const MAX_UNKNOWN_PART_CHARS = 2_000;

const DEFAULT_RESOURCE: Record<string, string> = { "service.name": "langchain" };

/** Invocation parameters that PromptLayer keeps in the chat template rather than in `parameters`. */
const TEMPLATE_PARAMETERS = ["tools", "functions", "tool_choice", "function_call"] as const;

/**
 * Maps one span of the LangChain run tree to the `/spans-bulk` spans that carry it. Pure: no I/O, no
 * clock, no env; the ids derive from the run ids only, so a resend upserts the same spans.
 *
 * - every span: name, ids, kind (`SpanKind.CLIENT` for model calls, `SpanKind.INTERNAL` otherwise),
 *   nanosecond times, status, attributes (inputs and outputs as JSON text, tags, metadata, user,
 *   session, tool, LangGraph node), events;
 * - a model-call span with one `LLMRunRecord` (the usual case) carries that record's `log_request`;
 *   with several (one per prompt), each gets a child span of its own with its `log_request`, so that
 *   every request log has its own `span_id` to match the answer by.
 */
export function mapSpanToPromptLayer(
  record: RunSpanRecord,
  options: MapSpanToPromptLayerOptions = {},
): PromptLayerSpan[] {
  const traceId = toPromptLayerTraceId(record.traceId);
  const spanId = toPromptLayerSpanId(record.runId);
  const resource = { attributes: { ...(options.resource ?? DEFAULT_RESOURCE) }, schema_url: "" };
  const isModelCall = record.kind === "llm" || record.kind === "chat";
  const span: PromptLayerSpan = {
    name: record.name,
    context: { trace_id: traceId, span_id: spanId, trace_state: "" },
    kind: isModelCall ? "SpanKind.CLIENT" : "SpanKind.INTERNAL",
    parent_id: record.parentRunId === undefined ? null : toPromptLayerSpanId(record.parentRunId),
    start_time: toNanoseconds(record.timing.startTime),
    end_time: toNanoseconds(record.timing.endTime),
    status: mapStatus(record.status, record.error),
    attributes: mapSpanAttributes(record, isModelCall),
    events: record.events.map(mapEvent),
    links: [],
    resource,
  };
  const llmRecords = isModelCall ? (record.llmRecords ?? []) : [];
  if (llmRecords.length === 0) return [span];
  const plTags = options.plTags ?? [];
  const [only] = llmRecords;
  if (llmRecords.length === 1 && only) {
    span.log_request = mapLogRequest(only, plTags);
    return [span];
  }
  // Several prompts in one run: one child span per prompt, each with its own request log.
  return [
    span,
    ...llmRecords.map(
      (llmRecord, index): PromptLayerSpan => ({
        name: `${record.name} [${index}]`,
        context: { trace_id: traceId, span_id: toPromptLayerSpanId(llmRecord.recordId), trace_state: "" },
        kind: "SpanKind.CLIENT",
        parent_id: spanId,
        start_time: toNanoseconds(llmRecord.timing.startTime),
        end_time: toNanoseconds(llmRecord.timing.endTime),
        status: mapStatus(llmRecord.status, llmRecord.error),
        attributes: { "langchain.record_id": llmRecord.recordId, ...modelAttributes(llmRecord) },
        events: [],
        links: [],
        resource,
        log_request: mapLogRequest(llmRecord, plTags),
      }),
    ),
  ];
}

/** The `log_request` of one model call: the request log PromptLayer creates for its span. */
export function mapLogRequest(record: LLMRunRecord, plTags: string[] = []): PromptLayerLogRequest {
  const { template, parameters } = splitParameters(record.model.params);
  const log: PromptLayerLogRequest = {
    provider: providerOf(record),
    model: record.model.name ?? record.name,
    input: record.kind === "chat" ? mapChatInput(record, template) : mapCompletionInput(record),
    output: record.kind === "chat" ? mapChatOutput(record) : mapCompletionOutput(record),
    request_start_time: formatIsoTime(record.timing.startTime),
    request_end_time: formatIsoTime(record.timing.endTime),
    parameters,
    tags: mergeTags(plTags, record.tags).map((tag) => truncateText(tag, MAX_TAG_CHARS)),
    metadata: limitMetadataKeys(mapRecordMetadata(record)),
    function_name: record.serializedId.length > 0 ? record.serializedId.join(".") : record.name,
  };
  if (record.usage.inputTokens !== undefined) log.input_tokens = toTokenCount(record.usage.inputTokens);
  if (record.usage.outputTokens !== undefined) log.output_tokens = toTokenCount(record.usage.outputTokens);
  if (record.status === "success") {
    log.status = "SUCCESS";
  } else {
    log.status = record.status === "error" ? "ERROR" : "WARNING";
    log.error_type = record.status === "error" ? classifyError(record.error) : "UNKNOWN_ERROR";
    log.error_message = truncateText(
      record.error
        ? `${record.error.name}: ${record.error.message}`
        : "The run was cancelled before it ended.",
      MAX_ERROR_MESSAGE_CHARS,
    );
  }
  return log;
}

/** A 16-hex-character span id derived from a run id (or record id): the same id always gives the same span. */
export function toPromptLayerSpanId(id: string): string {
  return hashHex(id, 0) + hashHex(id, 1);
}

/** A 32-hex-character trace id: the root run's UUID without dashes, or a hash of any other id. */
export function toPromptLayerTraceId(id: string): string {
  const hex = id.replace(/-/g, "").toLowerCase();
  if (/^[0-9a-f]{32}$/.test(hex) && !/^0+$/.test(hex)) return hex;
  return hashHex(id, 2) + hashHex(id, 3) + hashHex(id, 4) + hashHex(id, 5);
}

/**
 * 32 bits of a string hash (a murmur-style mix per UTF-16 unit), as 8 hex characters; `lane` seeds
 * independent hashes so that lanes can be joined into longer ids. Never all zeros.
 */
function hashHex(text: string, lane: number): string {
  let hash = Math.imul(0x9e3779b1, lane + 1) ^ 0x85ebca6b;
  for (let index = 0; index < text.length; index++) {
    hash = Math.imul(hash ^ text.charCodeAt(index), 0x5bd1e995);
    hash ^= hash >>> 15;
  }
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0 || 1).toString(16).padStart(8, "0");
}

/**
 * Epoch milliseconds (with sub-millisecond precision) to integer nanoseconds, kept to the
 * microsecond: whole microseconds × 1000 print as their exact digits in JSON, so siblings that
 * started within one millisecond keep their order.
 */
function toNanoseconds(milliseconds: number): number {
  return Math.round(milliseconds * 1000) * 1000;
}

function mapStatus(
  status: RunSpanRecord["status"],
  error: { name: string; message: string } | undefined,
): PromptLayerSpan["status"] {
  if (status === "success") return { status_code: "StatusCode.OK", description: null };
  if (error) return { status_code: "StatusCode.ERROR", description: `${error.name}: ${error.message}` };
  return {
    status_code: "StatusCode.ERROR",
    description: status === "cancelled" ? "The run was cancelled before it ended." : null,
  };
}

function mapEvent(event: RunSpanEvent): PromptLayerSpan["events"][number] {
  const attributes: Record<string, PromptLayerAttributeValue> = {};
  for (const [key, value] of Object.entries(event.attributes ?? {})) {
    const attribute = toAttributeValue(value);
    if (attribute !== undefined) attributes[key] = attribute;
  }
  return { name: event.name, timestamp: toNanoseconds(event.time), attributes };
}

function mapSpanAttributes(
  record: RunSpanRecord,
  isModelCall: boolean,
): Record<string, PromptLayerAttributeValue> {
  const attributes: Record<string, PromptLayerAttributeValue> = {
    "langchain.run_id": record.runId,
    "langchain.trace_id": record.traceId,
    "langchain.kind": record.kind,
  };
  if (record.parentRunId !== undefined) attributes["langchain.parent_run_id"] = record.parentRunId;
  if (record.serializedId && record.serializedId.length > 0) {
    attributes["langchain.class"] = record.serializedId.join(".");
  }
  // A model call's content travels in its request log; other spans carry theirs as attributes.
  if (!isModelCall) {
    const input = toText(record.input);
    if (input !== undefined) attributes["input.value"] = input;
    const output = toText(record.output);
    if (output !== undefined) attributes["output.value"] = output;
  }
  if (record.documents !== undefined) {
    attributes["retrieval.documents"] = toText(record.documents) ?? "[]";
  }
  if (record.toolName !== undefined) attributes["tool.name"] = record.toolName;
  const graph = record.graph;
  if (graph) {
    if (graph.node !== undefined) attributes["langgraph.node"] = graph.node;
    if (graph.step !== undefined) attributes["langgraph.step"] = graph.step;
    if (graph.triggers !== undefined) attributes["langgraph.triggers"] = graph.triggers;
    if (graph.path !== undefined) attributes["langgraph.path"] = graph.path;
    if (graph.checkpointNamespace !== undefined) {
      attributes["langgraph.checkpoint_ns"] = graph.checkpointNamespace;
    }
  }
  if (record.tags.length > 0) attributes["langchain.tags"] = [...record.tags];
  const metadata = mapStringMetadata(record.metadata);
  for (const [key, value] of Object.entries(metadata)) attributes[`langchain.metadata.${key}`] = value;
  if (record.userId !== undefined) attributes["user.id"] = record.userId;
  if (record.sessionId !== undefined) attributes["session.id"] = record.sessionId;
  if (record.error) {
    attributes["exception.type"] = record.error.name;
    attributes["exception.message"] = record.error.message;
  }
  const [only] = record.llmRecords ?? [];
  if (isModelCall && only && record.llmRecords?.length === 1)
    Object.assign(attributes, modelAttributes(only));
  return attributes;
}

/** The OpenTelemetry GenAI attributes of one model call (what PromptLayer's trace view reads). */
function modelAttributes(record: LLMRunRecord): Record<string, PromptLayerAttributeValue> {
  const attributes: Record<string, PromptLayerAttributeValue> = {
    "gen_ai.provider.name": providerOf(record),
  };
  if (record.model.name !== undefined) attributes["gen_ai.request.model"] = record.model.name;
  if (record.usage.inputTokens !== undefined) {
    attributes["gen_ai.usage.input_tokens"] = toTokenCount(record.usage.inputTokens);
  }
  if (record.usage.outputTokens !== undefined) {
    attributes["gen_ai.usage.output_tokens"] = toTokenCount(record.usage.outputTokens);
  }
  return attributes;
}

/** The provider PromptLayer files the call under: the record's, else the LangChain package, else "langchain". */
function providerOf(record: LLMRunRecord): string {
  if (record.model.provider) return record.model.provider;
  // ["langchain", "chat_models", "openai", "ChatOpenAI"] → "openai"
  const path = record.serializedId;
  const candidate = path.length >= 4 ? path[path.length - 2] : undefined;
  return candidate && /^[a-z][a-z0-9_-]*$/.test(candidate) ? candidate : "langchain";
}

function splitParameters(params: Record<string, unknown>): {
  template: Partial<Record<(typeof TEMPLATE_PARAMETERS)[number], unknown>>;
  parameters: Record<string, unknown>;
} {
  const parameters: Record<string, unknown> = { ...params };
  const template: Partial<Record<(typeof TEMPLATE_PARAMETERS)[number], unknown>> = {};
  for (const key of TEMPLATE_PARAMETERS) {
    if (parameters[key] === undefined) continue;
    template[key] = parameters[key];
    delete parameters[key];
  }
  return { template, parameters };
}

function mapChatInput(
  record: LLMRunRecord,
  template: Partial<Record<(typeof TEMPLATE_PARAMETERS)[number], unknown>>,
): PromptLayerLogTemplate {
  const input: PromptLayerLogTemplate = {
    type: "chat",
    messages: (record.input.messages ?? []).map(mapLogMessage),
  };
  if (Array.isArray(template.tools)) input.tools = template.tools;
  if (Array.isArray(template.functions)) input.functions = template.functions;
  if (template.tool_choice !== undefined) input.tool_choice = template.tool_choice;
  if (template.function_call !== undefined) input.function_call = template.function_call;
  return input;
}

function mapCompletionInput(record: LLMRunRecord): PromptLayerLogTemplate {
  return { type: "completion", content: [{ type: "text", text: record.input.prompt }] };
}

/** One assistant message per candidate; a failed or cancelled call has none. */
function mapChatOutput(record: LLMRunRecord): PromptLayerLogTemplate {
  if (record.status !== "success") return { type: "chat", messages: [] };
  return {
    type: "chat",
    messages: candidatesOf(record).map((candidate) =>
      mapLogMessage(
        candidate.message
          ? { ...candidate.message, role: "assistant" }
          : { role: "assistant", content: candidate.text },
      ),
    ),
  };
}

function mapCompletionOutput(record: LLMRunRecord): PromptLayerLogTemplate {
  if (record.status !== "success") return { type: "completion", content: [] };
  const candidates = candidatesOf(record);
  return {
    type: "completion",
    content: candidates.map((candidate) => ({ type: "text", text: candidate.text })),
  };
}

/** A normalized message as a PromptLayer template message: content as blocks, tool calls in OpenAI's shape. */
function mapLogMessage(message: ChatMessage): PromptLayerLogMessage {
  const toolCalls = message.role === "tool" ? [] : (message.toolCalls ?? []);
  const content = message.parts ? message.parts.map(mapContentPart) : textBlocks(message.content);
  const mapped: PromptLayerLogMessage = {
    role: message.role,
    // PromptLayer wants null content for an assistant turn that only calls tools.
    content: content.length === 0 && toolCalls.length > 0 ? null : content,
  };
  if (message.name !== undefined) mapped.name = message.name;
  if (message.role === "tool" && message.toolCallId !== undefined) mapped.tool_call_id = message.toolCallId;
  if (toolCalls.length > 0) {
    mapped.tool_calls = toolCalls.map(
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

function textBlocks(text: string): PromptLayerContentBlock[] {
  return text === "" ? [] : [{ type: "text", text }];
}

/** LangChain content parts (OpenAI's and LangChain's standard block shapes) as PromptLayer blocks. */
function mapContentPart(part: ContentPart): PromptLayerContentBlock {
  if (part.type === "text" && typeof part.text === "string") return { type: "text", text: part.text };
  if (
    (part.type === "thinking" || part.type === "reasoning") &&
    typeof (part.thinking ?? part.reasoning) === "string"
  ) {
    return { type: "thinking", thinking: (part.thinking ?? part.reasoning) as string };
  }
  if (part.type === "image_url") {
    const image = part.image_url as { url?: unknown; detail?: unknown } | string | undefined;
    const url = typeof image === "string" ? image : image?.url;
    // Core replaced inlined bytes with `[image/png 6.1 MB]`: say so as text, not as a URL to fetch.
    if (typeof url === "string" && isPlaceholder(url)) return { type: "text", text: url };
    if (typeof url === "string") {
      const detail =
        typeof image === "object" && typeof image?.detail === "string" ? image.detail : undefined;
      return { type: "image_url", image_url: detail === undefined ? { url } : { url, detail } };
    }
  }
  if (part.type === "image") {
    // LangChain's standard block: { type: "image", url } or { source_type: "base64", data, mime_type }.
    if (typeof part.url === "string") return { type: "image_url", image_url: { url: part.url } };
    if (typeof part.data === "string" && isPlaceholder(part.data)) return { type: "text", text: part.data };
    if (typeof part.data === "string") {
      const mimeType = typeof part.mime_type === "string" ? part.mime_type : (part.mimeType ?? "image/png");
      return { type: "image_url", image_url: { url: `data:${String(mimeType)};base64,${part.data}` } };
    }
  }
  // Anything else (audio, files, provider-specific parts) is kept as text, so nothing is lost silently.
  return {
    type: "text",
    text: truncateText(toText(part) ?? `[${String(part.type)} part]`, MAX_UNKNOWN_PART_CHARS),
  };
}

/** Core's placeholder for inlined binary content, e.g. `[image/png 6.1 MB]`. */
function isPlaceholder(text: string): boolean {
  return text.length < 100 && /^\[[^[\]]+\]$/.test(text);
}

function classifyError(error: { name: string; message: string } | undefined): PromptLayerErrorType {
  if (!error) return "UNKNOWN_ERROR";
  const text = `${error.name} ${error.message}`;
  if (/timed? ?out|timeout|ETIMEDOUT/i.test(text)) return "PROVIDER_TIMEOUT";
  if (/quota|insufficient_quota|billing/i.test(text)) return "PROVIDER_QUOTA_LIMIT";
  if (/rate.?limit|too many requests|\b429\b/i.test(text)) return "PROVIDER_RATE_LIMIT";
  if (/auth|api.?key|permission|forbidden|\b401\b|\b403\b/i.test(text)) return "PROVIDER_AUTH_ERROR";
  return "PROVIDER_ERROR";
}

function limitMetadataKeys(metadata: Record<string, string>): Record<string, string> {
  for (const key of Object.keys(metadata)) {
    if (key.length > MAX_METADATA_KEY_CHARS) delete metadata[key];
  }
  return metadata;
}

function toTokenCount(count: number): number {
  return Number.isFinite(count) && count > 0 ? Math.round(count) : 0;
}

/** A JSON-safe value as attribute text: strings as they are, the rest as JSON. */
function toText(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/** An attribute value as OpenTelemetry allows it: a primitive or a homogeneous array; anything else as JSON text. */
function toAttributeValue(value: unknown): PromptLayerAttributeValue | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) {
    if (value.every((item) => typeof item === "string")) return value as string[];
    if (value.every((item) => typeof item === "number" && Number.isFinite(item))) return value as number[];
    if (value.every((item) => typeof item === "boolean")) return value as boolean[];
  }
  return toText(value);
}
