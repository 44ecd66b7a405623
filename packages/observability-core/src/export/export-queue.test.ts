import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { delay, HttpResponse, http } from "msw";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  createHttpClient,
  type Exporter,
  type LLMRunRecord,
  ObservabilityCallbackHandler,
  VendorApiError,
} from "../index";
import { createMemoryExporter, type MockServer, startMockServer } from "../testing/index";

const model = () => new FakeListChatModel({ responses: ["answer"] });

let server: MockServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A batched JSON exporter over real HTTP, as a vendor package would write it. */
function createHttpExporter(
  baseUrl: string,
  options: { timeoutMs?: number; maxRetries?: number } = {},
): Exporter {
  let onRetry = () => {};
  const client = createHttpClient({
    vendor: "Sink",
    baseUrl,
    timeoutMs: options.timeoutMs ?? 2000,
    maxRetries: options.maxRetries ?? 2,
    backoffLimitMs: 20,
    onRetry: () => onRetry(),
  });
  return {
    name: "sink",
    maxBatchSize: 100,
    bind(context) {
      onRetry = context.onRetry;
    },
    async export(records, signal) {
      await client.request({
        method: "POST",
        path: "batch",
        json: records.map((record) => record.recordId),
        signal,
      });
      return {};
    },
  };
}

async function invokeMany(handler: ObservabilityCallbackHandler, count: number) {
  const chat = model();
  for (let index = 0; index < count; index++) {
    await expect(chat.invoke(`q${index}`, { callbacks: [handler] })).resolves.toBeDefined();
  }
}

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
    expect(result).toEqual({ ok: true, timedOut: false, exported: 10, failed: 0, dropped: 0, pending: 0 });
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
    await vi.waitFor(() => expect(exporter.records).toHaveLength(1), { timeout: 2000 });
  });

  it("drops the oldest records beyond maxQueueSize and counts them", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const exporter = createMemoryExporter({
      concurrency: 1,
      maxBatchSize: 1,
      onExport: () => gate.then(() => undefined),
    });
    const handler = new ObservabilityCallbackHandler({
      exporters: [exporter],
      maxQueueSize: 5,
      flushIntervalMs: 60_000,
    });
    await invokeMany(handler, 12);
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

  it("resends only the records an exporter reports as retryable failures, and fails the others", async () => {
    const attempts = new Map<string, number>();
    const exporter = createMemoryExporter({
      onExport: (records) => {
        const failed = [];
        for (const record of records) {
          const count = (attempts.get(record.input.prompt) ?? 0) + 1;
          attempts.set(record.input.prompt, count);
          if (record.input.prompt === "q1" && count === 1) {
            failed.push({
              recordId: record.recordId,
              retryable: true,
              error: new VendorApiError({ vendor: "M", method: "POST", url: "u", status: 503 }),
            });
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
    expect(handler.stats()).toMatchObject({ exported: 2, failed: 1, retried: 1, pending: 0 });
    expect(result).toMatchObject({ ok: false, exported: 2, failed: 1 });
    expect(onError).toHaveBeenCalledTimes(1);
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
    expect(handler.stats().retried).toBe(0);
    expect(onError).toHaveBeenCalledTimes(1);
  });

  it("gives up on a record that keeps failing after maxRetries", async () => {
    const exporter = createMemoryExporter({
      onExport: (records) => ({
        failed: records.map((record) => ({
          recordId: record.recordId,
          retryable: true,
          error: new VendorApiError({ vendor: "M", method: "POST", url: "u", status: 500 }),
        })),
      }),
    });
    const handler = new ObservabilityCallbackHandler({
      exporters: [exporter],
      maxRetries: 2,
      onError: () => {},
    });
    await invokeMany(handler, 1);
    await handler.flush();
    expect(handler.stats()).toMatchObject({ exported: 0, failed: 1, retried: 2, pending: 0 });
  });
});

describe("flush and shutdown", () => {
  it("returns by its deadline with a hanging exporter, reporting what is pending", async () => {
    const exporter = createMemoryExporter({ onExport: () => new Promise(() => {}) });
    const handler = new ObservabilityCallbackHandler({ exporters: [exporter] });
    await invokeMany(handler, 3);
    const started = performance.now();
    const result = await handler.flush({ timeoutMs: 200 });
    const elapsed = performance.now() - started;
    expect(result).toEqual({ ok: false, timedOut: true, exported: 0, failed: 0, dropped: 0, pending: 3 });
    expect(elapsed).toBeLessThan(2000);
    await handler.shutdown({ timeoutMs: 0 });
  });

  it("fans out: a hanging vendor neither delays nor loses another's records", async () => {
    const fast = createMemoryExporter({ name: "fast" });
    const slow = createMemoryExporter({ name: "slow", onExport: () => new Promise(() => {}) });
    const handler = new ObservabilityCallbackHandler({ exporters: [slow, fast], flushIntervalMs: 10 });
    await invokeMany(handler, 5);
    await vi.waitFor(() => expect(fast.records).toHaveLength(5), { timeout: 2000 });
    const result = await handler.flush({ timeoutMs: 100 });
    expect(result.timedOut).toBe(true);
    expect(handler.stats().exporters).toEqual({
      slow: { exported: 0, failed: 0, retried: 0, pending: 5, dropped: 0 },
      fast: { exported: 5, failed: 0, retried: 0, pending: 0, dropped: 0 },
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
         exporters: [{ name: "never", maxBatchSize: 10, export: () => new Promise(() => {}) }],
       });
       await new FakeListChatModel({ responses: ["x"] }).invoke("hi", { callbacks: [handler] });
       console.log("invoked");`,
    );
    const child = spawnSync(process.execPath, ["--import", "tsx", script], {
      cwd: join(import.meta.dirname, "..", ".."),
      encoding: "utf8",
      timeout: 15_000,
    });
    expect(child.stderr).toBe("");
    expect(child.stdout).toContain("invoked");
    expect(child.signal).toBeNull();
    expect(child.status).toBe(0);
  });
});

describe("over real HTTP", () => {
  function countingSink(answer: (count: number) => Promise<Response> | Response) {
    let count = 0;
    const received: string[][] = [];
    return {
      received,
      handler: http.post("*/batch", async ({ request }) => {
        count++;
        const response = await answer(count);
        if (response.ok) received.push((await request.json()) as string[]);
        return response;
      }),
    };
  }

  it("a 500 then success: delivered once, retry counted, chain unaffected", async () => {
    const sink = countingSink((count) =>
      count === 1 ? new HttpResponse(null, { status: 500 }) : HttpResponse.json({}),
    );
    server = await startMockServer([sink.handler]);
    const handler = new ObservabilityCallbackHandler({ exporters: [createHttpExporter(server.url)] });
    await invokeMany(handler, 2);
    const result = await handler.flush();
    expect(result).toMatchObject({ ok: true, exported: 2, failed: 0 });
    expect(sink.received.flat()).toHaveLength(2);
    expect(handler.stats().retried).toBe(1);
  });

  it("a 429 with Retry-After then success", async () => {
    const sink = countingSink((count) =>
      count === 1
        ? new HttpResponse(null, { status: 429, headers: { "Retry-After": "0" } })
        : HttpResponse.json({}),
    );
    server = await startMockServer([sink.handler]);
    const handler = new ObservabilityCallbackHandler({ exporters: [createHttpExporter(server.url)] });
    await invokeMany(handler, 1);
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1 });
    expect(handler.stats().retried).toBe(1);
  });

  it("a hang past the timeout, a reset and a 401: counted as failed, reported, chain fine", async () => {
    const onError = vi.fn();
    for (const answer of [
      async () => {
        await delay("infinite");
        return HttpResponse.json({});
      },
      () => HttpResponse.error(),
      () => HttpResponse.json({ detail: "bad key" }, { status: 401 }),
    ]) {
      const sink = countingSink(answer);
      server = await startMockServer([sink.handler]);
      const handler = new ObservabilityCallbackHandler({
        exporters: [createHttpExporter(server.url, { timeoutMs: 100, maxRetries: 1 })],
        onError,
      });
      await invokeMany(handler, 2);
      const result = await handler.flush({ timeoutMs: 5000 });
      expect(result).toMatchObject({ ok: false, timedOut: false, exported: 0, failed: 2, pending: 0 });
      await server.close();
      server = undefined;
    }
    expect(onError.mock.calls.map(([error]) => (error as Error).name)).toEqual([
      "ExportTimeoutError",
      "VendorApiError",
      "VendorApiError",
    ]);
  });

  it("a malformed answer to a success is still a delivery", async () => {
    const sink = countingSink(() => new HttpResponse("<html>oops", { status: 200 }));
    server = await startMockServer([sink.handler]);
    const handler = new ObservabilityCallbackHandler({ exporters: [createHttpExporter(server.url)] });
    await invokeMany(handler, 1);
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1 });
  });
});

export type { LLMRunRecord };
