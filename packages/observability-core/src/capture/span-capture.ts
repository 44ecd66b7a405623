import { describeError } from "../pipeline/error-reporter";
import type { BuiltRecord, RecordDefaults } from "./build-record";
import {
  addSpanEvent,
  type BuiltSpan,
  buildSpan,
  type SpanEnding,
  type SpanState,
  startSpanState,
} from "./build-span";
import type { LLMRunRecord } from "./llm-run-record";
import { isLangGraphGraph, readLangGraphMetadata } from "./read-langgraph-metadata";
import type { RunSpanGraphPosition, RunSpanKind } from "./run-span-record";
import { isSampled } from "./sample-by-trace";
import { SpanStore } from "./span-store";

export interface SpanCaptureOptions {
  defaults: RecordDefaults;
  /** Fraction of traces kept (the same decision as for `LLMRunRecord`s: by trace id). */
  sampleRate: number;
  /** Most open spans at once (`maxInFlightRuns`). */
  maxOpenSpans: number;
  /** A trace idle for this long is evicted (`runTtlMs`). */
  traceTtlMs: number;
  /** Receives every finished span of a kept trace (mask and queues are the caller's). */
  emit(built: BuiltSpan): void;
  /** Called for each span left out because its trace is sampled out (for the counters). */
  onSampled?(): void;
  /**
   * A model-call span was evicted: end that run in the model-run store too (as a `cancelled`
   * record for the model-call exporters) and return its records, masked, for the span.
   */
  cancelModelRun?(runId: string, reason: string): BuiltRecord[] | undefined;
  /** Receives a failure while ending evicted spans (the others are still ended). */
  onError?(error: unknown): void;
}

/** How a model call ended, from the model-run store's point of view. */
export interface ModelSpanEnding {
  status: "success" | "error" | "cancelled";
  error?: { name: string; message: string };
  /** The run's records after masking (those a mask dropped are left out), with their size estimates. */
  llmRecords: BuiltRecord[];
  /** Milliseconds from the run's start to its first streamed token, when it streamed. */
  timeToFirstTokenMs?: number;
}

/** Epoch milliseconds from a monotonic clock, to the microsecond: siblings started in one ms keep their order. */
export function spanClock(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000) / 1000;
}

/**
 * Turns LangChain's callbacks for every kind of run into `RunSpanRecord`s: one per run, emitted when
 * the run ends (children before parents). Only capture happens here: no I/O, and nothing throws
 * for odd arguments (the handler guards each call anyway). Method arguments follow LangChain's
 * callback order, so the handler passes them through unchanged.
 */
export class SpanCapture {
  /** Spans dropped by sampling, and spans ended by eviction. */
  readonly counters = { sampled: 0, evicted: 0 };
  private readonly options: SpanCaptureOptions;
  private readonly store: SpanStore;

  constructor(options: SpanCaptureOptions) {
    this.options = options;
    this.store = new SpanStore(
      { maxOpenSpans: options.maxOpenSpans, traceTtlMs: options.traceTtlMs },
      (spans, reason) => this.evicted(spans, reason),
    );
  }

  /** Open spans (runs started and not ended). */
  get openSpans(): number {
    return this.store.size;
  }

  /** The trace of a run that starts now under `parentRunId`. */
  traceOf(runId: string, parentRunId: string | undefined): string {
    return this.store.traceOf(runId, parentRunId);
  }

  /** Evicts traces idle past the time-to-live. */
  sweep(now: number): void {
    this.store.sweep(now);
  }

  startChain(
    chain: unknown,
    inputs: unknown,
    runId: string,
    parentRunId?: string,
    tags?: string[],
    metadata?: Record<string, unknown>,
    _runType?: string,
    runName?: string,
    extra?: Record<string, unknown>,
  ): void {
    const serializedId = (chain as { id?: unknown } | undefined)?.id;
    const graph = readLangGraphMetadata(metadata);
    let kind: RunSpanKind = "chain";
    if (Array.isArray(serializedId) && isLangGraphGraph(serializedId)) kind = "graph";
    else if (graph && this.startsGraphTask(parentRunId, graph)) kind = "node";
    this.start(kind, chain, runId, parentRunId, tags, metadata, runName, inputs, {
      inputDeferred: extra?.lc_defers_inputs === true,
    });
  }

  endChain(outputs: unknown, runId: string, _parentRunId?: string, _tags?: string[], kwargs?: unknown): void {
    const deferredInput = (kwargs as { inputs?: unknown } | undefined)?.inputs;
    this.end(runId, { endTime: spanClock(), status: "success", output: outputs, deferredInput });
  }

  errorChain(error: unknown, runId: string, _parentRunId?: string, _tags?: string[], kwargs?: unknown): void {
    const deferredInput = (kwargs as { inputs?: unknown } | undefined)?.inputs;
    this.end(runId, { endTime: spanClock(), status: "error", error: describeError(error), deferredInput });
  }

  startTool(
    tool: unknown,
    input: unknown,
    runId: string,
    parentRunId?: string,
    tags?: string[],
    metadata?: Record<string, unknown>,
    runName?: string,
    toolCallId?: string,
  ): void {
    this.start("tool", tool, runId, parentRunId, tags, metadata, runName, input, {
      ...(typeof toolCallId === "string" && toolCallId !== "" ? { toolCallId } : {}),
    });
  }

  endTool(output: unknown, runId: string): void {
    this.end(runId, { endTime: spanClock(), status: "success", output });
  }

  errorTool(error: unknown, runId: string): void {
    this.end(runId, { endTime: spanClock(), status: "error", error: describeError(error) });
  }

  startRetriever(
    retriever: unknown,
    query: string,
    runId: string,
    parentRunId?: string,
    tags?: string[],
    metadata?: Record<string, unknown>,
    name?: string,
  ): void {
    this.start("retriever", retriever, runId, parentRunId, tags, metadata, name, query, {});
  }

  endRetriever(documents: unknown, runId: string): void {
    this.end(runId, {
      endTime: spanClock(),
      status: "success",
      documents: Array.isArray(documents) ? documents : [],
    });
  }

  errorRetriever(error: unknown, runId: string): void {
    this.end(runId, { endTime: spanClock(), status: "error", error: describeError(error) });
  }

  startModel(
    kind: "llm" | "chat",
    llm: unknown,
    runId: string,
    parentRunId?: string,
    tags?: string[],
    metadata?: Record<string, unknown>,
    runName?: string,
  ): void {
    this.start(kind, llm, runId, parentRunId, tags, metadata, runName, undefined, {});
  }

  /** A model call ended (or failed, or was evicted from the model-run store). */
  endModel(runId: string, ending: ModelSpanEnding): void {
    const state = this.store.take(runId, Date.now(), ending.status !== "cancelled");
    if (!state) return;
    if (ending.timeToFirstTokenMs !== undefined && ending.status !== "cancelled") {
      addSpanEvent(
        state,
        "first-token",
        state.startTime + ending.timeToFirstTokenMs,
        undefined,
        this.options.defaults.maxFieldChars,
      );
    }
    const spanEnding: SpanEnding = {
      endTime: spanClock(),
      status: ending.status,
      ...withRecords(ending.llmRecords),
    };
    if (ending.error) spanEnding.error = ending.error;
    this.finish(state, spanEnding);
  }

  /** LangChain reported an agent action for this run: it is an agent, and the action an event. */
  agentAction(action: unknown, runId: string): void {
    const state = this.store.get(runId);
    if (!state) return;
    if (state.kind === "chain") state.kind = "agent";
    const { tool, toolInput, log } = (action ?? {}) as { tool?: unknown; toolInput?: unknown; log?: unknown };
    const attributes: Record<string, unknown> = { tool: typeof tool === "string" ? tool : String(tool) };
    if (this.options.defaults.captureContent) {
      attributes.toolInput = toolInput;
      if (typeof log === "string" && log !== "") attributes.log = log;
    }
    addSpanEvent(state, "agent-action", spanClock(), attributes, this.options.defaults.maxFieldChars);
  }

  /** LangChain reported the agent's finish for this run. */
  agentEnd(finish: unknown, runId: string): void {
    const state = this.store.get(runId);
    if (!state) return;
    if (state.kind === "chain") state.kind = "agent";
    const { returnValues, log } = (finish ?? {}) as { returnValues?: unknown; log?: unknown };
    const attributes = this.options.defaults.captureContent
      ? { returnValues, ...(typeof log === "string" && log !== "" ? { log } : {}) }
      : undefined;
    addSpanEvent(state, "agent-finish", spanClock(), attributes, this.options.defaults.maxFieldChars);
  }

  /** A custom event (`dispatchCustomEvent`) on this run. */
  customEvent(eventName: string, data: unknown, runId: string): void {
    const state = this.store.get(runId);
    if (!state) return;
    addSpanEvent(
      state,
      typeof eventName === "string" ? eventName : String(eventName),
      spanClock(),
      this.options.defaults.captureContent ? { data } : undefined,
      this.options.defaults.maxFieldChars,
    );
  }

  /** A LangGraph run starts a new task (a node) when its parent is not already inside that task. */
  private startsGraphTask(parentRunId: string | undefined, graph: RunSpanGraphPosition): boolean {
    const parent = parentRunId ? this.store.get(parentRunId)?.graph : undefined;
    if (!parent) return true;
    if (graph.checkpointNamespace !== undefined && parent.checkpointNamespace !== undefined) {
      return graph.checkpointNamespace !== parent.checkpointNamespace;
    }
    return graph.node !== parent.node || graph.step !== parent.step;
  }

  private start(
    kind: RunSpanKind,
    serialized: unknown,
    runId: string,
    parentRunId: string | undefined,
    tags: string[] | undefined,
    metadata: Record<string, unknown> | undefined,
    runName: string | undefined,
    input: unknown,
    extra: { inputDeferred?: boolean; toolCallId?: string },
  ): void {
    if (typeof runId !== "string") return;
    const traceId = this.store.traceOf(runId, parentRunId);
    const state: SpanState = startSpanState(
      {
        runId,
        parentRunId: typeof parentRunId === "string" && parentRunId !== "" ? parentRunId : undefined,
        traceId,
        kind,
        serialized,
        runName,
        tags,
        metadata,
        input,
        ...extra,
        startTime: spanClock(),
        sampled: isSampled(traceId, this.options.sampleRate),
      },
      this.options.defaults,
    );
    this.store.add(state, Date.now());
  }

  private end(runId: string, ending: SpanEnding): void {
    const state = this.store.take(runId, Date.now());
    if (state) this.finish(state, ending);
  }

  private finish(state: SpanState, ending: SpanEnding): void {
    if (!state.sampled) {
      this.counters.sampled++;
      this.options.onSampled?.();
      return;
    }
    this.options.emit(buildSpan(state, ending, this.options.defaults));
  }

  private evicted(spans: SpanState[], reason: string): void {
    const endTime = spanClock();
    const error = { name: "RunEvicted", message: `Run evicted: ${reason}.` };
    for (const state of spans) {
      this.counters.evicted++;
      try {
        const ending: SpanEnding = { endTime, status: "cancelled", error };
        if (state.kind === "llm" || state.kind === "chat") {
          Object.assign(ending, withRecords(this.options.cancelModelRun?.(state.runId, reason) ?? []));
        }
        this.finish(state, ending);
      } catch (failure) {
        // One span that cannot be ended must not keep the others of the trace open.
        this.options.onError?.(failure);
      }
    }
  }
}

/** A model-call span's records and their total size estimate (-1: unknown, the queue measures). */
function withRecords(built: BuiltRecord[]): { llmRecords: LLMRunRecord[]; llmRecordBytes: number } {
  let bytes = 0;
  for (const item of built) bytes = bytes < 0 || item.bytes < 0 ? -1 : bytes + item.bytes;
  return { llmRecords: built.map((item) => item.record), llmRecordBytes: bytes };
}
