import type { RunState } from "./build-record";

export interface RunStoreOptions {
  /** Most model runs (and, separately, most parent runs) tracked at once. */
  maxInFlightRuns: number;
  /** A run not ended after this long is evicted. */
  runTtlMs: number;
  /** Called with each model run the store evicts (too many in flight, or past its time-to-live). */
  onEvict(run: RunState, now: number, reason: string): void;
}

interface TraceEntry {
  traceId: string;
  startTime: number;
}

/**
 * What the handler remembers between a run's start and its end, bounded: model runs (to build
 * their records) and the trace id of every other run (chains, tools, retrievers) so that a model
 * run nested anywhere in a tree knows its root. Maps keep insertion order, so the oldest entry is
 * always first and a sweep stops at the first young one.
 */
export class RunStore {
  private readonly runs = new Map<string, RunState>();
  private readonly traces = new Map<string, TraceEntry>();
  private readonly options: RunStoreOptions;
  private nextSweep = 0;
  /** Model runs evicted since the store was created. */
  evicted = 0;

  constructor(options: RunStoreOptions) {
    this.options = options;
  }

  /** Model runs in flight. */
  get size(): number {
    return this.runs.size;
  }

  /** Stores a model run that starts, evicting the oldest ones first when the store is full. */
  startModelRun(run: RunState, now: number): void {
    this.sweepIfDue(now);
    while (this.runs.size >= this.options.maxInFlightRuns) this.evictOldest(now);
    this.runs.set(run.runId, run);
  }

  /** The model run in flight with this id, if any (streamed tokens update it in place). */
  getModelRun(runId: string): RunState | undefined {
    return this.runs.get(runId);
  }

  /** Removes and returns a model run that ended or failed. */
  takeModelRun(runId: string): RunState | undefined {
    const run = this.runs.get(runId);
    if (run) this.runs.delete(runId);
    return run;
  }

  /** Remembers the trace of a chain, tool or retriever run that starts. */
  startParentRun(runId: string, parentRunId: string | undefined, now: number): void {
    this.sweepIfDue(now);
    if (this.traces.size >= this.options.maxInFlightRuns) {
      const oldest = this.traces.keys().next().value;
      if (oldest !== undefined) this.traces.delete(oldest);
    }
    this.traces.set(runId, { traceId: this.traceOf(runId, parentRunId), startTime: now });
  }

  /** Forgets a chain, tool or retriever run that ended or failed. */
  endParentRun(runId: string): void {
    this.traces.delete(runId);
  }

  /** The root run id of the tree a run belongs to, from its parent's entry (or the parent itself). */
  traceOf(runId: string, parentRunId: string | undefined): string {
    if (!parentRunId) return runId;
    return this.traces.get(parentRunId)?.traceId ?? this.runs.get(parentRunId)?.traceId ?? parentRunId;
  }

  /** Ends runs and trace entries older than the time-to-live (oldest first, so it stops early). */
  sweep(now: number): void {
    const { runTtlMs } = this.options;
    this.nextSweep = now + Math.min(runTtlMs, 1000);
    const cutoff = now - runTtlMs;
    for (const run of this.runs.values()) {
      if (run.startTime > cutoff) break;
      this.evict(run, now, `run not ended after ${runTtlMs} ms (runTtlMs)`);
    }
    for (const [runId, entry] of this.traces) {
      if (entry.startTime > cutoff) break;
      this.traces.delete(runId);
    }
  }

  private sweepIfDue(now: number): void {
    if (now >= this.nextSweep) this.sweep(now);
  }

  private evictOldest(now: number): void {
    const oldest = this.runs.values().next().value;
    if (oldest) {
      this.evict(oldest, now, `more than ${this.options.maxInFlightRuns} runs in flight (maxInFlightRuns)`);
    }
  }

  private evict(run: RunState, now: number, reason: string): void {
    this.runs.delete(run.runId);
    this.evicted++;
    this.options.onEvict(run, now, reason);
  }
}
