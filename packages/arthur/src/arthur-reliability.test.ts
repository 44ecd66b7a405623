import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { LLM } from "@langchain/core/language_models/llms";
import { HumanMessage, SystemMessage } from "@langchain/core/messages";
import { StringOutputParser } from "@langchain/core/output_parsers";
import type { ChatResult, LLMResult } from "@langchain/core/outputs";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import {
  ConfigurationError,
  type LLMRunRecord,
  ObservabilityError,
  TRUNCATION_MARKER,
} from "@langchain-observability/core";
import { FakeDetailedChatModel, FakeDetailedLLM } from "@langchain-observability/core/testing";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ArthurCallbackHandler, type ArthurCallbackHandlerOptions } from "./arthur-callback-handler";
import {
  API_KEY,
  type ArthurTestServer,
  clearArthurEnv,
  LOGIN,
  PASSWORD,
  startArthur,
} from "./arthur-test-helpers";
import type { ArthurFaultResponse } from "./testing/index";

/** mulberry32: a tiny seeded generator, so every run injects faults in the same sequence. */
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

type FaultKind = "500" | "429" | "reset" | "hang" | "malformed" | "item-503" | "item-400";

/**
 * Faults for every request and every inference while `enabled`: about 30 % 500s, bursts of three
 * 429s with `Retry-After: 0`, connection resets, hangs past the timeout, malformed JSON answers, and
 * 207 answers that fail single inferences (5xx, sent again, or 4xx, given up). What was injected is
 * counted, to prove each kind happened.
 */
function createFaultPlan(seed: number) {
  const random = seededRandom(seed);
  const itemRandom = seededRandom(seed ^ 0x5bd1e995);
  const injected: Record<FaultKind, number> = {
    "500": 0,
    "429": 0,
    reset: 0,
    hang: 0,
    malformed: 0,
    "item-503": 0,
    "item-400": 0,
  };
  let burst = 0;
  const plan = {
    enabled: true,
    injected,
    request(): ArthurFaultResponse | undefined {
      if (!plan.enabled) return undefined;
      if (burst > 0) {
        burst--;
        injected["429"]++;
        return { status: 429, headers: { "retry-after": "0" }, body: { error: "Too many requests" } };
      }
      const draw = random();
      if (draw < 0.3) {
        injected["500"]++;
        return { status: 500, body: { error: "Internal server error" } };
      }
      if (draw < 0.34) {
        burst = 2;
        injected["429"]++;
        return { status: 429, headers: { "retry-after": "0" }, body: { error: "Too many requests" } };
      }
      if (draw < 0.37) {
        injected.reset++;
        return "reset";
      }
      if (draw < 0.4) {
        injected.hang++;
        return "hang";
      }
      if (draw < 0.43) {
        injected.malformed++;
        return "malformed";
      }
      return undefined;
    },
    item(): { status: number; message: string } | undefined {
      if (!plan.enabled) return undefined;
      const draw = itemRandom();
      if (draw < 0.05) {
        injected["item-503"]++;
        return { status: 503, message: "storage busy" };
      }
      if (draw < 0.07) {
        injected["item-400"]++;
        return { status: 400, message: "Invalid value for input_text" };
      }
      return undefined;
    },
  };
  return plan;
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

const MAX_REQUEST_BYTES = 32_768;
const ANSWERS = ["Sure.", "Done.", "Here you go."];

/** Most questions are short; a few are too large for Arthur (413), a few too large for a batch (dropped). */
function question(index: number): string {
  if (index % 100 === 42) return `huge ${index} ${"y".repeat(120_000)}`;
  if (index % 50 === 7) return `large ${index} ${"x".repeat(40_000)}`;
  return `question ${index}`;
}

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
  /** While the faults go on, every session token stops working after this many requests (401, a new login, a resend). */
  expireSessionsEvery?: number;
}

const STORMS: Storm[] = [
  { name: "an API key", calls: 500, credentials: { apiKey: API_KEY } },
  {
    name: "a login whose sessions keep expiring",
    calls: 200,
    credentials: { arthurLogin: LOGIN, arthurPassword: PASSWORD },
    expireSessionsEvery: 25,
  },
];

describe("reliability under vendor faults", () => {
  it.each(STORMS)(
    "with $name: $calls chain calls, 20 at a time, all succeed; every record is delivered exactly once or counted",
    async ({ calls, credentials, expireSessionsEvery }) => {
      // Seed 808 draws every kind of request fault within its first 13 requests and both item faults
      // within its first 22 inferences, so each kind happens in every run, whatever the timing.
      const faults = createFaultPlan(808);
      let requests = 0;
      arthur = await startArthur({
        maxRequestBytes: MAX_REQUEST_BYTES,
        injectRequestFault: () => {
          requests++;
          if (faults.enabled && expireSessionsEvery && requests % expireSessionsEvery === 0) {
            arthur.emulator.expireTokens();
          }
          return faults.request();
        },
        injectItemFault: () => faults.item(),
      });
      const unhandled = vi.fn();
      process.on("unhandledRejection", unhandled);
      try {
        const captured: string[] = [];
        const errors: unknown[] = [];
        const handler = new ArthurCallbackHandler({
          arthurUrl: arthur.url,
          ...credentials,
          modelId: "arthur-llm-model",
          timeoutMs: 250,
          maxRetries: 3,
          maxBatchSize: 10,
          maxBatchBytes: 150_000,
          flushIntervalMs: 20,
          // The mask sees every record that reaches the queue: the ids the counters must account for.
          mask: (record) => {
            captured.push(record.recordId);
            return record;
          },
          onError: (error) => errors.push(error),
        });
        const chain = ChatPromptTemplate.fromMessages([
          ["system", "You answer in one line."],
          ["human", "{question}"],
        ])
          .pipe(new FakeListChatModel({ responses: ANSWERS }))
          .pipe(new StringOutputParser());

        const answers = await runConcurrently(calls, 20, (index) =>
          chain.invoke({ question: question(index) }, { callbacks: [handler] }),
        );
        expect(answers.every((answer) => ANSWERS.includes(answer))).toBe(true);

        // Drained while the faults go on: every record ends delivered or counted, none is left behind.
        expect(await handler.flush({ timeoutMs: 40_000 })).toMatchObject({ timedOut: false, pending: 0 });
        faults.enabled = false;
        expect(await handler.flush()).toMatchObject({ timedOut: false, pending: 0 });

        const stats = handler.stats();
        const huge = Array.from({ length: calls }, (_, index) => question(index)).filter((text) =>
          text.startsWith("huge"),
        ).length;
        expect(stats).toMatchObject({ captured: calls, pending: 0, inFlightRuns: 0 });
        expect(stats.exported + stats.failed + stats.dropped.total).toBe(stats.captured);
        expect(stats.dropped).toMatchObject({
          total: huge,
          oversize: huge,
          queueFull: 0,
          sampled: 0,
          masked: 0,
        });

        // Exactly once: no inference id twice, and one inference per delivered record (one candidate each).
        const delivered = arthur.emulator.received.inferences.map(
          (item) => item.inference.partner_inference_id,
        );
        expect(new Set(delivered).size).toBe(delivered.length);
        expect(delivered).toHaveLength(stats.exported);
        const capturedIds = new Set(captured);
        expect(capturedIds.size).toBe(calls);
        expect(delivered.every((id) => capturedIds.has(id))).toBe(true);

        // Every record not delivered is one the counters call failed or dropped, each with a reported
        // error; the ids errors name (dropped as oversize, refused inferences) are among them.
        const deliveredIds = new Set(delivered);
        const undelivered = new Set(captured.filter((id) => !deliveredIds.has(id)));
        expect(undelivered.size).toBe(stats.failed + stats.dropped.total);
        expect(errors.length).toBeGreaterThan(0);
        expect(errors.every((error) => ObservabilityError.isInstance(error))).toBe(true);
        const named = errors.flatMap((error) => {
          const match = /dropped record ([\w-]+)|rejected inference "([\w-]+)"/.exec(
            (error as Error).message,
          );
          return match ? [match[1] ?? match[2] ?? ""] : [];
        });
        expect(named.length).toBeGreaterThan(huge);
        expect(named.every((id) => undelivered.has(id))).toBe(true);

        // The faults really happened, retries really ran, and most records still went through.
        for (const [kind, count] of Object.entries(faults.injected))
          expect([kind, count > 0]).toEqual([kind, true]);
        const statuses = arthur.emulator.received.requests.map((request) => request.status);
        expect(statuses).toContain(413);
        if (expireSessionsEvery) expect(statuses).toContain(401);
        expect(arthur.emulator.received.rejected.length).toBeGreaterThan(0);
        expect(stats.retried).toBeGreaterThan(0);
        expect(stats.exported).toBeGreaterThan(calls * 0.4);

        // Once the faults stop, everything new is delivered, exactly once.
        const before = new Set(captured);
        const calm = await runConcurrently(20, 20, (index) =>
          chain.invoke({ question: `after the storm ${index}` }, { callbacks: [handler] }),
        );
        expect(calm.every((answer) => ANSWERS.includes(answer))).toBe(true);
        expect(await handler.flush()).toMatchObject({
          ok: true,
          timedOut: false,
          exported: 20,
          failed: 0,
          dropped: 0,
          pending: 0,
        });
        const fresh = captured.filter((id) => !before.has(id));
        expect(fresh).toHaveLength(20);
        const deliveredAfter = arthur.emulator.received.inferences.map(
          (item) => item.inference.partner_inference_id,
        );
        expect(new Set(deliveredAfter).size).toBe(deliveredAfter.length);
        expect(fresh.every((id) => deliveredAfter.includes(id))).toBe(true);
        const final = handler.stats();
        expect(final).toMatchObject({ captured: calls + 20, pending: 0 });
        expect(final.exported + final.failed + final.dropped.total).toBe(final.captured);
        await handler.shutdown();
      } finally {
        process.off("unhandledRejection", unhandled);
      }
      expect(unhandled).not.toHaveBeenCalled();
    },
    40_000,
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
        timeoutMs: 2000,
        maxRetries: 1,
        flushIntervalMs: 60_000,
        mask: (record: LLMRunRecord) => {
          records.push(record);
          return record;
        },
        onError: (error) => errors.push(error),
      });
    }

    /** The inference data Arthur accepted, and proof that nothing was refused or failed. */
    async function deliveredData(handler: ArthurCallbackHandler, count: number) {
      expect(await handler.flush()).toMatchObject({ ok: true, exported: count, failed: 0, pending: 0 });
      expect(errors).toEqual([]);
      expect(arthur.emulator.received.rejected).toEqual([]);
      return arthur.emulator.received.inferences.map((item) => item.inference.inference_data);
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
