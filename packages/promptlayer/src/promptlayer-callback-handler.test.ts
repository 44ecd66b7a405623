import { HumanMessage } from "@langchain/core/messages";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { RunnableLambda } from "@langchain/core/runnables";
import { tool } from "@langchain/core/tools";
import { FakeRetriever } from "@langchain/core/utils/testing";
import {
  ConfigurationError,
  ObservabilityCallbackHandler,
  type RunSpanRecord,
  VendorApiError,
} from "@langchain-observability/core";
import {
  createMemoryExporter,
  FakeDetailedChatModel,
  normalizeForSnapshot,
} from "@langchain-observability/core/testing";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { toPromptLayerSpanId } from "./map-span-to-promptlayer";
import {
  PromptLayerCallbackHandler,
  type PromptLayerCallbackHandlerOptions,
} from "./promptlayer-callback-handler";
import { PromptLayerClient } from "./promptlayer-client";
import { createPromptLayerExporter, exportPromptLayer } from "./promptlayer-exporter";
import {
  type PromptLayerEmulator,
  type PromptLayerEmulatorOptions,
  startPromptLayerEmulator,
} from "./testing/index";

const API_KEY = "pl_test_key";

let emulator: PromptLayerEmulator;

beforeEach(async () => {
  emulator = await startPromptLayerEmulator({ apiKeys: [API_KEY] });
});

afterEach(async () => {
  await emulator.close();
});

async function restart(options: PromptLayerEmulatorOptions): Promise<void> {
  await emulator.close();
  emulator = await startPromptLayerEmulator({ apiKeys: [API_KEY], ...options });
}

function createHandler(options: PromptLayerCallbackHandlerOptions = {}): PromptLayerCallbackHandler {
  return new PromptLayerCallbackHandler({
    apiKey: API_KEY,
    baseUrl: emulator.url,
    flushIntervalMs: 10,
    // Generous: only an injected hang should ever meet it.
    timeoutMs: 30_000,
    maxRetries: 1,
    onError: () => {},
    ...options,
  });
}

/** The chain of the examples: a prompt with a system and a human message, a chat model, a parser. */
function createChain(model = createModel()) {
  return ChatPromptTemplate.fromMessages([
    ["system", "Be brief."],
    ["human", "{question}"],
  ])
    .pipe(model)
    .pipe(new StringOutputParser());
}

function createModel(content = "4") {
  return new FakeDetailedChatModel({
    responses: [
      {
        content,
        usage: { input_tokens: 9, output_tokens: 1, total_tokens: 10 },
        responseMetadata: { model_name: "gpt-4o-mini-2024-07-18", finish_reason: "stop" },
      },
    ],
    model: "gpt-4o-mini",
    provider: "openai",
  });
}

/** A span PromptLayer stored, with ids and times replaced so snapshots stay stable. */
function storedSpan(span: unknown): unknown {
  return normalizeForSnapshot(span, {
    volatileKeys: ["start_time", "end_time", "timestamp"],
    secrets: [API_KEY],
  });
}

/** A seeded shuffle, so a failing order can be replayed. */
function shuffle<T>(items: T[], seed: number): T[] {
  const copy = [...items];
  let state = seed;
  for (let index = copy.length - 1; index > 0; index--) {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    const other = state % (index + 1);
    [copy[index], copy[other]] = [copy[other] as T, copy[index] as T];
  }
  return copy;
}

describe("PromptLayerCallbackHandler over /spans-bulk (the default)", () => {
  test("a chain with a model call: every run a span of one trace, the model call with its request log", async () => {
    const ids: number[] = [];
    const handler = createHandler({ plTags: ["prod"], plIdCallback: (requestId) => ids.push(requestId) });
    const answer = await createChain().invoke(
      { question: "2+2?" },
      { callbacks: [handler], tags: ["checkout"], metadata: { user_id: "u-1", thread_id: "t-9" } },
    );
    expect(answer).toBe("4");
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 4, failed: 0, unknown: 0, pending: 0 });

    // One request, the key in the header only.
    const requests = emulator.requests.filter((request) => request.path === "/spans-bulk");
    expect(requests).toHaveLength(1);
    expect(requests[0]?.headers["x-api-key"]).toBe(API_KEY);
    expect(JSON.stringify(requests[0]?.body)).not.toContain(API_KEY);

    expect(emulator.requestLogs).toHaveLength(1);
    expect(ids).toEqual([emulator.requestLogs[0]?.id]);
    const spans = emulator.spans.map((stored) => stored.span as { name: string; parent_id: string | null });
    const root = emulator.spans.find((stored) => stored.span.parent_id === null);
    expect(root?.span.name).toBe("RunnableSequence");
    expect(spans.map((span) => span.name).sort()).toEqual([
      "ChatPromptTemplate",
      "FakeDetailedChatModel",
      "RunnableSequence",
      "StrOutputParser",
    ]);
    for (const span of spans.filter((item) => item !== root?.span)) expect(span.parent_id).toBe(root?.spanId);
    expect(new Set(emulator.spans.map((stored) => stored.traceId)).size).toBe(1);

    expect(storedSpan(emulator.spans.find((stored) => stored.span.log_request)?.span)).toMatchInlineSnapshot(`
      {
        "attributes": {
          "gen_ai.provider.name": "openai",
          "gen_ai.request.model": "gpt-4o-mini",
          "gen_ai.usage.input_tokens": 9,
          "gen_ai.usage.output_tokens": 1,
          "langchain.class": "langchain.chat_models.fake-detailed-chat.FakeDetailedChatModel",
          "langchain.kind": "chat",
          "langchain.parent_run_id": "<id-2>",
          "langchain.run_id": "<id-1>",
          "langchain.tags": [
            "checkout",
          ],
          "langchain.trace_id": "<id-2>",
          "session.id": "t-9",
          "user.id": "u-1",
        },
        "context": {
          "span_id": "<hex16-1>",
          "trace_id": "<hex32-1>",
          "trace_state": "",
        },
        "end_time": "<end_time>",
        "events": [],
        "kind": "SpanKind.CLIENT",
        "links": [],
        "log_request": {
          "function_name": "langchain.chat_models.fake-detailed-chat.FakeDetailedChatModel",
          "input": {
            "messages": [
              {
                "content": [
                  {
                    "text": "Be brief.",
                    "type": "text",
                  },
                ],
                "role": "system",
              },
              {
                "content": [
                  {
                    "text": "2+2?",
                    "type": "text",
                  },
                ],
                "role": "user",
              },
            ],
            "type": "chat",
          },
          "input_tokens": 9,
          "metadata": {
            "_langchain_parent_run_id": "<id-2>",
            "_langchain_run_id": "<id-1>",
            "_langchain_tags": "["checkout"]",
            "_langchain_trace_id": "<id-2>",
            "finish_reason": "stop",
            "input_tokens": "9",
            "model": "gpt-4o-mini",
            "output_tokens": "1",
            "provider": "openai",
            "response_model": "gpt-4o-mini-2024-07-18",
            "session_id": "t-9",
            "total_tokens": "10",
            "user_id": "u-1",
          },
          "model": "gpt-4o-mini",
          "output": {
            "messages": [
              {
                "content": [
                  {
                    "text": "4",
                    "type": "text",
                  },
                ],
                "role": "assistant",
              },
            ],
            "type": "chat",
          },
          "output_tokens": 1,
          "parameters": {
            "model": "gpt-4o-mini",
            "temperature": 0.2,
          },
          "provider": "openai",
          "request_end_time": "<time>",
          "request_start_time": "<time>",
          "status": "SUCCESS",
          "tags": [
            "prod",
            "checkout",
          ],
        },
        "name": "FakeDetailedChatModel",
        "parent_id": "<hex16-2>",
        "resource": {
          "attributes": {
            "service.name": "langchain",
          },
          "schema_url": "",
        },
        "start_time": "<start_time>",
        "status": {
          "description": null,
          "status_code": "StatusCode.OK",
        },
      }
    `);
    // The root chain's span: inputs and outputs as JSON text.
    expect((root?.span as { attributes: Record<string, unknown> } | undefined)?.attributes).toMatchObject({
      "input.value": '{"question":"2+2?"}',
      "output.value": '{"output":"4"}',
    });
  });

  test("span ids come from the run ids: the trace id is the root run's UUID, the span id its hash", async () => {
    const memory = createMemoryExporter({ consumes: "spans" });
    const handler = new ObservabilityCallbackHandler({
      exporters: [createPromptLayerExporter({ apiKey: API_KEY, baseUrl: emulator.url }), memory],
      flushIntervalMs: 10,
      onError: () => {},
    });
    await createChain().invoke({ question: "2+2?" }, { callbacks: [handler] });
    await handler.flush();
    const captured: RunSpanRecord[] = memory.spans;
    expect(captured).toHaveLength(4);
    for (const span of captured) {
      const stored = emulator.spans.find((item) => item.spanId === toPromptLayerSpanId(span.runId));
      expect(stored?.traceId).toBe(span.traceId.replace(/-/g, ""));
    }
  });

  test("plIdCallback gets the id of its own span's log: 50 parallel calls, request logs shuffled in the answer", async () => {
    await restart({
      answerSpansBulk: (answer) => ({ ...answer, request_logs: shuffle(answer.request_logs, 11) }),
    });
    const received: number[] = [];
    // One export call at a time, so callbacks run in the order of the spans in the requests.
    const handler = createHandler({
      requestConcurrency: 1,
      flushIntervalMs: 60_000,
      plIdCallback: (requestId) => received.push(requestId),
    });
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        createChain(createModel(`answer ${index}`)).invoke(
          { question: `q ${index}` },
          { callbacks: [handler] },
        ),
      ),
    );
    expect(answers).toEqual(Array.from({ length: 50 }, (_, index) => `answer ${index}`));
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 200, failed: 0 });
    expect(emulator.requestLogs).toHaveLength(50);

    // For each request in order, the log ids of its model spans in body order: what each callback
    // had to get. PromptLayer answered them in another order, so matching by position would fail.
    const expected: number[] = [];
    const positional: number[] = [];
    const requests = emulator.requests.filter((request) => request.path === "/spans-bulk");
    for (const request of requests) {
      const spans = (
        request.body as { spans: Array<{ context: { span_id: string }; log_request?: unknown }> }
      ).spans;
      const logged = spans.filter((span) => span.log_request);
      const idOf = (spanId: string) =>
        emulator.requestLogs.find((log) => log.spanId === spanId)?.id as number;
      expected.push(...logged.map((span) => idOf(span.context.span_id)));
      positional.push(
        ...shuffle(
          logged.map((span) => idOf(span.context.span_id)),
          11,
        ),
      );
    }
    expect(received).toEqual(expected);
    expect(received).not.toEqual(positional);
    // Each callback's id is the log of a different model call, with that call's own prompt.
    const prompts = received.map((id) => {
      const log = emulator.requestLogs.find((item) => item.id === id)?.logRequest as {
        input: { messages: Array<{ content: Array<{ text: string }> }> };
      };
      return log.input.messages[1]?.content[0]?.text;
    });
    expect(new Set(prompts).size).toBe(50);
  });

  test("a refused record in a batch of 20 is isolated: the 19 others delivered once, the refusal reported", async () => {
    await restart({
      rejectSpan: (span) =>
        JSON.stringify(span.log_request ?? {}).includes("poison") ? "prompt refused" : undefined,
    });
    const errors: unknown[] = [];
    const handler = createHandler({ flushIntervalMs: 60_000, onError: (error) => errors.push(error) });
    const chat = createModel();
    await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        chat.invoke([new HumanMessage(index === 12 ? "poison" : `fine ${index}`)], { callbacks: [handler] }),
      ),
    );
    expect(await handler.flush()).toMatchObject({
      ok: false,
      exported: 19,
      failed: 1,
      unknown: 0,
      pending: 0,
    });
    expect(emulator.spans).toHaveLength(19);
    expect(emulator.spans.every((stored) => stored.writes === 1)).toBe(true);
    expect(emulator.requestLogs).toHaveLength(19);
    const prompts = emulator.requestLogs.map((log) => JSON.stringify(log.logRequest));
    expect(prompts.some((text) => text.includes("poison"))).toBe(false);
    expect(errors).toHaveLength(1);
    expect(VendorApiError.isInstance(errors[0])).toBe(true);
    expect((errors[0] as Error).message).toMatch(
      /^PromptLayer: the chat span of run [0-9a-f-]{36} was refused by PromptLayer \(400\): body\.spans\.0: prompt refused$/,
    );
    // One request with all 20, then halves down to the refused one.
    const sizes = emulator.requests.map((request) => (request.body as { spans: unknown[] }).spans.length);
    expect(sizes[0]).toBe(20);
    expect(sizes.length).toBeLessThanOrEqual(1 + 2 * Math.ceil(Math.log2(20)));
  });

  test("a resend after a timeout creates no duplicate: PromptLayer upserts the span by its id", async () => {
    const ids: number[] = [];
    const handler = createHandler({ timeoutMs: 1_000, maxRetries: 2, plIdCallback: (id) => ids.push(id) });
    // The first request hangs until released (after the client gave up and sent it again).
    emulator.failNext({ route: emulator.routes.spansBulk, hangMs: Number.POSITIVE_INFINITY });
    await createModel().invoke("2+2?", { callbacks: [handler] });
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1, failed: 0, unknown: 0 });
    expect(handler.stats().retried).toBeGreaterThanOrEqual(1);
    // Let the first request go on: PromptLayer stores it after the client gave up on it.
    const resends = emulator.received.length;
    emulator.releaseHangs();
    await emulator.waitForReceived(resends + 1);
    expect(emulator.spans).toHaveLength(1);
    expect(emulator.spans[0]?.writes).toBe(resends + 1);
    expect(emulator.requestLogs.map((log) => log.id)).toEqual([1]);
    expect(ids).toEqual([1]);
  });

  test("a connection lost after PromptLayer stored the batch: resent, upserted, counted once", async () => {
    const handler = createHandler({ maxRetries: 2 });
    emulator.failNext({ route: emulator.routes.spansBulk, reset: "after-store" });
    await createChain().invoke({ question: "2+2?" }, { callbacks: [handler] });
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 4, failed: 0, unknown: 0 });
    expect(emulator.spans).toHaveLength(4);
    expect(emulator.spans.every((stored) => stored.writes === 2)).toBe(true);
    expect(emulator.requestLogs).toHaveLength(1);
  });

  test("a failing model: its span and request log say ERROR with PromptLayer's error type and the message", async () => {
    const handler = createHandler();
    const failing = new FakeDetailedChatModel({
      responses: [
        {
          content: "",
          error: Object.assign(new Error("429 Rate limit reached"), { name: "RateLimitError" }),
        },
      ],
      model: "gpt-4o-mini",
    });
    await expect(createChain(failing).invoke({ question: "2+2?" }, { callbacks: [handler] })).rejects.toThrow(
      "429 Rate limit reached",
    );
    // The prompt, the model and the chain: three spans.
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 3 });
    const model = emulator.spans.find((stored) => stored.span.name === "FakeDetailedChatModel")?.span as {
      status: unknown;
    };
    expect(model.status).toEqual({
      status_code: "StatusCode.ERROR",
      description: "RateLimitError: 429 Rate limit reached",
    });
    expect(emulator.requestLogs[0]?.logRequest).toMatchObject({
      status: "ERROR",
      error_type: "PROVIDER_RATE_LIMIT",
      error_message: "RateLimitError: 429 Rate limit reached",
      output: { type: "chat", messages: [] },
    });
    const root = emulator.spans.find((stored) => stored.span.parent_id === null)?.span as { status: unknown };
    expect(root.status).toMatchObject({ status_code: "StatusCode.ERROR" });
  });

  test("tools and retrievers are spans of their own, with their names, inputs, outputs and documents", async () => {
    const weather = tool(async ({ city }: { city: string }) => `18°C in ${city}`, {
      name: "weather",
      description: "The weather in a city",
      schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
    });
    const retriever = new FakeRetriever({
      output: [{ pageContent: "Paris is in France", metadata: { source: "wiki" } }] as never,
    });
    const agent = RunnableLambda.from(async (question: string, config) => {
      const documents = await retriever.invoke(question, config);
      const report: string = await (
        weather as unknown as { invoke(input: unknown, config: unknown): Promise<string> }
      ).invoke({ city: "Paris" }, config);
      return `${documents.length} document, ${report}`;
    });
    const handler = createHandler();
    expect(await agent.invoke("Weather in Paris?", { callbacks: [handler] })).toBe(
      "1 document, 18°C in Paris",
    );
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 3 });
    const byName = new Map(
      emulator.spans.map((stored) => [
        stored.span.name,
        stored.span as { kind: string; parent_id: string | null; attributes: Record<string, unknown> },
      ]),
    );
    const root = emulator.spans.find((stored) => stored.span.parent_id === null);
    expect(root?.span.name).toBe("RunnableLambda");
    expect(byName.get("weather")).toMatchObject({
      kind: "SpanKind.INTERNAL",
      parent_id: root?.spanId,
      attributes: {
        "langchain.kind": "tool",
        "tool.name": "weather",
        "input.value": '{"city":"Paris"}',
        "output.value": "18°C in Paris",
      },
    });
    expect(byName.get("FakeRetriever")?.attributes).toMatchObject({
      "langchain.kind": "retriever",
      "retrieval.documents": '[{"pageContent":"Paris is in France","metadata":{"source":"wiki"}}]',
    });
    expect(emulator.requestLogs).toHaveLength(0);
  });

  test("a streamed run says stream: true in the request log's parameters (core's rule)", async () => {
    const handler = createHandler();
    const chunks: string[] = [];
    for await (const chunk of await createModel("streamed answer").stream("hi", { callbacks: [handler] })) {
      chunks.push(String(chunk.content));
    }
    expect(chunks.join("")).toBe("streamed answer");
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1 });
    expect(emulator.requestLogs[0]?.logRequest).toMatchObject({ parameters: { stream: true } });
  });

  test("the documented alias exportPromptLayer is createPromptLayerExporter; both fan out next to other exporters", async () => {
    expect(exportPromptLayer).toBe(createPromptLayerExporter);
    const memory = createMemoryExporter();
    const handler = new ObservabilityCallbackHandler({
      exporters: [
        createPromptLayerExporter({ apiKey: API_KEY, baseUrl: emulator.url, plTags: ["fan-out"] }),
        memory,
      ],
      flushIntervalMs: 10,
    });
    await createModel().invoke("hello", { callbacks: [handler] });
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 2 });
    expect(memory.records).toHaveLength(1);
    expect(emulator.requestLogs[0]?.logRequest.tags).toEqual(["fan-out"]);
    expect(handler.stats().exporters.promptlayer).toMatchObject({ exported: 1, failed: 0 });
    expect(createPromptLayerExporter({ apiKey: API_KEY }).transport).toBe("spans-bulk");
    expect(createPromptLayerExporter({ apiKey: API_KEY, transport: "track-request" }).transport).toBe(
      "track-request",
    );
  });

  test("a plIdCallback that never settles does not stop export; it is reported when its time is up", async () => {
    const errors: unknown[] = [];
    const handler = createHandler({
      plIdCallback: () => new Promise(() => {}),
      plIdCallbackTimeoutMs: 50,
      flushIntervalMs: 60_000,
      onError: (error) => errors.push(error),
    });
    const chat = createModel();
    await Promise.all(
      Array.from({ length: 50 }, (_, index) => chat.invoke(`q ${index}`, { callbacks: [handler] })),
    );
    // flush() waits for the callbacks within its deadline: each is given up after 50 ms.
    expect(await handler.flush({ timeoutMs: 20_000 })).toMatchObject({ exported: 50, failed: 0, pending: 0 });
    expect(emulator.requestLogs).toHaveLength(50);
    expect(errors.length).toBeGreaterThan(0);
    expect((errors[0] as Error).message).toBe(
      "PromptLayer: plIdCallback did not settle within 50 ms; export went on without it.",
    );
  });
});

describe("PromptLayerCallbackHandler options", () => {
  test.each([
    {
      options: { baseURL: "http://127.0.0.1:1" },
      message: "Unknown option `baseURL` of PromptLayerCallbackHandler; did you mean `baseUrl`?",
    },
    {
      options: { url: "http://127.0.0.1:1" },
      message: "Unknown option `url` of PromptLayerCallbackHandler; did you mean `baseUrl`?",
    },
    {
      options: { pl_tags: ["x"] },
      message: "Unknown option `pl_tags` of PromptLayerCallbackHandler; did you mean `plTags`?",
    },
    {
      options: { plIDCallback: () => {} },
      message: "Unknown option `plIDCallback` of PromptLayerCallbackHandler; did you mean `plIdCallback`?",
    },
    {
      options: { timeoutMS: 500 },
      message: "Unknown option `timeoutMS` of PromptLayerCallbackHandler; did you mean `timeoutMs`?",
    },
    {
      options: { sessionID: "s-1" },
      message: "Unknown option `sessionID` of PromptLayerCallbackHandler; did you mean `sessionId`?",
    },
  ])(
    "$options → a ConfigurationError naming it and the option meant; nothing is sent",
    async ({ options, message }) => {
      let caught: unknown;
      try {
        new PromptLayerCallbackHandler({ apiKey: API_KEY, baseUrl: emulator.url, ...(options as object) });
      } catch (error) {
        caught = error;
      }
      expect(ConfigurationError.isInstance(caught)).toBe(true);
      expect((caught as Error).message).toBe(message);
      expect(emulator.requests).toHaveLength(0);
    },
  );

  test("the exporter factory and the client check their options the same way", () => {
    expect(() => createPromptLayerExporter({ apiKey: API_KEY, baseURL: emulator.url } as never)).toThrow(
      "Unknown option `baseURL` of createPromptLayerExporter; did you mean `baseUrl`?",
    );
    expect(() => new PromptLayerClient({ apiKey: API_KEY, endpoint: emulator.url } as never)).toThrow(
      "Unknown option `endpoint` of PromptLayerClient; did you mean `baseUrl`?",
    );
    expect(() => createPromptLayerExporter({ apiKey: API_KEY, transport: "otlp" as never })).toThrow(
      '`transport` must be "spans-bulk" or "track-request", got "otlp".',
    );
    expect(emulator.requests).toHaveLength(0);
  });

  test("a refused key (401) is reported naming apiKey and PROMPTLAYER_API_KEY, once, by the default onError", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const handler = new PromptLayerCallbackHandler({
      apiKey: "pl_wrong_key",
      baseUrl: emulator.url,
      flushIntervalMs: 10,
    });
    await createModel().invoke("a", { callbacks: [handler] });
    await createModel().invoke("b", { callbacks: [handler] });
    expect(await handler.flush()).toMatchObject({ ok: false, failed: 2 });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toContain(
      "PromptLayer refused the API key: check `apiKey` (env PROMPTLAYER_API_KEY).",
    );
    expect(String(warn.mock.calls[0]?.[0])).not.toContain("pl_wrong_key");
  });
});
