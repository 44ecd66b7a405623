// The reliability suite: many chain calls on one handler while the emulated Trubrics services fail
// in every way they can (seeded, so a run can be replayed), then the faults of the hostile probe
// (issue 13), then bad input of every kind. Loopback only.
//
// No test races a client timeout against a loopback answer: a hang never answers until the test
// releases it (after the client gave up and the flush is over), and deadlines come from the
// emulator's own signals (`waitForRequests`). Exactly-once is counted on what the emulator STORED,
// including what it stored after the client gave up.
import type { CallbackHandlerMethods } from "@langchain/core/callbacks/base";
import { awaitAllCallbacks } from "@langchain/core/callbacks/promises";
import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { BaseLLM } from "@langchain/core/language_models/llms";
import { AIMessage, type BaseMessage, HumanMessage, SystemMessage } from "@langchain/core/messages";
import { StringOutputParser } from "@langchain/core/output_parsers";
import type { ChatResult, LLMResult } from "@langchain/core/outputs";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { FakeChatModel, FakeListChatModel } from "@langchain/core/utils/testing";
import {
  ConfigurationError,
  type ExportStats,
  ObservabilityError,
  TRUNCATION_MARKER,
} from "@langchain-observability/core";
import { createSeededFaults, type EmulatorFault } from "@langchain-observability/core/testing";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { TrubricsCallbackHandler, type TrubricsCallbackHandlerOptions } from "./index";
import { decodeFirestoreFields, type TrubricsEmulator } from "./testing/index";
import {
  clearTrubricsEnv,
  normalizeForSnapshot,
  requestStatuses,
  routeOf,
  startTrubricsServer,
  TEST_API_KEY,
  type TrubricsTestServer,
} from "./trubrics-test-helpers";

const CHAIN_CALLS = 200;
const CONCURRENCY = 20;
const SYSTEM_PROMPT = "You are terse.";
const HANG: EmulatorFault = { hangMs: Number.POSITIVE_INFINITY };

interface Driven {
  /** Run id of every chat-model run, seen by a callback of LangChain's own (not the handler). */
  runIds: Set<string>;
}

/**
 * Drives `count` calls of a real LangChain chain (prompt template → fake chat model → parser)
 * through the handler, `CONCURRENCY` at a time, and checks that every call got its own answer.
 */
async function driveChain(
  handler: TrubricsCallbackHandler,
  count: number,
  options: { firstIndex?: number; padding?: number } = {},
): Promise<Driven> {
  const driven: Driven = { runIds: new Set() };
  const witness: CallbackHandlerMethods = {
    handleChatModelStart(_model, _messages, runId) {
      driven.runIds.add(runId);
    },
  };
  const chain = ChatPromptTemplate.fromMessages([
    ["system", SYSTEM_PROMPT],
    ["human", "{question}"],
  ])
    .pipe(new FakeChatModel({}))
    .pipe(new StringOutputParser());
  const firstIndex = options.firstIndex ?? 0;
  const padding = options.padding ? ` ${"x".repeat(options.padding)}` : "";
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const question = `question ${firstIndex + next++}${padding}`;
      const answer = await chain.invoke({ question }, { callbacks: [handler, witness] });
      // FakeChatModel echoes the messages: each call must get its own answer back, whatever Trubrics does.
      expect(answer).toBe(`${SYSTEM_PROMPT}\n${question}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  // LangChain runs callbacks in the background: let the witness see every run.
  await awaitAllCallbacks();
  expect(driven.runIds.size).toBe(count);
  return driven;
}

/** Run ids the emulator stored, in order, from either transport (a run id twice is a duplicate). */
function storedRunIds(emulator: TrubricsEmulator): string[] {
  return emulator.received.map((item) => {
    if (item.kind === "llm-event") return String(item.event.properties.langchain_run_id);
    if (item.kind === "prompt") {
      const metadata = decodeFirestoreFields(item.prompt.fields).metadata as Record<string, unknown>;
      return String(metadata.langchain_run_id);
    }
    return "<plain event>";
  });
}

/**
 * Ends every hang now (the client gave up on those requests long ago) and waits until the emulator
 * has handled them: a released create may still store its document, as a slow service would.
 */
async function releaseHangs(emulator: TrubricsEmulator): Promise<void> {
  emulator.releaseHangs();
  while (emulator.requests.some((request) => request.status === "hang")) {
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Every record is accounted for exactly once. */
function expectBalanced(stats: ExportStats): void {
  expect(stats.exported + stats.failed + stats.unknown + stats.dropped.total).toBe(stats.captured);
  expect(stats.pending).toBe(0);
  expect(stats.inFlightRuns).toBe(0);
}

interface Scenario {
  trubrics: TrubricsTestServer;
  handler: TrubricsCallbackHandler;
  errors: unknown[];
  unhandled: ReturnType<typeof vi.fn>;
  close(): Promise<void>;
}

/** A handler of one transport against an emulator of its own (so the transports can run at once). */
async function startScenario(
  transport: "ingestion" | "legacy",
  options: TrubricsCallbackHandlerOptions = {},
): Promise<Scenario> {
  clearTrubricsEnv();
  const errors: unknown[] = [];
  const unhandled = vi.fn();
  process.on("unhandledRejection", unhandled);
  const trubrics = await startTrubricsServer({ maxRequestBytes: 64_000 });
  const handler = new TrubricsCallbackHandler({
    ...(transport === "ingestion" ? { apiKey: TEST_API_KEY, baseUrl: trubrics.url } : trubrics.legacy),
    // Generous: only an injected hang may reach it, never a slow loopback answer. (Suites with hangs
    // shorten it where a timeout changes no outcome they check.)
    timeoutMs: 30_000,
    maxRetries: 2,
    flushIntervalMs: 10,
    onError: (error) => errors.push(error),
    ...options,
  });
  return {
    trubrics,
    handler,
    errors,
    unhandled,
    async close() {
      process.off("unhandledRejection", unhandled);
      await handler.shutdown({ timeoutMs: 1000 });
      await trubrics.close();
    },
  };
}

// ---- 30 % transient faults, then recovery ---------------------------------------------------------

/**
 * Faults a vendor recovers from. The ingestion API has no idempotency key, so only faults that say
 * nothing was stored (503, 429) can be recovered without risking a duplicate; the legacy create
 * carries the record id as its document id, so it also recovers from lost connections (before and
 * after Firestore stored the document), hangs past the client's timeout and 500s.
 */
const TRANSIENT_FAULTS: Record<"ingestion" | "legacy", EmulatorFault[]> = {
  ingestion: [{ status: 503 }, { status: 503, times: 3 }, { status: 429, headers: { "retry-after": "0" } }],
  legacy: [
    { status: 503 },
    { status: 500 },
    { status: 429, headers: { "retry-after": "0" } },
    { reset: "before-store" },
    { reset: "after-store" },
    HANG,
  ],
};

describe.concurrent("30 % transient faults, then recovery: 0 records lost, 0 duplicated", () => {
  it.each([
    { transport: "ingestion" as const, seed: 0x5eed_0011 },
    { transport: "legacy" as const, seed: 0x5eed_0012 },
  ])("$transport API", { timeout: 300_000 }, async ({ transport, seed }) => {
    // Legacy hangs need a client timeout; any legacy request may be resent, so a slow answer that
    // meets it changes no outcome. The ingestion faults here never hang.
    const scenario = await startScenario(transport, {
      maxBatchSize: 10,
      ...(transport === "legacy" ? { timeoutMs: 2_000 } : {}),
    });
    const { trubrics, handler } = scenario;
    try {
      trubrics.emulator.injectFaults(
        createSeededFaults({ seed, rate: 0.3, faults: TRANSIENT_FAULTS[transport] }),
      );

      const driven = await driveChain(handler, CHAIN_CALLS);
      // Under faults, records that failed for a passing reason stay queued.
      await handler.flush({ timeoutMs: 60_000 });
      // The vendor recovers: whatever is still queued goes now.
      trubrics.emulator.injectFaults(undefined);
      const recovered = await handler.flush({ timeoutMs: 60_000 });
      await releaseHangs(trubrics.emulator);

      const stored = storedRunIds(trubrics.emulator);
      expect(recovered).toMatchObject({ timedOut: false, pending: 0 });
      // 0 duplicated, 0 lost: each run stored exactly once, and counted as exported once.
      expect(stored.length).toBe(new Set(stored).size);
      expect([...stored].sort()).toEqual([...driven.runIds].sort());
      const stats = handler.stats();
      expect(stats).toMatchObject({ captured: CHAIN_CALLS, exported: CHAIN_CALLS, failed: 0, unknown: 0 });
      expect(stats.dropped.total).toBe(0);
      expectBalanced(stats);
      // The faults were there.
      expect(
        trubrics.emulator.requests.filter((request) => request.fault !== undefined).length,
      ).toBeGreaterThan(CHAIN_CALLS / (transport === "ingestion" ? 50 : 10));
      expect(scenario.unhandled).not.toHaveBeenCalled();
    } finally {
      await scenario.close();
    }
  });
});

// ---- Every fault at once --------------------------------------------------------------------------

const HOSTILE_FAULTS: EmulatorFault[] = [
  { status: 500 },
  { status: 503, times: 2 },
  { status: 429, headers: { "retry-after": "0" } },
  { reset: "before-store" },
  { reset: "after-store" },
  HANG,
  { malformed: true },
];

describe.concurrent("every kind of fault at 30 %: delivered once or counted, never twice", () => {
  it.each([
    { transport: "ingestion" as const, seed: 0x5eed_0021 },
    { transport: "legacy" as const, seed: 0x5eed_0022 },
  ])("$transport API", { timeout: 300_000 }, async ({ transport, seed }) => {
    // Hangs need a client timeout. On the ingestion API 10 s is far beyond any loopback answer, so
    // only hangs reach it; any legacy request may be resent, so there a slow answer changes nothing.
    const scenario = await startScenario(transport, {
      maxBatchSize: 10,
      maxRecordAgeMs: 120_000,
      timeoutMs: transport === "ingestion" ? 10_000 : 2_000,
    });
    const { trubrics, handler, errors } = scenario;
    try {
      trubrics.emulator.injectFaults(createSeededFaults({ seed, rate: 0.3, faults: HOSTILE_FAULTS }));

      // Every 40th call is over the emulator's 64 kB limit: refused with 413, never delivered.
      const driven = await driveChain(handler, CHAIN_CALLS - 5);
      const oversized = await driveChain(handler, 5, { firstIndex: CHAIN_CALLS, padding: 70_000 });
      await handler.flush({ timeoutMs: 60_000 });
      trubrics.emulator.injectFaults(undefined);
      await handler.flush({ timeoutMs: 60_000 });
      await releaseHangs(trubrics.emulator);

      const stored = storedRunIds(trubrics.emulator);
      const stats = handler.stats();
      // Never twice, and never a record of another call.
      expect(stored.length).toBe(new Set(stored).size);
      expect(stored.filter((runId) => !driven.runIds.has(runId))).toEqual([]);
      expect(stats.captured).toBe(CHAIN_CALLS);
      expectBalanced(stats);
      // Everything counted as exported was stored; what was stored but not counted as exported
      // is exactly what was counted as unknown (a publish that may have been stored, never resent).
      expect(stats.exported).toBeLessThanOrEqual(stored.length);
      expect(stored.length - stats.exported).toBeLessThanOrEqual(stats.unknown);
      if (transport === "legacy") {
        // The create is idempotent: nothing is unknown, every stored document is counted exported.
        expect(stats.unknown).toBe(0);
        expect(stats.exported).toBe(stored.length);
      }
      // A record over the vendor's size limit is never delivered, and is counted.
      expect(stored.filter((runId) => oversized.runIds.has(runId))).toEqual([]);
      // (A fault may hit its request before the size check: then it is counted unknown, not failed.)
      expect(stats.failed + stats.unknown + stats.dropped.total).toBeGreaterThanOrEqual(
        oversized.runIds.size,
      );
      for (const error of errors) expect(ObservabilityError.isInstance(error)).toBe(true);

      // The faults stop: every new call is delivered, once.
      const before = stats.exported;
      const after = await driveChain(handler, 40, { firstIndex: CHAIN_CALLS + 10 });
      expect(await handler.flush({ timeoutMs: 30_000 })).toMatchObject({
        ok: true,
        exported: 40,
        failed: 0,
        pending: 0,
      });
      const storedAfter = storedRunIds(trubrics.emulator);
      expect(storedAfter.length).toBe(new Set(storedAfter).size);
      expect(storedAfter.filter((runId) => after.runIds.has(runId))).toHaveLength(40);
      expect(handler.stats().exported).toBe(before + 40);
      expect(scenario.unhandled).not.toHaveBeenCalled();
    } finally {
      await scenario.close();
    }
  });
});

// ---- The hostile probe's faults, one by one ------------------------------------------------------

describe("faults after the vendor stored the record", () => {
  it("a legacy create that times out after Firestore stored it is delivered once, counted once", async () => {
    const scenario = await startScenario("legacy", { timeoutMs: 5000 });
    const { trubrics, handler, errors } = scenario;
    try {
      // The first create and its first resend hang; the test releases them once both arrived, so the
      // first one stores the document after the client gave up on it.
      trubrics.emulator.failNext({ route: trubrics.emulator.routes.createPrompt, ...HANG, times: 2 });
      const driven = await driveChain(handler, 1);
      const flushed = handler.flush({ timeoutMs: 60_000 });
      await waitForCreates(trubrics.emulator, 2);
      await releaseHangs(trubrics.emulator);

      expect(await flushed).toMatchObject({ ok: true, exported: 1, failed: 0, unknown: 0, pending: 0 });
      expect(storedRunIds(trubrics.emulator)).toEqual([...driven.runIds]);
      const creates = trubrics.emulator.requests.filter((request) => routeOf(request) === "createPrompt");
      // The create the client timed out on stored it; every later one was refused as a copy.
      expect(creates[0]).toMatchObject({ stored: 1, status: 200 });
      expect(creates.slice(1).map((request) => request.status)).toEqual(creates.slice(1).map(() => 409));
      expect(handler.stats()).toMatchObject({ exported: 1, failed: 0, unknown: 0 });
      expect(handler.stats().retried).toBeGreaterThanOrEqual(1);
      expect(errors).toEqual([]);
    } finally {
      await scenario.close();
    }
  });

  it("a legacy create whose connection is lost after Firestore stored it is delivered once, counted once", async () => {
    const scenario = await startScenario("legacy");
    const { trubrics, handler, errors } = scenario;
    try {
      trubrics.emulator.failNext({ route: trubrics.emulator.routes.createPrompt, reset: "after-store" });
      const driven = await driveChain(handler, 1);

      expect(await handler.flush()).toMatchObject({ ok: true, exported: 1, failed: 0, unknown: 0 });
      expect(storedRunIds(trubrics.emulator)).toEqual([...driven.runIds]);
      expect(requestStatuses(trubrics.emulator).filter((line) => line.startsWith("createPrompt"))).toEqual([
        "createPrompt reset",
        "createPrompt 409",
      ]);
      expect(errors).toEqual([]);
    } finally {
      await scenario.close();
    }
  });

  it("an ingestion publish whose connection is lost after Trubrics stored it is never sent again", async () => {
    const scenario = await startScenario("ingestion");
    const { trubrics, handler, errors } = scenario;
    try {
      trubrics.emulator.failNext({ route: trubrics.emulator.routes.publishLlmEvents, reset: "after-store" });
      const driven = await driveChain(handler, 1);

      // At most once: the event may be there (it is), so it is counted as unknown, not resent.
      expect(await handler.flush()).toMatchObject({
        ok: false,
        exported: 0,
        failed: 0,
        unknown: 1,
        pending: 0,
      });
      expect(storedRunIds(trubrics.emulator)).toEqual([...driven.runIds]);
      expect(requestStatuses(trubrics.emulator)).toEqual(["publish_llm_events reset"]);
      expect(errors).toHaveLength(1);
      expect((errors[0] as { outcome?: unknown }).outcome).toBe("unknown");
    } finally {
      await scenario.close();
    }
  });
});

/** Resolves once `count` creates have reached the emulator (the client resent after its timeout). */
async function waitForCreates(emulator: TrubricsEmulator, count: number): Promise<void> {
  let seen = emulator.requests.length;
  while (emulator.requests.filter((request) => routeOf(request) === "createPrompt").length < count) {
    await emulator.waitForRequests(seen + 1);
    seen = emulator.requests.length;
  }
}

describe("user functions that misbehave", () => {
  it.each([
    { case: "an onError that rejects", onError: async () => Promise.reject(new Error("reporter is down")) },
    { case: "an onError that never settles", onError: () => new Promise<never>(() => {}) },
    {
      case: "an onError that throws",
      onError: () => {
        throw new Error("reporter is down");
      },
    },
  ])("$case never crashes the app nor stops export", async ({ onError }) => {
    const scenario = await startScenario("ingestion", { onError: onError as (error: unknown) => void });
    const { trubrics, handler } = scenario;
    try {
      // A 400 that reaches onError, then normal delivery.
      trubrics.emulator.failNext({ route: trubrics.emulator.routes.publishLlmEvents, status: 400 });
      await driveChain(handler, 1);
      await handler.flush();
      await driveChain(handler, 5, { firstIndex: 1 });

      expect(await handler.flush()).toMatchObject({ exported: 5, pending: 0 });
      expect(trubrics.emulator.receivedLlmEvents).toHaveLength(5);
      await new Promise((resolve) => setImmediate(resolve));
      expect(scenario.unhandled).not.toHaveBeenCalled();
    } finally {
      await scenario.close();
    }
  });

  it.each([
    { case: "an async mask (a promise is not a record)", mask: async (record: unknown) => record },
    { case: "a mask that rejects", mask: async () => Promise.reject(new Error("mask is down")) },
    { case: "a mask that never settles", mask: () => new Promise<never>(() => {}) },
    { case: "a mask that forgets to return", mask: () => undefined },
  ])("$case: the record is dropped and counted, never sent as junk", async ({ mask }) => {
    const scenario = await startScenario("ingestion", { mask: mask as never });
    const { trubrics, handler, errors } = scenario;
    try {
      await driveChain(handler, 3);
      await handler.flush();
      await new Promise((resolve) => setImmediate(resolve));

      expect(trubrics.emulator.received).toEqual([]);
      const stats = handler.stats();
      expect(stats).toMatchObject({ captured: 3, exported: 0 });
      expect(stats.dropped.invalidMask).toBe(3);
      expectBalanced(stats);
      expect(errors.length).toBeGreaterThanOrEqual(1);
      for (const error of errors) expect((error as Error).message).toContain("mask");
      expect(scenario.unhandled).not.toHaveBeenCalled();
    } finally {
      await scenario.close();
    }
  });
});

describe("big content", () => {
  it("delivers a chat message with a 6 MB base64 image (not dropped as oversize), without the image bytes", async () => {
    const scenario = await startScenario("ingestion");
    const { trubrics, handler } = scenario;
    try {
      const image = `data:image/png;base64,${"iVBORw0KGgo".repeat(600_000)}`;
      expect(image.length).toBeGreaterThan(6_000_000);
      const model = new FakeListChatModel({ responses: ["A cat on a mat."], callbacks: [handler] });

      await model.invoke([
        new HumanMessage({
          content: [
            { type: "text", text: "What is in this picture?" },
            { type: "image_url", image_url: { url: image } },
          ],
        }),
      ]);

      expect([await handler.flush(), scenario.errors]).toMatchObject([
        { ok: true, exported: 1, dropped: 0 },
        [],
      ]);
      const [event] = trubrics.emulator.receivedLlmEvents;
      expect(event?.prompt).toBe("What is in this picture?");
      expect(event?.generation).toBe("A cat on a mat.");
      const sent = JSON.stringify(event);
      expect(sent).not.toContain("iVBORw0KGgo".repeat(10));
      expect(sent.length).toBeLessThan(64_000);
    } finally {
      await scenario.close();
    }
  });

  it("keeps at most maxQueueBytes of 50 kB prompts while Trubrics is down, and counts the rest", async () => {
    const maxQueueBytes = 2_000_000;
    const scenario = await startScenario("ingestion", { maxQueueBytes, maxRetries: 0 });
    const { trubrics, handler } = scenario;
    try {
      // The outage: every publish is answered 503 (nothing stored, so records stay queued).
      trubrics.emulator.injectFaults(() => ({ status: 503 }));
      const calls = 200;
      await driveChain(handler, calls, { padding: 50_000 });

      const during = handler.stats();
      // Each record holds the 50 kB question at least twice (prompt, message): over 100 kB. Queued
      // records stay within maxQueueBytes; pending also counts up to two batches in flight.
      expect(during.pending).toBeGreaterThan(0);
      expect(during.pending).toBeLessThanOrEqual(maxQueueBytes / 100_000 + 2 * 10);
      expect(during.dropped.queueFull).toBeGreaterThan(0);
      expect(during.captured).toBe(calls);

      // The vendor recovers: what was kept is delivered, once.
      trubrics.emulator.injectFaults(undefined);
      const recovered = await handler.flush({ timeoutMs: 60_000 });
      expect(recovered).toMatchObject({ timedOut: false, pending: 0 });
      const stored = storedRunIds(trubrics.emulator);
      expect(stored.length).toBe(new Set(stored).size);
      expect(handler.stats().exported).toBe(stored.length);
      expectBalanced(handler.stats());
    } finally {
      await scenario.close();
    }
  });
});

describe("the Firebase id token is a secret", () => {
  it("is redacted from errors and warnings when a Firestore error echoes it, in any encoding", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "warn").mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(" "));
    });
    clearTrubricsEnv();
    const trubrics = await startTrubricsServer();
    // No onError: the default reporter warns on the console.
    const handler = new TrubricsCallbackHandler({ ...trubrics.legacy, timeoutMs: 30_000, maxRetries: 0 });
    try {
      // The first token of a fresh emulator; a hostile Firestore echoes the request back.
      const token = "emulator-id-token-1+a/b=";
      trubrics.emulator.failNext({
        route: trubrics.emulator.routes.createPrompt,
        status: 400,
        body: {
          error: {
            code: 400,
            message: `Bad request: authorization "Bearer ${token}", as JSON ${JSON.stringify(JSON.stringify(token)).slice(1, -1)}, as a URL ${encodeURIComponent(token)}`,
            status: "INVALID_ARGUMENT",
          },
        },
      });
      const model = new FakeChatModel({ callbacks: [handler] });
      await model.invoke([new HumanMessage("Hi")]);

      expect(await handler.flush()).toMatchObject({ ok: false, failed: 1 });
      expect(lines.length).toBeGreaterThanOrEqual(1);
      expect(lines.join("\n")).toContain("[redacted]");
      for (const form of [
        token,
        encodeURIComponent(token),
        JSON.stringify(token).slice(1, -1),
        "id-token-1",
      ]) {
        expect(lines.join("\n")).not.toContain(form);
      }
    } finally {
      await handler.shutdown({ timeoutMs: 1000 });
      await trubrics.close();
    }
  });
});

describe("bad input", () => {
  let trubrics: TrubricsTestServer;
  const handlers: TrubricsCallbackHandler[] = [];

  beforeEach(async () => {
    clearTrubricsEnv();
    trubrics = await startTrubricsServer();
  });

  afterEach(async () => {
    await Promise.all(handlers.splice(0).map((handler) => handler.shutdown({ timeoutMs: 1000 })));
    await trubrics.close();
  });

  function createHandler(options: TrubricsCallbackHandlerOptions): TrubricsCallbackHandler {
    const handler = new TrubricsCallbackHandler({ timeoutMs: 30_000, maxRetries: 0, ...options });
    handlers.push(handler);
    return handler;
  }

  const ingestionOptions = (): TrubricsCallbackHandlerOptions => ({
    apiKey: TEST_API_KEY,
    host: trubrics.url,
  });
  const legacyOptions = (): TrubricsCallbackHandlerOptions => ({ ...trubrics.legacy });

  it.each([
    { option: "timeoutMs", value: "fast" },
    { option: "timeoutMs", value: 0 },
    { option: "timeoutMs", value: Number.NaN },
    { option: "maxRetries", value: -1 },
    { option: "maxRetries", value: 2.5 },
    { option: "maxRetries", value: 1000 },
    { option: "sampleRate", value: 1.5 },
    { option: "maxBatchSize", value: 0 },
    { option: "maxBatchBytes", value: {} },
    { option: "flushIntervalMs", value: "1000" },
    { option: "maxQueueSize", value: Number.POSITIVE_INFINITY },
    { option: "maxFieldChars", value: 10 },
    { option: "flushTimeoutMs", value: -1 },
    { option: "tags", value: "chat model" },
    { option: "tags", value: [1, 2] },
    { option: "metadata", value: ["a"] },
    { option: "userId", value: 42 },
    { option: "user_id", value: { id: 1 } },
    { option: "sessionId", value: true },
    { option: "onError", value: "console" },
    { option: "mask", value: {} },
    { option: "fetch", value: "fetch" },
    { option: "captureContent", value: "yes" },
    { option: "apiKey", value: 42 },
    { option: "host", value: 42 },
    { option: "host", value: "ftp://trubrics.example.com" },
  ])("refuses $option = $value (ingestion API) with a ConfigurationError naming it", ({ option, value }) => {
    expectConfigurationError(
      () => new TrubricsCallbackHandler({ ...ingestionOptions(), [option]: value }),
      option,
    );
  });

  it.each([
    { key: "email", value: 42, option: "email" },
    { key: "password", value: ["pw"], option: "password" },
    { key: "project", value: 7, option: "project" },
    { key: "project", value: "", option: "project" },
    { key: "firebaseApiKey", value: "key-without-project", option: "firebaseProjectId" },
    { key: "identityToolkitUrl", value: "not a url", option: "identityToolkitUrl" },
    { key: "firestoreUrl", value: "http://firestore.example.com", option: "firestoreUrl" },
  ])(
    "refuses $key = $value (legacy API) with a ConfigurationError naming $option",
    ({ key, value, option }) => {
      expectConfigurationError(
        () => new TrubricsCallbackHandler({ ...legacyOptions(), [key]: value }),
        option,
      );
    },
  );

  it.each([
    { case: "a string", options: "trk_key" },
    { case: "an array", options: [{ apiKey: "trk_key" }] },
    { case: "a number", options: 42 },
  ])("refuses options that are $case", ({ options }) => {
    vi.stubEnv("TRUBRICS_API_KEY", TEST_API_KEY);
    expectConfigurationError(
      () => new TrubricsCallbackHandler(options as unknown as TrubricsCallbackHandlerOptions),
      "options",
    );
  });

  it("sends a clean record for generations that are empty, on both transports", async () => {
    const ingestion = createHandler(ingestionOptions());
    const legacy = createHandler(legacyOptions());
    const chat = new EmptyChatModel({ callbacks: [ingestion, legacy] });
    const llm = new EmptyLLM({ callbacks: [ingestion, legacy] });

    const chatResult = await chat.generate([[new HumanMessage("Anyone there?")]]);
    const llmResult = await llm.generate(["Say nothing"]);

    expect([chatResult.generations, llmResult.generations]).toEqual([[[]], [[]]]);
    expect(await ingestion.flush()).toMatchObject({ ok: true, exported: 2 });
    expect(await legacy.flush()).toMatchObject({ ok: true, exported: 2 });
    expect(
      trubrics.emulator.receivedLlmEvents.map(({ prompt, generation, assistant_id }) => ({
        prompt,
        generation,
        assistant_id,
      })),
    ).toEqual([
      { prompt: "Anyone there?", generation: "", assistant_id: "EmptyChatModel" },
      { prompt: "Say nothing", generation: "", assistant_id: "EmptyLLM" },
    ]);
    expect(
      trubrics.emulator.receivedPrompts.map((prompt) => {
        const { prompt: text, generation } = decodeFirestoreFields(prompt.fields);
        return { text, generation };
      }),
    ).toEqual([
      { text: "Anyone there?", generation: "" },
      { text: "Say nothing", generation: "" },
    ]);
  });

  it("sends a clean record for content that is not a string", async () => {
    const handler = createHandler(ingestionOptions());
    const model = new ContentPartsChatModel({ callbacks: [handler] });

    const answer = await model.invoke([
      new SystemMessage({ content: [{ type: "text", text: "Describe images." }] }),
      new HumanMessage({
        content: [
          { type: "text", text: "What is in this picture?" },
          { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
        ],
      }),
    ]);

    expect(answer.content).toEqual(ContentPartsChatModel.content);
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1 });
    expect(normalizeForSnapshot(trubrics.emulator.receivedLlmEvents)).toMatchInlineSnapshot(`
      [
        {
          "assistant_id": "ContentPartsChatModel",
          "generation": "A cat on a mat.",
          "generation_event_name": "Generation",
          "latency": "<seconds>",
          "prompt": "What is in this picture?",
          "prompt_event_name": "Prompt",
          "properties": {
            "langchain_run_id": "<run-1>",
            "messages": [
              {
                "content": "Describe images.",
                "role": "system",
              },
              {
                "content": "What is in this picture?",
                "role": "user",
              },
            ],
            "model_provider": "ContentPartsChatModel",
            "tags": [
              "langchain",
            ],
          },
          "thread_id": null,
          "timestamp": "<time>",
          "user_id": "anonymous",
        },
      ]
    `);
  });

  it("sends a clean record for circular and BigInt metadata, on both transports", async () => {
    const ingestion = createHandler({ ...ingestionOptions(), metadata: { build: 2n ** 70n } });
    const legacy = createHandler({ ...legacyOptions(), metadata: { build: 2n ** 70n } });
    const circular: Record<string, unknown> = { name: "loop" };
    circular.self = circular;
    const model = new FakeChatModel({ callbacks: [ingestion, legacy] });

    const answer = await model.invoke([new HumanMessage("Hi")], {
      metadata: { circular, count: 12345678901234567890n, list: [1n, circular] },
    });

    expect(answer.content).toBe("Hi");
    expect(await ingestion.flush()).toMatchObject({ ok: true, exported: 1 });
    expect(await legacy.flush()).toMatchObject({ ok: true, exported: 1 });
    const [event] = trubrics.emulator.receivedLlmEvents;
    expect(normalizeForSnapshot(event?.properties)).toMatchInlineSnapshot(`
      {
        "build": "1180591620717411303424",
        "circular": {
          "name": "loop",
          "self": "[Circular]",
        },
        "count": "12345678901234567890",
        "langchain_run_id": "<run-1>",
        "list": [
          "1",
          {
            "name": "loop",
            "self": "[Circular]",
          },
        ],
        "messages": [
          {
            "content": "Hi",
            "role": "user",
          },
        ],
        "model_provider": "FakeChatModel",
        "tags": [
          "langchain",
        ],
        "time_to_first_token": "<seconds>",
      }
    `);
    const [prompt] = trubrics.emulator.receivedPrompts;
    expect(normalizeForSnapshot(decodeFirestoreFields(prompt!.fields).metadata)).toMatchInlineSnapshot(`
      {
        "build": "1180591620717411303424",
        "circular": {
          "name": "loop",
          "self": "[Circular]",
        },
        "count": "12345678901234567890",
        "langchain_run_id": "<run-1>",
        "list": [
          "1",
          {
            "name": "loop",
            "self": "[Circular]",
          },
        ],
        "messages": [
          {
            "content": "Hi",
            "role": "user",
          },
        ],
        "time_to_first_token": "<seconds>",
      }
    `);
  });

  it("truncates a 5 MB prompt and answer with the marker, and sends the record", async () => {
    const ingestion = createHandler(ingestionOptions());
    const legacy = createHandler(legacyOptions());
    const prompt = `${"Summarise this. ".repeat(312_500)}`;
    expect(prompt.length).toBe(5_000_000);
    const model = new FakeChatModel({ callbacks: [ingestion, legacy] });

    const answer = await model.invoke([new HumanMessage(prompt)]);

    expect(answer.content).toBe(prompt);
    expect(await ingestion.flush()).toMatchObject({ ok: true, exported: 1, failed: 0, dropped: 0 });
    expect(await legacy.flush()).toMatchObject({ ok: true, exported: 1, failed: 0, dropped: 0 });
    const [event] = trubrics.emulator.receivedLlmEvents;
    const [document] = trubrics.emulator.receivedPrompts;
    const fields = decodeFirestoreFields(document!.fields);
    const texts = {
      prompt: event!.prompt,
      generation: event!.generation,
      message: event!.properties.messages?.[0]?.content ?? "",
      legacyPrompt: String(fields.prompt),
      legacyGeneration: String(fields.generation),
    };
    for (const [field, text] of Object.entries(texts)) {
      // The default maxFieldChars (100,000) keeps the start of the text and ends it with the marker.
      expect([field, text.length, text.endsWith(TRUNCATION_MARKER)]).toEqual([field, 100_000, true]);
      expect(text.startsWith("Summarise this. Summarise this.")).toBe(true);
    }
  });
});

function expectConfigurationError(create: () => unknown, option: string): void {
  let thrown: unknown;
  try {
    create();
  } catch (error) {
    thrown = error;
  }
  expect(ConfigurationError.isInstance(thrown)).toBe(true);
  expect((thrown as ConfigurationError).option).toBe(option);
  expect((thrown as Error).message).toContain(`\`${option}\``);
}

/** A chat model whose provider answered no generation at all. */
class EmptyChatModel extends BaseChatModel {
  _llmType(): string {
    return "empty";
  }

  async _generate(_messages: BaseMessage[]): Promise<ChatResult> {
    return { generations: [] };
  }
}

/** A text LLM whose provider answered an empty list of candidates. */
class EmptyLLM extends BaseLLM {
  _llmType(): string {
    return "empty";
  }

  async _generate(prompts: string[]): Promise<LLMResult> {
    return { generations: prompts.map(() => []) };
  }
}

/** Answers with content parts (text and an image) and a generation without `text`. */
class ContentPartsChatModel extends BaseChatModel {
  static readonly content = [
    { type: "text", text: "A cat" },
    { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
    { type: "text", text: " on a mat." },
  ];

  _llmType(): string {
    return "content-parts";
  }

  async _generate(_messages: BaseMessage[]): Promise<ChatResult> {
    const message = new AIMessage({ content: ContentPartsChatModel.content });
    return { generations: [{ text: undefined as unknown as string, message }] };
  }
}
