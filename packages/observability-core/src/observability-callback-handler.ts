import type { AgentAction, AgentFinish } from "@langchain/core/agents";
import { BaseCallbackHandler, type BaseCallbackHandlerInput } from "@langchain/core/callbacks/base";
import { awaitAllCallbacks } from "@langchain/core/callbacks/promises";
import type { Serialized } from "@langchain/core/load/serializable";
import {
  type BuiltRecord,
  buildRecords,
  type LLMResultLike,
  type RecordDefaults,
  type RunState,
} from "./capture/build-record";
import type { LLMRunRecord } from "./capture/llm-run-record";
import type { RunSpanRecord } from "./capture/run-span-record";
import { RunStore } from "./capture/run-store";
import { SpanCapture } from "./capture/span-capture";
import { loadFlushTimeout, loadHandlerSettings } from "./config/load-handler-settings";
import type { Exporter } from "./export/exporter";
import type { CommonHandlerOptions } from "./observability-handler-options";
import { createErrorReporter, describeError, type ErrorReporter } from "./pipeline/error-reporter";
import { registerExitDrain } from "./pipeline/exit-drain";
import { collectStats, type ExportStats, FlushCounter, type FlushResult } from "./pipeline/handler-stats";
import { RecordPipeline } from "./pipeline/record-pipeline";

/** Options of the core handler: one or more exporters plus the common options. */
export interface ObservabilityCallbackHandlerOptions extends CommonHandlerOptions {
  /**
   * Where records go; each exporter gets its own queue (fan-out). Exporters that consume
   * `"spans"` receive `RunSpanRecord`s, the others `LLMRunRecord`s.
   */
  exporters: Array<Exporter<LLMRunRecord> | Exporter<RunSpanRecord>>;
}

/**
 * A LangChain callback handler that turns every LLM and chat-model run into normalized
 * `LLMRunRecord`s and exports them through one queue per exporter. Callbacks only capture:
 * they never wait on the network and never throw into the chain. When an exporter consumes
 * spans, every run of the tree (chains, tools, retrievers, agents, LangGraph graphs and nodes,
 * model calls) also becomes a `RunSpanRecord` (`SpanCapture`); otherwise no span is built.
 *
 * This class is the LangChain adapter only: it turns LangChain's positional callbacks into run
 * state (`RunStore`) and built records, and hands those to the `RecordPipeline` (sample → mask →
 * fan-out to the exporters' queues). Settings, stats and error reporting live beside it.
 */
export class ObservabilityCallbackHandler extends BaseCallbackHandler {
  name = "observability_callback_handler";

  private readonly runStore: RunStore;
  /** Only when some exporter consumes spans: the model-call-only exporters pay nothing for the tree. */
  private readonly spans: SpanCapture | undefined;
  private readonly pipeline: RecordPipeline;
  private readonly defaults: RecordDefaults;
  private readonly flushTimeoutMs: number;
  private readonly reportError: ErrorReporter;
  private readonly flushCounter = new FlushCounter();
  private readonly deregisterExitDrain: () => void;

  constructor(options: ObservabilityCallbackHandlerOptions) {
    super(pickCallbackInput(options));
    const settings = loadHandlerSettings(options, new.target.name || "ObservabilityCallbackHandler");
    this.reportError = createErrorReporter(settings.onError);
    this.defaults = settings.recordDefaults;
    this.flushTimeoutMs = settings.flushTimeoutMs;
    this.pipeline = new RecordPipeline(settings, this.reportError);
    this.runStore = new RunStore({
      ...settings.runStore,
      onEvict: (run, now, reason) => this.emitEvicted(run, now, reason),
    });
    this.spans = this.pipeline.wantsSpans
      ? new SpanCapture({
          defaults: this.defaults,
          sampleRate: settings.sampleRate,
          maxOpenSpans: settings.runStore.maxInFlightRuns,
          traceTtlMs: settings.runStore.runTtlMs,
          emit: (built) => this.pipeline.emitSpan(built),
          onSampled: () => this.pipeline.countSampledSpan(),
          cancelModelRun: (runId, reason) => this.cancelModelRun(runId, reason),
          onError: this.reportError,
        })
      : undefined;
    this.deregisterExitDrain = registerExitDrain(
      this,
      this.pipeline.exitDrainTarget(settings.flushTimeoutMs),
    );
  }

  /** One handler is shared by every copy LangChain makes, so runs and queues stay in one place. */
  override copy(): this {
    return this;
  }

  // ---- LangChain callbacks: capture only ------------------------------------------------------

  override handleLLMStart(
    llm: Serialized,
    prompts: string[],
    runId: string,
    parentRunId?: string,
    extraParams?: Record<string, unknown>,
    tags?: string[],
    metadata?: Record<string, unknown>,
    runName?: string,
  ): void {
    this.guard(() =>
      this.startRun("llm", llm, prompts, undefined, runId, parentRunId, extraParams, tags, metadata, runName),
    );
  }

  override handleChatModelStart(
    llm: Serialized,
    messages: unknown[][],
    runId: string,
    parentRunId?: string,
    extraParams?: Record<string, unknown>,
    tags?: string[],
    metadata?: Record<string, unknown>,
    runName?: string,
  ): void {
    this.guard(() =>
      this.startRun(
        "chat",
        llm,
        undefined,
        messages,
        runId,
        parentRunId,
        extraParams,
        tags,
        metadata,
        runName,
      ),
    );
  }

  override handleLLMNewToken(
    _token: string,
    _index: unknown,
    runId: string,
    _parentRunId?: string,
    _tags?: string[],
    fields?: { chunk?: unknown },
  ): void {
    const run = this.runStore.getModelRun(runId);
    if (!run) return;
    run.streamed = true;
    if (run.firstTokenTime === undefined) run.firstTokenTime = Date.now();
    const usage = (fields?.chunk as { message?: { usage_metadata?: Record<string, unknown> } } | undefined)
      ?.message?.usage_metadata;
    if (usage) this.guard(() => addStreamUsage(run, usage, false));
  }

  override handleChatModelStreamEvent(
    event: { event?: string; usage?: Record<string, unknown> },
    runId: string,
  ): void {
    const run = this.runStore.getModelRun(runId);
    if (!run) return;
    run.streamed = true;
    if (run.firstTokenTime === undefined && event?.event === "content-block-delta")
      run.firstTokenTime = Date.now();
    if (event?.event === "message-finish" && event.usage)
      this.guard(() => addStreamUsage(run, event.usage!, true));
  }

  override handleLLMEnd(
    output: unknown,
    runId: string,
    _parentRunId?: string,
    _tags?: string[],
    extraParams?: Record<string, unknown>,
  ): void {
    this.guard(() => {
      const run = this.runStore.takeModelRun(runId);
      if (!run) return;
      const records = this.pipeline.emitRecords(
        buildRecords(
          run,
          {
            endTime: Date.now(),
            status: "success",
            result: output as LLMResultLike,
            cached: extraParams?.cached === true,
          },
          this.defaults,
        ),
      );
      this.spans?.endModel(runId, { status: "success", llmRecords: records, ...firstToken(run) });
    });
  }

  override handleLLMError(
    error: unknown,
    runId: string,
    _parentRunId?: string,
    _tags?: string[],
    extraParams?: Record<string, unknown>,
  ): void {
    this.guard(() => {
      const run = this.runStore.takeModelRun(runId);
      if (!run) return;
      const described = describeError(error);
      const records = this.pipeline.emitRecords(
        buildRecords(
          run,
          {
            endTime: Date.now(),
            status: "error",
            error: described,
            cached: extraParams?.cached === true,
          },
          this.defaults,
        ),
      );
      this.spans?.endModel(runId, {
        status: "error",
        error: described,
        llmRecords: records,
        ...firstToken(run),
      });
    });
  }

  // LangChain's manager passes the parent run id fourth (as BaseTracer reads it), then tags,
  // metadata, run type, run name and extra, whatever the base class declares there.
  override handleChainStart(
    chain: Serialized,
    inputs: unknown,
    runId: string,
    parentRunId?: string,
    tags?: string[],
    metadata?: Record<string, unknown>,
    runType?: string,
    runName?: string,
    extra?: Record<string, unknown>,
  ): void {
    if (!this.spans) {
      this.runStore.startParentRun(runId, parentRunId, Date.now());
      return;
    }
    const spans = this.spans;
    this.guard(() =>
      spans.startChain(chain, inputs, runId, parentRunId, tags, metadata, runType, runName, extra),
    );
  }

  override handleChainEnd(
    outputs: unknown,
    runId: string,
    parentRunId?: string,
    tags?: string[],
    kwargs?: { inputs?: Record<string, unknown> },
  ): void {
    if (!this.spans) {
      this.runStore.endParentRun(runId);
      return;
    }
    const spans = this.spans;
    this.guard(() => spans.endChain(outputs, runId, parentRunId, tags, kwargs));
  }

  override handleChainError(
    error: unknown,
    runId: string,
    parentRunId?: string,
    tags?: string[],
    kwargs?: { inputs?: Record<string, unknown> },
  ): void {
    if (!this.spans) {
      this.runStore.endParentRun(runId);
      return;
    }
    const spans = this.spans;
    this.guard(() => spans.errorChain(error, runId, parentRunId, tags, kwargs));
  }

  override handleToolStart(
    tool: Serialized,
    input: string,
    runId: string,
    parentRunId?: string,
    tags?: string[],
    metadata?: Record<string, unknown>,
    runName?: string,
    toolCallId?: string,
  ): void {
    if (!this.spans) {
      this.runStore.startParentRun(runId, parentRunId, Date.now());
      return;
    }
    const spans = this.spans;
    this.guard(() => spans.startTool(tool, input, runId, parentRunId, tags, metadata, runName, toolCallId));
  }

  override handleToolEnd(output: unknown, runId: string): void {
    if (!this.spans) {
      this.runStore.endParentRun(runId);
      return;
    }
    const spans = this.spans;
    this.guard(() => spans.endTool(output, runId));
  }

  override handleToolError(error: unknown, runId: string): void {
    if (!this.spans) {
      this.runStore.endParentRun(runId);
      return;
    }
    const spans = this.spans;
    this.guard(() => spans.errorTool(error, runId));
  }

  override handleRetrieverStart(
    retriever: Serialized,
    query: string,
    runId: string,
    parentRunId?: string,
    tags?: string[],
    metadata?: Record<string, unknown>,
    name?: string,
  ): void {
    if (!this.spans) {
      this.runStore.startParentRun(runId, parentRunId, Date.now());
      return;
    }
    const spans = this.spans;
    this.guard(() => spans.startRetriever(retriever, query, runId, parentRunId, tags, metadata, name));
  }

  override handleRetrieverEnd(documents: unknown, runId: string): void {
    if (!this.spans) {
      this.runStore.endParentRun(runId);
      return;
    }
    const spans = this.spans;
    this.guard(() => spans.endRetriever(documents, runId));
  }

  override handleRetrieverError(error: unknown, runId: string): void {
    if (!this.spans) {
      this.runStore.endParentRun(runId);
      return;
    }
    const spans = this.spans;
    this.guard(() => spans.errorRetriever(error, runId));
  }

  // Agent actions and finishes, and custom events, only matter to spans.
  override handleAgentAction(action: AgentAction, runId: string): void {
    const spans = this.spans;
    if (spans) this.guard(() => spans.agentAction(action, runId));
  }

  override handleAgentEnd(finish: AgentFinish, runId: string): void {
    const spans = this.spans;
    if (spans) this.guard(() => spans.agentEnd(finish, runId));
  }

  override handleCustomEvent(eventName: string, data: unknown, runId: string): void {
    const spans = this.spans;
    if (spans) this.guard(() => spans.customEvent(eventName, data, runId));
  }

  // ---- Export control -------------------------------------------------------------------------

  /**
   * Waits for LangChain's background callbacks, then sends everything queued. Resolves by the
   * deadline whatever the vendors do, and never rejects. `timeoutMs` defaults to `flushTimeoutMs`;
   * `Infinity` waits as long as a timer can (2^31 − 1 ms); a negative, NaN or larger value is
   * reported to `onError` as a `ConfigurationError` and replaced (see `loadFlushTimeout`).
   */
  async flush(options: { timeoutMs?: number } = {}): Promise<FlushResult> {
    const { timeoutMs, error } = loadFlushTimeout(options?.timeoutMs, this.flushTimeoutMs);
    if (error) this.reportError(error);
    const deadline = Date.now() + timeoutMs;
    let timedOut = false;
    try {
      // LangChain's wait can fail where ours must not (Deno without --allow-sys: its LangSmith
      // client reads the home directory): report it and drain anyway.
      const callbacks = awaitAllCallbacks().catch((error: unknown) => this.reportError(error));
      timedOut = !(await withDeadline(callbacks, deadline));
      // Spans first: an idle trace is evicted whole, its model calls with it.
      this.spans?.sweep(Date.now());
      this.runStore.sweep(Date.now());
      timedOut = !(await this.pipeline.drain(deadline, { holdProcess: true })) || timedOut;
    } catch (error) {
      this.reportError(error);
    }
    return this.flushCounter.result(this.stats(), timedOut);
  }

  /** Flushes (by the deadline), then stops every timer and aborts what is still in flight. */
  async shutdown(options: { timeoutMs?: number } = {}): Promise<FlushResult> {
    this.deregisterExitDrain();
    const result = await this.flush(options);
    await this.pipeline.close();
    return result;
  }

  /** Counters since the handler was created. */
  stats(): ExportStats {
    return collectStats(this.pipeline, this.runStore, this.spans);
  }

  // ---- Internals ------------------------------------------------------------------------------

  private startRun(
    kind: "llm" | "chat",
    llm: Serialized,
    prompts: string[] | undefined,
    messages: unknown[][] | undefined,
    runId: string,
    parentRunId: string | undefined,
    extraParams: Record<string, unknown> | undefined,
    tags: string[] | undefined,
    metadata: Record<string, unknown> | undefined,
    runName: string | undefined,
  ): void {
    const now = Date.now();
    const serializedId = Array.isArray(llm?.id)
      ? llm.id.filter((part): part is string => typeof part === "string")
      : [];
    this.runStore.startModelRun(
      {
        runId,
        parentRunId,
        traceId: (this.spans ?? this.runStore).traceOf(runId, parentRunId),
        kind,
        name:
          firstString(runName, (llm as { name?: unknown } | undefined)?.name) ??
          serializedId[serializedId.length - 1] ??
          kind,
        serializedId,
        prompts,
        messages,
        invocationParams: extraParams?.invocation_params as Record<string, unknown> | undefined,
        runMetadata: metadata,
        runTags: tags,
        startTime: now,
        firstTokenTime: undefined,
        streamUsage: undefined,
      },
      now,
    );
    this.spans?.startModel(kind, llm, runId, parentRunId, tags, metadata, runName);
  }

  /** An evicted run still becomes records, as `cancelled`, so nothing vanishes uncounted. */
  private emitEvicted(run: RunState, now: number, reason: string): void {
    const error = { name: "RunEvicted", message: `Run evicted: ${reason}.` };
    const records = this.pipeline.emitRecords(
      buildRecords(run, { endTime: now, status: "cancelled", error }, this.defaults),
    );
    this.spans?.endModel(run.runId, { status: "cancelled", error, llmRecords: records });
  }

  /** The span store evicted a model call's span: its run ends too, as `cancelled` records. */
  private cancelModelRun(runId: string, reason: string): BuiltRecord[] {
    const run = this.runStore.takeModelRun(runId);
    if (!run) return [];
    return this.pipeline.emitRecords(
      buildRecords(
        run,
        {
          endTime: Date.now(),
          status: "cancelled",
          error: { name: "RunEvicted", message: `Run evicted: ${reason}.` },
        },
        this.defaults,
      ),
    );
  }

  private guard(action: () => void): void {
    try {
      action();
    } catch (error) {
      this.reportError(error);
      if (this.raiseError) throw error;
    }
  }
}

function pickCallbackInput(options: BaseCallbackHandlerInput | undefined): BaseCallbackHandlerInput {
  // Only LangChain's own flags go to the base class: it keeps its input for serialization,
  // and the options may hold credentials.
  const input: BaseCallbackHandlerInput = {};
  if (!options) return input;
  for (const key of [
    "ignoreLLM",
    "ignoreChain",
    "ignoreAgent",
    "ignoreRetriever",
    "ignoreCustomEvent",
    "_awaitHandler",
    "raiseError",
  ] as const) {
    if (options[key] !== undefined) input[key] = options[key];
  }
  return input;
}

function firstString(...values: unknown[]): string | undefined {
  for (const value of values) if (typeof value === "string" && value !== "") return value;
  return undefined;
}

/** Time to first token of a streamed run, for its span's `first-token` event. */
function firstToken(run: RunState): { timeToFirstTokenMs?: number } {
  return run.firstTokenTime === undefined
    ? {}
    : { timeToFirstTokenMs: Math.max(0, run.firstTokenTime - run.startTime) };
}

function addStreamUsage(run: RunState, usage: Record<string, unknown>, isFinal: boolean): void {
  const input = typeof usage.input_tokens === "number" ? usage.input_tokens : 0;
  const output = typeof usage.output_tokens === "number" ? usage.output_tokens : 0;
  const total = typeof usage.total_tokens === "number" ? usage.total_tokens : 0;
  if (!run.streamUsage || isFinal) run.streamUsage = { input: 0, output: 0, total: 0, seen: false };
  run.streamUsage.input += input;
  run.streamUsage.output += output;
  run.streamUsage.total += total;
  run.streamUsage.seen = true;
}

async function withDeadline(promise: Promise<unknown>, deadline: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
    timer.unref?.();
  });
  try {
    return await Promise.race([promise.then(() => true as const), expired]);
  } finally {
    clearTimeout(timer);
  }
}
