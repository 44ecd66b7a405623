import type { LLMRunRecord } from "./llm-run-record";

/**
 * What a LangChain run was: `chain` (runnables, prompts, parsers), `tool`, `retriever`, `llm` /
 * `chat` (model calls), `agent` (a chain that LangChain reported an agent action or finish for),
 * `graph` (a LangGraph graph run) and `node` (one LangGraph node run, from `langgraph_node` metadata).
 */
export type RunSpanKind = "chain" | "tool" | "retriever" | "llm" | "chat" | "agent" | "graph" | "node";

/** Something that happened during a run, at a point in time (agent action, agent finish, first token). */
export interface RunSpanEvent {
  /** `agent-action`, `agent-finish`, `first-token`, or a custom event's name. */
  name: string;
  /** Epoch milliseconds. */
  time: number;
  /** JSON-safe details (tool and tool input of an agent action, return values of a finish …). */
  attributes?: Record<string, unknown>;
}

/** One document a retriever returned: page content truncated by `maxFieldChars`, metadata kept. */
export interface RunSpanDocument {
  pageContent: string;
  metadata: Record<string, unknown>;
  id?: string;
}

/**
 * The normalized record of one LangChain run of any kind: one span of the run tree. Built only when
 * an exporter consumes spans (`consumes: "spans"`).
 */
export interface RunSpanRecord {
  schemaVersion: 1;
  /** Tells span records from `LLMRunRecord`s (which have no `recordType`). */
  recordType: "span";
  /** The span's stable id: its LangChain run id (the idempotency key on retries). */
  recordId: string;
  runId: string;
  parentRunId?: string;
  /** The root run id of the tree this run belongs to. */
  traceId: string;
  kind: RunSpanKind;
  name: string;
  /** The LangChain class path, when LangChain gave one. */
  serializedId?: string[];
  /** JSON-safe inputs, truncated by `maxFieldChars`; absent with `captureContent: false`. */
  input?: unknown;
  /** JSON-safe outputs, truncated by `maxFieldChars`; absent with `captureContent: false`. */
  output?: unknown;
  /** Retriever spans: the documents returned (absent with `captureContent: false`). */
  documents?: RunSpanDocument[];
  /** Tool spans: the tool's name. */
  toolName?: string;
  /** LangGraph runs: the node, step and other `langgraph_*` metadata keys, without the prefix. */
  graph?: {
    node?: string;
    step?: number;
    triggers?: string[];
    path?: string[];
    checkpointNamespace?: string;
  };
  events: RunSpanEvent[];
  timing: { startTime: number; endTime: number; latencyMs: number };
  status: "success" | "error" | "cancelled";
  error?: { name: string; message: string };
  tags: string[];
  metadata: Record<string, unknown>;
  userId?: string;
  sessionId?: string;
  /** Model-call spans (`llm` / `chat`): the record ids of their `LLMRunRecord`s (one per prompt). */
  llmRecordIds?: string[];
  /** Model-call spans: their `LLMRunRecord`s themselves (masked like every record), for span exporters. */
  llmRecords?: LLMRunRecord[];
}

/** Whether a record is a span record (rather than an `LLMRunRecord`). */
export function isRunSpanRecord(record: LLMRunRecord | RunSpanRecord): record is RunSpanRecord {
  return (record as RunSpanRecord).recordType === "span";
}
