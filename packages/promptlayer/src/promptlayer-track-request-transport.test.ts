import { inspect } from "node:util";
import {
  AIMessage,
  FunctionMessage,
  HumanMessage,
  SystemMessage,
  ToolMessage,
} from "@langchain/core/messages";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { FakeListChatModel, FakeStreamingLLM } from "@langchain/core/utils/testing";
import {
  ConfigurationError,
  ExportTimeoutError,
  ObservabilityCallbackHandler,
  VendorApiError,
} from "@langchain-observability/core";
import {
  createMemoryExporter,
  FakeDetailedChatModel,
  FakeDetailedLLM,
} from "@langchain-observability/core/testing";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import {
  PromptLayerCallbackHandler,
  type PromptLayerCallbackHandlerOptions,
} from "./promptlayer-callback-handler";
import { PromptLayerClient } from "./promptlayer-client";
import { exportPromptLayer } from "./promptlayer-exporter";
import { type PromptLayerEmulator, startPromptLayerEmulator } from "./testing/index";

const API_KEY = "pl_test_key";

let emulator: PromptLayerEmulator;

beforeEach(async () => {
  emulator = await startPromptLayerEmulator({ apiKeys: [API_KEY] });
});

afterEach(async () => {
  await emulator.close();
});

function createHandler(options: PromptLayerCallbackHandlerOptions = {}): PromptLayerCallbackHandler {
  return new PromptLayerCallbackHandler({
    transport: "track-request",
    apiKey: API_KEY,
    baseUrl: emulator.url,
    flushIntervalMs: 10,
    // Generous: only an injected hang should ever meet it (a timed-out /track-request is never resent).
    timeoutMs: 30_000,
    maxRetries: 1,
    onError: () => {},
    ...options,
  });
}

/** Bodies the emulator accepted, with run ids, times and the key replaced so snapshots stay stable. */
function trackedBodies(): Array<Record<string, unknown>> {
  return normalize(emulator.trackRequests.map((tracked) => tracked.body)) as Array<Record<string, unknown>>;
}

function normalize(value: unknown): unknown {
  const ids = new Map<string, string>();
  const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
  const walk = (item: unknown, key?: string): unknown => {
    if (key === "api_key") return item === API_KEY ? "<api key>" : "<unexpected api key>";
    if (key === "request_start_time" || key === "request_end_time") {
      return typeof item === "number" && item > 1_600_000_000 && item < 4_000_000_000
        ? "<epoch seconds>"
        : item;
    }
    if (typeof item === "string") {
      return item.replace(uuid, (id) => {
        if (!ids.has(id)) ids.set(id, `<run ${ids.size + 1}>`);
        return ids.get(id)!;
      });
    }
    if (Array.isArray(item)) return item.map((entry) => walk(entry));
    if (item && typeof item === "object") {
      return Object.fromEntries(Object.entries(item).map(([name, entry]) => [name, walk(entry, name)]));
    }
    return item;
  };
  return walk(value);
}

function trackRequestAttempts(): number {
  return emulator.requests.filter((request) => request.path === "/track-request").length;
}

describe("PromptLayerCallbackHandler end to end", () => {
  test("the chat example: one /track-request with role-mapped messages, plTags and string metadata", async () => {
    const handler = createHandler({ plTags: ["chatopenai"] });
    const chat = new FakeDetailedChatModel({
      responses: [
        {
          content: "4! And another joke: why did the chicken…",
          usage: { input_tokens: 18, output_tokens: 9, total_tokens: 27 },
          responseMetadata: { model_name: "gpt-4o-mini-2024-07-18", finish_reason: "stop" },
        },
      ],
      model: "gpt-4o-mini",
      provider: "openai",
      callbacks: [handler],
    });
    const answer = await chat.invoke([
      new HumanMessage("What comes after 1,2,3 ?"),
      new HumanMessage("Tell me another joke?"),
    ]);
    expect(answer.content).toBe("4! And another joke: why did the chicken…");

    const result = await handler.flush();
    expect(result).toMatchObject({ ok: true, exported: 1, failed: 0, pending: 0 });
    expect(trackedBodies()).toMatchInlineSnapshot(`
      [
        {
          "api_key": "<api key>",
          "args": [
            {
              "content": "What comes after 1,2,3 ?",
              "role": "user",
            },
            {
              "content": "Tell me another joke?",
              "role": "user",
            },
          ],
          "function_name": "langchain.chat_models.fake-detailed-chat.FakeDetailedChatModel",
          "kwargs": {
            "model": "gpt-4o-mini",
            "temperature": 0.2,
          },
          "metadata": {
            "_langchain_run_id": "<run 1>",
            "finish_reason": "stop",
            "input_tokens": "18",
            "model": "gpt-4o-mini",
            "output_tokens": "9",
            "provider": "openai",
            "response_model": "gpt-4o-mini-2024-07-18",
            "total_tokens": "27",
          },
          "provider_type": "langchain",
          "request_end_time": "<epoch seconds>",
          "request_response": [
            {
              "content": "4! And another joke: why did the chicken…",
              "role": "assistant",
            },
          ],
          "request_start_time": "<epoch seconds>",
          "tags": [
            "chatopenai",
          ],
        },
      ]
    `);
    const body = emulator.trackRequests[0]!.body;
    expect(body.api_key).toBe(API_KEY);
    expect(body.request_end_time as number).toBeGreaterThanOrEqual(body.request_start_time as number);
    expect(Math.abs((body.request_end_time as number) - Date.now() / 1000)).toBeLessThan(60);
    expect(handler.stats()).toMatchObject({
      captured: 1,
      exported: 1,
      failed: 0,
      pending: 0,
      inFlightRuns: 0,
    });
    expect(handler.name).toBe("promptlayer_callback_handler");
  });

  test("the full-feature example: request ids flow into score, metadata and prompt; the template formats", async () => {
    emulator.seedTemplate({
      promptName: "example",
      version: 1,
      promptTemplate: {
        type: "completion",
        content: [{ type: "text", text: "Tell me a joke about {product}." }],
        input_variables: ["product"],
        template_format: "f-string",
      },
    });
    const promptlayer = new PromptLayerClient({ apiKey: API_KEY, baseUrl: emulator.url, maxRetries: 0 });
    const ids: unknown[] = [];
    const handler = createHandler({
      plIdCallback: async (requestId) => {
        ids.push(requestId);
        await promptlayer.track.score({ requestId, score: 100 });
        await promptlayer.track.metadata({ requestId, metadata: { foo: "bar" } });
        await promptlayer.track.prompt({
          requestId,
          promptName: "example",
          promptInputVariables: { product: "toasters" },
          version: 1,
        });
      },
    });
    const llm = new FakeDetailedLLM({
      responses: ["Why did the toaster get promoted? It was on a roll."],
      model: "gpt-3.5-turbo-instruct",
      llmOutput: { tokenUsage: { promptTokens: 7, completionTokens: 12, totalTokens: 19 } },
      callbacks: [handler],
    });

    const examplePrompt = await promptlayer.templates.get("example", { version: 1, langchain: true });
    const text = await examplePrompt.format({ product: "toasters" });
    expect(text).toBe("Tell me a joke about toasters.");
    expect(await llm.invoke(text)).toBe("Why did the toaster get promoted? It was on a roll.");

    const result = await handler.flush();
    expect(result).toMatchObject({ ok: true, exported: 1, failed: 0 });
    expect(ids).toEqual([1]);
    expect(trackedBodies()).toMatchInlineSnapshot(`
      [
        {
          "api_key": "<api key>",
          "args": [
            "Tell me a joke about toasters.",
          ],
          "function_name": "langchain.llms.fake-detailed-llm.FakeDetailedLLM",
          "kwargs": {
            "max_tokens": 256,
            "model_name": "gpt-3.5-turbo-instruct",
            "n": 1,
          },
          "metadata": {
            "_langchain_run_id": "<run 1>",
            "input_tokens": "7",
            "model": "gpt-3.5-turbo-instruct",
            "output_tokens": "12",
            "total_tokens": "19",
          },
          "provider_type": "langchain",
          "request_end_time": "<epoch seconds>",
          "request_response": {
            "llm_output": {
              "model_name": "gpt-3.5-turbo-instruct",
              "token_usage": {
                "completion_tokens": 12,
                "prompt_tokens": 7,
                "total_tokens": 19,
              },
            },
            "text": "Why did the toaster get promoted? It was on a roll.",
          },
          "request_start_time": "<epoch seconds>",
          "return_pl_id": true,
          "tags": [],
        },
      ]
    `);
    expect(
      normalize({
        scores: emulator.scores,
        metadata: emulator.metadataUpdates,
        prompts: emulator.promptLinks,
      }),
    ).toMatchInlineSnapshot(`
        {
          "metadata": [
            {
              "api_key": "<api key>",
              "metadata": {
                "foo": "bar",
              },
              "request_id": 1,
            },
          ],
          "prompts": [
            {
              "api_key": "<api key>",
              "prompt_input_variables": {
                "product": "toasters",
              },
              "prompt_name": "example",
              "request_id": 1,
              "version": 1,
            },
          ],
          "scores": [
            {
              "api_key": "<api key>",
              "request_id": 1,
              "score": 100,
            },
          ],
        }
      `);
    expect(emulator.templateRequests).toEqual([{ promptName: "example", body: { version: 1 } }]);
  });

  test("a text LLM generate() of two prompts: two requests, two ids, two callbacks", async () => {
    const ids: unknown[] = [];
    const handler = createHandler({ plIdCallback: (requestId) => ids.push(requestId) });
    const llm = new FakeDetailedLLM({ responses: ["one", "two"], callbacks: [handler] });
    const result = await llm.generate(["first prompt", "second prompt"]);
    expect(result.generations.map((generation) => generation[0]?.text)).toEqual(["one", "two"]);

    expect(await handler.flush()).toMatchObject({ ok: true, exported: 2, failed: 0 });
    expect(ids.sort()).toEqual([1, 2]);
    const bodies = emulator.trackRequests.map((tracked) => tracked.body);
    expect(bodies.map((body) => body.args).sort()).toEqual([["first prompt"], ["second prompt"]]);
    expect(bodies.map((body) => (body.request_response as { text: string }).text).sort()).toEqual([
      "one",
      "two",
    ]);
    const runIds = bodies.map((body) => (body.metadata as Record<string, string>)._langchain_run_id);
    expect(new Set(runIds).size).toBe(2);
  });

  test("a chat history with tool calls, a ToolMessage and a FunctionMessage is logged, tool calls kept", async () => {
    const handler = createHandler();
    const chat = new FakeDetailedChatModel({
      responses: [
        {
          content: "",
          toolCalls: [{ id: "call_2", name: "calculator", args: { expression: "4*10" } }],
          usage: { input_tokens: 40, output_tokens: 8, total_tokens: 48 },
        },
      ],
      callbacks: [handler],
    });
    await chat.invoke([
      new SystemMessage("You can use tools."),
      new HumanMessage("What is (2+2)*10?"),
      new AIMessage({
        content: "",
        tool_calls: [{ id: "call_1", name: "calculator", args: { expression: "2+2" } }],
      }),
      new ToolMessage({ content: "4", tool_call_id: "call_1" }),
      new FunctionMessage({ content: "ok", name: "legacy_function" }),
    ]);
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1 });
    const [body] = trackedBodies();
    expect({ args: body!.args, request_response: body!.request_response }).toMatchInlineSnapshot(`
      {
        "args": [
          {
            "content": "You can use tools.",
            "role": "system",
          },
          {
            "content": "What is (2+2)*10?",
            "role": "user",
          },
          {
            "content": "",
            "role": "assistant",
            "tool_calls": [
              {
                "function": {
                  "arguments": "{"expression":"2+2"}",
                  "name": "calculator",
                },
                "id": "call_1",
                "type": "function",
              },
            ],
          },
          {
            "content": "4",
            "role": "tool",
            "tool_call_id": "call_1",
          },
          {
            "content": "ok",
            "name": "legacy_function",
            "role": "function",
          },
        ],
        "request_response": [
          {
            "content": "",
            "role": "assistant",
            "tool_calls": [
              {
                "function": {
                  "arguments": "{"expression":"4*10"}",
                  "name": "calculator",
                },
                "id": "call_2",
                "type": "function",
              },
            ],
          },
        ],
      }
    `);
  });

  test("a throwing model is logged with status ERROR; the chain gets the model's own error", async () => {
    const handler = createHandler({ plTags: ["failing"] });
    const chat = new FakeDetailedChatModel({
      responses: [{ content: "", error: new TypeError("upstream exploded") }],
      callbacks: [handler],
    });
    await expect(chat.invoke("Hello?", { tags: ["run-tag"] })).rejects.toThrow("upstream exploded");
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1 });
    expect(trackedBodies()).toMatchInlineSnapshot(`
      [
        {
          "api_key": "<api key>",
          "args": [
            {
              "content": "Hello?",
              "role": "user",
            },
          ],
          "error_message": "upstream exploded",
          "error_type": "TypeError",
          "function_name": "langchain.chat_models.fake-detailed-chat.FakeDetailedChatModel",
          "kwargs": {
            "model": "fake-chat-model",
            "temperature": 0.2,
          },
          "metadata": {
            "_langchain_run_id": "<run 1>",
            "_langchain_tags": "["run-tag"]",
            "model": "fake-chat-model",
            "provider": "fake",
          },
          "provider_type": "langchain",
          "request_end_time": "<epoch seconds>",
          "request_response": [],
          "request_start_time": "<epoch seconds>",
          "status": "ERROR",
          "tags": [
            "failing",
            "run-tag",
          ],
        },
      ]
    `);
  });

  test("runs inside a chain: parent and trace ids, run metadata stringified, user and session ids", async () => {
    const handler = createHandler({ userId: "default-user", metadata: { app: "shop" } });
    const chain = ChatPromptTemplate.fromMessages([["human", "Price of {item}?"]]).pipe(
      new FakeDetailedChatModel({ responses: [{ content: "12 EUR" }] }),
    );
    await chain.invoke(
      { item: "toaster" },
      {
        callbacks: [handler],
        tags: ["checkout"],
        metadata: { session_id: "s-42", attempt: 2, beta: true, missing: null, extra: { a: [1] } },
      },
    );
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1 });
    const [body] = trackedBodies();
    expect(body!.metadata).toMatchInlineSnapshot(`
      {
        "_langchain_parent_run_id": "<run 2>",
        "_langchain_run_id": "<run 1>",
        "_langchain_tags": "["checkout"]",
        "_langchain_trace_id": "<run 2>",
        "app": "shop",
        "attempt": "2",
        "beta": "true",
        "extra": "{"a":[1]}",
        "model": "fake-chat-model",
        "provider": "fake",
        "session_id": "s-42",
        "user_id": "default-user",
      }
    `);
    expect(body!.tags).toEqual(["checkout"]);
  });

  test("works for any LLM or chat model: LangChain's own fakes, streaming, n candidates", async () => {
    const handler = createHandler();
    await new FakeListChatModel({ responses: ["listed"], callbacks: [handler] }).invoke("a");
    const llmChunks: string[] = [];
    for await (const chunk of await new FakeStreamingLLM({
      responses: ["text"],
      callbacks: [handler],
    }).stream("b")) {
      llmChunks.push(chunk);
    }
    expect(llmChunks.join("")).toBe("text");
    const streamed: string[] = [];
    const streaming = new FakeDetailedChatModel({
      responses: [
        { content: "streamed answer", usage: { input_tokens: 2, output_tokens: 3, total_tokens: 5 } },
      ],
      callbacks: [handler],
    });
    for await (const chunk of await streaming.stream("c")) streamed.push(String(chunk.content));
    expect(streamed.join("")).toBe("streamed answer");
    await new FakeDetailedLLM({ responses: ["x", "y"], n: 2, callbacks: [handler] }).invoke("d");
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 4, failed: 0 });

    const byFunction = Object.fromEntries(
      emulator.trackRequests.map(({ body }) => [body.function_name, body]),
    ) as Record<string, Record<string, unknown>>;
    expect(Object.keys(byFunction).sort()).toEqual([
      "langchain.chat_models.fake-detailed-chat.FakeDetailedChatModel",
      "langchain.chat_models.fake-list.FakeListChatModel",
      "langchain.llms.fake-detailed-llm.FakeDetailedLLM",
      "langchain.llms.fake.FakeStreamingLLM",
    ]);
    expect(byFunction["langchain.chat_models.fake-list.FakeListChatModel"]!.request_response).toEqual([
      { role: "assistant", content: "listed" },
    ]);
    expect(byFunction["langchain.llms.fake.FakeStreamingLLM"]!.request_response).toEqual({
      text: "text",
      llm_output: null,
    });
    const streamedBody = byFunction["langchain.chat_models.fake-detailed-chat.FakeDetailedChatModel"]!;
    expect(streamedBody.request_response).toEqual([{ role: "assistant", content: "streamed answer" }]);
    expect(streamedBody.metadata).toMatchObject({
      input_tokens: "2",
      output_tokens: "3",
      time_to_first_token_ms: expect.stringMatching(/^\d+$/),
    });
    expect(byFunction["langchain.llms.fake-detailed-llm.FakeDetailedLLM"]!.request_response).toEqual({
      text: "x",
      llm_output: { model_name: "fake-text-model" },
      candidates: [{ text: "x" }, { text: "y" }],
    });
  });

  test("a batch is sent a few records at a time (one /track-request per record)", async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const countingFetch: typeof fetch = async (input, init) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        return await fetch(input, init);
      } finally {
        inFlight--;
      }
    };
    const handler = createHandler({ fetch: countingFetch, flushIntervalMs: 60_000 });
    const llm = new FakeDetailedLLM({ responses: ["ok"], callbacks: [handler] });
    await llm.generate(Array.from({ length: 10 }, (_, index) => `prompt ${index}`));
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 10, failed: 0 });
    expect(emulator.trackRequests).toHaveLength(10);
    expect(maxInFlight).toBeGreaterThan(1);
    expect(maxInFlight).toBeLessThanOrEqual(4);
  });

  test("fan-out: exportPromptLayer next to another exporter on the core handler", async () => {
    const memory = createMemoryExporter();
    const handler = new ObservabilityCallbackHandler({
      exporters: [
        exportPromptLayer({
          transport: "track-request",
          apiKey: API_KEY,
          baseUrl: emulator.url,
          plTags: ["fan-out"],
        }),
        memory,
      ],
      flushIntervalMs: 10,
    });
    await new FakeDetailedChatModel({ responses: [{ content: "hi" }], callbacks: [handler] }).invoke("hello");
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 2 });
    expect(memory.records).toHaveLength(1);
    expect(emulator.trackRequests[0]!.body.tags).toEqual(["fan-out"]);
    expect(handler.stats().exporters.promptlayer).toMatchObject({ exported: 1, failed: 0 });
  });
});

describe("PromptLayerCallbackHandler failure paths", () => {
  test("429 with Retry-After, then success: retried once, delivered, the callback called once", async () => {
    emulator.failNext({ route: emulator.routes.trackRequest, status: 429, headers: { "retry-after": "1" } });
    const ids: unknown[] = [];
    const handler = createHandler({ maxRetries: 2, plIdCallback: (requestId) => ids.push(requestId) });
    const chat = new FakeDetailedChatModel({ responses: [{ content: "hi" }], callbacks: [handler] });
    expect((await chat.invoke("hello")).content).toBe("hi");
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1, failed: 0 });
    expect(emulator.requests.map((request) => [request.path, request.status])).toEqual([
      ["/track-request", 429],
      ["/track-request", 200],
    ]);
    expect(ids).toEqual([1]);
    expect(handler.stats()).toMatchObject({ exported: 1, failed: 0, retried: 1 });
  });

  test("401: not retried, counted as failed, reported, the chain fine, no callback", async () => {
    const errors: unknown[] = [];
    const plIdCallback = vi.fn();
    const handler = createHandler({
      apiKey: "pl_wrong_key",
      maxRetries: 3,
      plIdCallback,
      onError: (error) => errors.push(error),
    });
    const chat = new FakeDetailedChatModel({
      responses: [{ content: "still answered" }],
      callbacks: [handler],
    });
    expect((await chat.invoke("hello")).content).toBe("still answered");
    expect(await handler.flush()).toMatchObject({ ok: false, exported: 0, failed: 1 });
    expect(trackRequestAttempts()).toBe(1);
    expect(emulator.trackRequests).toHaveLength(0);
    expect(plIdCallback).not.toHaveBeenCalled();
    expect(errors).toHaveLength(1);
    const error = errors[0] as VendorApiError;
    expect(VendorApiError.isInstance(error)).toBe(true);
    expect(error.status).toBe(401);
    expect(error.isRetryable).toBe(false);
    expect(error.message).toBe(
      `PromptLayer: POST ${emulator.url}/track-request answered 401: {"success":false,"message":"Invalid API key"} — PromptLayer refused the API key: check \`apiKey\` (env PROMPTLAYER_API_KEY).`,
    );
    expect(handler.stats()).toMatchObject({ captured: 1, exported: 0, failed: 1, retried: 0, pending: 0 });
  });

  test("a plIdCallback that throws: the chain is fine, the record delivered, the error reported once", async () => {
    const errors: unknown[] = [];
    const handler = createHandler({
      plIdCallback: async () => {
        throw new Error("scoring service down");
      },
      onError: (error) => errors.push(error),
    });
    const chat = new FakeDetailedChatModel({ responses: [{ content: "fine" }], callbacks: [handler] });
    expect((await chat.invoke("hello")).content).toBe("fine");
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1, failed: 0 });
    expect(errors.map((error) => (error as Error).message)).toEqual([
      "PromptLayer: plIdCallback failed: Error: scoring service down",
    ]);
  });

  test("a synchronous throw in plIdCallback is caught the same way", async () => {
    const errors: unknown[] = [];
    const handler = createHandler({
      plIdCallback: () => {
        throw new RangeError("bad id");
      },
      onError: (error) => errors.push(error),
    });
    await new FakeDetailedLLM({ responses: ["ok"], callbacks: [handler] }).invoke("hi");
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1 });
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toContain("RangeError: bad id");
  });

  test("500 that keeps failing: one failed record, not queued again (PromptLayer may have logged it)", async () => {
    emulator.failNext({ route: emulator.routes.trackRequest, status: 500, times: 10 });
    const errors: unknown[] = [];
    const handler = createHandler({ maxRetries: 1, onError: (error) => errors.push(error) });
    await new FakeDetailedChatModel({ responses: [{ content: "ok" }], callbacks: [handler] }).invoke("hi");
    expect(await handler.flush()).toMatchObject({ ok: false, exported: 0, failed: 1, pending: 0 });
    expect(trackRequestAttempts()).toBeLessThanOrEqual(2);
    expect((errors[0] as VendorApiError).status).toBe(500);
    expect(emulator.trackRequests).toHaveLength(0);
  });

  test("503 (PromptLayer stored nothing): the record stays queued and is logged once PromptLayer recovers", async () => {
    emulator.failNext({ route: emulator.routes.trackRequest, status: 503, times: 2 });
    const handler = createHandler({ maxRetries: 1 });
    await new FakeDetailedChatModel({ responses: [{ content: "ok" }], callbacks: [handler] }).invoke("hi");
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1, pending: 0 });
    expect(trackRequestAttempts()).toBe(3);
    expect(emulator.trackRequests).toHaveLength(1);
  });

  test("a request that hangs past timeoutMs: never resent (PromptLayer may have logged it), counted as unknown", async () => {
    emulator.failNext({ route: emulator.routes.trackRequest, hangMs: Number.POSITIVE_INFINITY });
    const errors: unknown[] = [];
    const handler = createHandler({ timeoutMs: 5000, maxRetries: 3, onError: (error) => errors.push(error) });
    const chat = new FakeDetailedChatModel({ responses: [{ content: "ok" }], callbacks: [handler] });
    expect((await chat.invoke("hi")).content).toBe("ok");
    expect(await handler.flush()).toMatchObject({
      ok: false,
      failed: 0,
      unknown: 1,
      pending: 0,
      timedOut: false,
    });
    expect(trackRequestAttempts()).toBe(1);
    expect(ExportTimeoutError.isInstance(errors[0])).toBe(true);
    expect((errors[0] as ExportTimeoutError).outcome).toBe("unknown");
    expect((errors[0] as Error).message).toMatch(
      new RegExp(`^PromptLayer: POST ${emulator.url}/track-request timed out after 5000 ms`),
    );
  });

  test("a connection lost after the request was sent: never resent, counted as unknown (at-most-once)", async () => {
    emulator.failNext({ route: emulator.routes.trackRequest, reset: "after-store" });
    const handler = createHandler({ maxRetries: 3 });
    await new FakeDetailedChatModel({ responses: [{ content: "ok" }], callbacks: [handler] }).invoke("hi");
    expect(await handler.flush()).toMatchObject({ ok: false, exported: 0, failed: 0, unknown: 1 });
    expect(trackRequestAttempts()).toBe(1);
    // PromptLayer did log it, once: the lost answer did not make a duplicate.
    expect(emulator.trackRequests).toHaveLength(1);
  });

  test("a malformed 200 answer (PromptLayer logged the record): counted as unknown, with a clear error", async () => {
    emulator.failNext({ route: emulator.routes.trackRequest, malformed: true });
    const errors: unknown[] = [];
    const handler = createHandler({ onError: (error) => errors.push(error) });
    await new FakeDetailedChatModel({ responses: [{ content: "ok" }], callbacks: [handler] }).invoke("hi");
    expect(await handler.flush()).toMatchObject({ ok: false, exported: 0, failed: 0, unknown: 1 });
    expect(emulator.trackRequests).toHaveLength(1);
    expect((errors[0] as Error).message).toBe(
      `PromptLayer: POST ${emulator.url}/track-request answered 200 with a body that is not a JSON object`,
    );
  });

  test("success: false in a 200 answer fails the record", async () => {
    emulator.failNext({
      route: emulator.routes.trackRequest,
      status: 200,
      body: { success: false, message: "Workspace over quota" },
    });
    const errors: unknown[] = [];
    const handler = createHandler({ onError: (error) => errors.push(error) });
    await new FakeDetailedLLM({ responses: ["ok"], callbacks: [handler] }).invoke("hi");
    expect(await handler.flush()).toMatchObject({ ok: false, failed: 1 });
    expect((errors[0] as Error).message).toBe(
      `PromptLayer: POST ${emulator.url}/track-request answered success: false: Workspace over quota`,
    );
  });

  test("request_id is read leniently: a numeric string reaches plIdCallback as a number", async () => {
    await emulator.close();
    emulator = await startPromptLayerEmulator({
      apiKeys: [API_KEY],
      requestIdFormat: "string",
      firstRequestId: 41,
    });
    const ids: unknown[] = [];
    const handler = createHandler({ plIdCallback: (requestId) => ids.push(requestId) });
    await new FakeDetailedLLM({ responses: ["ok"], callbacks: [handler] }).invoke("hi");
    await handler.flush();
    expect(ids).toEqual([41]);
  });

  test("an answer without request_id: delivered, plIdCallback not called, the gap reported", async () => {
    emulator.failNext({ route: emulator.routes.trackRequest, status: 200, body: { success: true } });
    const errors: unknown[] = [];
    const plIdCallback = vi.fn();
    const handler = createHandler({ plIdCallback, onError: (error) => errors.push(error) });
    await new FakeDetailedLLM({ responses: ["ok"], callbacks: [handler] }).invoke("hi");
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1 });
    expect(plIdCallback).not.toHaveBeenCalled();
    expect((errors[0] as Error).message).toMatch(
      /answered without a request_id; plIdCallback was not called/,
    );
  });

  test("the API key never appears in logs, error messages or inspected errors", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const echo = { success: false, message: `API key ${API_KEY} is not allowed here` };
    emulator.failNext({ route: emulator.routes.trackRequest, status: 403, body: echo });
    // A 500 on /track-request is not resent (PromptLayer may have logged it): one attempt.
    emulator.failNext({ route: emulator.routes.trackRequest, status: 500, body: echo });
    emulator.failNext({ route: emulator.routes.trackRequest, hangMs: Number.POSITIVE_INFINITY });

    // The default onError: one console.warn per distinct error (here the 403 whose body echoes the key).
    const quiet = createHandler({ onError: undefined, maxRetries: 1 });
    await new FakeDetailedChatModel({ responses: [{ content: "ok" }], callbacks: [quiet] }).invoke("one");
    expect(await quiet.flush()).toMatchObject({ failed: 1 });

    const seen: unknown[] = [];
    const handler = createHandler({
      maxRetries: 1,
      onError: (error) => seen.push(error),
      plIdCallback: () => {
        throw new Error(`callback leaked ${API_KEY}`);
      },
    });
    // Only the hang meets the short timeout: the other requests get the default generous one.
    const hanging = createHandler({ maxRetries: 1, timeoutMs: 5000, onError: (error) => seen.push(error) });
    for (const [prompt, target] of [
      ["500", handler],
      ["hang", hanging],
      ["success, then the callback throws", handler],
    ] as const) {
      await new FakeDetailedChatModel({ responses: [{ content: "ok" }], callbacks: [target] }).invoke(prompt);
      await target.flush();
    }
    const client = new PromptLayerClient({ apiKey: "pl_other_secret", baseUrl: emulator.url, maxRetries: 0 });
    seen.push(await client.templates.get("example").catch((error: unknown) => error));
    // The client's own calls: an error answer (the header key) and a 200 `success: false` (the body key).
    const clientEcho = { success: false, message: "key pl_other_secret is not allowed here" };
    emulator.failNext({ route: "POST /prompt-templates/example", status: 403, body: clientEcho });
    seen.push(await client.templates.get("example").catch((error: unknown) => error));
    emulator.failNext({ route: emulator.routes.createGroup, status: 200, body: clientEcho });
    seen.push(await client.groups.create().catch((error: unknown) => error));

    expect(warn).toHaveBeenCalledTimes(1);
    expect(seen).toHaveLength(6);
    expect(seen.slice(4).map((error) => (error as VendorApiError).status)).toEqual([403, 200]);
    const texts = [
      ...warn.mock.calls.map((call) => call.map(String).join(" ")),
      ...seen.map(
        (error) =>
          `${String(error)}\n${inspect(error, { depth: 20, showHidden: true })}\n${JSON.stringify(error)}`,
      ),
      JSON.stringify(handler.stats()),
    ];
    for (const text of texts) {
      expect(text).not.toContain(API_KEY);
      expect(text).not.toContain("pl_other_secret");
    }
    expect(texts.join("\n")).toContain("[redacted]");
  });
});

describe("PromptLayerCallbackHandler configuration", () => {
  test("a missing key is a ConfigurationError naming apiKey and PROMPTLAYER_API_KEY", () => {
    vi.stubEnv("PROMPTLAYER_API_KEY", "");
    let caught: unknown;
    try {
      new PromptLayerCallbackHandler();
    } catch (error) {
      caught = error;
    }
    expect(ConfigurationError.isInstance(caught)).toBe(true);
    expect((caught as ConfigurationError).message).toBe(
      "Missing PromptLayer API key: pass `apiKey` (or env PROMPTLAYER_API_KEY).",
    );
    expect(caught).toMatchObject({ option: "apiKey", envVar: "PROMPTLAYER_API_KEY" });
  });

  test("the key and base URL come from PROMPTLAYER_API_KEY and PROMPTLAYER_BASE_URL", async () => {
    vi.stubEnv("PROMPTLAYER_API_KEY", API_KEY);
    vi.stubEnv("PROMPTLAYER_BASE_URL", emulator.url);
    const handler = new PromptLayerCallbackHandler({ transport: "track-request", flushIntervalMs: 10 });
    await new FakeDetailedLLM({ responses: ["ok"], callbacks: [handler] }).invoke("hi");
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1 });
    expect(emulator.trackRequests[0]!.body.api_key).toBe(API_KEY);
  });

  test("the explicit options win over the environment", async () => {
    vi.stubEnv("PROMPTLAYER_API_KEY", "pl_env_key");
    vi.stubEnv("PROMPTLAYER_BASE_URL", "https://api.promptlayer.invalid");
    const handler = createHandler();
    await new FakeDetailedLLM({ responses: ["ok"], callbacks: [handler] }).invoke("hi");
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1 });
  });

  test.each([
    { options: { baseUrl: "http://promptlayer.example.com" }, message: /must use https/ },
    { options: { baseUrl: "not a url" }, message: /must be an absolute URL/ },
    { options: { plTags: "one-tag" }, message: /`plTags` must be an array of strings/ },
    { options: { plIdCallback: "not a function" }, message: /`plIdCallback` must be a function/ },
  ])("refuses $options at construction", ({ options, message }) => {
    expect(
      () =>
        new PromptLayerCallbackHandler({
          transport: "track-request",
          apiKey: API_KEY,
          ...(options as PromptLayerCallbackHandlerOptions),
        }),
    ).toThrow(message);
  });

  test("inspecting or serializing the handler and the client never shows the key", () => {
    const handler = createHandler();
    const client = new PromptLayerClient({ apiKey: API_KEY, baseUrl: emulator.url });
    for (const value of [handler, client]) {
      expect(inspect(value, { depth: 10 })).not.toContain(API_KEY);
      expect(JSON.stringify(value)).not.toContain(API_KEY);
    }
  });

  test("construction is synchronous and sends nothing", () => {
    createHandler({ plTags: ["x"], plIdCallback: () => {} });
    expect(emulator.requests).toHaveLength(0);
  });
});
