import { join } from "node:path";
import { awaitAllCallbacks } from "@langchain/core/callbacks/promises";
import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { LLM } from "@langchain/core/language_models/llms";
import { HumanMessage, SystemMessage } from "@langchain/core/messages";
import { StringOutputParser } from "@langchain/core/output_parsers";
import type { ChatResult, LLMResult } from "@langchain/core/outputs";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import {
  ConfigurationError,
  isRunSpanRecord,
  type LLMRunRecord,
  ObservabilityError,
  TRUNCATION_MARKER,
} from "@langchain-observability/core";
import {
  createSeededFaults,
  type EmulatorFault,
  FakeDetailedChatModel,
  FakeDetailedLLM,
  type FaultGenerator,
} from "@langchain-observability/core/testing";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runSnippet } from "../../../scripts/readme-snippets";
import { ArthurCallbackHandler, type ArthurCallbackHandlerOptions } from "./arthur-callback-handler";
import {
  API_KEY,
  type ArthurTestServer,
  clearArthurEnv,
  LOGIN,
  PASSWORD,
  startArthur,
} from "./arthur-test-helpers";
import { ARTHUR_EMULATOR_TASK_ID, ARTHUR_ROUTES } from "./testing/index";

/** mulberry32: a tiny seeded generator, so every run injects item faults in the same sequence. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Runs `count` calls of `call`, `concurrency` at a time; resolves with every result in order. */
async function runConcurrently<T>(
  count: number,
  concurrency: number,
  call: (index: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      results[index] = await call(index);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

const ANSWERS = ["Sure.", "Done.", "Here you go."];

function createChain() {
  return ChatPromptTemplate.fromMessages([
    ["system", "You answer in one line."],
    ["human", "{question}"],
  ])
    .pipe(new FakeListChatModel({ responses: ANSWERS }))
    .pipe(new StringOutputParser());
}

/**
 * Transient faults only (every one of them can pass): 5xx, 429 with `Retry-After: 0`, connections
 * dropped before the vendor stored the request and after it did (the post-commit loss), answers cut
 * after storing, and unreadable 207s. No hang: a fault suite never races a client timeout.
 */
const TRANSIENT_FAULTS: EmulatorFault[] = [
  { status: 500 },
  { status: 503 },
  { status: 429, headers: { "retry-after": "0" } },
  { reset: "before-store" },
  { reset: "after-store" },
  { malformed: true },
  { status: 207, malformed: true },
];

let arthur: ArthurTestServer;

afterEach(async () => {
  await arthur?.server.close();
});

beforeEach(() => {
  clearArthurEnv();
});

interface Storm {
  name: string;
  calls: number;
  credentials: Partial<ArthurCallbackHandlerOptions>;
  /** While the faults go on, a session stops working after serving this many requests (401, a new login, a resend). */
  expireSessionsEvery?: number;
}

const STORMS: Storm[] = [
  { name: "an API key", calls: 300, credentials: { apiKey: API_KEY } },
  {
    name: "a login whose sessions keep expiring",
    calls: 120,
    credentials: { arthurLogin: LOGIN, arthurPassword: PASSWORD },
    expireSessionsEvery: 12,
  },
];

describe("reliability: 30 % transient faults, then recovery", () => {
  it.each(STORMS)(
    "with $name: $calls chain calls, 20 at a time, all succeed; every record is stored exactly once, none lost",
    async ({ calls, credentials, expireSessionsEvery }) => {
      // Item faults: 5 % of inferences refused with a 503 inside a 207 (sent again, alone).
      const itemRandom = seededRandom(0x5bd1e995);
      let itemFaults = true;
      arthur = await startArthur({
        injectItemFault: () =>
          itemFaults && itemRandom() < 0.05 ? { status: 503, message: "storage busy" } : undefined,
      });
      const seeded = createSeededFaults({
        seed: 808,
        rate: 0.3,
        route: ARTHUR_ROUTES.inferences,
        faults: TRANSIENT_FAULTS,
      });
      const generator: FaultGenerator = (request) => {
        if (expireSessionsEvery) {
          // A session that has served this many requests since its login expires: often, but never
          // again while the new login and the resend it allows are still under way.
          const log = arthur.emulator.requests;
          const lastLogin = log.findLastIndex((entry) => entry.path === "/api/v3/login");
          if (lastLogin >= 0 && log.length - 1 - lastLogin >= expireSessionsEvery)
            arthur.emulator.expireTokens();
        }
        return seeded(request);
      };
      // One of each kind first, whatever the batching, then 30 % drawn by the seeded generator.
      for (const fault of TRANSIENT_FAULTS)
        arthur.emulator.failNext({ ...fault, route: ARTHUR_ROUTES.inferences });
      arthur.emulator.injectFaults(generator);
      const unhandled = vi.fn();
      process.on("unhandledRejection", unhandled);
      try {
        const captured: string[] = [];
        const errors: unknown[] = [];
        const handler = new ArthurCallbackHandler({
          baseUrl: arthur.url,
          ...credentials,
          modelId: "arthur-llm-model",
          // Generous: no fault hangs, so only an overloaded machine could reach it (and then the
          // resend is idempotent).
          timeoutMs: 10_000,
          maxRetries: 2,
          maxBatchSize: 10,
          flushIntervalMs: 20,
          // The mask sees every record that reaches the queue: the ids the counters must account for.
          mask: (record) => {
            captured.push(record.recordId);
            return record;
          },
          onError: (error) => errors.push(error),
        });
        const chain = createChain();
        const answers = await runConcurrently(calls, 20, (index) =>
          chain.invoke({ question: `question ${index}` }, { callbacks: [handler] }),
        );
        expect(answers.every((answer) => ANSWERS.includes(answer))).toBe(true);
        await handler.flush({ timeoutMs: 60_000 });

        // Recovery: what is still queued goes out now.
        arthur.emulator.injectFaults(undefined);
        itemFaults = false;
        expect(await handler.flush({ timeoutMs: 60_000 })).toMatchObject({ timedOut: false, pending: 0 });

        const stats = handler.stats();
        expect(stats).toMatchObject({
          captured: calls,
          exported: calls,
          failed: 0,
          pending: 0,
          inFlightRuns: 0,
        });
        expect(stats.dropped.total).toBe(0);

        // 0 lost, 0 duplicated: what the emulator stored is every captured record, once each.
        const stored = arthur.emulator.inferences.map((item) => item.inference.partner_inference_id);
        expect(new Set(captured).size).toBe(calls);
        expect(stored).toHaveLength(calls);
        expect(new Set(stored)).toEqual(new Set(captured));

        // The faults really happened, including the post-commit ones the resends had to absorb.
        const faulted = arthur.emulator.requests.filter((request) => request.fault !== undefined);
        for (const kind of ["status", "before-store", "after-store", "malformed"]) {
          const seen = faulted.some((request) =>
            kind === "status"
              ? request.fault?.status !== undefined && !request.fault.malformed
              : kind === "malformed"
                ? request.fault?.malformed === true
                : request.fault?.reset === kind,
          );
          expect([kind, seen]).toEqual([kind, true]);
        }
        expect(arthur.emulator.duplicates).toBeGreaterThan(0);
        expect(stats.retried).toBeGreaterThan(0);
        if (expireSessionsEvery) {
          expect(arthur.emulator.calls.map((request) => request.status)).toContain(401);
        }
        expect(errors.every((error) => ObservabilityError.isInstance(error))).toBe(true);
        await handler.shutdown();
      } finally {
        process.off("unhandledRejection", unhandled);
      }
      expect(unhandled).not.toHaveBeenCalled();
    },
    300_000,
  );
});

describe("reliability: one fault at a time", () => {
  function createHandler(overrides: Partial<ArthurCallbackHandlerOptions> = {}) {
    const errors: unknown[] = [];
    const handler = new ArthurCallbackHandler({
      baseUrl: arthur.url,
      apiKey: API_KEY,
      modelId: "arthur-llm-model",
      timeoutMs: 10_000,
      maxRetries: 2,
      flushIntervalMs: 60_000,
      onError: (error) => errors.push(error),
      ...overrides,
    });
    return { handler, errors };
  }

  it("a connection lost after Arthur stored the batch: resent, stored once, counted once", async () => {
    arthur = await startArthur();
    const { handler, errors } = createHandler();
    await createChain().invoke({ question: "Where is my order?" }, { callbacks: [handler] });
    arthur.emulator.failNext({ route: ARTHUR_ROUTES.inferences, reset: "after-store" });
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1, failed: 0, pending: 0 });
    expect(
      arthur.emulator.calls.filter((call) => call.endpoint === "inferences").map((call) => call.status),
    ).toEqual([0, 207]);
    expect(arthur.emulator.inferences).toHaveLength(1);
    expect(arthur.emulator.duplicates).toBe(1);
    expect(handler.stats()).toMatchObject({ captured: 1, exported: 1, failed: 0 });
    expect(errors).toEqual([]);
  });

  it("a request that timed out after Arthur stored it: resent, and the late original stores nothing twice", async () => {
    arthur = await startArthur();
    // The first inferences request hangs until released; the client gives up after timeoutMs and
    // resends. No race: the hung request never answers on its own.
    const { handler } = createHandler({ timeoutMs: 1_000 });
    await createChain().invoke({ question: "Is it raining?" }, { callbacks: [handler] });
    arthur.emulator.failNext({ route: ARTHUR_ROUTES.inferences, hangMs: Number.POSITIVE_INFINITY });
    expect(await handler.flush({ timeoutMs: 30_000 })).toMatchObject({ ok: true, exported: 1, pending: 0 });
    expect(arthur.emulator.inferences).toHaveLength(1);
    // Now the original goes through, long after the client gave up: Arthur already has its key.
    arthur.emulator.releaseHangs();
    await vi.waitFor(() => expect(arthur.emulator.duplicates).toBeGreaterThanOrEqual(1), {
      timeout: 30_000,
      interval: 20,
    });
    expect(arthur.emulator.inferences).toHaveLength(1);
    expect(arthur.emulator.received).toHaveLength(1);
    expect(handler.stats()).toMatchObject({ captured: 1, exported: 1, failed: 0 });
  });

  it("user callbacks that reject or never settle neither crash the process nor stall export", async () => {
    arthur = await startArthur();
    const unhandled = vi.fn();
    process.on("unhandledRejection", unhandled);
    try {
      const rejecting = new ArthurCallbackHandler({
        baseUrl: arthur.url,
        apiKey: API_KEY,
        modelId: "arthur-llm-model",
        maxRetries: 0,
        flushIntervalMs: 60_000,
        onError: async () => {
          throw new Error("error reporter is down");
        },
      });
      const hanging = new ArthurCallbackHandler({
        baseUrl: arthur.url,
        apiKey: API_KEY,
        modelId: "arthur-llm-model",
        maxRetries: 0,
        flushIntervalMs: 60_000,
        onError: () => new Promise<void>(() => {}),
      });
      const chain = createChain();
      // One refused batch each (a 400: not resent), so both onError callbacks run.
      arthur.emulator.failNext({ route: ARTHUR_ROUTES.inferences, status: 400, times: 2 });
      await chain.invoke({ question: "a" }, { callbacks: [rejecting] });
      await chain.invoke({ question: "b" }, { callbacks: [hanging] });
      expect(await rejecting.flush()).toMatchObject({ timedOut: false, failed: 1, pending: 0 });
      expect(await hanging.flush()).toMatchObject({ timedOut: false, failed: 1, pending: 0 });
      // Export goes on after them.
      await chain.invoke({ question: "c" }, { callbacks: [rejecting] });
      await chain.invoke({ question: "d" }, { callbacks: [hanging] });
      expect(await rejecting.flush()).toMatchObject({ ok: true, exported: 1, pending: 0 });
      expect(await hanging.flush()).toMatchObject({ ok: true, exported: 1, pending: 0 });
      expect(arthur.emulator.inferences).toHaveLength(2);
    } finally {
      process.off("unhandledRejection", unhandled);
    }
    expect(unhandled).not.toHaveBeenCalled();
  });

  it("an async mask (a promise instead of a record) is reported once and its records dropped, never sent as junk", async () => {
    arthur = await startArthur();
    const { handler, errors } = createHandler({
      mask: (async (record: LLMRunRecord) => record) as unknown as ArthurCallbackHandlerOptions["mask"],
    });
    const chain = createChain();
    await chain.invoke({ question: "a" }, { callbacks: [handler] });
    await chain.invoke({ question: "b" }, { callbacks: [handler] });
    expect(await handler.flush()).toMatchObject({ exported: 0, pending: 0 });
    expect(handler.stats().dropped).toMatchObject({ invalidMask: 2, total: 2 });
    expect(arthur.emulator.calls.filter((call) => call.endpoint === "inferences")).toEqual([]);
    // Reported once, not once per record.
    expect(errors).toHaveLength(1);
    expect(ObservabilityError.isInstance(errors[0])).toBe(true);
  });

  it("a chat message with a 6 MB base64 image is delivered, without the image bytes", async () => {
    arthur = await startArthur();
    const { handler, errors } = createHandler();
    const chat = new FakeDetailedChatModel({ responses: [{ content: "A cat." }], callbacks: [handler] });
    const image = `data:image/png;base64,${"iVBORw0KGgo".repeat(545_455)}`;
    expect(image.length).toBeGreaterThan(6_000_000);
    await chat.invoke([
      new HumanMessage({
        content: [
          { type: "text", text: "What is in this picture? " },
          { type: "image_url", image_url: { url: image } },
        ],
      }),
    ]);
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1, dropped: 0, pending: 0 });
    expect(errors).toEqual([]);
    const [stored] = arthur.emulator.inferences;
    expect(stored?.inference.inference_data.input_text).toBe("Human: What is in this picture? [image]");
    const sent = arthur.emulator.calls.find((call) => call.endpoint === "inferences");
    expect(JSON.stringify(sent?.body).length).toBeLessThan(10_000);
  });

  it("50 KB prompts during an outage: the queue stays within maxQueueBytes, and what it kept is delivered once after", async () => {
    arthur = await startArthur();
    const maxQueueBytes = 1_000_000;
    const { handler } = createHandler({ maxQueueBytes, maxRetries: 0, flushIntervalMs: 50 });
    arthur.emulator.injectFaults(() => ({ status: 503 }));
    const chain = createChain();
    const calls = 120;
    await runConcurrently(calls, 10, (index) =>
      chain.invoke({ question: `${index} ${"p".repeat(50_000)}` }, { callbacks: [handler] }),
    );
    // LangChain runs callbacks in the background: wait for them before reading the counters.
    await awaitAllCallbacks();
    const during = handler.stats();
    expect(during.captured).toBe(calls);
    // Within the byte bound: at most maxQueueBytes of ~50 KB records are held; the rest were dropped and counted.
    expect(during.pending * 50_000).toBeLessThanOrEqual(maxQueueBytes);
    expect(during.dropped.queueFull).toBeGreaterThan(0);
    expect(arthur.emulator.inferences).toEqual([]);

    arthur.emulator.injectFaults(undefined);
    expect(await handler.flush({ timeoutMs: 60_000 })).toMatchObject({
      timedOut: false,
      pending: 0,
      failed: 0,
    });
    const after = handler.stats();
    expect(after.exported + after.dropped.total).toBe(calls);
    const stored = arthur.emulator.inferences.map((item) => item.inference.partner_inference_id);
    expect(stored).toHaveLength(after.exported);
    expect(new Set(stored).size).toBe(stored.length);
  });
});

describe("a script that never calls flush()", () => {
  it.each([
    ["the inferences API", "fromCredentials"],
    ["the engine", "engine"],
  ] as const)(
    "with %s: exits by itself and Arthur received every record",
    async (_name, mode) => {
      arthur = await startArthur({ engine: { apiKeys: [API_KEY] } });
      const source = JSON.stringify(join(import.meta.dirname, "index.ts"));
      const create =
        mode === "engine"
          ? "new ArthurCallbackHandler()"
          : 'await ArthurCallbackHandler.fromCredentials("arthur-llm-model")';
      const code = `import { ArthurCallbackHandler } from ${source};
import { FakeListChatModel } from "@langchain/core/utils/testing";
const arthur = ${create};
const chat = new FakeListChatModel({ responses: ["ok"], callbacks: [arthur] });
for (let index = 0; index < 25; index++) await chat.invoke(\`question \${index}\`);
console.log("calls done");
`;
      const result = await runSnippet(
        { index: 1, line: 1, code },
        {
          cwd: join(import.meta.dirname, ".."),
          env: {
            ARTHUR_ENDPOINT_URL: arthur.url,
            ARTHUR_API_KEY: API_KEY,
            ARTHUR_ENGINE_URL: arthur.url,
            ARTHUR_TASK_ID: ARTHUR_EMULATOR_TASK_ID,
          },
        },
      );
      // The bound only guards against a hang: the script must exit by itself, with exit code 0.
      expect({ exitCode: result.exitCode, killed: result.killed, stdout: result.stdout }).toEqual({
        exitCode: 0,
        killed: false,
        stdout: "calls done\n",
      });
      const stored =
        mode === "engine"
          ? arthur.emulator.spans.map((item) => item.span.spanId)
          : arthur.emulator.inferences.map((item) => item.inference.partner_inference_id);
      expect(stored).toHaveLength(25);
      expect(new Set(stored).size).toBe(25);
    },
    300_000,
  );
});

describe("bad input", () => {
  const valid = (): ArthurCallbackHandlerOptions => ({
    arthurUrl: "http://127.0.0.1:9",
    apiKey: API_KEY,
    modelId: "arthur-llm-model",
  });

  it.each([
    [{ timeoutMs: 0 }, "timeoutMs"],
    [{ timeoutMs: "fast" }, "timeoutMs"],
    [{ maxRetries: -1 }, "maxRetries"],
    [{ maxRetries: 2.5 }, "maxRetries"],
    [{ maxRetries: 21 }, "maxRetries"],
    [{ sampleRate: 1.5 }, "sampleRate"],
    [{ sampleRate: "all" }, "sampleRate"],
    [{ maxBatchSize: 0 }, "maxBatchSize"],
    [{ maxBatchBytes: 10 }, "maxBatchBytes"],
    [{ flushIntervalMs: -5 }, "flushIntervalMs"],
    [{ maxQueueSize: Number.NaN }, "maxQueueSize"],
    [{ maxFieldChars: 10 }, "maxFieldChars"],
    [{ maxInFlightRuns: 0 }, "maxInFlightRuns"],
    [{ runTtlMs: "1h" }, "runTtlMs"],
    [{ flushTimeoutMs: -1 }, "flushTimeoutMs"],
    [{ tags: "a,b" }, "tags"],
    [{ metadata: ["a"] }, "metadata"],
    [{ userId: 42 }, "userId"],
    [{ sessionId: {} }, "sessionId"],
    [{ captureContent: "yes" }, "captureContent"],
    [{ onError: "console" }, "onError"],
    [{ mask: true }, "mask"],
    [{ fetch: "fetch" }, "fetch"],
    [{ apiKey: 42 }, "apiKey"],
    [{ arthurUrl: 42 }, "arthurUrl"],
    [{ arthurUrl: "ftp://arthur.example.com" }, "arthurUrl"],
    [{ arthurUrl: "http://arthur.example.com" }, "arthurUrl"],
    [{ allowInsecure: "true" }, "allowInsecure"],
    [{ organizationId: 7 }, "organizationId"],
    [{ modelId: "  " }, "modelId"],
    [{ modelId: undefined, model: { id: "m" } }, "model"],
  ] as Array<[Record<string, unknown>, string]>)(
    "refuses %o with a ConfigurationError naming %s",
    (patch, option) => {
      let error: unknown;
      try {
        new ArthurCallbackHandler({ ...valid(), ...patch } as ArthurCallbackHandlerOptions);
      } catch (caught) {
        error = caught;
      }
      expect(ConfigurationError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ option });
      expect((error as Error).message).toContain(`\`${option}\``);
    },
  );

  it("refuses missing or non-object options, and a non-string model id, without a network call", async () => {
    for (const options of [undefined, null, "key", 42]) {
      expect(() => new ArthurCallbackHandler(options as unknown as ArthurCallbackHandlerOptions)).toThrow(
        ConfigurationError,
      );
    }
    await expect(
      ArthurCallbackHandler.fromCredentials(42 as unknown as string, { apiKey: API_KEY }),
    ).rejects.toMatchObject({ name: "ConfigurationError", option: "modelId" });
  });

  describe("model outputs", () => {
    let records: LLMRunRecord[];
    let errors: unknown[];

    beforeEach(async () => {
      arthur = await startArthur();
      records = [];
      errors = [];
    });

    function createHandler(): ArthurCallbackHandler {
      return new ArthurCallbackHandler({
        arthurUrl: arthur.url,
        apiKey: API_KEY,
        modelId: "arthur-llm-model",
        timeoutMs: 30_000,
        maxRetries: 1,
        flushIntervalMs: 60_000,
        mask: (record) => {
          if (!isRunSpanRecord(record)) records.push(record);
          return record;
        },
        onError: (error) => errors.push(error),
      });
    }

    /** The inference data Arthur accepted, and proof that nothing was refused or failed. */
    async function deliveredData(handler: ArthurCallbackHandler, count: number) {
      expect(await handler.flush()).toMatchObject({ ok: true, exported: count, failed: 0, pending: 0 });
      expect(errors).toEqual([]);
      expect(arthur.emulator.rejected).toEqual([]);
      return arthur.emulator.inferences.map((item) => item.inference.inference_data);
    }

    it("logs empty generations as a record with an empty output", async () => {
      class EmptyChatModel extends BaseChatModel {
        _llmType(): string {
          return "empty-chat";
        }
        async _generate(): Promise<ChatResult> {
          return { generations: [] };
        }
      }
      class EmptyLLM extends LLM {
        _llmType(): string {
          return "empty-llm";
        }
        async _call(): Promise<string> {
          return "";
        }
        override async _generate(): Promise<LLMResult> {
          return { generations: [] };
        }
      }
      const handler = createHandler();
      const chat = await new EmptyChatModel({ callbacks: [handler] }).generate([[new HumanMessage("hi")]]);
      expect(chat.generations).toEqual([[]]);
      const text = await new EmptyLLM({ callbacks: [handler] }).generate(["hello"]);
      expect(text.generations).toEqual([]);
      const data = await deliveredData(handler, 2);
      expect(data.map((entry) => [entry.input_text, entry.output_text])).toEqual([
        ["Human: hi", ""],
        ["hello", ""],
      ]);
    });

    it("logs non-string content (content parts in and out) as text", async () => {
      const handler = createHandler();
      const chat = new FakeDetailedChatModel({
        responses: [
          {
            content: [
              { type: "text", text: "A cat " },
              { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
              { type: "text", text: "on a mat." },
            ],
          },
        ],
        callbacks: [handler],
      });
      await chat.invoke([
        new HumanMessage({
          content: [
            { type: "text", text: "Describe this: " },
            { type: "image_url", image_url: { url: "data:image/png;base64,BBBB" } },
          ],
        }),
      ]);
      const data = await deliveredData(handler, 1);
      expect(data.map((entry) => [entry.input_text, entry.output_text])).toMatchInlineSnapshot(`
        [
          [
            "Human: Describe this: [image]",
            "A cat on a mat.",
          ],
        ]
      `);
    });

    it("logs runs whose metadata and response metadata are circular or hold BigInt", async () => {
      const handler = createHandler();
      const circular: Record<string, unknown> = { big: 12_345_678_901_234_567_890n, label: "loop" };
      circular.self = circular;
      const chat = new FakeDetailedChatModel({
        responses: [
          { content: "fine", responseMetadata: { finish_reason: "stop", cost: 7n, loop: circular } },
        ],
        callbacks: [handler],
      });
      expect((await chat.invoke("hi", { metadata: { run: circular, count: 3n } })).content).toBe("fine");
      const llm = new FakeDetailedLLM({
        responses: ["also fine"],
        generationInfo: { finish_reason: "stop", nested: circular },
        callbacks: [handler],
      });
      expect(await llm.invoke("hello", { metadata: { run: circular } })).toBe("also fine");
      const data = await deliveredData(handler, 2);
      expect(data.map((entry) => [entry.input_text, entry.output_text, entry.finish_reason])).toEqual([
        ["Human: hi", "fine", "stop"],
        ["hello", "also fine", "stop"],
      ]);
      expect(records[0]?.metadata).toMatchObject({
        count: "3",
        run: { big: "12345678901234567890", label: "loop", self: "[Circular]" },
      });
      expect(() => JSON.stringify(records)).not.toThrow();
    });

    it("truncates a 5 MB prompt with the marker instead of rejecting it", async () => {
      const handler = createHandler();
      const prompt = "z".repeat(5_000_000);
      const chat = new FakeDetailedChatModel({ responses: [{ content: "long read" }], callbacks: [handler] });
      expect((await chat.invoke([new SystemMessage("Summarize."), new HumanMessage(prompt)])).content).toBe(
        "long read",
      );
      expect(await new FakeDetailedLLM({ responses: ["ok"], callbacks: [handler] }).invoke(prompt)).toBe(
        "ok",
      );
      const data = await deliveredData(handler, 2);
      const [chatInput, textInput] = data.map((entry) => String(entry.input_text));
      for (const input of [chatInput, textInput]) {
        expect(input?.endsWith(TRUNCATION_MARKER)).toBe(true);
        expect(input?.length).toBeLessThanOrEqual(100_000 + "System: Summarize.\nHuman: ".length);
        expect(input?.length).toBeGreaterThan(90_000);
      }
      expect(chatInput?.startsWith("System: Summarize.\nHuman: zzz")).toBe(true);
      expect(data.map((entry) => entry.output_text)).toEqual(["long read", "ok"]);
    });
  });
});
