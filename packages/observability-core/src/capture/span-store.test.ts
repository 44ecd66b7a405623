import { describe, expect, it } from "vitest";
import type { SpanState } from "./build-span";
import { SpanStore } from "./span-store";

function span(runId: string, parentRunId: string | undefined, traceId: string): SpanState {
  return {
    runId,
    parentRunId,
    traceId,
    kind: "chain",
    name: runId,
    serializedId: undefined,
    sampled: true,
    startTime: 0,
    chars: 0,
  };
}

function createStore(maxOpenSpans: number, traceTtlMs = 60_000) {
  const evictions: Array<{ runIds: string[]; reason: string }> = [];
  const store = new SpanStore({ maxOpenSpans, traceTtlMs }, (spans, reason) =>
    evictions.push({ runIds: spans.map((state) => state.runId), reason }),
  );
  /** Starts a run the way the capture does: trace id from the parent. */
  const start = (runId: string, parentRunId?: string, now = 0) =>
    store.add(span(runId, parentRunId, store.traceOf(runId, parentRunId)), now);
  return { store, evictions, start };
}

describe("SpanStore", () => {
  it("gives a child its parent's trace and a root its own id; an ended run leaves nothing behind", () => {
    const { store, start } = createStore(10);
    start("root");
    start("child", "root");
    start("grandchild", "child");
    expect(store.get("grandchild")?.traceId).toBe("root");
    expect(store.take("grandchild", 1)?.runId).toBe("grandchild");
    expect(store.take("child", 1)?.runId).toBe("child");
    expect(store.take("root", 1)?.runId).toBe("root");
    expect(store.take("root", 1)).toBeUndefined();
    expect({ size: store.size, traces: store.traceCount }).toEqual({ size: 0, traces: 0 });
  });

  it("beyond maxOpenSpans evicts the least recently active trace whole, children first", () => {
    const { store, evictions, start } = createStore(4);
    start("a", undefined, 1);
    start("a1", "a", 2);
    start("b", undefined, 3);
    start("a2", "a", 4); // trace a is now the most recently active
    start("c", undefined, 5); // full: evicts trace b
    expect(evictions).toEqual([{ runIds: ["b"], reason: "more than 4 runs in flight (maxInFlightRuns)" }]);
    start("d", undefined, 6); // full again: evicts trace a, newest span first
    expect(evictions[1]).toEqual({
      runIds: ["a2", "a1", "a"],
      reason: "more than 4 runs in flight (maxInFlightRuns)",
    });
    expect({ size: store.size, traces: store.traceCount }).toEqual({ size: 2, traces: 2 });
  });

  it("a child started after its trace was evicted still belongs to that trace; late ends are ignored", () => {
    const { store, start } = createStore(2);
    start("root");
    start("child", "root");
    start("other"); // evicts trace "root"
    expect(store.wasEvicted("child")).toBe(true);
    start("late", "child");
    expect(store.get("late")?.traceId).toBe("root");
    expect(store.take("child", 1)).toBeUndefined();
  });

  it("evicts a trace idle for traceTtlMs, however many spans it has open, and keeps active ones", () => {
    const { store, evictions, start } = createStore(100, 1000);
    start("stuck", undefined, 0);
    start("stuck-child", "stuck", 10);
    start("busy", undefined, 0);
    start("busy-child", "busy", 900); // activity keeps trace "busy" alive
    store.sweep(1500);
    expect(evictions).toEqual([
      { runIds: ["stuck-child", "stuck"], reason: "trace idle for more than 1000 ms (runTtlMs)" },
    ]);
    expect(store.get("busy")).toBeDefined();
    store.take("busy-child", 1600);
    store.sweep(2500);
    expect(store.get("busy")).toBeDefined();
    store.sweep(2601);
    expect(evictions.at(-1)?.runIds).toEqual(["busy"]);
  });

  it("a 10,000-wide trace stays within maxOpenSpans, and remembers at most maxOpenSpans evicted ids", () => {
    const { store, evictions, start } = createStore(1000);
    start("root");
    for (let index = 0; index < 10_000; index++) start(`child-${index}`, "root");
    expect(store.size).toBeLessThanOrEqual(1000);
    // The trace was evicted whole each time the store filled up; its later children kept the trace id.
    expect(store.get("child-9999")?.traceId).toBe("root");
    expect(evictions.length).toBe(10);
    const evicted = evictions.reduce((total, eviction) => total + eviction.runIds.length, 0);
    expect(evicted + store.size).toBe(10_001);
    expect((store as unknown as { evicted: Map<string, string> }).evicted.size).toBeLessThanOrEqual(1000);
  });

  it("a 200-deep chain of runs costs one entry per open run and unwinds without recursion", () => {
    const { store, start } = createStore(10_000);
    start("run-0");
    for (let depth = 1; depth < 200; depth++) start(`run-${depth}`, `run-${depth - 1}`);
    expect(store.size).toBe(200);
    expect(store.get("run-199")?.traceId).toBe("run-0");
    for (let depth = 199; depth >= 0; depth--) expect(store.take(`run-${depth}`, 1)).toBeDefined();
    expect({ size: store.size, traces: store.traceCount }).toEqual({ size: 0, traces: 0 });
  });
});
