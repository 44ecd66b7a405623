import type { ChatMessage, LLMRunRecord, RecordUsage, ToolCall } from "@langchain-observability/core";
import { formatIsoTime } from "@langchain-observability/core";
import type {
  FirestoreValue,
  TrubricsLlmEvent,
  TrubricsLlmEventProperties,
  TrubricsMessage,
  TrubricsPromptDocument,
  TrubricsRunProperties,
  TrubricsToolCall,
  TrubricsUsage,
} from "./trubrics-api";

/** The tag the Python handler put first on every prompt. */
export const TRUBRICS_DEFAULT_TAG = "langchain";

/** `user_id` is required by the ingestion API; this stands in when a run has no user. */
export const TRUBRICS_ANONYMOUS_USER = "anonymous";

/** Run metadata keys already sent as `user_id` / `$thread_id`, so they are not repeated in properties. */
const CONSUMED_METADATA_KEYS = new Set(["user_id", "userId", "session_id", "sessionId", "thread_id"]);

/** Maps a record to one item of `POST {host}/publish_llm_events`. Pure: no I/O, no clock, no env. */
export function mapRecordToTrubricsLlmEvent(record: LLMRunRecord): TrubricsLlmEvent {
  const sessionId = nonEmptyString(record.sessionId);
  const properties: TrubricsLlmEventProperties = {
    ...(sessionId ? { $thread_id: sessionId } : {}),
    tags: mapTags(record.tags),
    ...mapRunProperties(record),
  };
  const provider = nonEmptyString(record.model?.provider);
  if (provider) properties.model_provider = provider;
  if (record.cached === true) properties.cached = true;
  if (record.status !== "success") {
    properties.status = record.status === "cancelled" ? "cancelled" : "error";
    properties.error = {
      name: stringOrEmpty(record.error?.name) || "Error",
      message: stringOrEmpty(record.error?.message),
    };
  }
  appendMetadata(properties, record.metadata);
  return {
    user_id: nonEmptyString(record.userId) ?? TRUBRICS_ANONYMOUS_USER,
    prompt: stringOrEmpty(record.input?.prompt),
    // A failed run has no answer: the event goes with an empty generation and `properties.error`.
    generation: record.status === "success" ? stringOrEmpty(record.output?.text) : "",
    prompt_event_name: "Prompt",
    generation_event_name: "Generation",
    assistant_id: mapModelName(record),
    properties,
    timestamp: toIsoTime(record.timing?.endTime),
    latency: Math.max(0, finiteOr(record.timing?.latencyMs, 0)) / 1000,
    thread_id: sessionId ?? null,
  };
}

/**
 * Maps a successful record to the prompt document the legacy SDK's `log_prompt` wrote, with the
 * Firestore types it used. Pure: no I/O, no clock, no env.
 */
export function mapRecordToTrubricsPromptDocument(record: LLMRunRecord): TrubricsPromptDocument {
  const temperature = record.model?.params?.temperature;
  const userId = nonEmptyString(record.userId);
  const sessionId = nonEmptyString(record.sessionId);
  const metadata: Record<string, unknown> = { ...mapRunProperties(record) };
  appendMetadata(metadata, record.metadata);
  return {
    fields: {
      config_model: {
        mapValue: {
          fields: {
            model: { stringValue: mapModelName(record) },
            prompt_template: { stringValue: "{prompt}" },
            temperature:
              typeof temperature === "number" && Number.isFinite(temperature)
                ? { doubleValue: temperature }
                : { nullValue: null },
          },
        },
      },
      prompt: { stringValue: stringOrEmpty(record.input?.prompt) },
      generation: { stringValue: stringOrEmpty(record.output?.text) },
      created_on: { timestampValue: toPythonUtcIsoTime(record.timing?.endTime) },
      user_id: userId ? { stringValue: userId } : { nullValue: null },
      session_id: sessionId ? { stringValue: sessionId } : { nullValue: null },
      tags: { arrayValue: { values: mapTags(record.tags).map((tag) => ({ stringValue: tag })) } },
      metadata: { mapValue: { fields: toFirestoreFields(metadata) } },
    },
  };
}

/** Firestore's longest document id, in UTF-8 bytes. */
const MAX_DOCUMENT_ID_BYTES = 1500;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * The Firestore document id of a record's prompt document: the record id, made valid by Firestore's
 * rules (no `/`, not `.` or `..`, not `__…__`, at most 1500 bytes) with an injective escape, so a
 * resend of the same record names the same document (Firestore refuses the copy with 409).
 */
export function toTrubricsDocumentId(recordId: string): string {
  // Firestore ids are UTF-8: a lone surrogate has no encoding.
  const wellFormed = recordId.replace(LONE_SURROGATE, "\uFFFD");
  let id = wellFormed.replaceAll("%", "%25").replaceAll("/", "%2F");
  if (id === "." || id === "..") id = id.replaceAll(".", "%2E");
  if (/^__.*__$/s.test(id)) id = `%5F${id.slice(1)}`;
  if (id === "") id = "%00";
  if (new TextEncoder().encode(id).length <= MAX_DOCUMENT_ID_BYTES) return id;
  // Too long: a prefix (cut on a code point) plus a hash of the whole id keeps it unique in practice.
  const encoder = new TextEncoder();
  let prefix = "";
  let bytes = 0;
  for (const character of id) {
    bytes += encoder.encode(character).length;
    if (bytes > 1400) break;
    prefix += character;
  }
  return `${prefix}~${fnv1a64(wellFormed)}`;
}

/**
 * Encodes a JSON-like value as a typed Firestore value, by the rules of the legacy SDK's
 * `dict_to_firestore_document`, with its defects fixed: `null` array items are kept, a nested array
 * (which Firestore refuses) is sent as its JSON text, integers use the documented int64 string form.
 * `undefined`, functions and symbols give `undefined` (left out).
 */
export function toFirestoreValue(value: unknown): FirestoreValue | undefined {
  if (value === null) return { nullValue: null };
  switch (typeof value) {
    case "string":
      return { stringValue: value };
    case "boolean":
      return { booleanValue: value };
    case "number":
      if (!Number.isFinite(value)) return { stringValue: String(value) };
      return Number.isSafeInteger(value) ? { integerValue: String(value) } : { doubleValue: value };
    case "bigint":
      return { integerValue: value.toString() };
    case "object":
      break;
    default:
      return undefined;
  }
  if (value instanceof Date) {
    return Number.isNaN(value.getTime())
      ? { nullValue: null }
      : { timestampValue: toPythonUtcIsoTime(value.getTime()) };
  }
  if (Array.isArray(value)) {
    const values: FirestoreValue[] = [];
    for (const item of value) {
      const encoded = Array.isArray(item) ? nestedArrayAsText(item) : toFirestoreValue(item ?? null);
      if (encoded) values.push(encoded);
    }
    return { arrayValue: { values } };
  }
  return { mapValue: { fields: toFirestoreFields(value as Record<string, unknown>) } };
}

/** Encodes each entry of an object (entries that cannot be encoded are left out). */
export function toFirestoreFields(object: Record<string, unknown>): Record<string, FirestoreValue> {
  const fields: Record<string, FirestoreValue> = {};
  for (const [key, item] of Object.entries(object)) {
    const encoded = toFirestoreValue(item);
    if (encoded) fields[key] = encoded;
  }
  return fields;
}

/** What both transports record about a run besides prompt and answer (metadata comes after). */
function mapRunProperties(record: LLMRunRecord): TrubricsRunProperties {
  const properties: TrubricsRunProperties = { langchain_run_id: String(record.runId) };
  if (record.parentRunId) {
    properties.langchain_parent_run_id = String(record.parentRunId);
    if (record.traceId) properties.langchain_trace_id = String(record.traceId);
  }
  if (Array.isArray(record.input?.messages)) properties.messages = record.input.messages.map(mapMessage);
  const toolCalls = record.output?.message?.toolCalls;
  if (Array.isArray(toolCalls) && toolCalls.length > 0) properties.tool_calls = toolCalls.map(mapToolCall);
  const finishReason = nonEmptyString(record.output?.finishReason);
  if (finishReason) properties.finish_reason = finishReason;
  // The model name is the one asked for (the same on success and error); the answer's own, if other.
  const responseModel = nonEmptyString(record.model?.responseName);
  if (responseModel) properties.response_model = responseModel;
  const usage = mapUsage(record.usage);
  if (usage) properties.usage = usage;
  const firstToken = record.timing?.timeToFirstTokenMs;
  if (typeof firstToken === "number" && Number.isFinite(firstToken)) {
    properties.time_to_first_token = Math.max(0, firstToken) / 1000;
  }
  return properties;
}

/** Adds the record's metadata entries that do not clash with a key this package already set. */
function appendMetadata(
  target: Record<string, unknown>,
  metadata: Record<string, unknown> | undefined,
): void {
  if (!metadata || typeof metadata !== "object") return;
  for (const [key, value] of Object.entries(metadata)) {
    if (CONSUMED_METADATA_KEYS.has(key) || key in target || value === undefined) continue;
    target[key] = value;
  }
}

/** OpenAI-style message dicts, as the Python handler built them, for every role (tool messages too). */
function mapMessage(message: ChatMessage): TrubricsMessage {
  const mapped: TrubricsMessage = { role: String(message.role), content: stringOrEmpty(message.content) };
  if (message.name) mapped.name = message.name;
  if (Array.isArray(message.toolCalls) && message.toolCalls.length > 0) {
    mapped.tool_calls = message.toolCalls.map(mapToolCall);
  }
  if (message.toolCallId) mapped.tool_call_id = message.toolCallId;
  if (message.functionCall) mapped.function_call = message.functionCall;
  return mapped;
}

function mapToolCall(call: ToolCall): TrubricsToolCall {
  return call.id
    ? { id: call.id, name: call.name, args: call.args ?? {} }
    : { name: call.name, args: call.args ?? {} };
}

function mapUsage(usage: RecordUsage | undefined): TrubricsUsage | undefined {
  if (!usage || usage.source === "none") return undefined;
  const mapped: TrubricsUsage = {};
  const pairs: Array<[keyof TrubricsUsage, number | undefined]> = [
    ["input_tokens", usage.inputTokens],
    ["output_tokens", usage.outputTokens],
    ["total_tokens", usage.totalTokens],
    ["cache_read_tokens", usage.cacheReadTokens],
    ["cache_write_tokens", usage.cacheWriteTokens],
    ["reasoning_tokens", usage.reasoningTokens],
  ];
  for (const [key, value] of pairs) {
    if (typeof value === "number" && Number.isFinite(value)) mapped[key] = value;
  }
  return Object.keys(mapped).length > 0 ? mapped : undefined;
}

/** `langchain` first (as the Python handler), then the record's tags, each once. */
function mapTags(tags: unknown): string[] {
  const result = [TRUBRICS_DEFAULT_TAG];
  if (Array.isArray(tags)) {
    for (const tag of tags) {
      if (typeof tag === "string" && tag !== "" && !result.includes(tag)) result.push(tag);
    }
  }
  return result;
}

/** The model name; else the run name (the model class); else the Python handler's `"NA"`. */
function mapModelName(record: LLMRunRecord): string {
  return nonEmptyString(record.model?.name) ?? nonEmptyString(record.name) ?? "NA";
}

/** 64-bit FNV-1a of a text, as 16 hex digits (two 32-bit halves; no crypto needed for an id). */
function fnv1a64(text: string): string {
  let high = 0xcbf29ce4;
  let low = 0x84222325;
  for (const byte of new TextEncoder().encode(text)) {
    low ^= byte;
    // Multiply by the FNV prime 0x100000001b3 = 2^40 + 0x1b3, in 32-bit halves.
    const lowProduct = low * 0x1b3;
    const carry = Math.floor(lowProduct / 0x100000000);
    high = (high * 0x1b3 + (low << 8) + carry) >>> 0;
    low = lowProduct >>> 0;
  }
  return high.toString(16).padStart(8, "0") + low.toString(16).padStart(8, "0");
}

function nestedArrayAsText(items: unknown[]): FirestoreValue | undefined {
  try {
    const text = JSON.stringify(items);
    return text === undefined ? undefined : { stringValue: text };
  } catch {
    return undefined;
  }
}

function toIsoTime(epochMs: unknown): string {
  return formatIsoTime(finiteOr(epochMs, 0));
}

/** Python's `datetime.utcnow().isoformat() + "Z"`: microseconds, left out when zero. */
function toPythonUtcIsoTime(epochMs: unknown): string {
  const iso = toIsoTime(epochMs);
  const match = /^(.*)\.(\d{3})Z$/.exec(iso);
  if (!match) return iso;
  return match[2] === "000" ? `${match[1]}Z` : `${match[1]}.${match[2]}000Z`;
}

function finiteOr(value: unknown, fallback: number): number {
  return typeof value === "number" && Number.isFinite(value) ? value : fallback;
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function stringOrEmpty(value: unknown): string {
  return typeof value === "string" ? value : "";
}
