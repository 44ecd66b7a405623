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
import { isSampled } from "./capture/sample-by-trace";
import { loadNumber } from "./config/load-setting";
import { ConfigurationError } from "./errors/configuration-error";
import { ObservabilityError } from "./errors/observability-error";
import { type ExporterStats, ExportQueue } from "./export/export-queue";
import type { Exporter } from "./export/exporter";
import { type CommonHandlerOptions, loadHttpSettings } from "./observability-handler-options";

/** Options of the core handler: one or more exporters plus the common options. */
export interface ObservabilityCallbackHandlerOptions extends CommonHandlerOptions {
  /** Where records go; each exporter gets its own queue (fan-out). */
  exporters: Exporter[];
}

/** What `flush()` reports: counts since the previous flush, and what is still pending. */
export interface FlushResult {
  /** Nothing pending and nothing failed since the previous flush. */
  ok: boolean;
  /** The deadline passed before every queue was drained. */
  timedOut: boolean;
  exported: number;
  failed: number;
  dropped: number;
  pending: number;
}

export interface DroppedStats {
  total: number;
  queueFull: number;
  oversize: number;
  sampled: number;
  masked: number;
  /**
   * Runs evicted from the run store (too many in flight or past their time-to-live). Their records
   * are still exported, as `cancelled`, so they are not part of `total`.
   */
  evicted: number;
}

/** Counters since the handler was created. */
export interface ExportStats {
  captured: number;
  exported: number;
  failed: number;
  retried: number;
  dropped: DroppedStats;
  pending: number;
  inFlightRuns: number;
  exporters: Record<
    string,
    { exported: number; failed: number; retried: number; pending: number; dropped: number }
  >;
}

interface TraceEntry {
  traceId: string;
  startTime: number;
}

const MAX_WARNED_ERRORS = 256;

/**
 * A LangChain callback handler that turns every LLM and chat-model run into normalized
 * `LLMRunRecord`s and exports them through one queue per exporter. Callbacks only capture:
 * they never wait on the network and never throw into the chain.
 */
export class ObservabilityCallbackHandler extends BaseCallbackHandler {
  name = "observability_callback_handler";

  private readonly queues: ExportQueue[];
  private readonly runs = new Map<string, RunState>();
  private readonly traces = new Map<string, TraceEntry>();
  private readonly defaults: RecordDefaults;
  private readonly mask: CommonHandlerOptions["mask"];
  private readonly sampleRate: number;
  private readonly maxInFlightRuns: number;
  private readonly runTtlMs: number;
  private readonly flushTimeoutMs: number;
  private readonly reportError: (error: unknown) => void;
  private readonly warned = new Set<string>();
  private readonly counters = { captured: 0, sampled: 0, masked: 0, evicted: 0 };
  private lastFlush = { exported: 0, failed: 0, dropped: 0 };
  private nextSweep = 0;

  constructor(options: ObservabilityCallbackHandlerOptions) {
    super(pickCallbackInput(options));
    if (!options || !Array.isArray(options.exporters) || options.exporters.length === 0) {
      throw new ConfigurationError({
        message: "`exporters` must be a non-empty array of exporters.",
        option: "exporters",
      });
    }
    const names = new Set<string>();
    for (const exporter of options.exporters) {
      if (!exporter || typeof exporter.export !== "function" || typeof exporter.name !== "string") {
        throw new ConfigurationError({
          message: "Every entry of `exporters` must have a `name` and an `export(records, signal)` method.",
          option: "exporters",
        });
      }
      if (names.has(exporter.name)) {
        throw new ConfigurationError({
          message: `Two exporters are named "${exporter.name}"; give each a distinct name.`,
          option: "exporters",
        });
      }
      names.add(exporter.name);
    }
    validateFunction(options.mask, "mask");
    validateFunction(options.onError, "onError");
    this.sampleRate = loadNumber({
      option: "sampleRate",
      value: options.sampleRate,
      default: 1,
      min: 0,
      max: 1,
    });
    const maxBatchSize = loadNumber({
      option: "maxBatchSize",
      value: options.maxBatchSize,
      default: 100,
      min: 1,
      integer: true,
    });
    const maxBatchBytes = loadNumber({
      option: "maxBatchBytes",
      value: options.maxBatchBytes,
      default: 5_000_000,
      min: 1024,
    });
    const flushIntervalMs = loadNumber({
      option: "flushIntervalMs",
      value: options.flushIntervalMs,
      default: 1000,
      min: 1,
    });
    const maxQueueSize = loadNumber({
      option: "maxQueueSize",
      value: options.maxQueueSize,
      default: 10_000,
      min: 1,
      integer: true,
    });
    const { maxRetries } = loadHttpSettings(options);
    this.maxInFlightRuns = loadNumber({
      option: "maxInFlightRuns",
      value: options.maxInFlightRuns,
      default: 10_000,
      min: 1,
      integer: true,
    });
    this.runTtlMs = loadNumber({ option: "runTtlMs", value: options.runTtlMs, default: 600_000, min: 1 });
    this.flushTimeoutMs = loadNumber({
      option: "flushTimeoutMs",
      value: options.flushTimeoutMs,
      default: 10_000,
      min: 0,
    });
    const maxFieldChars = loadNumber({
      option: "maxFieldChars",
      value: options.maxFieldChars,
      default: 100_000,
      min: 64,
      integer: true,
    });
    if (
      options.tags !== undefined &&
      (!Array.isArray(options.tags) || options.tags.some((tag) => typeof tag !== "string"))
    ) {
      throw new ConfigurationError({ message: "`tags` must be an array of strings.", option: "tags" });
    }
    if (
      options.metadata !== undefined &&
      (options.metadata === null || typeof options.metadata !== "object" || Array.isArray(options.metadata))
    ) {
      throw new ConfigurationError({ message: "`metadata` must be an object.", option: "metadata" });
    }
    for (const key of ["userId", "sessionId"] as const) {
      const value = options[key];
      if (value !== undefined && value !== null && typeof value !== "string") {
        throw new ConfigurationError({ message: `\`${key}\` must be a string.`, option: key });
      }
    }
    if (options.captureContent !== undefined && typeof options.captureContent !== "boolean") {
      throw new ConfigurationError({
        message: "`captureContent` must be a boolean.",
        option: "captureContent",
      });
    }

    this.reportError = this.createErrorReporter(options.onError);
    this.mask = options.mask;
    this.defaults = {
      userId: options.userId ?? undefined,
      sessionId: options.sessionId ?? undefined,
      tags: options.tags ? [...options.tags] : [],
      metadata: options.metadata ? { ...options.metadata } : {},
      captureContent: options.captureContent ?? true,
      maxFieldChars,
    };
    this.queues = options.exporters.map((exporter) => {
      const queue = new ExportQueue(exporter, {
        maxBatchSize,
        maxBatchBytes,
        maxQueueSize,
        flushIntervalMs,
        maxRetries,
        onError: this.reportError,
      });
      exporter.bind?.({
        onRetry: () => {
          queue.stats.retried++;
        },
        onError: this.reportError,
      });
      return queue;
    });
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
    const run = this.runs.get(runId);
    if (!run) return;
    if (run.firstTokenTime === undefined) run.firstTokenTime = Date.now();
    const usage = (fields?.chunk as { message?: { usage_metadata?: Record<string, unknown> } } | undefined)
      ?.message?.usage_metadata;
    if (usage) this.guard(() => addStreamUsage(run, usage, false));
  }

  override handleChatModelStreamEvent(
    event: { event?: string; usage?: Record<string, unknown> },
    runId: string,
  ): void {
    const run = this.runs.get(runId);
    if (!run) return;
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
      const run = this.takeRun(runId);
      if (!run) return;
      this.emit(
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
      const run = this.takeRun(runId);
      if (!run) return;
      this.emit(
        buildRecords(
          run,
          {
            endTime: Date.now(),
            status: "error",
            error: describeError(error),
            cached: extraParams?.cached === true,
          },
          this.defaults,
        ),
      );
    });
  }

  // LangChain's manager passes the parent run id fourth (as BaseTracer reads it), whatever the
  // base class declares there.
  override handleChainStart(_chain: Serialized, _inputs: unknown, runId: string, parentRunId?: string): void {
    this.trackParent(runId, parentRunId);
  }

  override handleChainEnd(_outputs: unknown, runId: string): void {
    this.traces.delete(runId);
  }

  override handleChainError(_error: unknown, runId: string): void {
    this.traces.delete(runId);
  }

  override handleToolStart(_tool: Serialized, _input: string, runId: string, parentRunId?: string): void {
    this.trackParent(runId, parentRunId);
  }

  override handleToolEnd(_output: unknown, runId: string): void {
    this.traces.delete(runId);
  }

  override handleToolError(_error: unknown, runId: string): void {
    this.traces.delete(runId);
  }

  override handleRetrieverStart(
    _retriever: Serialized,
    _query: string,
    runId: string,
    parentRunId?: string,
  ): void {
    this.trackParent(runId, parentRunId);
  }

  override handleRetrieverEnd(_documents: unknown, runId: string): void {
    this.traces.delete(runId);
  }

  override handleRetrieverError(_error: unknown, runId: string): void {
    this.traces.delete(runId);
  }

  // ---- Export control -------------------------------------------------------------------------

  /**
   * Waits for LangChain's background callbacks, then sends everything queued. Resolves by the
   * deadline whatever the vendors do, and never rejects.
   */
  async flush(options: { timeoutMs?: number } = {}): Promise<FlushResult> {
    const timeoutMs =
      typeof options.timeoutMs === "number" && options.timeoutMs >= 0
        ? options.timeoutMs
        : this.flushTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    let timedOut = false;
    try {
      // LangChain's wait can fail where ours must not (Deno without --allow-sys: its LangSmith
      // client reads the home directory): report it and drain anyway.
      const callbacks = awaitAllCallbacks().catch((error: unknown) => this.reportError(error));
      timedOut = !(await withDeadline(callbacks, deadline));
      this.sweep(Date.now());
      const drained = await Promise.all(this.queues.map((queue) => queue.drain(deadline)));
      timedOut = timedOut || drained.includes(false);
    } catch (error) {
      this.reportError(error);
    }
    const stats = this.stats();
    const result: FlushResult = {
      ok: false,
      timedOut,
      exported: stats.exported - this.lastFlush.exported,
      failed: stats.failed - this.lastFlush.failed,
      dropped: stats.dropped.total - this.lastFlush.dropped,
      pending: stats.pending,
    };
    result.ok = result.pending === 0 && result.failed === 0 && !timedOut;
    this.lastFlush = { exported: stats.exported, failed: stats.failed, dropped: stats.dropped.total };
    return result;
  }

  /** Flushes (by the deadline), then stops every timer and aborts what is still in flight. */
  async shutdown(options: { timeoutMs?: number } = {}): Promise<FlushResult> {
    const result = await this.flush(options);
    for (const queue of this.queues) {
      queue.close();
      try {
        await queue.exporter.shutdown?.();
      } catch (error) {
        this.reportError(error);
      }
    }
    return result;
  }

  /** Counters since the handler was created. */
  stats(): ExportStats {
    const exporters: ExportStats["exporters"] = {};
    let exported = 0;
    let failed = 0;
    let retried = 0;
    let pending = 0;
    let queueFull = 0;
    let oversize = 0;
    for (const queue of this.queues) {
      const stats: ExporterStats = queue.stats;
      exported += stats.exported;
      failed += stats.failed;
      retried += stats.retried;
      pending += stats.pending;
      queueFull += stats.dropped.queueFull;
      oversize += stats.dropped.oversize;
      exporters[queue.exporter.name] = {
        exported: stats.exported,
        failed: stats.failed,
        retried: stats.retried,
        pending: stats.pending,
        dropped: stats.dropped.queueFull + stats.dropped.oversize,
      };
    }
    const { captured, sampled, masked, evicted } = this.counters;
    return {
      captured,
      exported,
      failed,
      retried,
      dropped: {
        total: queueFull + oversize + sampled + masked,
        queueFull,
        oversize,
        sampled,
        masked,
        evicted,
      },
      pending,
      inFlightRuns: this.runs.size,
      exporters,
    };
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
    if (now >= this.nextSweep) this.sweep(now);
    while (this.runs.size >= this.maxInFlightRuns) this.evictOldest(now);
    const serializedId = Array.isArray(llm?.id)
      ? llm.id.filter((part): part is string => typeof part === "string")
      : [];
    this.runs.set(runId, {
      runId,
      parentRunId,
      traceId: this.traceOf(runId, parentRunId),
      kind,
      name: runName ?? (llm as { name?: string })?.name ?? serializedId[serializedId.length - 1] ?? kind,
      serializedId,
      prompts,
      messages,
      invocationParams: extraParams?.invocation_params as Record<string, unknown> | undefined,
      runMetadata: metadata,
      runTags: tags,
      startTime: now,
      firstTokenTime: undefined,
      streamUsage: undefined,
    });
  }

  private takeRun(runId: string): RunState | undefined {
    const run = this.runs.get(runId);
    if (run) this.runs.delete(runId);
    return run;
  }

  private trackParent(runId: string, parentRunId: string | undefined): void {
    const now = Date.now();
    if (now >= this.nextSweep) this.sweep(now);
    if (this.traces.size >= this.maxInFlightRuns) {
      const oldest = this.traces.keys().next().value;
      if (oldest !== undefined) this.traces.delete(oldest);
    }
    this.traces.set(runId, { traceId: this.traceOf(runId, parentRunId), startTime: now });
  }

  private traceOf(runId: string, parentRunId: string | undefined): string {
    if (!parentRunId) return runId;
    return this.traces.get(parentRunId)?.traceId ?? this.runs.get(parentRunId)?.traceId ?? parentRunId;
  }

  /** Ends runs and trace entries older than the time-to-live (oldest first, so it stops early). */
  private sweep(now: number): void {
    this.nextSweep = now + Math.min(this.runTtlMs, 1000);
    const cutoff = now - this.runTtlMs;
    for (const run of this.runs.values()) {
      if (run.startTime > cutoff) break;
      this.evict(run, now, `run not ended after ${this.runTtlMs} ms (runTtlMs)`);
    }
    for (const [runId, entry] of this.traces) {
      if (entry.startTime > cutoff) break;
      this.traces.delete(runId);
    }
  }

  private evictOldest(now: number): void {
    const oldest = this.runs.values().next().value;
    if (oldest) this.evict(oldest, now, `more than ${this.maxInFlightRuns} runs in flight (maxInFlightRuns)`);
  }

  private evict(run: RunState, now: number, reason: string): void {
    this.runs.delete(run.runId);
    this.counters.evicted++;
    this.emit(
      buildRecords(
        run,
        {
          endTime: now,
          status: "cancelled",
          error: { name: "RunEvicted", message: `Run evicted: ${reason}.` },
        },
        this.defaults,
      ),
    );
  }

  private emit(records: BuiltRecord[]): void {
    for (const { record, bytes } of records) {
      this.counters.captured++;
      if (!isSampled(record.traceId, this.sampleRate)) {
        this.counters.sampled++;
        continue;
      }
      let output: LLMRunRecord | null = record;
      if (this.mask) {
        try {
          output = this.mask(record);
        } catch (error) {
          this.reportError(
            new ObservabilityError({
              message: `mask threw; the record was dropped: ${describeError(error).message}`,
              cause: error,
            }),
          );
          output = null;
        }
        if (!output || typeof output !== "object") {
          this.counters.masked++;
          continue;
        }
      }
      for (const queue of this.queues) queue.enqueue(output, output === record ? bytes : -1);
    }
  }

  private guard(action: () => void): void {
    try {
      action();
    } catch (error) {
      this.reportError(error);
      if (this.raiseError) throw error;
    }
  }

  private createErrorReporter(onError: ((error: unknown) => void) | undefined): (error: unknown) => void {
    return (error) => {
      try {
        if (onError) {
          onError(error);
          return;
        }
        const { name, message } = describeError(error);
        const key = `${name}: ${message}`;
        if (this.warned.has(key) || this.warned.size >= MAX_WARNED_ERRORS) return;
        this.warned.add(key);
        console.warn(`[langchain-observability] ${key}`);
      } catch {
        // A failing error callback must not break capture either.
      }
    };
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

function validateFunction(value: unknown, option: string): void {
  if (value !== undefined && value !== null && typeof value !== "function") {
    throw new ConfigurationError({ message: `\`${option}\` must be a function.`, option });
  }
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

/** Name and message of anything thrown, without ever throwing itself. */
export function describeError(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name || "Error", message: String(error.message ?? "") };
  if (error && typeof error === "object") {
    const { name, message } = error as { name?: unknown; message?: unknown };
    return {
      name: typeof name === "string" ? name : "Error",
      message: typeof message === "string" ? message : safeString(error),
    };
  }
  return { name: "Error", message: safeString(error) };
}

function safeString(value: unknown): string {
  try {
    return typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
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
