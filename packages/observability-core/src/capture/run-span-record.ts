import type { LLMRunRecord } from "./llm-run-record";

/**
 * What a LangChain run was: `chain` (runnables, prompts, parsers), `tool`, `retriever`, `llm` /
 * `chat` (model calls), `agent` (a chain that LangChain reported an agent action or finish for),
 * `graph` (a LangGraph graph run) and `node` (one LangGraph node run, from `langgraph_node` metadata).
 */
export type RunSpanKind = "chain" | "tool" | "retriever" | "llm" | "chat" | "agent" | "graph" | "node";

/** Something that happened during a run, at a point in time (agent action, agent finish, first token). */
export interface RunSpanEvent {
  /**
   * `agent-action` (attributes `tool`, `toolInput`, `log`), `agent-finish` (`returnValues`, `log`),
   * `first-token` (a streamed model call's first token), or a custom event's name (`data`, from
   * LangChain's `dispatchCustomEvent`).
   */
  name: string;
  /** Epoch milliseconds. */
  time: number;
  /** JSON-safe details; content (tool input, log, return values, data) is absent with `captureContent: false`. */
  attributes?: Record<string, unknown>;
}

/** One document a retriever returned: page content truncated by `maxFieldChars`, metadata kept. */
export interface RunSpanDocument {
  pageContent: string;
  metadata: Record<string, unknown>;
  id?: string;
}

/** Where a run sits in a LangGraph graph, read from LangGraph's `langgraph_*` run metadata. */
export interface RunSpanGraphPosition {
  /** `langgraph_node`: the node this run is (kind `node`) or runs inside. */
  node?: string;
  /** `langgraph_step`: the superstep of the graph run. */
  step?: number;
  /** `langgraph_triggers`: the channels that triggered the node. */
  triggers?: string[];
  /** `langgraph_path`: the task path (`["__pregel_pull", "node"]`). */
  path?: string[];
  /** `langgraph_checkpoint_ns`: the checkpoint namespace (`node:task-id`, joined by `|` in subgraphs). */
  checkpointNamespace?: string;
}

/**
 * The normalized record of one LangChain run of any kind: one span of the run tree. Built only when
 * an exporter consumes spans (`consumes: "spans"`); an exporter receives a span when its run ends, so
 * children usually arrive before their parents. Every field is JSON-safe.
 *
 * Content fields (`input`, `output`, `documents`, event details) are copied at the run's start and
 * end, strings cut at `maxFieldChars`, LangChain messages role-mapped like `LLMRunRecord` messages;
 * they are absent with `captureContent: false`. Model-call spans (`llm` / `chat`) carry no
 * `input` / `output` of their own: their content is in `llmRecords`.
 */
export interface RunSpanRecord {
  schemaVersion: 1;
  /** Tells span records from `LLMRunRecord`s (which have no `recordType`). */
  recordType: "span";
  /** The span's stable id: its LangChain run id (the idempotency key on retries). */
  recordId: string;
  runId: string;
  /** The parent run; absent on the root span of a trace. */
  parentRunId?: string;
  /** The root run id of the tree this run belongs to. */
  traceId: string;
  kind: RunSpanKind;
  /** The run name (`runName`, else the runnable's name, else the last part of `serializedId`). */
  name: string;
  /** The LangChain class path, when LangChain gave one. */
  serializedId?: string[];
  /**
   * JSON-safe inputs, truncated by `maxFieldChars`; absent with `captureContent: false`. Chains: the
   * input object (a lone value as `{ input }`, as LangChain reports it); tools: the tool input (parsed
   * when it is JSON); retrievers: `{ query }`.
   */
  input?: unknown;
  /**
   * JSON-safe outputs, truncated by `maxFieldChars`; absent with `captureContent: false`. Chains: the
   * output object (a lone value as `{ output }`); tools: the tool's result (a tool message is
   * role-mapped).
   */
  output?: unknown;
  /** Retriever spans: the documents returned (absent with `captureContent: false`). */
  documents?: RunSpanDocument[];
  /** Tool spans: the tool's name. */
  toolName?: string;
  /** Tool spans: the id of the model's tool call this run answers, when LangChain gave one. */
  toolCallId?: string;
  /** LangGraph runs (nodes and what runs inside them): the `langgraph_*` metadata keys, without the prefix. */
  graph?: RunSpanGraphPosition;
  /** In time order; at most 100 per span. */
  events: RunSpanEvent[];
  /** Epoch milliseconds with sub-millisecond precision (a monotonic clock), so siblings keep their order. */
  timing: { startTime: number; endTime: number; latencyMs: number };
  /** `cancelled`: the run never ended and was evicted from the span store (`maxInFlightRuns`, `runTtlMs`). */
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
