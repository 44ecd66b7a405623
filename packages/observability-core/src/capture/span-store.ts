import type { SpanState } from "./build-span";

/** Bounds of the span store. */
export interface SpanStoreLimits {
  /** Most open spans kept at once (all traces together). */
  maxOpenSpans: number;
  /** A trace with no span starting or ending for this long is evicted. */
  traceTtlMs: number;
}

interface TraceEntry {
  /** Open spans of the trace, by run id. */
  open: Set<string>;
  lastActivity: number;
}

/**
 * The runs that have started and not yet ended, grouped by trace. Bounded: beyond `maxOpenSpans`,
 * or once a trace has been idle for `traceTtlMs`, the least recently active trace is evicted whole
 * (its open spans are handed to `onEvict`, which ends them as `cancelled`). Evicted run ids are
 * remembered (as many as `maxOpenSpans`) so that their children still find their trace, and their
 * late end callbacks are ignored.
 *
 * Every operation is O(1) except eviction, which is O(spans evicted); nothing here recurses over
 * the tree, so a deep tree costs no stack and a wide one no scan.
 */
export class SpanStore {
  private readonly spans = new Map<string, SpanState>();
  /** In order of last activity (a touched trace moves to the end), so eviction takes the head. */
  private readonly traces = new Map<string, TraceEntry>();
  /** Run id → trace id of evicted runs, oldest first. */
  private readonly evicted = new Map<string, string>();
  private readonly limits: SpanStoreLimits;
  private readonly onEvict: (spans: SpanState[], reason: string) => void;
  private nextSweep = 0;

  constructor(limits: SpanStoreLimits, onEvict: (spans: SpanState[], reason: string) => void) {
    this.limits = limits;
    this.onEvict = onEvict;
  }

  /** Open spans. */
  get size(): number {
    return this.spans.size;
  }

  /** Traces with open spans. */
  get traceCount(): number {
    return this.traces.size;
  }

  get(runId: string): SpanState | undefined {
    return this.spans.get(runId);
  }

  /** The trace a new run belongs to: its parent's trace, or (a root run) its own id. */
  traceOf(runId: string, parentRunId: string | undefined): string {
    if (!parentRunId) return runId;
    return this.spans.get(parentRunId)?.traceId ?? this.evicted.get(parentRunId) ?? parentRunId;
  }

  /** Whether a run was evicted (its end callback is then ignored). */
  wasEvicted(runId: string): boolean {
    return this.evicted.has(runId);
  }

  /** Makes room (evicting idle or least recently active traces), then keeps the span. */
  add(state: SpanState, now: number): void {
    if (now >= this.nextSweep) this.sweep(now);
    const existing = this.spans.get(state.runId);
    if (existing) this.forget(existing);
    while (this.spans.size >= this.limits.maxOpenSpans && this.traces.size > 0) {
      this.evictTrace(
        this.traces.keys().next().value as string,
        `more than ${this.limits.maxOpenSpans} runs in flight (maxInFlightRuns)`,
      );
    }
    this.spans.set(state.runId, state);
    let trace = this.traces.get(state.traceId);
    if (trace) this.traces.delete(state.traceId);
    else trace = { open: new Set(), lastActivity: now };
    trace.open.add(state.runId);
    trace.lastActivity = now;
    this.traces.set(state.traceId, trace);
  }

  /**
   * Removes and returns an ended run's span. Its end counts as activity of the trace, unless
   * `touch` is false (a run ended by eviction elsewhere is no sign of life).
   */
  take(runId: string, now: number, touch = true): SpanState | undefined {
    const state = this.spans.get(runId);
    if (!state) return undefined;
    this.forget(state);
    const trace = this.traces.get(state.traceId);
    if (trace && touch) {
      this.traces.delete(state.traceId);
      trace.lastActivity = now;
      this.traces.set(state.traceId, trace);
    }
    return state;
  }

  /** Evicts traces idle for longer than the time-to-live (the least recently active first). */
  sweep(now: number): void {
    this.nextSweep = now + Math.min(this.limits.traceTtlMs, 1000);
    const cutoff = now - this.limits.traceTtlMs;
    for (const [traceId, trace] of this.traces) {
      if (trace.lastActivity > cutoff) break;
      this.evictTrace(traceId, `trace idle for more than ${this.limits.traceTtlMs} ms (runTtlMs)`);
    }
  }

  private forget(state: SpanState): void {
    this.spans.delete(state.runId);
    const trace = this.traces.get(state.traceId);
    if (!trace) return;
    trace.open.delete(state.runId);
    if (trace.open.size === 0) this.traces.delete(state.traceId);
  }

  private evictTrace(traceId: string, reason: string): void {
    const trace = this.traces.get(traceId);
    this.traces.delete(traceId);
    if (!trace) return;
    const spans: SpanState[] = [];
    for (const runId of trace.open) {
      const state = this.spans.get(runId);
      if (!state) continue;
      this.spans.delete(runId);
      this.remember(runId, traceId);
      spans.push(state);
    }
    // Children first (started later), as an exporter would have received them had they ended.
    spans.reverse();
    this.onEvict(spans, reason);
  }

  private remember(runId: string, traceId: string): void {
    this.evicted.set(runId, traceId);
    if (this.evicted.size > this.limits.maxOpenSpans) {
      this.evicted.delete(this.evicted.keys().next().value as string);
    }
  }
}
