import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { BaseLLM } from "@langchain/core/language_models/llms";
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { StringOutputParser } from "@langchain/core/output_parsers";
import type { ChatResult, LLMResult } from "@langchain/core/outputs";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import {
  ConfigurationError,
  ExportTimeoutError,
  ObservabilityError,
  TRUNCATION_MARKER,
  VendorApiError,
} from "@langchain-observability/core";
import { createSeededFaults, FakeDetailedChatModel } from "@langchain-observability/core/testing";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import {
  PromptLayerCallbackHandler,
  type PromptLayerCallbackHandlerOptions,
} from "./promptlayer-callback-handler";
import { type PromptLayerEmulator, startPromptLayerEmulator } from "./testing/index";

const API_KEY = "pl_test_key";

let emulator: PromptLayerEmulator;

afterEach(async () => {
  await emulator?.close();
});

/**
 * A chain as users write them: a prompt with a system and a human message, a chat model, a parser.
 * `sleepMs` gives the model some latency, as real ones have.
 */
function createChain(sleepMs = 0) {
  return ChatPromptTemplate.fromMessages([
    ["system", "You add numbers."],
    ["human", "{question}"],
  ])
    .pipe(new FakeListChatModel({ responses: ["pong"], sleep: sleepMs }))
    .pipe(new StringOutputParser());
}

/** Runs `call` for each index, `concurrency` at a time, and returns the answers in index order. */
async function runConcurrently<T>(
  indices: number[],
  concurrency: number,
  call: (index: number) => Promise<T>,
): Promise<T[]> {
  const answers = new Array<T>(indices.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < indices.length) {
        const position = next++;
        answers[position] = await call(indices[position]!);
      }
    }),
  );
  return answers;
}

function range(start: number, end: number): number[] {
  return Array.from({ length: end - start }, (_, offset) => start + offset);
}

/** The chain call a logged body belongs to (each call passes its index as run metadata `call`). */
function callOf(body: unknown): number {
  return Number((body as { metadata: Record<string, string> }).metadata.call);
}

describe("PromptLayer reliability under injected faults, transport track-request", () => {
  const CALLS = 500;
  const CONCURRENCY = 20;
  /** PromptLayer's side: bodies larger than this are answered 413. */
  const MAX_BODY_BYTES = 50_000;
  /** Core's side: a record estimated larger than this is dropped (as oversize) before it is sent. */
  const MAX_BATCH_BYTES = 150_000;
  /** 10 calls whose body PromptLayer refuses as too large, though the record fits a batch. */
  const isTooLargeForPromptLayer = (index: number) => index % 50 === 7;
  /** 5 calls whose record is larger than `maxBatchBytes`, so core drops it before sending. */
  const isTooLargeForBatch = (index: number) => index % 100 === 33;

  function questionOf(index: number): string {
    const question = `call ${index}: what is ${index} + 1?`;
    if (isTooLargeForBatch(index)) return `${question} ${"x".repeat(90_000)}`;
    if (isTooLargeForPromptLayer(index)) return `${question} ${"y".repeat(60_000)}`;
    return question;
  }

  beforeEach(async () => {
    emulator = await startPromptLayerEmulator({ apiKeys: [API_KEY], maxRequestBytes: MAX_BODY_BYTES });
  });

  test("500 chain calls, 20 at a time: every call succeeds; each record delivered at most once, and counted", async () => {
    const unhandledRejection = vi.fn();
    process.on("unhandledRejection", unhandledRejection);
    try {
      // 40 % of the requests get a fault: mostly 500s, and each other kind.
      emulator.injectFaults(
        createSeededFaults({
          seed: 8,
          rate: 0.4,
          route: emulator.routes.trackRequest,
          faults: [
            ...Array.from({ length: 6 }, () => ({ status: 500 })),
            { status: 429, headers: { "retry-after": "0" }, times: 3 },
            { status: 503 },
            { reset: "before-store" as const },
            { reset: "after-store" as const },
            { malformed: true },
          ],
        }),
      );
      const errors: unknown[] = [];
      const handler = new PromptLayerCallbackHandler({
        transport: "track-request",
        apiKey: API_KEY,
        baseUrl: emulator.url,
        // Only a hang should ever reach it; an answer that comes late on a loaded machine is counted
        // as unknown, which the checks below allow (they never depend on timing).
        timeoutMs: 5_000,
        maxRetries: 2,
        flushIntervalMs: 5,
        maxBatchBytes: MAX_BATCH_BYTES,
        onError: (error) => errors.push(error),
      });
      const chain = createChain(2);
      const invoke = (index: number, question: string) =>
        chain.invoke({ question }, { callbacks: [handler], metadata: { call: String(index) } });

      const all = range(0, CALLS);
      const answers = await runConcurrently(all, CONCURRENCY, (index) => invoke(index, questionOf(index)));
      expect(answers).toEqual(all.map(() => "pong"));

      const drained = await handler.flush({ timeoutMs: 50_000 });
      emulator.injectFaults(undefined);
      expect(drained).toMatchObject({ timedOut: false, pending: 0 });

      const stats = handler.stats();
      expect(stats).toMatchObject({ captured: CALLS, pending: 0, inFlightRuns: 0 });
      expect(stats.exported + stats.failed + stats.unknown + stats.dropped.total).toBe(stats.captured);
      expect(stats.retried).toBeGreaterThan(0);

      // What PromptLayer logged: each record at most once (/track-request is never resent once it may
      // have reached PromptLayer) …
      const delivered = emulator.trackRequests.map((tracked) => callOf(tracked.body));
      expect(new Set(delivered).size).toBe(delivered.length);
      const runIds = emulator.trackRequests.map(
        (tracked) => (tracked.body.metadata as Record<string, string>)._langchain_run_id,
      );
      expect(new Set(runIds).size).toBe(delivered.length);
      // … every record counted as exported, plus some of those whose outcome is unknown (a lost answer).
      expect(delivered.length).toBeGreaterThanOrEqual(stats.exported);
      expect(delivered.length).toBeLessThanOrEqual(stats.exported + stats.unknown);
      expect(stats.unknown).toBeGreaterThan(0);
      // Never sent: exactly the records core dropped as oversize.
      const attempts = emulator.requests.filter((request) => request.path === "/track-request");
      const attempted = new Set(attempts.map((request) => callOf(request.body)));
      const neverSent = all.filter((index) => !attempted.has(index));
      expect(neverSent).toEqual(all.filter(isTooLargeForBatch));
      expect(stats.dropped).toMatchObject({ total: neverSent.length, oversize: neverSent.length });

      // A body over PromptLayer's limit is never logged. (It may be sent more than once: core's queue
      // halves a batch that got a 413, and a record put back in the queue after a 429 goes in a full
      // batch again; each copy is refused before anything is stored.)
      let refusedAsTooLarge = 0;
      for (const index of all.filter(isTooLargeForPromptLayer)) {
        const statuses = attempts.filter((request) => callOf(request.body) === index).map((r) => r.status);
        if (statuses.at(-1) === 413) refusedAsTooLarge++;
        expect(delivered).not.toContain(index);
      }
      expect(refusedAsTooLarge).toBeGreaterThan(0);

      // Every kind of fault happened.
      const count = (predicate: (request: (typeof attempts)[number]) => boolean) =>
        attempts.filter(predicate).length;
      expect(count((request) => request.status === 500)).toBeGreaterThan(20);
      expect(count((request) => request.status === 429)).toBeGreaterThan(0);
      expect(count((request) => request.status === 503)).toBeGreaterThan(0);
      expect(count((request) => request.fault?.reset === "before-store")).toBeGreaterThan(0);
      expect(count((request) => request.fault?.reset === "after-store")).toBeGreaterThan(0);
      expect(count((request) => request.fault?.malformed === true)).toBeGreaterThan(0);

      // Each failed or unknown record reached onError, with its reason (so did requeued ones, when
      // they were put back in the queue); so did each dropped one.
      const failures: unknown[] = errors.filter(
        (error) => VendorApiError.isInstance(error) || ExportTimeoutError.isInstance(error),
      );
      expect(failures.length).toBeGreaterThanOrEqual(stats.failed + stats.unknown);
      expect(failures.length).toBeLessThanOrEqual(stats.failed + stats.unknown + stats.requeued);
      expect(failures.filter((error) => (error as VendorApiError).status === 413)).toHaveLength(
        refusedAsTooLarge,
      );
      const drops = errors.filter((error) => !failures.includes(error));
      expect(drops).toHaveLength(stats.dropped.oversize);
      for (const drop of drops) {
        expect(ObservabilityError.isInstance(drop)).toBe(true);
        expect((drop as Error).message).toMatch(/maxBatchBytes \(150000\)/);
      }

      // The faults have stopped: a few more calls are all delivered, once each.
      const more = range(CALLS, CALLS + 20);
      expect(await runConcurrently(more, CONCURRENCY, (index) => invoke(index, `call ${index}`))).toEqual(
        more.map(() => "pong"),
      );
      expect(await handler.flush({ timeoutMs: 10_000 })).toMatchObject({
        ok: true,
        exported: more.length,
        failed: 0,
        dropped: 0,
        pending: 0,
      });
      const deliveredAfter = emulator.trackRequests.map((tracked) => callOf(tracked.body));
      expect(new Set(deliveredAfter).size).toBe(deliveredAfter.length);
      expect(deliveredAfter.filter((index) => index >= CALLS).sort((a, b) => a - b)).toEqual(more);

      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandledRejection).not.toHaveBeenCalled();
    } finally {
      process.off("unhandledRejection", unhandledRejection);
    }
  }, 60_000);
});

describe("PromptLayer reliability with bad input", () => {
  beforeEach(async () => {
    emulator = await startPromptLayerEmulator({ apiKeys: [API_KEY] });
  });

  /** Every background error of the handlers below: a clean record makes none. */
  let backgroundErrors: unknown[];

  function createHandler(options: PromptLayerCallbackHandlerOptions = {}): PromptLayerCallbackHandler {
    backgroundErrors = [];
    return new PromptLayerCallbackHandler({
      transport: "track-request",
      apiKey: API_KEY,
      baseUrl: emulator.url,
      flushIntervalMs: 10,
      timeoutMs: 30_000,
      maxRetries: 1,
      onError: (error) => backgroundErrors.push(error),
      ...options,
    });
  }

  /** Flushes and returns the one body PromptLayer logged. */
  async function onlyLoggedBody(handler: PromptLayerCallbackHandler): Promise<Record<string, unknown>> {
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1, failed: 0, dropped: 0 });
    expect(backgroundErrors).toEqual([]);
    expect(emulator.trackRequests).toHaveLength(1);
    return emulator.trackRequests[0]!.body;
  }

  test.each([
    { option: "timeoutMs", value: "fast" },
    { option: "timeoutMs", value: 0 },
    { option: "maxRetries", value: -1 },
    { option: "maxRetries", value: 21 },
    { option: "maxRetries", value: 1.5 },
    { option: "sampleRate", value: 1.5 },
    { option: "sampleRate", value: "all" },
    { option: "maxBatchSize", value: 0 },
    { option: "maxBatchBytes", value: 10 },
    { option: "flushIntervalMs", value: 0 },
    { option: "maxQueueSize", value: Number.POSITIVE_INFINITY },
    { option: "maxFieldChars", value: 10 },
    { option: "maxInFlightRuns", value: 0 },
    { option: "runTtlMs", value: Number.NaN },
    { option: "flushTimeoutMs", value: -1 },
    { option: "tags", value: "one-tag" },
    { option: "metadata", value: ["not", "an", "object"] },
    { option: "userId", value: 42 },
    { option: "captureContent", value: "yes" },
    { option: "onError", value: "log" },
    { option: "mask", value: {} },
    { option: "fetch", value: "fetch" },
    { option: "plTags", value: [1, 2] },
    { option: "plIdCallback", value: 5 },
    { option: "apiKey", value: 12_345 },
    { option: "baseUrl", value: 5 },
    { option: "baseUrl", value: "ftp://api.promptlayer.com" },
  ])("`$option` = $value → a ConfigurationError naming the option", ({ option, value }) => {
    let caught: unknown;
    try {
      new PromptLayerCallbackHandler({
        transport: "track-request",
        apiKey: API_KEY,
        [option]: value,
      } as PromptLayerCallbackHandlerOptions);
    } catch (error) {
      caught = error;
    }
    expect(ConfigurationError.isInstance(caught)).toBe(true);
    expect(caught).toMatchObject({ option });
    expect((caught as Error).message).toContain(`\`${option}\``);
    expect(emulator.requests).toHaveLength(0);
  });

  test("a chat model that answers no generation: a clean record with an empty response", async () => {
    class EmptyChatModel extends BaseChatModel {
      _llmType(): string {
        return "empty-chat";
      }
      async _generate(): Promise<ChatResult> {
        return { generations: [] };
      }
    }
    const handler = createHandler();
    const result = await new EmptyChatModel({}).generate([[new HumanMessage("hello")]], {
      callbacks: [handler],
    });
    expect(result.generations).toEqual([[]]);
    const body = await onlyLoggedBody(handler);
    expect({
      args: body.args,
      request_response: body.request_response,
      status: body.status,
    }).toMatchInlineSnapshot(`
        {
          "args": [
            {
              "content": "hello",
              "role": "user",
            },
          ],
          "request_response": [
            {
              "content": "",
              "role": "assistant",
            },
          ],
          "status": undefined,
        }
      `);
  });

  test("a text LLM that answers no generation, or a text that is not a string: clean records", async () => {
    class OddLLM extends BaseLLM {
      _llmType(): string {
        return "odd-llm";
      }
      async _generate(prompts: string[]): Promise<LLMResult> {
        return {
          generations: prompts.map((prompt) =>
            prompt === "nothing" ? [] : [{ text: { not: "a string" } as unknown as string }],
          ),
        };
      }
    }
    const handler = createHandler();
    await new OddLLM({}).generate(["nothing", "object"], { callbacks: [handler] });
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 2, failed: 0 });
    expect(backgroundErrors).toEqual([]);
    const bodies = emulator.trackRequests.map((tracked) => tracked.body);
    expect(
      bodies
        .map((body) => ({ args: body.args, request_response: body.request_response }))
        .sort((a, b) => String(a.args).localeCompare(String(b.args))),
    ).toMatchInlineSnapshot(`
      [
        {
          "args": [
            "nothing",
          ],
          "request_response": {
            "llm_output": null,
            "text": "",
          },
        },
        {
          "args": [
            "object",
          ],
          "request_response": {
            "llm_output": null,
            "text": "",
          },
        },
      ]
    `);
  });

  test("non-string message content (parts of several kinds, in and out): a clean record", async () => {
    const handler = createHandler();
    const chat = new FakeDetailedChatModel({
      responses: [
        {
          content: [
            { type: "text", text: "A cat." },
            { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
            { type: "made-up-part", payload: { nested: [1, 2] } },
          ],
        },
      ],
      callbacks: [handler],
    });
    const answer = await chat.invoke([
      new HumanMessage({
        content: [
          { type: "text", text: "What is this?" },
          { type: "image_url", image_url: { url: "https://example.com/cat.png" } },
        ],
      }),
      new AIMessage({ content: [] }),
    ]);
    expect(Array.isArray(answer.content)).toBe(true);
    const body = await onlyLoggedBody(handler);
    expect({ args: body.args, request_response: body.request_response }).toMatchInlineSnapshot(`
      {
        "args": [
          {
            "content": [
              {
                "text": "What is this?",
                "type": "text",
              },
              {
                "image_url": {
                  "url": "https://example.com/cat.png",
                },
                "type": "image_url",
              },
            ],
            "role": "user",
          },
          {
            "content": "",
            "role": "assistant",
          },
        ],
        "request_response": [
          {
            "content": [
              {
                "text": "A cat.",
                "type": "text",
              },
              {
                "image_url": {
                  "url": "data:image/png;base64,AAAA",
                },
                "type": "image_url",
              },
              {
                "payload": {
                  "nested": [
                    1,
                    2,
                  ],
                },
                "type": "made-up-part",
              },
            ],
            "role": "assistant",
          },
        ],
      }
    `);
  });

  test("circular and BigInt metadata, in the options and in the run: a clean record", async () => {
    const circular: Record<string, unknown> = { name: "loop" };
    circular.self = circular;
    const handler = createHandler({ metadata: { fromOptions: circular, optionBig: 7n } });
    const answer = await createChain().invoke(
      { question: "hi" },
      {
        callbacks: [handler],
        metadata: { big: 12_345_678_901_234_567_890n, nested: { big: 1n, circular } },
      },
    );
    expect(answer).toBe("pong");
    const body = await onlyLoggedBody(handler);
    const metadata = body.metadata as Record<string, string>;
    expect({
      big: metadata.big,
      optionBig: metadata.optionBig,
      nested: metadata.nested,
      fromOptions: metadata.fromOptions,
    }).toMatchInlineSnapshot(`
      {
        "big": "12345678901234567890",
        "fromOptions": "{"name":"loop","self":"[Circular]"}",
        "nested": "{"big":"1","circular":{"name":"loop","self":"[Circular]"}}",
        "optionBig": "7",
      }
    `);
  });

  test("a 5 MB prompt is cut with core's marker and delivered, not refused whole", async () => {
    const handler = createHandler();
    const question = `start ${"z".repeat(5_000_000)} end`;
    expect(await createChain().invoke({ question }, { callbacks: [handler] })).toBe("pong");
    const body = await onlyLoggedBody(handler);
    const human = (body.args as Array<{ role: string; content: string }>)[1]!;
    expect(human.role).toBe("user");
    expect(human.content).toHaveLength(100_000);
    expect(human.content.startsWith("start zzz")).toBe(true);
    expect(human.content.endsWith(`zzz${TRUNCATION_MARKER}`)).toBe(true);
    expect(JSON.stringify(body).length).toBeLessThan(200_000);
  });
});
