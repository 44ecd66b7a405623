import { HumanMessage } from "@langchain/core/messages";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { createSeededFaults, FakeDetailedChatModel } from "@langchain-observability/core/testing";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import {
  PromptLayerCallbackHandler,
  type PromptLayerCallbackHandlerOptions,
} from "./promptlayer-callback-handler";
import { type PromptLayerEmulator, startPromptLayerEmulator } from "./testing/index";

// The reliability suite of the default transport: PromptLayer upserts spans by their id (derived
// from the LangChain run id), so every request may be resent and every record that failed for a
// transient reason is queued again — nothing is lost and nothing is duplicated. Every check counts
// what the emulator stored; none depends on how fast the machine is.

const API_KEY = "pl_test_key";

let emulator: PromptLayerEmulator;
let unhandledRejection: (reason: unknown) => void;

beforeEach(async () => {
  emulator = await startPromptLayerEmulator({ apiKeys: [API_KEY] });
  unhandledRejection = vi.fn<(reason: unknown) => void>();
  process.on("unhandledRejection", unhandledRejection);
});

afterEach(async () => {
  await emulator.close();
  await new Promise((resolve) => setImmediate(resolve));
  process.off("unhandledRejection", unhandledRejection);
  expect(unhandledRejection).not.toHaveBeenCalled();
});

function createHandler(options: PromptLayerCallbackHandlerOptions = {}): PromptLayerCallbackHandler {
  return new PromptLayerCallbackHandler({
    apiKey: API_KEY,
    baseUrl: emulator.url,
    flushIntervalMs: 5,
    onError: () => {},
    ...options,
  });
}

/** A chain as users write them: a prompt (system + human), a chat model, a parser — 4 spans a call. */
function createChain() {
  return ChatPromptTemplate.fromMessages([
    ["system", "You add numbers."],
    ["human", "{question}"],
  ])
    .pipe(new FakeListChatModel({ responses: ["pong"], sleep: 1 }))
    .pipe(new StringOutputParser());
}

/** Runs `call` for each index, `concurrency` at a time, and returns the answers in index order. */
async function runConcurrently<T>(count: number, concurrency: number, call: (index: number) => Promise<T>) {
  const answers = new Array<T>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const index = next++;
        answers[index] = await call(index);
      }
    }),
  );
  return answers;
}

/** The chain call each stored request log belongs to (each call passes its index as run metadata `call`). */
function loggedCalls(): number[] {
  return emulator.requestLogs.map((log) => Number((log.logRequest.metadata as Record<string, string>).call));
}

describe("PromptLayer /spans-bulk reliability", () => {
  test("30 % transient faults (5xx, 429, resets before and after store, garbled answers, hangs), then recovery: 0 lost, 0 duplicated", async () => {
    const CALLS = 300;
    const faults = [
      { status: 500 },
      { status: 502 },
      { status: 503 },
      { status: 429, headers: { "retry-after": "0" }, times: 2 },
      { reset: "before-store" as const },
      // The post-commit loss: PromptLayer stored the batch, the answer never came.
      { reset: "after-store" as const },
      { malformed: true },
      // Never answered: the client's timeout fires, the request is sent again.
      { hangMs: Number.POSITIVE_INFINITY },
    ];
    // Each kind once for sure (queued faults come first), then 30 % of the requests at random.
    for (const fault of faults) emulator.failNext({ ...fault, route: emulator.routes.spansBulk });
    emulator.injectFaults(
      createSeededFaults({ seed: 15, rate: 0.3, route: emulator.routes.spansBulk, faults }),
    );
    const errors: unknown[] = [];
    const handler = createHandler({
      maxBatchSize: 40,
      // Only a hang ever reaches it; a late answer on a loaded machine is resent and upserted.
      timeoutMs: 1_000,
      maxRetries: 1,
      onError: (error) => errors.push(error),
    });
    const chain = createChain();
    const answers = await runConcurrently(CALLS, 20, (index) =>
      chain.invoke(
        { question: `call ${index}` },
        { callbacks: [handler], metadata: { call: String(index) } },
      ),
    );
    expect(answers).toEqual(Array.from({ length: CALLS }, () => "pong"));

    // Under faults, some records go back to the queue; flush sends them again until delivered.
    await handler.flush({ timeoutMs: 60_000 });
    emulator.injectFaults(undefined);
    const recovered = await handler.flush({ timeoutMs: 60_000 });
    expect(recovered).toMatchObject({ timedOut: false, pending: 0, failed: 0, unknown: 0 });

    const stats = handler.stats();
    expect(stats).toMatchObject({
      captured: CALLS * 4,
      exported: CALLS * 4,
      failed: 0,
      unknown: 0,
      pending: 0,
    });
    expect(stats.dropped.total).toBe(0);
    expect(stats.retried + stats.requeued).toBeGreaterThan(0);

    // 0 lost: every span of every call, and one request log per model call.
    expect(emulator.spans).toHaveLength(CALLS * 4);
    const calls = loggedCalls();
    expect([...calls].sort((a, b) => a - b)).toEqual(Array.from({ length: CALLS }, (_, index) => index));
    // 0 duplicated: one log per call, one span per run id; resends only upserted.
    expect(new Set(calls).size).toBe(CALLS);
    const runIds = emulator.spans.map(
      (stored) => (stored.span.attributes as Record<string, string>)["langchain.run_id"],
    );
    expect(new Set(runIds).size).toBe(CALLS * 4);
    expect(emulator.spans.some((stored) => stored.writes > 1)).toBe(true);

    // Every kind of fault happened, and more at random.
    const applied = emulator.requests.map((request) => request.fault).filter((fault) => fault !== undefined);
    expect(applied.length).toBeGreaterThan(faults.length);
    expect(applied.some((fault) => fault.status === 500)).toBe(true);
    expect(applied.some((fault) => fault.status === 429)).toBe(true);
    expect(applied.some((fault) => fault.reset === "after-store")).toBe(true);
    expect(applied.some((fault) => fault.reset === "before-store")).toBe(true);
    expect(applied.some((fault) => fault.malformed === true)).toBe(true);
    expect(applied.some((fault) => fault.hangMs !== undefined)).toBe(true);
  }, 300_000);

  test("async user callbacks that reject or never settle (plIdCallback, onError): every record delivered, no unhandled rejection", async () => {
    const CALLS = 60;
    const seen: unknown[] = [];
    let callbacks = 0;
    const handler = createHandler({
      plIdCallbackTimeoutMs: 100,
      plIdCallback: (requestId) => {
        callbacks++;
        if (requestId % 3 === 0) return Promise.reject(new Error(`scoring ${requestId} failed`));
        if (requestId % 3 === 1) return new Promise(() => {});
        return Promise.resolve();
      },
      // An error reporter that itself fails, asynchronously.
      onError: async (error) => {
        seen.push(error);
        throw new Error("the error reporter is down");
      },
    });
    const chat = new FakeDetailedChatModel({ responses: [{ content: "ok" }] });
    await runConcurrently(CALLS, 10, (index) => chat.invoke(`q ${index}`, { callbacks: [handler] }));
    expect(await handler.flush({ timeoutMs: 30_000 })).toMatchObject({
      exported: CALLS,
      failed: 0,
      pending: 0,
    });
    expect(emulator.requestLogs).toHaveLength(CALLS);
    expect(callbacks).toBe(CALLS);
    const messages = seen.map((error) => (error as Error).message);
    expect(
      messages.filter((message) => /plIdCallback failed: Error: scoring \d+ failed/.test(message)),
    ).toHaveLength(CALLS / 3);
    expect(
      messages.filter((message) => message.includes("plIdCallback did not settle within 100 ms")),
    ).toHaveLength(CALLS / 3);
  });

  test("a 6 MB image in a message: delivered with a placeholder instead of the bytes, under the request cap", async () => {
    const handler = createHandler();
    // 8,000,000 base64 characters: 6,000,000 bytes of image (5.7 MiB).
    const image = `data:image/png;base64,${"A".repeat(8_000_000)}`;
    const chat = new FakeDetailedChatModel({ responses: [{ content: "a cat" }] });
    const message = new HumanMessage({
      content: [
        { type: "text", text: "What is this?" },
        { type: "image_url", image_url: { url: image } },
      ],
    });
    expect((await chat.invoke([message], { callbacks: [handler] })).content).toBe("a cat");
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1, dropped: 0 });
    const [log] = emulator.requestLogs;
    expect((log?.logRequest.input as { messages: unknown[] } | undefined)?.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "What is this?" },
          { type: "text", text: "[image/png 5.7 MB]" },
        ],
      },
    ]);
    const request = emulator.requests.find((item) => item.path === "/spans-bulk");
    expect(JSON.stringify(request?.body).length).toBeLessThan(100_000);
  });

  test("50 KB prompts while PromptLayer is down: the queue stays under maxQueueBytes; what it kept is delivered once after recovery", async () => {
    const CALLS = 120;
    const MAX_QUEUE_BYTES = 4_000_000;
    const MAX_BATCH_BYTES = 500_000;
    // Down: every request refused before anything is stored.
    emulator.injectFaults(() => ({ status: 503 }));
    const handler = createHandler({
      maxRetries: 0,
      maxQueueBytes: MAX_QUEUE_BYTES,
      maxBatchBytes: MAX_BATCH_BYTES,
    });
    const chain = createChain();
    const prompt = (index: number) => `call ${index} ${"p".repeat(50_000)}`;
    await runConcurrently(CALLS, 10, (index) =>
      chain.invoke({ question: prompt(index) }, { callbacks: [handler], metadata: { call: String(index) } }),
    );
    const during = handler.stats();
    // Each call's spans carry the 50 KB prompt several times: far more than 4 MB was captured.
    expect(during.captured).toBe(CALLS * 4);
    expect(during.dropped.queueFull).toBeGreaterThan(0);
    expect(during.pending).toBeLessThan(CALLS * 4);
    expect(emulator.spans).toHaveLength(0);

    emulator.injectFaults(undefined);
    const recovered = await handler.flush({ timeoutMs: 60_000 });
    expect(recovered).toMatchObject({ timedOut: false, pending: 0, failed: 0, unknown: 0 });
    const stats = handler.stats();
    expect(stats.exported + stats.dropped.total).toBe(stats.captured);
    // What was kept was delivered, once: no span stored twice, no call logged twice.
    expect(emulator.spans).toHaveLength(stats.exported);
    // The queue held at most maxQueueBytes, plus the batches in flight (2 of at most maxBatchBytes),
    // by the records' size estimates, which the wire form of a span never exceeds: what it delivered
    // after the outage fits in that.
    const keptBytes = emulator.spans.reduce((sum, stored) => sum + JSON.stringify(stored.span).length, 0);
    expect(keptBytes).toBeLessThanOrEqual(MAX_QUEUE_BYTES + 2 * MAX_BATCH_BYTES);
    expect(keptBytes).toBeGreaterThan(MAX_QUEUE_BYTES / 4);
    expect(emulator.spans.every((stored) => stored.writes === 1)).toBe(true);
    const calls = loggedCalls();
    expect(new Set(calls).size).toBe(calls.length);
  }, 300_000);
});
