import type { RecordDefaults } from "./build-record";
import { coerceToObject, convertDocuments, convertRunValue, parseToolInput } from "./convert-run-value";
import type { LLMRunRecord } from "./llm-run-record";
import { isLangGraphMetadataKey, readLangGraphMetadata } from "./read-langgraph-metadata";
import {
  copyRunMetadata,
  isLangChainInternalKey,
  isLangChainInternalTag,
  takeUserAndSession,
} from "./record-rules";
import type {
  RunSpanDocument,
  RunSpanEvent,
  RunSpanGraphPosition,
  RunSpanKind,
  RunSpanRecord,
} from "./run-span-record";
import { type SizeCounter, toJsonSafe, truncateText } from "./to-json-safe";

/** The most events kept on one span (custom events can be many); later ones are left out. */
export const MAX_SPAN_EVENTS = 100;

/** What the span store remembers of a run between its start and its end. */
export interface SpanState {
  runId: string;
  parentRunId: string | undefined;
  traceId: string;
  kind: RunSpanKind;
  name: string;
  serializedId: string[] | undefined;
  /** False when the trace was sampled out: nothing but the tree position is kept. */
  sampled: boolean;
  startTime: number;
  /** JSON-safe input, captured at the start (absent with `captureContent: false`). */
  input?: unknown;
  /** `.stream()` defers a chain's input: it arrives with the end callback instead. */
  inputDeferred?: boolean;
  toolName?: string;
  toolCallId?: string;
  graph?: RunSpanGraphPosition;
  events?: RunSpanEvent[];
  tags?: string[];
  metadata?: Record<string, unknown>;
  userId?: string;
  sessionId?: string;
  /** Estimated serialized size of what is kept so far (so the queue never serializes to weigh). */
  chars: number;
}

/** How a run ended. */
export interface SpanEnding {
  endTime: number;
  status: RunSpanRecord["status"];
  /** Chain and tool outputs (raw, as LangChain gave them). */
  output?: unknown;
  /** Retriever results (raw documents). */
  documents?: unknown;
  /** A chain's input, when `.stream()` deferred it to the end. */
  deferredInput?: unknown;
  error?: { name: string; message: string };
  /** Model-call spans: their (masked) records. */
  llmRecords?: LLMRunRecord[];
  /** Their total size estimate; -1 when unknown (a mask rewrote one: the queue then measures the span). */
  llmRecordBytes?: number;
}

/** A built span and its estimated serialized size. */
export interface BuiltSpan {
  span: RunSpanRecord;
  bytes: number;
}

/** The callback arguments a span starts from (positional LangChain arguments, normalized once). */
export interface SpanStart {
  runId: string;
  parentRunId: string | undefined;
  traceId: string;
  kind: RunSpanKind;
  serialized: unknown;
  runName: string | undefined;
  tags: string[] | undefined;
  metadata: Record<string, unknown> | undefined;
  /** Chain inputs, tool input (string), retriever query. */
  input?: unknown;
  inputDeferred?: boolean;
  toolCallId?: string;
  startTime: number;
  sampled: boolean;
}

/**
 * The state of a run that just started. Content is copied now (a run's input may be mutated while
 * it runs); a sampled-out run keeps only its place in the tree.
 */
export function startSpanState(start: SpanStart, defaults: RecordDefaults): SpanState {
  const serializedId = readSerializedId(start.serialized);
  const name =
    nonEmpty(start.runName) ??
    nonEmpty((start.serialized as { name?: unknown } | undefined)?.name) ??
    serializedId?.[serializedId.length - 1] ??
    start.kind;
  const state: SpanState = {
    runId: start.runId,
    parentRunId: start.parentRunId,
    traceId: start.traceId,
    kind: start.kind,
    name,
    serializedId,
    sampled: start.sampled,
    startTime: start.startTime,
    chars: 0,
  };
  const graph = readLangGraphMetadata(start.metadata);
  if (graph) state.graph = graph;
  if (!start.sampled) return state;

  const size: SizeCounter = { chars: 400 + name.length };
  const maxChars = defaults.maxFieldChars;
  if (start.kind === "tool") {
    state.toolName = name;
    if (start.toolCallId) state.toolCallId = start.toolCallId;
  }
  if (defaults.captureContent && start.kind !== "llm" && start.kind !== "chat") {
    if (start.inputDeferred) state.inputDeferred = true;
    else if (start.kind === "tool")
      state.input = convertRunValue(parseToolInput(start.input), maxChars, size);
    else if (start.kind === "retriever")
      state.input = { query: truncateText(typeof start.input === "string" ? start.input : "", maxChars) };
    else state.input = convertRunValue(coerceToObject(start.input, "input"), maxChars, size);
  }
  state.tags = mergeTags(defaults.tags, start.tags);
  for (const tag of state.tags) size.chars += tag.length + 3;
  const metadata: Record<string, unknown> = {};
  const facts = copyRunMetadata(metadata, defaults.metadata, start.metadata ?? {}, isInternalMetadataKey);
  const { userId, sessionId } = takeUserAndSession(metadata, facts, defaults.metadata, defaults);
  state.metadata = (toJsonSafe(metadata, maxChars, size) ?? {}) as Record<string, unknown>;
  if (userId) state.userId = userId;
  if (sessionId) state.sessionId = sessionId;
  if (serializedId) size.chars += serializedId.length * 16;
  state.chars = size.chars;
  return state;
}

/** Adds an event to a span (at most `MAX_SPAN_EVENTS`); its details are made JSON-safe now. */
export function addSpanEvent(
  state: SpanState,
  name: string,
  time: number,
  attributes: Record<string, unknown> | undefined,
  maxChars: number,
): void {
  if (!state.sampled) return;
  state.events ??= [];
  if (state.events.length >= MAX_SPAN_EVENTS) return;
  const event: RunSpanEvent = { name, time };
  const size: SizeCounter = { chars: 40 + name.length };
  if (attributes)
    event.attributes = (toJsonSafe(attributes, maxChars, size) ?? {}) as Record<string, unknown>;
  state.chars += size.chars;
  state.events.push(event);
}

/** The finished span of a run that ended, failed or was evicted. */
export function buildSpan(state: SpanState, ending: SpanEnding, defaults: RecordDefaults): BuiltSpan {
  const maxChars = defaults.maxFieldChars;
  const size: SizeCounter = { chars: state.chars };
  const span: RunSpanRecord = {
    schemaVersion: 1,
    recordType: "span",
    recordId: state.runId,
    runId: state.runId,
    traceId: state.traceId,
    kind: state.kind,
    name: state.name,
    events: state.events ?? [],
    timing: {
      startTime: state.startTime,
      endTime: ending.endTime,
      latencyMs: roundMicros(Math.max(0, ending.endTime - state.startTime)),
    },
    status: ending.status,
    tags: state.tags ?? [],
    metadata: state.metadata ?? {},
  };
  if (state.parentRunId) span.parentRunId = state.parentRunId;
  if (state.serializedId) span.serializedId = state.serializedId;
  if (defaults.captureContent) {
    if (state.inputDeferred && ending.deferredInput !== undefined) {
      span.input = convertRunValue(coerceToObject(ending.deferredInput, "input"), maxChars, size);
    } else if (state.input !== undefined) {
      span.input = state.input;
    }
    if (ending.output !== undefined && state.kind !== "llm" && state.kind !== "chat") {
      span.output =
        state.kind === "tool"
          ? convertRunValue(ending.output, maxChars, size)
          : convertRunValue(coerceToObject(ending.output, "output"), maxChars, size);
    }
    if (ending.documents !== undefined) {
      span.documents = convertDocuments(ending.documents, maxChars, size) as RunSpanDocument[];
    }
  }
  if (state.toolName !== undefined) span.toolName = state.toolName;
  if (state.toolCallId !== undefined) span.toolCallId = state.toolCallId;
  if (state.graph) span.graph = state.graph;
  if (ending.error) {
    span.error = { name: ending.error.name, message: truncateText(ending.error.message, maxChars) };
    size.chars += span.error.name.length + span.error.message.length + 30;
  }
  if (state.userId) span.userId = state.userId;
  if (state.sessionId) span.sessionId = state.sessionId;
  let unknownSize = false;
  if (ending.llmRecords) {
    span.llmRecordIds = ending.llmRecords.map((record) => record.recordId);
    span.llmRecords = ending.llmRecords;
    // The record builder weighed the records already.
    const recordBytes = ending.llmRecordBytes ?? -1;
    if (recordBytes < 0) unknownSize = true;
    else size.chars += recordBytes + span.llmRecordIds.length * 40;
  }
  return { span, bytes: unknownSize ? -1 : size.chars };
}

/** LangChain's `ls_*` keys and `versions` map (as in `LLMRunRecord`), and LangGraph's position keys (read into `graph`). */
function isInternalMetadataKey(key: string, value: unknown): boolean {
  return isLangChainInternalKey(key, value) || isLangGraphMetadataKey(key);
}

function mergeTags(handlerTags: string[], runTags: string[] | undefined): string[] {
  const tags = [...handlerTags];
  if (!Array.isArray(runTags)) return tags;
  for (const tag of runTags) {
    if (typeof tag === "string" && !isLangChainInternalTag(tag) && !tags.includes(tag)) tags.push(tag);
  }
  return tags;
}

function readSerializedId(serialized: unknown): string[] | undefined {
  const id = (serialized as { id?: unknown } | undefined)?.id;
  if (!Array.isArray(id)) return undefined;
  return id.filter((part): part is string => typeof part === "string");
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function roundMicros(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
