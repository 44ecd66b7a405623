import type { LLMRunRecord } from "@langchain-observability/core";
import { describe, expect, test } from "vitest";
import { mapRecordToPromptLayer } from "./map-record-to-promptlayer";

function chatRecord(overrides: Partial<LLMRunRecord> = {}): LLMRunRecord {
  return {
    schemaVersion: 1,
    recordId: "run-1",
    runId: "run-1",
    traceId: "run-1",
    kind: "chat",
    name: "ChatOpenAI",
    serializedId: ["langchain", "chat_models", "openai", "ChatOpenAI"],
    model: { provider: "openai", name: "gpt-4o-mini", params: { model: "gpt-4o-mini", temperature: 0 } },
    input: {
      prompt: "Hi",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hi" },
      ],
    },
    output: { text: "Hello!", message: { role: "assistant", content: "Hello!" }, finishReason: "stop" },
    usage: { source: "provider", inputTokens: 12, outputTokens: 3, totalTokens: 15 },
    timing: { startTime: 1_717_000_000_123, endTime: 1_717_000_001_456, latencyMs: 1333 },
    status: "success",
    cached: false,
    tags: [],
    metadata: {},
    ...overrides,
  };
}

function textRecord(overrides: Partial<LLMRunRecord> = {}): LLMRunRecord {
  return chatRecord({
    kind: "llm",
    name: "OpenAI",
    serializedId: ["langchain", "llms", "openai", "OpenAI"],
    model: { name: "gpt-3.5-turbo-instruct", params: { model_name: "gpt-3.5-turbo-instruct", n: 1 } },
    input: { prompt: "Tell me a joke" },
    output: { text: "Why did the toaster…" },
    ...overrides,
  });
}

describe("mapRecordToPromptLayer", () => {
  test("a chat run: role-mapped args, invocation params, one assistant message, string metadata", () => {
    expect(mapRecordToPromptLayer(chatRecord(), { plTags: ["my-pl-tag"] })).toMatchInlineSnapshot(`
      {
        "args": [
          {
            "content": "Be brief.",
            "role": "system",
          },
          {
            "content": "Hi",
            "role": "user",
          },
        ],
        "function_name": "langchain.chat_models.openai.ChatOpenAI",
        "kwargs": {
          "model": "gpt-4o-mini",
          "temperature": 0,
        },
        "metadata": {
          "_langchain_run_id": "run-1",
          "finish_reason": "stop",
          "input_tokens": "12",
          "model": "gpt-4o-mini",
          "output_tokens": "3",
          "provider": "openai",
          "total_tokens": "15",
        },
        "provider_type": "langchain",
        "request_end_time": 1717000001.456,
        "request_response": [
          {
            "content": "Hello!",
            "role": "assistant",
          },
        ],
        "request_start_time": 1717000000.123,
        "tags": [
          "my-pl-tag",
        ],
      }
    `);
  });

  test("a text run: [prompt] as args, {text, llm_output} as response, the model name added to kwargs", () => {
    const body = mapRecordToPromptLayer(
      textRecord({ model: { name: "gpt-3.5-turbo-instruct", params: { max_tokens: 20 } } }),
    );
    expect(body.args).toEqual(["Tell me a joke"]);
    expect(body.kwargs).toEqual({ max_tokens: 20, model: "gpt-3.5-turbo-instruct" });
    expect(body.request_response).toEqual({
      text: "Why did the toaster…",
      llm_output: {
        token_usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 },
        model_name: "gpt-3.5-turbo-instruct",
      },
    });
    expect(body.function_name).toBe("langchain.llms.openai.OpenAI");
  });

  test("tool and function messages are kept, with assistant tool calls in OpenAI shape", () => {
    const body = mapRecordToPromptLayer(
      chatRecord({
        input: {
          prompt: "What is 2+2?",
          messages: [
            { role: "user", content: "What is 2+2?" },
            {
              role: "assistant",
              content: "",
              toolCalls: [{ id: "call_1", name: "calculator", args: { expression: "2+2" } }],
            },
            { role: "tool", content: "4", toolCallId: "call_1" },
            { role: "function", content: "sunny", name: "get_weather" },
            {
              role: "assistant",
              content: "",
              functionCall: { name: "get_weather", arguments: '{"city":"Paris"}' },
            },
          ],
        },
        output: {
          text: "",
          message: {
            role: "assistant",
            content: "",
            toolCalls: [{ id: "call_2", name: "answer", args: "already a string" }],
          },
        },
      }),
    );
    expect(body.args).toMatchInlineSnapshot(`
      [
        {
          "content": "What is 2+2?",
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
          "content": "sunny",
          "name": "get_weather",
          "role": "function",
        },
        {
          "content": "",
          "function_call": {
            "arguments": "{"city":"Paris"}",
            "name": "get_weather",
          },
          "role": "assistant",
        },
      ]
    `);
    expect(body.request_response).toEqual([
      {
        role: "assistant",
        content: "",
        tool_calls: [
          { id: "call_2", type: "function", function: { name: "answer", arguments: "already a string" } },
        ],
      },
    ]);
  });

  test("multimodal content is sent as its parts", () => {
    const parts = [
      { type: "text", text: "What is this?" },
      { type: "image_url", image_url: { url: "https://example.com/cat.png" } },
    ];
    const body = mapRecordToPromptLayer(
      chatRecord({
        input: { prompt: "What is this?", messages: [{ role: "user", content: "What is this?", parts }] },
      }),
    );
    expect(body.args).toEqual([{ role: "user", content: parts }]);
  });

  test("every candidate is logged: one assistant message per chat candidate, all texts of a text run", () => {
    const chat = mapRecordToPromptLayer(
      chatRecord({
        output: {
          text: "A",
          message: { role: "assistant", content: "A" },
          candidates: [
            { text: "A", message: { role: "assistant", content: "A" } },
            { text: "B", message: { role: "assistant", content: "B" } },
          ],
        },
      }),
    );
    expect(chat.request_response).toEqual([
      { role: "assistant", content: "A" },
      { role: "assistant", content: "B" },
    ]);
    const text = mapRecordToPromptLayer(
      textRecord({
        usage: { source: "none" },
        model: { params: {} },
        output: {
          text: "one",
          candidates: [{ text: "one", finishReason: "stop" }, { text: "two" }],
        },
      }),
    );
    expect(text.request_response).toEqual({
      text: "one",
      llm_output: null,
      candidates: [{ text: "one", finish_reason: "stop" }, { text: "two" }],
    });
  });

  test.each([
    {
      status: "error" as const,
      error: { name: "RateLimitError", message: "429 Too Many Requests" },
      expected: { status: "ERROR", error_type: "RateLimitError", error_message: "429 Too Many Requests" },
    },
    {
      status: "cancelled" as const,
      error: { name: "RunEvicted", message: "Run evicted: run not ended after 600000 ms (runTtlMs)." },
      expected: {
        status: "WARNING",
        error_type: "RunEvicted",
        error_message: "Run evicted: run not ended after 600000 ms (runTtlMs).",
      },
    },
  ])("a $status run is logged with the error status fields", ({ status, error, expected }) => {
    const body = mapRecordToPromptLayer(
      chatRecord({ status, error, output: { text: "" }, usage: { source: "none" } }),
    );
    expect(body).toMatchObject(expected);
    expect(body.request_response).toEqual([]);
    const text = mapRecordToPromptLayer(
      textRecord({ status, error, output: { text: "" }, usage: { source: "none" }, model: { params: {} } }),
    );
    expect(text).toMatchObject(expected);
    expect(text.request_response).toEqual({ text: "", llm_output: null });
  });

  test("metadata: strings only, run ids, tags as JSON, user and session, never a Python repr", () => {
    const body = mapRecordToPromptLayer(
      chatRecord({
        parentRunId: "parent-1",
        traceId: "root-1",
        tags: ["a", "b"],
        userId: "user-1",
        sessionId: "session-1",
        cached: true,
        usage: { source: "provider", inputTokens: 10, outputTokens: 2, totalTokens: 12, cacheReadTokens: 4 },
        timing: { startTime: 1000, endTime: 2000, latencyMs: 1000, timeToFirstTokenMs: 120 },
        metadata: {
          plain: "text",
          count: 3,
          flag: false,
          nothing: null,
          missing: undefined,
          nested: { deep: [1, "two"] },
          model: "overridden by the record's model name",
        },
      }),
    );
    expect(body.metadata).toMatchInlineSnapshot(`
      {
        "_langchain_parent_run_id": "parent-1",
        "_langchain_run_id": "run-1",
        "_langchain_tags": "["a","b"]",
        "_langchain_trace_id": "root-1",
        "cache_read_tokens": "4",
        "cached": "true",
        "count": "3",
        "finish_reason": "stop",
        "flag": "false",
        "input_tokens": "10",
        "model": "gpt-4o-mini",
        "nested": "{"deep":[1,"two"]}",
        "output_tokens": "2",
        "plain": "text",
        "provider": "openai",
        "session_id": "session-1",
        "time_to_first_token_ms": "120",
        "total_tokens": "12",
        "user_id": "user-1",
      }
    `);
    for (const value of Object.values(body.metadata)) {
      expect(typeof value).toBe("string");
      expect(["None", "null", "undefined"]).not.toContain(value);
    }
  });

  test("no parent run: no _langchain_parent_run_id key at all (not the string None)", () => {
    const { metadata } = mapRecordToPromptLayer(chatRecord());
    expect(metadata).not.toHaveProperty("_langchain_parent_run_id");
    expect(metadata).not.toHaveProperty("_langchain_tags");
  });

  test("tags are plTags then the run's tags, without duplicates (core already dropped LangChain's own tags)", () => {
    const body = mapRecordToPromptLayer(chatRecord({ tags: ["shared", "run-tag"] }), {
      plTags: ["pl-tag", "shared"],
    });
    expect(body.tags).toEqual(["pl-tag", "shared", "run-tag"]);
    expect(body.metadata._langchain_tags).toBe('["shared","run-tag"]');
  });

  test("return_pl_id is sent only when an id is wanted", () => {
    expect(mapRecordToPromptLayer(chatRecord(), { returnPlId: true }).return_pl_id).toBe(true);
    expect(mapRecordToPromptLayer(chatRecord())).not.toHaveProperty("return_pl_id");
  });

  test("captureContent false (no messages): empty args, an empty assistant answer", () => {
    const body = mapRecordToPromptLayer(chatRecord({ input: { prompt: "" }, output: { text: "" } }));
    expect(body.args).toEqual([]);
    expect(body.request_response).toEqual([{ role: "assistant", content: "" }]);
  });

  test("function_name falls back to the run name when the class path is unknown", () => {
    expect(mapRecordToPromptLayer(chatRecord({ serializedId: [], name: "MyModel" })).function_name).toBe(
      "MyModel",
    );
  });

  test("the body never carries an api_key (the exporter adds it)", () => {
    expect(mapRecordToPromptLayer(chatRecord())).not.toHaveProperty("api_key");
  });
});
