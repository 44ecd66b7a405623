import type { LLMRunRecord } from "@langchain-observability/core";

/** The fields the inspector compares across vendors, in display order. */
export const FIELD_NAMES = [
  "model",
  "messages",
  "output",
  "tokens",
  "latency",
  "tags",
  "metadata",
  "user",
  "session",
  "error",
] as const;
export type FieldName = (typeof FIELD_NAMES)[number];

/** One field as a vendor has it: the text shown, and the form compared across vendors. */
export interface FieldCell {
  display: string;
  /** Equal across vendors when they carry the same information in different spellings. */
  canonical: string;
}
export type FieldValues = Partial<Record<FieldName, FieldCell>>;

/** One model call (one prompt of one LangChain model run) as one vendor received it. */
export interface VendorModelCall {
  /** The LangChain run id of the model call. */
  runId: string;
  /** The record id (run id and prompt index), when the wire item carries it. */
  recordId?: string;
  /** The prompt text, to tell the prompts of one run apart when only the run id is on the wire. */
  prompt?: string;
  /** What the item is on the wire: "event", "inference", "request", "OTLP span", "span + log_request". */
  wireType: string;
  fields: FieldValues;
  /** The wire item itself (redacted). */
  raw: unknown;
  /** The recorded request it came in. */
  exchangeId: number;
}

/** A span of a trace-shaped vendor (OTLP, PromptLayer spans), for the requests view. */
export interface VendorSpan {
  spanId: string;
  parentSpanId?: string;
  runId?: string;
  name: string;
  /** The vendor's own kind (OpenInference kind, GenAI operation, span kind). */
  kind?: string;
  status?: string;
  /** Whether it carries a request log (PromptLayer `log_request`). */
  requestLog?: boolean;
  exchangeId: number;
}

export interface ExtractedItems {
  modelCalls: VendorModelCall[];
  spans: VendorSpan[];
}

/** What an extractor may look up: the run id of an OTLP or PromptLayer span id. */
export interface ExtractContext {
  runIdOfSpanId(spanId: string): string | undefined;
}

/** A chat message reduced to what the inspector shows. */
interface ShownMessage {
  role: string;
  content: string;
  toolCalls?: Array<{ name: string; args: unknown }>;
}

// ---- formatting shared by every vendor ----------------------------------------------------------

const ROLE_ALIASES: Record<string, string> = {
  human: "user",
  ai: "assistant",
  system: "system",
  tool: "tool",
  function: "function",
  developer: "system",
};

function cell(display: string, canonical = display): FieldCell {
  return { display, canonical };
}

function stableJson(value: unknown): string {
  if (typeof value === "string") {
    try {
      return stableJson(JSON.parse(value));
    } catch {
      return JSON.stringify(value);
    }
  }
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${stableJson(item)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

/** Text then tool calls (`→ name({args})`), space-separated. */
function withToolCalls(text: string, calls: ShownMessage["toolCalls"]): string {
  const parts = (calls ?? []).map((call) => `→ ${call.name}(${stableJson(call.args)})`);
  return [text, ...parts].filter((part) => part !== "").join(" ");
}

export function messagesCell(messages: ShownMessage[]): FieldCell | undefined {
  if (messages.length === 0) return undefined;
  const lines = messages.map((message) => {
    const role = ROLE_ALIASES[message.role.toLowerCase()] ?? message.role.toLowerCase();
    return `${role}: ${withToolCalls(message.content, message.toolCalls)}`;
  });
  const display = lines.join("\n");
  // A lone user message is the same information as a bare prompt.
  const only = messages[0];
  const canonical =
    messages.length === 1 && only && (ROLE_ALIASES[only.role.toLowerCase()] ?? only.role) === "user"
      ? withToolCalls(only.content, only.toolCalls)
      : display;
  return cell(display, canonical);
}

function promptCell(prompt: string | undefined): FieldCell | undefined {
  return prompt === undefined ? undefined : cell(prompt);
}

function outputCell(text: string | undefined, toolCalls?: ShownMessage["toolCalls"]): FieldCell | undefined {
  if (text === undefined && (!toolCalls || toolCalls.length === 0)) return undefined;
  const display = withToolCalls(text ?? "", toolCalls);
  return display === "" ? cell("(empty)", "") : cell(display);
}

function tokensCell(input?: unknown, output?: unknown, total?: unknown): FieldCell | undefined {
  const parts: string[] = [];
  const number = (value: unknown) => (value === undefined || value === null ? undefined : Number(value));
  const [inTokens, outTokens, totalTokens] = [number(input), number(output), number(total)];
  if (inTokens !== undefined) parts.push(`in ${inTokens}`);
  if (outTokens !== undefined) parts.push(`out ${outTokens}`);
  if (totalTokens !== undefined) parts.push(`total ${totalTokens}`);
  if (parts.length === 0) return undefined;
  // A total that is the sum says nothing more: a vendor without a total field is not "different".
  const redundant =
    totalTokens !== undefined && inTokens !== undefined && outTokens !== undefined
      ? totalTokens === inTokens + outTokens
      : false;
  return cell(parts.join(" · "), (redundant ? parts.slice(0, -1) : parts).join(" · "));
}

function latencyCell(milliseconds: number | undefined): FieldCell | undefined {
  if (milliseconds === undefined || !Number.isFinite(milliseconds)) return undefined;
  const rounded = Math.round(milliseconds);
  return cell(`${rounded} ms`);
}

function tagsCell(tags: unknown): FieldCell | undefined {
  if (!Array.isArray(tags)) return undefined;
  const list = tags.filter((tag): tag is string => typeof tag === "string");
  const display = list.join(", ");
  return cell(display === "" ? "(none)" : display, [...list].sort().join(", "));
}

function metadataCell(metadata: Record<string, unknown> | undefined, leaveOut: (key: string) => boolean) {
  if (!metadata) return undefined;
  const entries = Object.entries(metadata)
    .filter(([key, value]) => value !== undefined && !leaveOut(key))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const text = (value: unknown) => (typeof value === "string" ? value : stableJson(value));
  const display = entries.map(([key, value]) => `${key}=${text(value)}`).join("\n");
  return cell(display === "" ? "(none)" : display);
}

function textCell(value: unknown): FieldCell | undefined {
  return typeof value === "string" && value !== "" ? cell(value) : undefined;
}

function errorCell(message: string | undefined): FieldCell | undefined {
  if (message === undefined) return undefined;
  // "Error: message" and "message" say the same thing.
  return cell(message, message.replace(/^[A-Za-z]*Error:\s*/, ""));
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function parseJson(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** The run id part of a record id (`<runId>:<index>`) or of an Arthur inference id (`…#<candidate>`). */
export function runIdOfRecordId(recordId: string): string {
  return recordId.replace(/#\d+$/, "").replace(/:\d+$/, "");
}

// ---- the core record (the reference column) -----------------------------------------------------

/** What core captured for one prompt of a model run, in the same fields as the vendors. */
export function fieldsOfRecord(record: LLMRunRecord): FieldValues {
  const toShown = (message: NonNullable<LLMRunRecord["input"]["messages"]>[number]): ShownMessage => ({
    role: message.role,
    content: message.content,
    ...(message.toolCalls ? { toolCalls: message.toolCalls } : {}),
  });
  const fields: FieldValues = {
    model: textCell(record.model.name),
    messages: record.input.messages
      ? messagesCell(record.input.messages.map(toShown))
      : promptCell(record.input.prompt),
    output:
      record.status === "success"
        ? outputCell(record.output.text, record.output.message?.toolCalls)
        : outputCell(record.output.text || undefined),
    tokens: tokensCell(record.usage.inputTokens, record.usage.outputTokens, record.usage.totalTokens),
    latency: latencyCell(record.timing.latencyMs),
    tags: tagsCell(record.tags),
    metadata: metadataCell(record.metadata, () => false),
    user: textCell(record.userId),
    session: textCell(record.sessionId),
    error: errorCell(record.error?.message),
  };
  return prune(fields);
}

function prune(fields: FieldValues): FieldValues {
  for (const name of FIELD_NAMES) if (fields[name] === undefined) delete fields[name];
  return fields;
}

// ---- Trubrics ingestion API (`publish_llm_events`) ----------------------------------------------

/** Trubrics event properties shown in other rows, or linkage rather than metadata. */
const TRUBRICS_NOT_METADATA = new Set([
  "tags",
  "langchain_run_id",
  "langchain_parent_run_id",
  "langchain_trace_id",
  "messages",
  "tool_calls",
  "finish_reason",
  "usage",
  "model_provider",
  "status",
  "error",
  "time_to_first_token",
  "$thread_id",
]);

export function extractTrubrics(body: unknown, exchangeId: number): ExtractedItems {
  const modelCalls: VendorModelCall[] = [];
  if (!Array.isArray(body)) return { modelCalls, spans: [] };
  for (const item of body) {
    const event = asRecord(item);
    const properties = asRecord(event?.properties);
    const runId = properties?.langchain_run_id;
    if (!event || !properties || typeof runId !== "string") continue;
    const messages = Array.isArray(properties.messages) ? properties.messages.map(toShownMessage) : undefined;
    const usage = asRecord(properties.usage);
    const error = asRecord(properties.error);
    modelCalls.push({
      runId,
      ...(typeof event.prompt === "string" ? { prompt: event.prompt } : {}),
      wireType: "event",
      fields: prune({
        model: textCell(event.assistant_id),
        messages: messages ? messagesCell(messages) : promptCell(stringOrUndefined(event.prompt)),
        output: outputCell(stringOrUndefined(event.generation), toShownToolCalls(properties.tool_calls)),
        tokens: usage && tokensCell(usage.input_tokens, usage.output_tokens, usage.total_tokens),
        latency: typeof event.latency === "number" ? latencyCell(event.latency * 1000) : undefined,
        tags: tagsCell(properties.tags),
        metadata: metadataCell(properties, (key) => TRUBRICS_NOT_METADATA.has(key)),
        user: textCell(event.user_id),
        session: textCell(event.thread_id),
        error: errorCell(stringOrUndefined(error?.message)),
      }),
      raw: event,
      exchangeId,
    });
  }
  return { modelCalls, spans: [] };
}

/**
 * A prompt document of the legacy Trubrics platform (Firestore), its fields already decoded
 * (`decodeFirestoreFields`): what a handler with `TRUBRICS_EMAIL` + `TRUBRICS_PASSWORD` writes.
 */
export function extractTrubricsPromptDocument(document: unknown, exchangeId: number): ExtractedItems {
  const fields = asRecord(document);
  const metadata = asRecord(fields?.metadata);
  const runId = metadata?.langchain_run_id;
  if (!fields || !metadata || typeof runId !== "string") return { modelCalls: [], spans: [] };
  const messages = Array.isArray(metadata.messages) ? metadata.messages.map(toShownMessage) : undefined;
  const usage = asRecord(metadata.usage);
  const error = asRecord(metadata.error);
  return {
    modelCalls: [
      {
        runId,
        ...(typeof fields.prompt === "string" ? { prompt: fields.prompt } : {}),
        wireType: "prompt document (legacy)",
        fields: prune({
          model: textCell(asRecord(fields.config_model)?.model),
          messages: messages ? messagesCell(messages) : promptCell(stringOrUndefined(fields.prompt)),
          output: outputCell(stringOrUndefined(fields.generation), toShownToolCalls(metadata.tool_calls)),
          tokens: usage && tokensCell(usage.input_tokens, usage.output_tokens, usage.total_tokens),
          tags: tagsCell(fields.tags),
          metadata: metadataCell(metadata, (key) => TRUBRICS_NOT_METADATA.has(key)),
          user: textCell(fields.user_id),
          session: textCell(fields.session_id),
          error: errorCell(stringOrUndefined(error?.message)),
        }),
        raw: fields,
        exchangeId,
      },
    ],
    spans: [],
  };
}

// ---- Arthur legacy (REST v3 inferences) ---------------------------------------------------------

const ARTHUR_PREFIXES: Record<string, string> = {
  Human: "user",
  AI: "assistant",
  System: "system",
  Tool: "tool",
  Function: "function",
};

/** Reads back the role-labelled transcript Arthur receives (`Human: …\nAI: …`). */
export function parseArthurTranscript(text: string): ShownMessage[] | undefined {
  const lines = text.split(/\n(?=(?:Human|AI|System|Tool|Function): )/);
  const messages: ShownMessage[] = [];
  for (const line of lines) {
    const match = /^(Human|AI|System|Tool|Function): ([\s\S]*)$/.exec(line);
    if (!match) return undefined;
    const role = ARTHUR_PREFIXES[match[1]!]!;
    let content = match[2]!;
    let toolCalls: ShownMessage["toolCalls"];
    // An assistant's tool calls are appended to its text as JSON.
    const calls = role === "assistant" ? /(\[\{"name":[\s\S]*\}\])$/.exec(content) : null;
    if (calls) {
      try {
        toolCalls = (JSON.parse(calls[1]!) as Array<{ name: string; args: unknown }>).map((call) => ({
          name: call.name,
          args: call.args,
        }));
        content = content.slice(0, content.length - calls[1]!.length);
      } catch {
        toolCalls = undefined;
      }
    }
    messages.push({ role, content, ...(toolCalls ? { toolCalls } : {}) });
  }
  return messages;
}

export function extractArthurInferences(body: unknown, exchangeId: number): ExtractedItems {
  const modelCalls: VendorModelCall[] = [];
  if (!Array.isArray(body)) return { modelCalls, spans: [] };
  for (const item of body) {
    const inference = asRecord(item);
    const data = asRecord(inference?.inference_data);
    const id = inference?.partner_inference_id;
    if (!inference || !data || typeof id !== "string") continue;
    // Only the first candidate of a record is compared (the others carry `#<index>`).
    if (/#\d+$/.test(id)) continue;
    const input = stringOrUndefined(data.input_text);
    const transcript = input === undefined ? undefined : parseArthurTranscript(input);
    const finishReason = stringOrUndefined(data.finish_reason);
    modelCalls.push({
      runId: runIdOfRecordId(id),
      recordId: id,
      wireType: "inference",
      fields: prune({
        messages: transcript ? messagesCell(transcript) : promptCell(input),
        output: arthurOutput(stringOrUndefined(data.output_text)),
        tokens: tokensCell(data.prompt_tokens, data.completion_tokens),
        latency: typeof data.duration === "number" ? latencyCell(data.duration * 1000) : undefined,
        error:
          finishReason === "error" ? cell("finish_reason: error (no message)", "(no message)") : undefined,
      }),
      raw: inference,
      exchangeId,
    });
  }
  return { modelCalls, spans: [] };
}

/** Arthur's output text; a tool-calling turn's text is its tool calls as JSON (`[{ name, args, id }]`). */
function arthurOutput(text: string | undefined): FieldCell | undefined {
  if (text?.startsWith("[{")) {
    const calls = parseJson(text);
    if (Array.isArray(calls) && calls.every((call) => typeof asRecord(call)?.name === "string")) {
      // Shown as sent, compared as the tool calls it holds.
      return cell(text, outputCell("", toShownToolCalls(calls))?.canonical);
    }
  }
  return outputCell(text);
}

// ---- PromptLayer /track-request ---------------------------------------------------------------

/** PromptLayer metadata keys the package adds (linkage, or shown in other rows). */
const PROMPTLAYER_NOT_METADATA = (key: string) =>
  key.startsWith("_langchain") ||
  [
    "model",
    "provider",
    "input_tokens",
    "output_tokens",
    "total_tokens",
    "finish_reason",
    "user_id",
    "session_id",
    "response_model",
    "stream",
  ].includes(key);

export function extractPromptLayerTrackRequest(body: unknown, exchangeId: number): ExtractedItems {
  const request = asRecord(body);
  const metadata = asRecord(request?.metadata);
  const runId = metadata?._langchain_run_id;
  if (!request || !metadata || typeof runId !== "string") return { modelCalls: [], spans: [] };
  const args = Array.isArray(request.args) ? request.args : [];
  const isChat = args.some((arg) => asRecord(arg)?.role !== undefined);
  const prompt = !isChat && typeof args[0] === "string" ? args[0] : undefined;
  const response = readPromptLayerResponse(request.request_response);
  const start = Number(request.request_start_time);
  const end = Number(request.request_end_time);
  const kwargs = asRecord(request.kwargs);
  return {
    modelCalls: [
      {
        runId,
        ...(prompt === undefined ? {} : { prompt }),
        wireType: "request",
        fields: prune({
          model: textCell(kwargs?.model ?? metadata.model),
          messages: isChat ? messagesCell(args.map(toShownMessage)) : promptCell(prompt),
          output: response,
          tokens: tokensCell(metadata.input_tokens, metadata.output_tokens, metadata.total_tokens),
          latency: Number.isFinite(end - start) ? latencyCell((end - start) * 1000) : undefined,
          tags: tagsCell(request.tags),
          metadata: metadataCell(metadata, PROMPTLAYER_NOT_METADATA),
          user: textCell(metadata.user_id),
          session: textCell(metadata.session_id),
          error: request.status === "ERROR" ? errorCell(stringOrUndefined(request.error_message)) : undefined,
        }),
        raw: request,
        exchangeId,
      },
    ],
    spans: [],
  };
}

function readPromptLayerResponse(response: unknown): FieldCell | undefined {
  if (Array.isArray(response)) {
    if (response.length === 0) return undefined;
    const messages = response.map(toShownMessage);
    return outputCell(
      messages.map((message) => message.content).join("\n"),
      messages.flatMap((message) => message.toolCalls ?? []),
    );
  }
  const record = asRecord(response);
  if (typeof record?.text === "string") return outputCell(record.text);
  const choices = Array.isArray(record?.choices) ? record.choices : undefined;
  if (choices) {
    return outputCell(choices.map((choice) => stringOrUndefined(asRecord(choice)?.text) ?? "").join("\n"));
  }
  return typeof response === "string" ? outputCell(response) : undefined;
}

// ---- PromptLayer /spans-bulk ------------------------------------------------------------------

export function extractPromptLayerSpans(
  body: unknown,
  exchangeId: number,
  context: ExtractContext,
): ExtractedItems {
  const spansIn = asRecord(body)?.spans;
  const modelCalls: VendorModelCall[] = [];
  const spans: VendorSpan[] = [];
  if (!Array.isArray(spansIn)) return { modelCalls, spans };
  for (const item of spansIn) {
    const span = asRecord(item);
    const spanContext = asRecord(span?.context);
    const spanId = stringOrUndefined(spanContext?.span_id);
    if (!span || !spanId) continue;
    const attributes = asRecord(span.attributes) ?? {};
    const recordId = stringOrUndefined(attributes["langchain.record_id"]);
    const runId =
      stringOrUndefined(attributes["langchain.run_id"]) ??
      (recordId ? runIdOfRecordId(recordId) : undefined) ??
      context.runIdOfSpanId(spanId);
    const log = asRecord(span.log_request);
    spans.push({
      spanId,
      ...(typeof span.parent_id === "string" ? { parentSpanId: span.parent_id } : {}),
      ...(runId ? { runId } : {}),
      name: String(span.name ?? ""),
      kind: stringOrUndefined(span.kind)?.replace(/^SpanKind\./, ""),
      status: stringOrUndefined(asRecord(span.status)?.status_code)?.replace(/^StatusCode\./, ""),
      requestLog: log !== undefined,
      exchangeId,
    });
    if (!log || !runId) continue;
    const input = asRecord(log.input);
    const output = asRecord(log.output);
    const metadata = asRecord(log.metadata);
    const start = Date.parse(String(log.request_start_time));
    const end = Date.parse(String(log.request_end_time));
    const prompt = input?.type === "completion" ? blocksText(input.content) : undefined;
    const outputMessages =
      output?.type === "chat" && Array.isArray(output.messages) ? output.messages.map(toShownMessage) : [];
    modelCalls.push({
      runId,
      ...(recordId ? { recordId } : {}),
      ...(prompt === undefined ? {} : { prompt }),
      wireType: "span + log_request",
      fields: prune({
        model: textCell(log.model),
        messages:
          input?.type === "chat" && Array.isArray(input.messages)
            ? messagesCell(input.messages.map(toShownMessage))
            : promptCell(prompt),
        output:
          output?.type === "completion"
            ? outputCell(blocksText(output.content))
            : outputMessages.length > 0
              ? outputCell(
                  outputMessages.map((message) => message.content).join("\n"),
                  outputMessages.flatMap((message) => message.toolCalls ?? []),
                )
              : undefined,
        tokens: tokensCell(log.input_tokens, log.output_tokens),
        latency: Number.isFinite(end - start) ? latencyCell(end - start) : undefined,
        tags: tagsCell(log.tags),
        metadata: metadataCell(metadata, PROMPTLAYER_NOT_METADATA),
        user: textCell(metadata?.user_id ?? attributes["user.id"]),
        session: textCell(metadata?.session_id ?? attributes["session.id"]),
        error: log.status === "ERROR" ? errorCell(stringOrUndefined(log.error_message)) : undefined,
      }),
      raw: span,
      exchangeId,
    });
  }
  return { modelCalls, spans };
}

function blocksText(content: unknown): string | undefined {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return undefined;
  return content.map((block) => stringOrUndefined(asRecord(block)?.text) ?? "").join("");
}

// ---- OTLP (Arthur engine, any OTLP backend) -----------------------------------------------------

interface OtlpKeyValueShape {
  key: string;
  value: Record<string, unknown>;
}

function otlpValue(value: Record<string, unknown> | undefined): unknown {
  if (!value) return undefined;
  if ("stringValue" in value) return value.stringValue;
  if ("intValue" in value) return Number(value.intValue);
  if ("doubleValue" in value) return value.doubleValue;
  if ("boolValue" in value) return value.boolValue;
  const array = asRecord(value.arrayValue);
  if (array) {
    return (Array.isArray(array.values) ? array.values : []).map((item) =>
      otlpValue(item as Record<string, unknown>),
    );
  }
  const kvlist = asRecord(value.kvlistValue);
  if (kvlist) return otlpAttributes(kvlist.values);
  return undefined;
}

/** OTLP `[{ key, value }]` attributes as a plain object. */
export function otlpAttributes(list: unknown): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  if (!Array.isArray(list)) return result;
  for (const item of list as OtlpKeyValueShape[]) result[item.key] = otlpValue(item.value);
  return result;
}

/** OpenInference's flattened `llm.input_messages.{i}.message.*` attributes, read back. */
function openInferenceMessages(attributes: Record<string, unknown>, prefix: string): ShownMessage[] {
  const messages: ShownMessage[] = [];
  for (let index = 0; `${prefix}.${index}.message.role` in attributes; index++) {
    const base = `${prefix}.${index}.message`;
    const toolCalls: NonNullable<ShownMessage["toolCalls"]> = [];
    for (let call = 0; `${base}.tool_calls.${call}.tool_call.function.name` in attributes; call++) {
      const callBase = `${base}.tool_calls.${call}.tool_call.function`;
      toolCalls.push({
        name: String(attributes[`${callBase}.name`]),
        args: parseJson(attributes[`${callBase}.arguments`]),
      });
    }
    messages.push({
      role: String(attributes[`${base}.role`]),
      content: stringOrUndefined(attributes[`${base}.content`]) ?? "",
      ...(toolCalls.length > 0 ? { toolCalls } : {}),
    });
  }
  return messages;
}

/** GenAI `gen_ai.input.messages` / `gen_ai.output.messages` (`{ role, parts }`), read back. */
function genAiMessages(value: unknown): ShownMessage[] {
  const list = parseJson(value);
  if (!Array.isArray(list)) return [];
  return list.map((item) => {
    const message = asRecord(item) ?? {};
    const parts = Array.isArray(message.parts) ? message.parts.map((part) => asRecord(part) ?? {}) : [];
    const text = parts
      .map((part) =>
        part.type === "text"
          ? String(part.content ?? "")
          : part.type === "tool_call_response"
            ? String(part.response ?? part.result ?? "")
            : "",
      )
      .join("");
    const toolCalls = parts
      .filter((part) => part.type === "tool_call")
      .map((part) => ({ name: String(part.name), args: parseJson(part.arguments) }));
    return {
      role: String(message.role ?? ""),
      content: text,
      ...(toolCalls.length > 0 ? { toolCalls } : {}),
    };
  });
}

const OTLP_STATUS = ["UNSET", "OK", "ERROR"];

/** The spans of a decoded OTLP request, and the model-call spans as model calls. */
export function extractOtlp(body: unknown, exchangeId: number, context: ExtractContext): ExtractedItems {
  const modelCalls: VendorModelCall[] = [];
  const spans: VendorSpan[] = [];
  const resourceSpans = asRecord(body)?.resourceSpans;
  if (!Array.isArray(resourceSpans)) return { modelCalls, spans };
  for (const resource of resourceSpans) {
    for (const scope of (asRecord(resource)?.scopeSpans as unknown[]) ?? []) {
      for (const item of (asRecord(scope)?.spans as unknown[]) ?? []) {
        const span = asRecord(item);
        if (!span || typeof span.spanId !== "string") continue;
        const attributes = otlpAttributes(span.attributes);
        const runId = context.runIdOfSpanId(span.spanId);
        const status = asRecord(span.status);
        const statusCode = OTLP_STATUS[Number(status?.code ?? 0)] ?? String(status?.code);
        const kind =
          stringOrUndefined(attributes["openinference.span.kind"]) ??
          stringOrUndefined(attributes["gen_ai.operation.name"]);
        spans.push({
          spanId: span.spanId,
          ...(typeof span.parentSpanId === "string" && span.parentSpanId !== ""
            ? { parentSpanId: span.parentSpanId }
            : {}),
          ...(runId ? { runId } : {}),
          name: String(span.name ?? ""),
          ...(kind ? { kind } : {}),
          status: statusCode,
          exchangeId,
        });
        const isModelCall =
          attributes["openinference.span.kind"] === "LLM" ||
          attributes["gen_ai.operation.name"] === "chat" ||
          attributes["gen_ai.operation.name"] === "text_completion";
        if (!isModelCall || !runId) continue;
        const inputMessages =
          "llm.input_messages.0.message.role" in attributes
            ? openInferenceMessages(attributes, "llm.input_messages")
            : genAiMessages(attributes["gen_ai.input.messages"]);
        const prompts = attributes["llm.prompts"];
        const outputMessages =
          "llm.output_messages.0.message.role" in attributes
            ? openInferenceMessages(attributes, "llm.output_messages")
            : genAiMessages(attributes["gen_ai.output.messages"]);
        const startNanos = Number(span.startTimeUnixNano);
        const endNanos = Number(span.endTimeUnixNano);
        const metadata = asRecord(parseJson(attributes.metadata ?? attributes["langchain.metadata"]));
        const exception = (Array.isArray(span.events) ? span.events : [])
          .map((event) => asRecord(event))
          .find((event) => event?.name === "exception");
        const exceptionMessage = stringOrUndefined(
          otlpAttributes(exception?.attributes)["exception.message"],
        );
        modelCalls.push({
          runId,
          ...(Array.isArray(prompts) && typeof prompts[0] === "string" ? { prompt: prompts[0] } : {}),
          wireType: "OTLP span",
          fields: prune({
            model: textCell(attributes["llm.model_name"] ?? attributes["gen_ai.request.model"]),
            messages:
              inputMessages.length > 0
                ? messagesCell(inputMessages)
                : Array.isArray(prompts)
                  ? promptCell(String(prompts[0]))
                  : undefined,
            output:
              outputMessages.length > 0
                ? outputCell(
                    outputMessages.map((message) => message.content).join("\n"),
                    outputMessages.flatMap((message) => message.toolCalls ?? []),
                  )
                : undefined,
            tokens: tokensCell(
              attributes["llm.token_count.prompt"] ?? attributes["gen_ai.usage.input_tokens"],
              attributes["llm.token_count.completion"] ?? attributes["gen_ai.usage.output_tokens"],
              attributes["llm.token_count.total"],
            ),
            latency:
              Number.isFinite(startNanos) && Number.isFinite(endNanos)
                ? latencyCell((endNanos - startNanos) / 1e6)
                : undefined,
            tags: tagsCell(attributes["tag.tags"] ?? attributes["langchain.tags"]),
            metadata: metadata ? metadataCell(metadata, () => false) : undefined,
            user: textCell(attributes["user.id"]),
            session: textCell(attributes["session.id"] ?? attributes["gen_ai.conversation.id"]),
            error:
              statusCode === "ERROR"
                ? errorCell(exceptionMessage ?? stringOrUndefined(status?.message) ?? "(no message)")
                : undefined,
          }),
          raw: { ...span, attributes },
          exchangeId,
        });
      }
    }
  }
  return { modelCalls, spans };
}

// ---- helpers ------------------------------------------------------------------------------------

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function toShownToolCalls(value: unknown): ShownMessage["toolCalls"] {
  if (!Array.isArray(value)) return undefined;
  return value.map((item) => {
    const call = asRecord(item) ?? {};
    const fn = asRecord(call.function);
    return fn
      ? { name: String(fn.name), args: parseJson(fn.arguments) }
      : { name: String(call.name), args: parseJson(call.args) };
  });
}

/** An OpenAI-style message (Trubrics, PromptLayer) or a PromptLayer template message. */
function toShownMessage(item: unknown): ShownMessage {
  const message = asRecord(item) ?? {};
  const content = typeof message.content === "string" ? message.content : (blocksText(message.content) ?? "");
  const toolCalls = toShownToolCalls(message.tool_calls);
  return {
    role: String(message.role ?? ""),
    content,
    ...(toolCalls && toolCalls.length > 0 ? { toolCalls } : {}),
  };
}
