// The reliability suite of issue 8: many chain calls on one handler while the emulated Trubrics
// services fail in every way they can, then bad input of every kind. Loopback only.
import type { CallbackHandlerMethods } from "@langchain/core/callbacks/base";
import { awaitAllCallbacks } from "@langchain/core/callbacks/promises";
import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { BaseLLM } from "@langchain/core/language_models/llms";
import { AIMessage, type BaseMessage, HumanMessage, SystemMessage } from "@langchain/core/messages";
import { StringOutputParser } from "@langchain/core/output_parsers";
import type { ChatResult, LLMResult } from "@langchain/core/outputs";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { FakeChatModel } from "@langchain/core/utils/testing";
import { ConfigurationError, ObservabilityError, TRUNCATION_MARKER } from "@langchain-observability/core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { TrubricsCallbackHandler, type TrubricsCallbackHandlerOptions } from "./index";
import {
  decodeFirestoreFields,
  type TrubricsEmulator,
  type TrubricsEmulatorFault,
  type TrubricsEmulatorFaultInjector,
} from "./testing/index";
import {
  clearTrubricsEnv,
  normalizeForSnapshot,
  startTrubricsServer,
  TEST_API_KEY,
  type TrubricsTestServer,
} from "./trubrics-test-helpers";

const CHAIN_CALLS = 500;
const CONCURRENCY = 20;
/** Every 50th call asks with a prompt the emulator refuses as too large (413). */
const OVERSIZED_EVERY = 50;
const OVERSIZED_PROMPT_CHARS = 40_000;
const MAX_REQUEST_BYTES = 64_000;
const SYSTEM_PROMPT = "You are terse.";

/** mulberry32: a small seeded generator, so every run injects the same sequence of faults. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

type FaultKind = "500" | "429" | "connection-reset" | "hang" | "malformed";

/**
 * Opens with one fault of each kind, so every kind is exercised however few requests there are,
 * then draws: about 30 % of requests answer 500; 4 % start a burst of 1–3 answers 429 with
 * `Retry-After` 0 or 1 s; 3 % reset the connection; 2 % hang past the timeout; 3 % are accepted but
 * answered with a body that is not JSON. Oversized requests get their 413 from the emulator's
 * `maxRequestBytes`.
 */
function createFaultPlan(seed: number): {
  injector: TrubricsEmulatorFaultInjector;
  injected: Record<FaultKind, number>;
} {
  const random = seededRandom(seed);
  const injected: Record<FaultKind, number> = {
    "500": 0,
    "429": 0,
    "connection-reset": 0,
    hang: 0,
    malformed: 0,
  };
  const opening: Array<TrubricsEmulatorFault | undefined> = [
    { status: 500 },
    undefined,
    { status: 429, headers: { "retry-after": "0" } },
    { status: 429, headers: { "retry-after": "0" } },
    undefined,
    "connection-reset",
    undefined,
    "hang",
    "malformed",
    undefined,
  ];
  let burst = 0;
  let retryAfter = "0";
  const count = (kind: FaultKind, fault: TrubricsEmulatorFault): TrubricsEmulatorFault => {
    injected[kind]++;
    return fault;
  };
  const injector: TrubricsEmulatorFaultInjector = () => {
    if (opening.length > 0) {
      const fault = opening.shift();
      if (fault === undefined) return undefined;
      return count(typeof fault === "string" ? fault : fault.status === 500 ? "500" : "429", fault);
    }
    if (burst > 0) {
      burst--;
      return count("429", { status: 429, headers: { "retry-after": retryAfter } });
    }
    const roll = random();
    if (roll < 0.3) return count("500", { status: 500 });
    if (roll < 0.34) {
      burst = Math.floor(random() * 3);
      // Mostly "0" (retry at once), sometimes a whole second, to keep the suite fast.
      retryAfter = random() < 0.9 ? "0" : "1";
      return count("429", { status: 429, headers: { "retry-after": retryAfter } });
    }
    if (roll < 0.37) return count("connection-reset", "connection-reset");
    if (roll < 0.39) return count("hang", "hang");
    if (roll < 0.42) return count("malformed", "malformed");
    return undefined;
  };
  return { injector, injected };
}

interface Driven {
  /** Run id of every chat-model run, seen by a callback of LangChain's own (not the handler). */
  runIds: Set<string>;
  /** Run ids of the calls with an oversized prompt. */
  oversized: Set<string>;
}

/**
 * Drives `count` calls of a real LangChain chain (prompt template → fake chat model → parser)
 * through the handler, `CONCURRENCY` at a time, and checks that every call got its own answer.
 */
async function driveChain(
  handler: TrubricsCallbackHandler,
  count: number,
  options: { firstIndex?: number; oversizedEvery?: number } = {},
): Promise<Driven> {
  const driven: Driven = { runIds: new Set(), oversized: new Set() };
  const witness: CallbackHandlerMethods = {
    handleChatModelStart(_model, messages, runId) {
      driven.runIds.add(runId);
      const prompt = messages[0]?.at(-1)?.content;
      if (typeof prompt === "string" && prompt.length >= OVERSIZED_PROMPT_CHARS) driven.oversized.add(runId);
    },
  };
  const chain = ChatPromptTemplate.fromMessages([
    ["system", SYSTEM_PROMPT],
    ["human", "{question}"],
  ])
    .pipe(new FakeChatModel({}))
    .pipe(new StringOutputParser());
  const firstIndex = options.firstIndex ?? 0;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = firstIndex + next++;
      const oversized = options.oversizedEvery !== undefined && index % options.oversizedEvery === 7;
      const question = oversized
        ? `question ${index} ${"x".repeat(OVERSIZED_PROMPT_CHARS)}`
        : `question ${index}`;
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

/** Run ids the emulator accepted, in order, from either transport. */
function deliveredRunIds(emulator: TrubricsEmulator): string[] {
  return [
    ...emulator.receivedLlmEvents.map((event) => String(event.properties.langchain_run_id)),
    ...emulator.receivedPrompts.map((prompt) => {
      const metadata = decodeFirestoreFields(prompt.fields).metadata as Record<string, unknown>;
      return String(metadata.langchain_run_id);
    }),
  ];
}

/**
 * Runs the whole scenario on one handler, against an emulator of its own (so that both transports
 * can run at once).
 */
async function runUnderFaults(
  transport: (trubrics: TrubricsTestServer) => TrubricsCallbackHandlerOptions,
  seed: number,
): Promise<void> {
  const errors: unknown[] = [];
  const unhandled = vi.fn();
  process.on("unhandledRejection", unhandled);
  const trubrics = await startTrubricsServer({ maxRequestBytes: MAX_REQUEST_BYTES });
  clearTrubricsEnv();
  const handler = new TrubricsCallbackHandler({
    ...transport(trubrics),
    timeoutMs: 200,
    maxRetries: 2,
    flushIntervalMs: 10,
    onError: (error) => errors.push(error),
  });
  try {
    const { injector, injected } = createFaultPlan(seed);
    trubrics.emulator.injectFaults(injector);

    // 1. Under faults.
    const underFaults = await driveChain(handler, CHAIN_CALLS, { oversizedEvery: OVERSIZED_EVERY });
    const flushed = await handler.flush({ timeoutMs: 30_000 });
    trubrics.emulator.injectFaults(undefined);

    const stats = handler.stats();
    const delivered = deliveredRunIds(trubrics.emulator);
    const deliveredSet = new Set(delivered);
    expect(flushed).toMatchObject({ timedOut: false, pending: 0 });
    // Exactly once: no record twice, only records of these calls, and each counted as exported.
    expect(delivered.length).toBe(deliveredSet.size);
    expect([...deliveredSet].filter((runId) => !underFaults.runIds.has(runId))).toEqual([]);
    expect(stats.exported).toBe(deliveredSet.size);
    // Every other record is counted as failed or dropped, with its reason reported.
    expect(stats.captured).toBe(CHAIN_CALLS);
    expect(stats.exported + stats.failed + stats.dropped.total).toBe(stats.captured);
    expect(stats.pending).toBe(0);
    expect(stats.inFlightRuns).toBe(0);
    expect(stats.failed + stats.dropped.total).toBeGreaterThan(0);
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) expect(ObservabilityError.isInstance(error)).toBe(true);
    // A record over the vendor's size limit is never delivered.
    expect(underFaults.oversized.size).toBe(CHAIN_CALLS / OVERSIZED_EVERY);
    expect([...underFaults.oversized].filter((runId) => deliveredSet.has(runId))).toEqual([]);
    expect(stats.failed + stats.dropped.total).toBeGreaterThanOrEqual(underFaults.oversized.size);
    expect(trubrics.emulator.requests.some((request) => request.status === 413)).toBe(true);
    // Every kind of fault was injected.
    for (const [kind, times] of Object.entries(injected)) expect([kind, times > 0]).toEqual([kind, true]);

    // 2. The faults stop: every new call is delivered, once.
    const before = stats.exported;
    const afterFaults = await driveChain(handler, 40, { firstIndex: CHAIN_CALLS });
    const recovered = await handler.flush({ timeoutMs: 10_000 });
    const deliveredAfter = deliveredRunIds(trubrics.emulator);

    expect(recovered).toMatchObject({ ok: true, timedOut: false, exported: 40, failed: 0, pending: 0 });
    expect(handler.stats()).toMatchObject({ captured: CHAIN_CALLS + 40, exported: before + 40, pending: 0 });
    expect(deliveredAfter.length).toBe(new Set(deliveredAfter).size);
    expect(deliveredAfter.filter((runId) => afterFaults.runIds.has(runId)).sort()).toEqual(
      [...afterFaults.runIds].sort(),
    );
    expect(unhandled).not.toHaveBeenCalled();
  } finally {
    process.off("unhandledRejection", unhandled);
    await handler.shutdown({ timeoutMs: 1000 });
    await trubrics.close();
  }
}

// The two transports run at the same time: the time goes into retry backoff, not CPU.
describe.concurrent("500 chain calls, 20 at a time, while Trubrics fails", () => {
  it("ingestion API: every call succeeds, every record is delivered once or counted", async () => {
    // Batches of 10, so that there are many requests to fail.
    await runUnderFaults(
      (trubrics) => ({ apiKey: TEST_API_KEY, host: trubrics.url, maxBatchSize: 10 }),
      0x5eed_0001,
    );
  }, 60_000);

  it("legacy platform API: every call succeeds, every record is delivered once or counted", async () => {
    // One request per record already; the default batch of 25 keeps the 4 writers busy.
    await runUnderFaults((trubrics) => trubrics.legacy, 0x5eed_0002);
  }, 60_000);
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
    const handler = new TrubricsCallbackHandler({ timeoutMs: 2000, maxRetries: 0, ...options });
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
