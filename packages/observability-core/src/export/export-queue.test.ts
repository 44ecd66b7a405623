import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  createHttpClient,
  createVendorExporter,
  type ExportResult,
  type LLMRunRecord,
  ObservabilityCallbackHandler,
  VendorApiError,
} from "../index";
import { createMemoryExporter, createSeededFaults, type Emulator, startEmulator } from "../testing/index";
import { ExportQueue, type ExportQueueOptions } from "./export-queue";
import type { Exporter } from "./exporter";

const model = () => new FakeListChatModel({ responses: ["answer"] });

const emulators: Array<Emulator<{ id: string }>> = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(emulators.splice(0).map((emulator) => emulator.close()));
});

/** A vendor taking `{ id }` arrays on `/events`; with `upsert`, an id it already has is not stored again. */
async function startSink(options: { upsert?: boolean } = {}): Promise<Emulator<{ id: string }>> {
  const seen = new Set<string>();
  const emulator = await startEmulator<{ id: string }>({
    respond(request, { store }) {
      if (request.path !== "/events" || !Array.isArray(request.body)) return undefined;
      for (const event of request.body as Array<{ id: string }>) {
        if (options.upsert && seen.has(event.id)) continue;
        seen.add(event.id);
        store(event);
      }
      return { body: { ok: true } };
    },
    onReset: () => seen.clear(),
  });
  emulators.push(emulator);
  return emulator;
}

/** A batched JSON exporter on the kit over real HTTP, as a vendor package writes it. */
function createSinkExporter(
  baseUrl: string,
  options: { method?: "POST" | "PUT"; timeoutMs?: number; maxRetries?: number; maxBatchSize?: number } = {},
) {
  const client = createHttpClient({
    vendor: "Sink",
    baseUrl,
    timeoutMs: options.timeoutMs ?? 10_000,
    maxRetries: options.maxRetries ?? 2,
    backoffLimitMs: 20,
  });
  return createVendorExporter<LLMRunRecord, { id: string }>({
    name: "sink",
    vendor: "Sink",
    maxBatchSize: options.maxBatchSize ?? 100,
    map: (record) => ({ id: record.recordId }),
    async send(items, context) {
      await client.request({
        method: options.method ?? "POST",
        path: "events",
        body: `[${items.map((item) => item.json).join(",")}]`,
        signal: context.signal,
        onRetry: context.onRetry,
      });
    },
  });
}

async function invokeMany(handler: ObservabilityCallbackHandler, count: number, firstIndex = 0) {
  const chat = model();
  for (let index = firstIndex; index < firstIndex + count; index++) {
    await expect(chat.invoke(`q${index}`, { callbacks: [handler] })).resolves.toBeDefined();
  }
}

function fakeRecord(recordId: string): LLMRunRecord {
  return { recordId } as LLMRunRecord;
}

/** An ExportQueue on its own, for the tests that drive time with fake timers. */
function createQueue(exporter: Exporter, options: Partial<ExportQueueOptions> = {}) {
  const errors: string[] = [];
  const queue = new ExportQueue(exporter, {
    maxBatchSize: 10,
    maxBatchBytes: 5_000_000,
    maxQueueSize: 1000,
    flushIntervalMs: 10,
    onError: (error) => errors.push((error as Error).message),
    ...options,
  });
  return { queue, errors };
}

/** An exporter whose answer for each call comes from `answer`; it records when it was called. */
function scriptedExporter(answer: (records: LLMRunRecord[], call: number) => ExportResult) {
  const calls: Array<{ at: number; ids: string[] }> = [];
  const exporter: Exporter = {
    name: "scripted",
    maxBatchSize: 10,
    async export(records) {
      calls.push({ at: Date.now(), ids: records.map((record) => record.recordId) });
      return answer(records, calls.length);
    },
  };
  return { exporter, calls };
}

const busy = () => new VendorApiError({ vendor: "V", method: "POST", url: "u", status: 503 });

describe("export queue", () => {
  it("batches by maxBatchSize", async () => {
    const exporter = createMemoryExporter({ maxBatchSize: 1000 });
    const handler = new ObservabilityCallbackHandler({
      exporters: [exporter],
      maxBatchSize: 4,
      flushIntervalMs: 60_000,
    });
    await invokeMany(handler, 10);
    const result = await handler.flush();
    expect(exporter.batches.map((batch) => batch.length)).toEqual([4, 4, 2]);
    expect(result).toEqual({
      ok: true,
      timedOut: false,
      exported: 10,
      failed: 0,
      unknown: 0,
      dropped: 0,
      pending: 0,
    });
  });

  it("also honours the exporter's own maxBatchSize", async () => {
    const exporter = createMemoryExporter({ maxBatchSize: 3 });
    const handler = new ObservabilityCallbackHandler({ exporters: [exporter], flushIntervalMs: 60_000 });
    await invokeMany(handler, 7);
    await handler.flush();
    expect(exporter.batches.map((batch) => batch.length)).toEqual([3, 3, 1]);
  });

  it("batches by bytes, and drops a single record larger than maxBatchBytes as oversize", async () => {
    const exporter = createMemoryExporter();
    const onError = vi.fn();
    const handler = new ObservabilityCallbackHandler({
      exporters: [exporter],
      maxBatchBytes: 8000,
      maxFieldChars: 100_000,
      flushIntervalMs: 60_000,
      onError,
    });
    const chat = model();
    for (let index = 0; index < 4; index++) await chat.invoke("x".repeat(1500), { callbacks: [handler] });
    await chat.invoke("y".repeat(20_000), { callbacks: [handler] });
    await handler.flush();
    expect(exporter.batches.map((batch) => batch.length)).toEqual([2, 2]);
    expect(handler.stats().dropped).toMatchObject({ oversize: 1, total: 1 });
    expect(onError).toHaveBeenCalledWith(
      expect.objectContaining({ message: expect.stringContaining("maxBatchBytes") }),
    );
  });

  it("sends on its own every flushIntervalMs", async () => {
    const exporter = createMemoryExporter();
    const handler = new ObservabilityCallbackHandler({ exporters: [exporter], flushIntervalMs: 20 });
    await model().invoke("hi", { callbacks: [handler] });
    await vi.waitFor(() => expect(exporter.records).toHaveLength(1), { timeout: 5000 });
  });

  it("drops the oldest records beyond maxQueueSize and counts them", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let exportsStarted = 0;
    const exporter = createMemoryExporter({
      concurrency: 1,
      maxBatchSize: 1,
      onExport: () => {
        exportsStarted++;
        return gate.then(() => undefined);
      },
    });
    const handler = new ObservabilityCallbackHandler({
      exporters: [exporter],
      maxQueueSize: 5,
      flushIntervalMs: 60_000,
    });
    await invokeMany(handler, 1);
    // The first record is in flight (held by the gate) before the others queue up.
    await vi.waitFor(() => expect(exportsStarted).toBe(1), { timeout: 5000 });
    await invokeMany(handler, 11, 1);
    await vi.waitFor(() => expect(handler.stats().captured).toBe(12));
    release();
    const result = await handler.flush();
    const stats = handler.stats();
    // One record was in flight when the rest queued up; the queue kept the newest five.
    expect(stats.dropped.queueFull).toBe(6);
    expect(stats.exported).toBe(6);
    expect(exporter.records.map((record) => record.input.prompt)).toEqual([
      "q0",
      "q7",
      "q8",
      "q9",
      "q10",
      "q11",
    ]);
    expect(stats.exported + stats.failed + stats.dropped.total + stats.pending).toBe(stats.captured);
    expect(result).toMatchObject({ ok: true, dropped: 6 });
  });

  it("limits requests in flight to the exporter's concurrency", async () => {
    let inFlight = 0;
    let peak = 0;
    const exporter = createMemoryExporter({
      maxBatchSize: 1,
      concurrency: 3,
      onExport: async () => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight--;
        return undefined;
      },
    });
    const handler = new ObservabilityCallbackHandler({ exporters: [exporter] });
    await invokeMany(handler, 12);
    await handler.flush();
    expect(exporter.records).toHaveLength(12);
    expect(peak).toBe(3);
  });

  it("re-queues only the records an exporter reports as retryable, and fails the others", async () => {
    const attempts = new Map<string, number>();
    const exporter = createMemoryExporter({
      onExport: (records) => {
        const failed = [];
        for (const record of records) {
          const count = (attempts.get(record.input.prompt) ?? 0) + 1;
          attempts.set(record.input.prompt, count);
          if (record.input.prompt === "q1" && count === 1) {
            failed.push({ recordId: record.recordId, retryable: true, error: busy() });
          }
          if (record.input.prompt === "q2") {
            failed.push({
              recordId: record.recordId,
              retryable: false,
              error: new VendorApiError({ vendor: "M", method: "POST", url: "u", status: 422 }),
            });
          }
        }
        return { failed };
      },
    });
    const onError = vi.fn();
    const handler = new ObservabilityCallbackHandler({ exporters: [exporter], onError });
    await invokeMany(handler, 3);
    const result = await handler.flush();
    expect(Object.fromEntries(attempts)).toEqual({ q0: 1, q1: 2, q2: 1 });
    expect(exporter.records.map((record) => record.input.prompt).sort()).toEqual(["q0", "q1"]);
    // A record retry is not a request retry: `retried` counts the HTTP client's resends only.
    expect(handler.stats()).toMatchObject({ exported: 2, failed: 1, retried: 0, requeued: 1, pending: 0 });
    expect(result).toMatchObject({ ok: false, exported: 2, failed: 1 });
    // The 503 that made q1 wait, and the 422 that refused q2.
    expect(onError.mock.calls.map(([error]) => (error as VendorApiError).status)).toEqual([503, 422]);
  });

  it("halves a batch the vendor refuses as too large (413) until only the oversized record fails", async () => {
    const sizes: number[] = [];
    const exporter = createMemoryExporter({
      concurrency: 1,
      onExport: (records) => {
        sizes.push(records.length);
        const tooLarge = records.some((record) => record.input.prompt === "q5") || records.length > 4;
        if (tooLarge) throw new VendorApiError({ vendor: "M", method: "POST", url: "u", status: 413 });
        return undefined;
      },
    });
    const onError = vi.fn();
    const handler = new ObservabilityCallbackHandler({
      exporters: [exporter],
      flushIntervalMs: 60_000,
      onError,
    });
    await invokeMany(handler, 8);
    const result = await handler.flush();
    expect(sizes).toEqual([8, 4, 4, 2, 1, 1, 2]);
    expect(exporter.records.map((record) => record.input.prompt).sort()).toEqual(
      ["q0", "q1", "q2", "q3", "q4", "q6", "q7"].sort(),
    );
    expect(result).toMatchObject({ exported: 7, failed: 1, pending: 0 });
    expect(handler.stats()).toMatchObject({ retried: 0, requeued: 0 });
    expect(onError).toHaveBeenCalledTimes(1);
  });
});

describe("queue options", () => {
  it.each([
    ["maxRecordAgeMs", 2 ** 31],
    ["maxRecordAgeMs", 0],
    ["maxQueueBytes", 100],
    ["maxQueueBytes", Number.POSITIVE_INFINITY],
  ])("rejects %s = %s with a ConfigurationError naming it", (option, value) => {
    expect(
      () => new ObservabilityCallbackHandler({ exporters: [createMemoryExporter()], [option]: value }),
    ).toThrow(expect.objectContaining({ name: "ConfigurationError", option }));
  });
});

describe("record retries (fake timers)", () => {
  const fakeTime = () => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });

  it("keeps a failing record queued with no attempt cap, pausing with growing backoff, until it is delivered", async () => {
    fakeTime();
    const { exporter, calls } = scriptedExporter((records, call) =>
      call <= 6
        ? { failed: records.map((record) => ({ recordId: record.recordId, retryable: true, error: busy() })) }
        : {},
    );
    const { queue } = createQueue(exporter);
    queue.enqueue(fakeRecord("r1"), 100);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(calls).toHaveLength(7);
    expect(queue.stats).toMatchObject({ exported: 1, failed: 0, requeued: 6, pending: 0 });
    const gaps = calls.slice(1).map((call, index) => call.at - calls[index]!.at);
    // 250 ms doubling each time, with jitter between half and all of it.
    for (const [index, gap] of gaps.entries()) {
      expect(gap).toBeGreaterThanOrEqual(125 * 2 ** index);
      expect(gap).toBeLessThanOrEqual(250 * 2 ** index + 20);
    }
  });

  it("drops a record not delivered within maxRecordAgeMs, and says why", async () => {
    fakeTime();
    const { exporter, calls } = scriptedExporter((records) => ({
      failed: records.map((record) => ({ recordId: record.recordId, retryable: true, error: busy() })),
    }));
    const { queue, errors } = createQueue(exporter, { maxRecordAgeMs: 600_000 });
    queue.enqueue(fakeRecord("r1"), 100);
    await vi.advanceTimersByTimeAsync(9 * 60_000);
    expect(queue.stats).toMatchObject({ pending: 1, dropped: { expired: 0 } });
    await vi.advanceTimersByTimeAsync(2 * 60_000);
    expect(queue.stats).toMatchObject({ pending: 0, failed: 0, dropped: { expired: 1 } });
    const callsAtExpiry = calls.length;
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(calls).toHaveLength(callsAtExpiry);
    expect(errors.at(-1)).toBe(
      "scripted: dropped 1 record(s) not delivered within maxRecordAgeMs (600000 ms); last error: V: POST u answered 503",
    );
  });

  it("pauses at least as long as the vendor's Retry-After (capped at 30 s)", async () => {
    fakeTime();
    const { exporter, calls } = scriptedExporter((records, call) =>
      call === 1
        ? {
            failed: records.map((record) => ({
              recordId: record.recordId,
              retryable: true,
              error: new VendorApiError({
                vendor: "V",
                method: "POST",
                url: "u",
                status: 429,
                retryAfterMs: 20_000,
              }),
            })),
          }
        : {},
    );
    const { queue } = createQueue(exporter);
    queue.enqueue(fakeRecord("r1"), 100);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(20_000);
  });

  it("counts an unknown outcome apart and never sends that record again", async () => {
    fakeTime();
    const { exporter, calls } = scriptedExporter((records) => ({
      failed: [{ recordId: records[0]!.recordId, retryable: true, outcome: "unknown", error: busy() }],
    }));
    const { queue } = createQueue(exporter);
    queue.enqueue(fakeRecord("lost"), 100);
    queue.enqueue(fakeRecord("fine"), 100);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toEqual([{ at: expect.any(Number), ids: ["lost", "fine"] }]);
    expect(queue.stats).toMatchObject({ exported: 1, failed: 0, unknown: 1, requeued: 0, pending: 0 });
  });

  it("bounds the queue by estimated bytes (maxQueueBytes), dropping the oldest", async () => {
    fakeTime();
    const { exporter } = scriptedExporter((records) => ({
      failed: records.map((record) => ({ recordId: record.recordId, retryable: true, error: busy() })),
    }));
    const { queue } = createQueue(exporter, { maxQueueBytes: 50_000, flushIntervalMs: 60_000 });
    for (let index = 0; index < 20; index++) queue.enqueue(fakeRecord(`r${index}`), 10_000);
    expect(queue.stats).toMatchObject({ pending: 5, dropped: { queueFull: 15 } });
  });

  it("fails a retryable record for good once the queue is closed (shutdown)", async () => {
    fakeTime();
    let release: (result: ExportResult) => void = () => {};
    const exporter: Exporter = {
      name: "gated",
      maxBatchSize: 10,
      export: () =>
        new Promise<ExportResult>((resolve) => {
          release = resolve;
        }),
    };
    const { queue } = createQueue(exporter);
    queue.enqueue(fakeRecord("r1"), 100);
    await vi.advanceTimersByTimeAsync(20);
    queue.close();
    release({ failed: [{ recordId: "r1", retryable: true, error: busy() }] });
    await vi.advanceTimersByTimeAsync(20);
    expect(queue.stats).toMatchObject({ failed: 1, requeued: 0, pending: 0 });
  });
});

describe("flush and shutdown", () => {
  it("returns by its deadline with a hanging exporter, reporting what is pending", async () => {
    const exporter = createMemoryExporter({ onExport: () => new Promise(() => {}) });
    const handler = new ObservabilityCallbackHandler({ exporters: [exporter] });
    await invokeMany(handler, 3);
    const result = await handler.flush({ timeoutMs: 200 });
    expect(result).toEqual({
      ok: false,
      timedOut: true,
      exported: 0,
      failed: 0,
      unknown: 0,
      dropped: 0,
      pending: 3,
    });
    await handler.shutdown({ timeoutMs: 0 });
  });

  it("fans out: a hanging vendor neither delays nor loses another's records", async () => {
    const fast = createMemoryExporter({ name: "fast" });
    const slow = createMemoryExporter({ name: "slow", onExport: () => new Promise(() => {}) });
    const handler = new ObservabilityCallbackHandler({ exporters: [slow, fast], flushIntervalMs: 10 });
    await invokeMany(handler, 5);
    await vi.waitFor(() => expect(fast.records).toHaveLength(5), { timeout: 5000 });
    const result = await handler.flush({ timeoutMs: 100 });
    expect(result.timedOut).toBe(true);
    expect(handler.stats().exporters).toEqual({
      slow: { exported: 0, failed: 0, retried: 0, requeued: 0, unknown: 0, pending: 5, dropped: 0 },
      fast: { exported: 5, failed: 0, retried: 0, requeued: 0, unknown: 0, pending: 0, dropped: 0 },
    });
    await handler.shutdown({ timeoutMs: 0 });
  });

  it("rejects two exporters with the same name", () => {
    expect(
      () => new ObservabilityCallbackHandler({ exporters: [createMemoryExporter(), createMemoryExporter()] }),
    ).toThrow(/named "memory"/);
  });

  it("shutdown flushes, then calls each exporter's shutdown", async () => {
    const exporter = { ...createMemoryExporter(), shutdown: vi.fn(async () => {}) };
    const handler = new ObservabilityCallbackHandler({ exporters: [exporter] });
    await invokeMany(handler, 2);
    const result = await handler.shutdown();
    expect(result.exported).toBe(2);
    expect(exporter.shutdown).toHaveBeenCalledTimes(1);
  });

  it("lets a script that never calls shutdown exit by itself", () => {
    // Inside the package so the script resolves @langchain/core like the package does.
    const cache = join(import.meta.dirname, "..", "..", "node_modules", ".cache");
    mkdirSync(cache, { recursive: true });
    const script = join(cache, `observability-exit-${process.pid}.mts`);
    const entry = join(import.meta.dirname, "..", "index.ts").replaceAll("\\", "/");
    writeFileSync(
      script,
      `import { FakeListChatModel } from "@langchain/core/utils/testing";
       import { ObservabilityCallbackHandler } from ${JSON.stringify(entry)};
       const handler = new ObservabilityCallbackHandler({
         flushIntervalMs: 3_600_000,
         flushTimeoutMs: 500,
         exporters: [{ name: "never", maxBatchSize: 10, export: () => new Promise(() => {}) }],
       });
       await new FakeListChatModel({ responses: ["x"] }).invoke("hi", { callbacks: [handler] });
       console.log("invoked");`,
    );
    const child = spawnSync(process.execPath, ["--import", "tsx", script], {
      cwd: join(import.meta.dirname, "..", ".."),
      encoding: "utf8",
      timeout: 45_000,
    });
    expect(child.stderr).toBe("");
    expect(child.stdout).toContain("invoked");
    expect(child.signal).toBeNull();
    expect(child.status).toBe(0);
  }, 60_000);
});

describe("over real HTTP", () => {
  it("a POST answered 500 then 200: the record goes again in a later batch, delivered once", async () => {
    const sink = await startSink();
    sink.failNext({ status: 500 });
    const handler = new ObservabilityCallbackHandler({
      exporters: [createSinkExporter(sink.url)],
      flushIntervalMs: 60_000,
      onError: () => {},
    });
    await invokeMany(handler, 2);
    const result = await handler.flush({ timeoutMs: 15_000 });
    expect(result).toMatchObject({ ok: true, exported: 2, failed: 0 });
    expect(sink.received).toHaveLength(2);
    expect(sink.requests.map((request) => request.status)).toEqual([500, 200]);
    // The client never resends a POST after a 500; the queue sent the records again.
    expect(handler.stats()).toMatchObject({ retried: 0, requeued: 2 });
  });

  it("a PUT answered 503 then 200: the HTTP client resends it, counted as a request retry", async () => {
    const sink = await startSink();
    sink.failNext({ status: 503 });
    const handler = new ObservabilityCallbackHandler({
      exporters: [createSinkExporter(sink.url, { method: "PUT" })],
      flushIntervalMs: 60_000,
    });
    await invokeMany(handler, 1);
    expect(await handler.flush({ timeoutMs: 15_000 })).toMatchObject({ ok: true, exported: 1 });
    expect(handler.stats()).toMatchObject({ retried: 1, requeued: 0 });
  });

  it("a POST lost after the vendor stored it: counted as unknown, never resent, stored once", async () => {
    const sink = await startSink();
    sink.failNext({ reset: "after-store" });
    const onError = vi.fn();
    const handler = new ObservabilityCallbackHandler({
      exporters: [createSinkExporter(sink.url)],
      flushIntervalMs: 60_000,
      onError,
    });
    await invokeMany(handler, 2);
    const result = await handler.flush({ timeoutMs: 15_000 });
    expect(result).toEqual({
      ok: false,
      timedOut: false,
      exported: 0,
      failed: 0,
      unknown: 2,
      dropped: 0,
      pending: 0,
    });
    expect(await handler.flush({ timeoutMs: 15_000 })).toMatchObject({ ok: true, unknown: 0, pending: 0 });
    expect(sink.received).toHaveLength(2);
    expect(sink.requests).toHaveLength(1);
    const stats = handler.stats();
    expect(stats.exported + stats.failed + stats.unknown + stats.dropped.total + stats.pending).toBe(
      stats.captured,
    );
    expect((onError.mock.calls[0]![0] as Error).message).toContain("the vendor may have stored it");
  });

  it("a hang past the timeout and a 401: unknown and failed, reported, chain fine", async () => {
    const onError = vi.fn();
    // The short timeout only where the sink hangs: an answer (the 401) must never race it.
    const cases = [
      { fault: { hangMs: Number.POSITIVE_INFINITY }, timeoutMs: 5000, expected: { failed: 0, unknown: 2 } },
      {
        fault: { status: 401, body: { detail: "bad key" } },
        timeoutMs: 60_000,
        expected: { failed: 2, unknown: 0 },
      },
    ];
    for (const { fault, timeoutMs, expected } of cases) {
      const sink = await startSink();
      sink.failNext(fault);
      const handler = new ObservabilityCallbackHandler({
        exporters: [createSinkExporter(sink.url, { timeoutMs, maxRetries: 1 })],
        onError,
      });
      await invokeMany(handler, 2);
      const result = await handler.flush({ timeoutMs: 15_000 });
      expect(result).toMatchObject({ ok: false, timedOut: false, exported: 0, pending: 0, ...expected });
      expect(sink.requests).toHaveLength(1);
    }
    expect(onError.mock.calls.map(([error]) => (error as Error).name)).toEqual([
      "ExportTimeoutError",
      "VendorApiError",
    ]);
  });

  it("a malformed answer to a success is still a delivery", async () => {
    const sink = await startSink();
    sink.failNext({ malformed: true });
    const handler = new ObservabilityCallbackHandler({ exporters: [createSinkExporter(sink.url)] });
    await invokeMany(handler, 1);
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1 });
  });

  it("50 KB prompts while the vendor is down: the queue holds at most maxQueueBytes", async () => {
    const sink = await startSink();
    sink.failNext({ status: 503, times: 1_000_000 });
    const handler = new ObservabilityCallbackHandler({
      exporters: [createSinkExporter(sink.url, { maxRetries: 0 })],
      maxQueueBytes: 1_000_000,
      maxFieldChars: 100_000,
      flushIntervalMs: 60_000,
      onError: () => {},
    });
    const chat = model();
    for (let index = 0; index < 100; index++) {
      await chat.invoke(`${index} ${"p".repeat(50_000)}`, { callbacks: [handler] });
    }
    const stats = handler.stats();
    // Each record holds the 50 KB prompt (twice: as prompt and as message), so fewer than 20 fit in
    // 1 MB; the others were dropped, oldest first, and counted.
    expect(stats.pending).toBeLessThan(20);
    expect(stats.pending).toBeGreaterThanOrEqual(5);
    expect(stats.dropped.queueFull).toBe(100 - stats.pending);
    expect(stats.exported + stats.failed + stats.dropped.total + stats.pending).toBe(stats.captured);
    await handler.shutdown({ timeoutMs: 0 });
  });

  it.each([
    ["POST", { status: [500, 502, 503, 429] }],
    ["PUT", { status: [500, 503], reset: true, hang: true }],
  ] as const)(
    "30%% transient faults then recovery, %s (seed 7): 0 records lost, 0 duplicated",
    async (method, faults) => {
      const upsert = method === "PUT";
      const sink = await startSink({ upsert });
      const drawn = [
        ...faults.status.map((status) => ({ status, headers: { "retry-after": "0" } })),
        ...("reset" in faults ? [{ reset: "after-store" as const }, { reset: "before-store" as const }] : []),
        ...("hang" in faults ? [{ hangMs: Number.POSITIVE_INFINITY }, { malformed: true, status: 502 }] : []),
      ];
      sink.injectFaults(createSeededFaults({ seed: 7, rate: 0.3, faults: drawn }));
      // A short timeout only where hangs are injected (PUT: a timed-out request is resent safely).
      // Without hangs a timeout could only come from a slow machine, and a timed-out POST is
      // "unknown" by design, so POST gets a bound no loopback answer reaches.
      const timeoutMs = "hang" in faults ? 300 : 30_000;
      const handler = new ObservabilityCallbackHandler({
        exporters: [createSinkExporter(sink.url, { method, timeoutMs, maxRetries: 2, maxBatchSize: 5 })],
        flushIntervalMs: 10,
        onError: () => {},
      });
      await invokeMany(handler, 40);
      await handler.flush({ timeoutMs: 2000 });
      sink.injectFaults(undefined);
      const result = await handler.flush({ timeoutMs: 60_000 });
      const stats = handler.stats();
      expect(stats).toMatchObject({ captured: 40, exported: 40, failed: 0, unknown: 0, pending: 0 });
      expect(result).toMatchObject({ ok: true, pending: 0 });
      const ids = sink.received.map((event) => event.id);
      expect(new Set(ids).size).toBe(40);
      expect(ids).toHaveLength(40);
      expect(sink.requests.some((request) => request.fault !== undefined)).toBe(true);
    },
    90_000,
  );
});
