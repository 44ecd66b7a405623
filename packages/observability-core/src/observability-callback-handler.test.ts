import { InMemoryCache } from "@langchain/core/caches";
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import {
  AIMessage,
  ChatMessage,
  FunctionMessage,
  HumanMessage,
  SystemMessage,
  ToolMessage,
} from "@langchain/core/messages";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { RunnableLambda } from "@langchain/core/runnables";
import { tool } from "@langchain/core/tools";
import { FakeListChatModel, FakeLLM, FakeStreamingChatModel } from "@langchain/core/utils/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { assertValidRecord, stabilize } from "../test/helpers";
import { ConfigurationError, type LLMRunRecord, ObservabilityCallbackHandler } from "./index";
import { createMemoryExporter, FakeDetailedChatModel, FakeDetailedLLM } from "./testing/index";

function setup(options: Partial<ConstructorParameters<typeof ObservabilityCallbackHandler>[0]> = {}) {
  const exporter = createMemoryExporter();
  const handler = new ObservabilityCallbackHandler({ exporters: [exporter], ...options });
  const records = async (): Promise<LLMRunRecord[]> => {
    await handler.flush({ timeoutMs: 5000 });
    for (const record of exporter.records) assertValidRecord(record);
    return exporter.records;
  };
  return { exporter, handler, records };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("capture", () => {
  it("records a chat call with system and user messages, handler tags, user and metadata", async () => {
    const { handler, records } = setup({ userId: "user-1", tags: ["handler-tag"], metadata: { team: "a" } });
    const model = new FakeListChatModel({ responses: ["Why did the chicken cross the road?"] });
    await model.invoke([new SystemMessage("You are funny."), new HumanMessage("Tell me a joke")], {
      callbacks: [handler],
      tags: ["run-tag"],
      metadata: { feature: "jokes" },
    });
    const [record] = await records();
    expect(stabilize(record)).toMatchInlineSnapshot(`
      {
        "cached": false,
        "input": {
          "messages": [
            {
              "content": "You are funny.",
              "role": "system",
            },
            {
              "content": "Tell me a joke",
              "role": "user",
            },
          ],
          "prompt": "Tell me a joke",
        },
        "kind": "chat",
        "metadata": {
          "feature": "jokes",
          "team": "a",
        },
        "model": {
          "params": {},
          "provider": "FakeListChatModel",
        },
        "name": "FakeListChatModel",
        "output": {
          "message": {
            "content": "Why did the chicken cross the road?",
            "role": "assistant",
          },
          "text": "Why did the chicken cross the road?",
        },
        "recordId": "<id-1>",
        "runId": "<id-1>",
        "schemaVersion": 1,
        "serializedId": [
          "langchain",
          "chat_models",
          "fake-list",
          "FakeListChatModel",
        ],
        "status": "success",
        "tags": [
          "handler-tag",
          "run-tag",
        ],
        "timing": {
          "endTime": "<endTime>",
          "latencyMs": "<latencyMs>",
          "startTime": "<startTime>",
        },
        "traceId": "<id-1>",
        "usage": {
          "source": "none",
        },
        "userId": "user-1",
      }
    `);
  });

  it("gives a batched generate of two prompts two records, each with its own prompt and answer", async () => {
    const { handler, records } = setup();
    const llm = new FakeDetailedLLM({ responses: ["first", "second"], callbacks: [handler] });
    await llm.generate(["Tell me a joke", "Write me a poem"]);
    const all = await records();
    expect(all.map((record) => [record.kind, record.input.prompt, record.output.text])).toEqual([
      ["llm", "Tell me a joke", "first"],
      ["llm", "Write me a poem", "second"],
    ]);
    expect(new Set(all.map((record) => record.recordId)).size).toBe(2);
  });

  it("keeps all n candidates, finish reason, logprobs and snake_case token usage of a text LLM", async () => {
    const { handler, records } = setup();
    const logprobs = {
      tokens: ["A", "!"],
      token_logprobs: [-0.1, -0.2],
      top_logprobs: [{ A: -0.1 }, { "!": -0.2 }],
    };
    const llm = new FakeDetailedLLM({
      responses: ["A!", "B!", "C!"],
      n: 3,
      generationInfo: { finish_reason: "stop", logprobs },
      llmOutput: {
        token_usage: {
          prompt_tokens: 10,
          completion_tokens: 6,
          total_tokens: 16,
          prompt_tokens_details: { cached_tokens: 4 },
          completion_tokens_details: { reasoning_tokens: 2 },
        },
        model_name: "text-model-from-output",
      },
      callbacks: [handler],
    });
    await llm.invoke("Say A");
    const [record] = await records();
    expect(record!.output.text).toBe("A!");
    expect(record!.output.finishReason).toBe("stop");
    expect(record!.output.logprobs).toEqual(logprobs);
    expect(record!.output.candidates?.map((candidate) => candidate.text)).toEqual(["A!", "B!", "C!"]);
    expect(record!.usage).toEqual({
      source: "provider",
      inputTokens: 10,
      outputTokens: 6,
      totalTokens: 16,
      cacheReadTokens: 4,
      reasoningTokens: 2,
    });
    // The name asked for at start stays the name; the answer's own name is kept beside it.
    expect(record!.model).toEqual({
      name: "fake-text-model",
      responseName: "text-model-from-output",
      params: { model_name: "fake-text-model", n: 3, max_tokens: 256 },
    });
  });

  it("reads camelCase llmOutput.tokenUsage and takes the model name from invocation params", async () => {
    const { handler, records } = setup();
    const llm = new FakeDetailedLLM({
      responses: ["ok"],
      llmOutput: { tokenUsage: { promptTokens: 3, completionTokens: 2, totalTokens: 5 } },
      callbacks: [handler],
    });
    await llm.invoke("hi");
    const [record] = await records();
    expect(record!.usage).toEqual({ source: "provider", inputTokens: 3, outputTokens: 2, totalTokens: 5 });
    expect(record!.model.name).toBe("fake-text-model");
  });

  it("maps usage_metadata with cache and reasoning details, tool calls and response metadata of a chat model", async () => {
    const { handler, records } = setup();
    const model = new FakeDetailedChatModel({
      model: "gpt-test",
      provider: "openai",
      responses: [
        {
          content: "",
          toolCalls: [{ id: "call_1", name: "get_weather", args: { city: "Paris" } }],
          usage: {
            input_tokens: 120,
            output_tokens: 30,
            total_tokens: 150,
            input_token_details: { cache_read: 100, cache_creation: 5 },
            output_token_details: { reasoning: 12 },
          },
          responseMetadata: {
            model_name: "gpt-test-2024-08-06",
            model_provider: "openai",
            finish_reason: "tool_calls",
          },
        },
      ],
    });
    await model.invoke("Weather in Paris?", { callbacks: [handler] });
    const [record] = await records();
    expect(record!.usage).toEqual({
      source: "provider",
      inputTokens: 120,
      outputTokens: 30,
      totalTokens: 150,
      cacheReadTokens: 100,
      cacheWriteTokens: 5,
      reasoningTokens: 12,
    });
    expect(record!.model).toEqual({
      provider: "openai",
      name: "gpt-test",
      responseName: "gpt-test-2024-08-06",
      params: { model: "gpt-test", temperature: 0.2 },
    });
    expect(record!.output).toEqual({
      text: "",
      finishReason: "tool_calls",
      message: {
        role: "assistant",
        content: "",
        toolCalls: [{ id: "call_1", name: "get_weather", args: { city: "Paris" } }],
      },
    });
  });

  it("falls back to ls_model_name and ls_provider when neither the answer nor the params name the model", async () => {
    const { handler, records } = setup();
    class ParamlessModel extends FakeDetailedChatModel {
      override invocationParams() {
        return {};
      }
    }
    await new ParamlessModel({
      model: "ls-only-model",
      provider: "acme",
      responses: [{ content: "x" }],
    }).invoke("hi", { callbacks: [handler] });
    const [record] = await records();
    expect(record!.model).toEqual({ provider: "acme", name: "ls-only-model", params: {} });
  });

  it("role-maps every message type, keeps tool call ids, function names, generic roles and multimodal parts", async () => {
    const { handler, records } = setup();
    const model = new FakeListChatModel({ responses: ["done"] });
    await model.invoke(
      [
        new SystemMessage("sys"),
        new HumanMessage({
          content: [
            { type: "text", text: "What is in " },
            { type: "image_url", image_url: { url: "https://example.com/cat.png" } },
            { type: "text", text: "this image?" },
          ],
        }),
        new AIMessage({ content: "", tool_calls: [{ id: "call_9", name: "lookup", args: { q: "cat" } }] }),
        new ToolMessage({ content: "a cat", tool_call_id: "call_9" }),
        new FunctionMessage({ content: "42", name: "calculator" }),
        new ChatMessage({ content: "note", role: "critic" }),
        new HumanMessage({ content: "thanks", name: "alice" }),
      ],
      { callbacks: [handler] },
    );
    const [record] = await records();
    expect(record!.input).toEqual({
      prompt: "thanks",
      messages: [
        { role: "system", content: "sys" },
        {
          role: "user",
          content: "What is in this image?",
          parts: [
            { type: "text", text: "What is in " },
            { type: "image_url", image_url: { url: "https://example.com/cat.png" } },
            { type: "text", text: "this image?" },
          ],
        },
        { role: "assistant", content: "", toolCalls: [{ id: "call_9", name: "lookup", args: { q: "cat" } }] },
        { role: "tool", content: "a cat", toolCallId: "call_9" },
        { role: "function", content: "42", name: "calculator" },
        { role: "critic", content: "note" },
        { role: "user", content: "thanks", name: "alice" },
      ],
    });
  });

  it("records a failing model as an error record, and the chain still sees its own error", async () => {
    const { handler, records } = setup();
    const model = new FakeDetailedChatModel({
      responses: [{ content: "", error: new TypeError("model exploded") }],
    });
    await expect(model.invoke("hi", { callbacks: [handler] })).rejects.toThrow("model exploded");
    const [record] = await records();
    expect(record!.status).toBe("error");
    expect(record!.error).toEqual({ name: "TypeError", message: "model exploded" });
    expect(record!.output).toEqual({ text: "" });
  });

  it("marks LangChain cache hits as cached", async () => {
    const { handler, records } = setup();
    const model = new FakeListChatModel({
      responses: ["cached answer", "fresh"],
      cache: new InMemoryCache(),
    });
    await model.invoke("same question", { callbacks: [handler] });
    await model.invoke("same question", { callbacks: [handler] });
    const all = await records();
    expect(all.map((record) => [record.cached, record.output.text])).toEqual([
      [false, "cached answer"],
      [true, "cached answer"],
    ]);
  });

  it("measures time to first token on the handleLLMNewToken streaming path", async () => {
    const { handler, records } = setup();
    const model = new FakeStreamingChatModel({ responses: [new AIMessage("streamed answer")], sleep: 1 });
    const chunks: string[] = [];
    for await (const chunk of await model.stream("hi", { callbacks: [handler] }))
      chunks.push(String(chunk.content));
    const [record] = await records();
    expect(chunks.join("")).toBe("streamed answer");
    expect(record!.output.text).toBe("streamed answer");
    expect(record!.timing.timeToFirstTokenMs).toBeGreaterThanOrEqual(0);
    expect(record!.timing.timeToFirstTokenMs).toBeLessThanOrEqual(record!.timing.latencyMs);
  });

  it("measures time to first token and takes usage on the chat stream-event path", async () => {
    const { handler, records } = setup();
    class PrefersStreamEvents extends BaseCallbackHandler {
      name = "prefers_stream_events";
      readonly lc_prefer_chat_model_stream_events = true;
    }
    const model = new FakeDetailedChatModel({
      responses: [
        { content: "streamed via events", usage: { input_tokens: 7, output_tokens: 3, total_tokens: 10 } },
      ],
    });
    const result = await model.invoke("hi", { callbacks: [handler, new PrefersStreamEvents()] });
    expect(result.text).toBe("streamed via events");
    const [record] = await records();
    expect(record!.output.text).toBe("streamed via events");
    expect(record!.timing.timeToFirstTokenMs).toBeGreaterThanOrEqual(0);
    expect(record!.usage).toMatchObject({ inputTokens: 7, outputTokens: 3, totalTokens: 10 });
  });

  it("sums usage from streamed chunks when the final answer carries none", async () => {
    const { handler, records } = setup();
    const run = "11111111-1111-4111-8111-111111111111";
    handler.handleChatModelStart(
      { lc: 1, type: "not_implemented", id: ["x", "Model"] },
      [[new HumanMessage("hi")]],
      run,
    );
    handler.handleLLMNewToken("a", { prompt: 0, completion: 0 }, run, undefined, undefined, {
      chunk: { message: { usage_metadata: { input_tokens: 5, output_tokens: 1, total_tokens: 6 } } },
    });
    handler.handleLLMNewToken("b", { prompt: 0, completion: 0 }, run, undefined, undefined, {
      chunk: { message: { usage_metadata: { input_tokens: 0, output_tokens: 1, total_tokens: 1 } } },
    });
    handler.handleLLMEnd({ generations: [[{ text: "ab" }]] }, run);
    const [record] = await records();
    expect(record!.usage).toEqual({ source: "stream", inputTokens: 5, outputTokens: 2, totalTokens: 7 });
  });

  it("tracks trace id and parent through a chain and a tool", async () => {
    const { handler, records } = setup();
    const model = new FakeListChatModel({ responses: ["inner", "outer"] });
    const lookup = tool(
      async ({ query }: { query: string }, config) => (await model.invoke(query, config)).text,
      {
        name: "lookup",
        description: "looks things up",
        schema: z.object({ query: z.string() }),
      },
    );
    const prompt = ChatPromptTemplate.fromMessages([["human", "{question}"]]);
    // Config is passed on by hand: LangChain only propagates it implicitly once AsyncLocalStorage is set up.
    const chain = RunnableLambda.from(async (input: { question: string }, config) => {
      const fact = await lookup.invoke({ query: input.question }, config);
      return `${fact}|${await prompt.pipe(model).pipe(new StringOutputParser()).invoke(input, config)}`;
    });
    await chain.invoke({ question: "why?" }, { callbacks: [handler] });
    const all = await records();
    expect(all).toHaveLength(2);
    const traceIds = new Set(all.map((record) => record.traceId));
    expect(traceIds.size).toBe(1);
    for (const record of all) {
      expect(record.parentRunId).toBeDefined();
      expect(record.traceId).not.toBe(record.runId);
      // Both model runs sit two levels below the root (lambda → tool → model, lambda → sequence → model).
      expect(record.parentRunId).not.toBe(record.traceId);
    }
    // The tool's model run hangs under the tool run, the chain's under the sequence: two parents.
    expect(new Set(all.map((record) => record.parentRunId)).size).toBe(2);
  });

  it("lets a run's metadata override user and session ids (user_id/userId, session_id/sessionId/thread_id)", async () => {
    const { handler, records } = setup({ userId: "default-user", sessionId: "default-session" });
    const model = new FakeListChatModel({ responses: ["x"] });
    await model.invoke("a", { callbacks: [handler] });
    await model.invoke("b", {
      callbacks: [handler],
      metadata: { user_id: "u-snake", session_id: "s-snake" },
    });
    await model.invoke("c", { callbacks: [handler], metadata: { userId: "u-camel", sessionId: "s-camel" } });
    await model.invoke("d", { callbacks: [handler], metadata: { thread_id: "thread-7" } });
    const all = await records();
    expect(all.map((record) => [record.input.prompt, record.userId, record.sessionId])).toEqual([
      ["a", "default-user", "default-session"],
      ["b", "u-snake", "s-snake"],
      ["c", "u-camel", "s-camel"],
      ["d", "default-user", "thread-7"],
    ]);
  });

  it("keeps 50 concurrent runs on one handler apart", async () => {
    const { handler, records } = setup();
    const echo = RunnableLambda.from(async (input: string, config) => {
      const fake = new FakeListChatModel({ responses: [`answer ${input}`], sleep: Number(input) % 7 });
      return fake.invoke(`question ${input}`, config);
    });
    await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        echo.invoke(String(index), { callbacks: [handler], metadata: { user_id: `user-${index}` } }),
      ),
    );
    const all = await records();
    expect(all).toHaveLength(50);
    for (const record of all) {
      const index = record.input.prompt.replace("question ", "");
      expect(record.output.text).toBe(`answer ${index}`);
      expect(record.userId).toBe(`user-${index}`);
    }
    expect(new Set(all.map((record) => record.traceId)).size).toBe(50);
    expect(handler.stats().inFlightRuns).toBe(0);
  });

  it("truncates a huge prompt with a marker instead of rejecting it, and copes with circular and BigInt metadata", async () => {
    const { handler, records } = setup({ maxFieldChars: 1000 });
    const circular: Record<string, unknown> = { name: "loop", big: 10n };
    circular.self = circular;
    const model = new FakeListChatModel({ responses: ["ok"] });
    await model.invoke("x".repeat(5_000_000), { callbacks: [handler], metadata: { circular } });
    const [record] = await records();
    expect(record!.input.prompt).toHaveLength(1000);
    expect(record!.input.prompt.endsWith("…[truncated]")).toBe(true);
    expect(record!.metadata.circular).toEqual({ name: "loop", big: "10", self: "[Circular]" });
  });

  it("copes with empty generations", async () => {
    const { handler, records } = setup();
    const run = "22222222-2222-4222-8222-222222222222";
    handler.handleLLMStart({ lc: 1, type: "not_implemented", id: ["x", "Empty"] }, ["p"], run);
    handler.handleLLMEnd({ generations: [] }, run);
    const [record] = await records();
    expect(record!.output).toEqual({ text: "" });
    expect(record!.status).toBe("success");
  });
});

describe("run store", () => {
  it("deletes runs on end and on error", async () => {
    const { handler, records } = setup();
    const model = new FakeListChatModel({ responses: ["ok"] });
    await model.invoke("a", { callbacks: [handler] });
    await expect(
      new FakeDetailedChatModel({ responses: [{ content: "", error: new Error("no") }] }).invoke("b", {
        callbacks: [handler],
      }),
    ).rejects.toThrow();
    await records();
    expect(handler.stats().inFlightRuns).toBe(0);
  });

  it("evicts the oldest run beyond maxInFlightRuns as a cancelled record", async () => {
    const { handler, records } = setup({ maxInFlightRuns: 2 });
    const serialized = { lc: 1 as const, type: "not_implemented" as const, id: ["x", "Model"] };
    handler.handleLLMStart(serialized, ["one"], "run-1");
    handler.handleLLMStart(serialized, ["two"], "run-2");
    handler.handleLLMStart(serialized, ["three"], "run-3");
    handler.handleLLMEnd({ generations: [[{ text: "3" }]] }, "run-3");
    handler.handleLLMEnd({ generations: [[{ text: "1" }]] }, "run-1");
    const all = await records();
    expect(all.map((record) => [record.runId, record.status])).toEqual([
      ["run-1", "cancelled"],
      ["run-3", "success"],
    ]);
    expect(all[0]!.error?.message).toContain("maxInFlightRuns");
    const stats = handler.stats();
    expect(stats.dropped.evicted).toBe(1);
    expect(stats.inFlightRuns).toBe(1);
  });

  it("evicts runs older than runTtlMs", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      const { handler, records } = setup({ runTtlMs: 60_000 });
      handler.handleLLMStart({ lc: 1, type: "not_implemented", id: ["x", "M"] }, ["stale"], "stale-run");
      vi.setSystemTime(Date.now() + 61_000);
      const all = await records();
      expect(all.map((record) => [record.runId, record.status])).toEqual([["stale-run", "cancelled"]]);
      expect(handler.stats().inFlightRuns).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("masking, sampling and content capture", () => {
  it("applies mask to every content field, and drops records it returns null for", async () => {
    const { handler, records } = setup({
      mask: (record: LLMRunRecord) => {
        if (record.input.prompt.includes("drop me")) return null;
        const redact = (text: string) => text.replaceAll(/\d{4}-\d{4}/g, "[card]");
        return {
          ...record,
          input: {
            prompt: redact(record.input.prompt),
            ...(record.input.messages
              ? {
                  messages: record.input.messages.map((message) => ({
                    ...message,
                    content: redact(message.content),
                  })),
                }
              : {}),
          },
          output: { ...record.output, text: redact(record.output.text) },
          metadata: { ...record.metadata, secret: "[masked]" },
        };
      },
    });
    const model = new FakeListChatModel({ responses: ["your card 1234-5678"] });
    await model.invoke("card 9999-0000", { callbacks: [handler], metadata: { secret: "s3cr3t" } });
    await model.invoke("drop me", { callbacks: [handler] });
    const all = await records();
    expect(all).toHaveLength(1);
    expect(all[0]!.input.prompt).toBe("card [card]");
    expect(all[0]!.input.messages![0]!.content).toBe("card [card]");
    expect(all[0]!.output.text).toBe("your card [card]");
    expect(all[0]!.metadata.secret).toBe("[masked]");
    expect(handler.stats().dropped).toMatchObject({ masked: 1, total: 1 });
    expect(handler.stats().captured).toBe(2);
  });

  it("drops a record whose mask throws, and reports it", async () => {
    const onError = vi.fn();
    const { handler, records } = setup({
      onError,
      mask: () => {
        throw new Error("mask bug");
      },
    });
    await new FakeListChatModel({ responses: ["x"] }).invoke("hi", { callbacks: [handler] });
    expect(await records()).toHaveLength(0);
    expect(onError).toHaveBeenCalledWith(
      expect.objectContaining({ message: expect.stringContaining("mask bug") }),
    );
    expect(handler.stats().dropped.masked).toBe(1);
  });

  it("sends no prompt or response text with captureContent: false", async () => {
    const { handler, records } = setup({ captureContent: false });
    await new FakeListChatModel({ responses: ["secret answer"] }).invoke(
      [new HumanMessage("secret question")],
      {
        callbacks: [handler],
      },
    );
    const [record] = await records();
    expect(JSON.stringify(record)).not.toContain("secret");
    expect(record!.input).toEqual({ prompt: "" });
    expect(record!.output).toEqual({ text: "" });
  });

  it("samples whole traces deterministically by trace id", async () => {
    const { handler, records } = setup({ sampleRate: 0.5 });
    const model = new FakeListChatModel({ responses: ["x"] });
    const chain = RunnableLambda.from(async (input: string, config) => {
      await model.invoke(`${input}-a`, config);
      await model.invoke(`${input}-b`, config);
      return input;
    });
    for (let index = 0; index < 40; index++) await chain.invoke(String(index), { callbacks: [handler] });
    const all = await records();
    const byTrace = new Map<string, number>();
    for (const record of all) byTrace.set(record.traceId, (byTrace.get(record.traceId) ?? 0) + 1);
    expect([...byTrace.values()].every((count) => count === 2)).toBe(true);
    expect(all.length).toBeGreaterThan(10);
    expect(all.length).toBeLessThan(70);
    expect(handler.stats().dropped.sampled).toBe(80 - all.length);
  });
});

describe("safety", () => {
  it("never throws into the chain when an exporter throws, and warns once per distinct error", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const exporter = createMemoryExporter({
      onExport: () => {
        throw new Error("exporter down");
      },
    });
    const handler = new ObservabilityCallbackHandler({ exporters: [exporter] });
    const model = new FakeListChatModel({ responses: ["ok"] });
    for (let index = 0; index < 3; index++) {
      await expect(model.invoke(`q${index}`, { callbacks: [handler] })).resolves.toBeDefined();
      await handler.flush();
    }
    expect(handler.stats()).toMatchObject({ captured: 3, exported: 0, failed: 3 });
    const ours = warn.mock.calls.filter((call) => String(call[0]).includes("exporter down"));
    expect(ours).toHaveLength(1);
  });

  it("does not throw when LangChain calls it with odd arguments", () => {
    const onError = vi.fn();
    const { handler } = setup({ onError });
    expect(() => handler.handleLLMEnd(undefined as never, "unknown-run")).not.toThrow();
    expect(() =>
      handler.handleChatModelStart(undefined as never, [[{ content: 42 } as never]], "odd-run"),
    ).not.toThrow();
    expect(() =>
      handler.handleLLMEnd({ generations: [[{ text: 5 as never }]] } as never, "odd-run"),
    ).not.toThrow();
  });

  it("returns itself from copy(), so LangChain's copies share one run store and queue", () => {
    const { handler } = setup();
    expect(handler.copy()).toBe(handler);
  });

  it("rejects invalid options with a ConfigurationError naming the option", () => {
    const exporters = [createMemoryExporter()];
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ sampleRate: 1.5 }, "sampleRate"],
      [{ sampleRate: -0.1 }, "sampleRate"],
      [{ maxBatchSize: 0 }, "maxBatchSize"],
      [{ maxQueueSize: -1 }, "maxQueueSize"],
      [{ flushIntervalMs: "soon" }, "flushIntervalMs"],
      [{ timeoutMs: 0 }, "timeoutMs"],
      [{ maxRetries: 1.5 }, "maxRetries"],
      [{ tags: "not-an-array" }, "tags"],
      [{ metadata: [1] }, "metadata"],
      [{ mask: "nope" }, "mask"],
      [{ userId: 42 }, "userId"],
      [{ exporters: [] }, "exporters"],
    ];
    for (const [options, option] of cases) {
      let caught: unknown;
      try {
        new ObservabilityCallbackHandler({ exporters, ...options } as never);
      } catch (error) {
        caught = error;
      }
      expect(ConfigurationError.isInstance(caught), option).toBe(true);
      expect((caught as ConfigurationError).option).toBe(option);
      expect((caught as Error).message).toContain(option);
    }
  });

  it("works with a handler that awaits nothing even for FakeLLM text models", async () => {
    const { handler, records } = setup();
    await new FakeLLM({}).invoke("echo me", { callbacks: [handler] });
    const [record] = await records();
    expect(record!.output.text).toBe("echo me");
  });
});
