import type { LLMRunRecord } from "@langchain-observability/core";
import { describe, expect, it } from "vitest";
import {
  mapRecordToTrubricsLlmEvent,
  mapRecordToTrubricsPromptDocument,
  toFirestoreFields,
  toFirestoreValue,
  toTrubricsDocumentId,
} from "./map-record-to-trubrics";

const START = Date.UTC(2025, 2, 1, 10, 0, 0, 0);

function makeRecord(overrides: Partial<LLMRunRecord> = {}): LLMRunRecord {
  return {
    schemaVersion: 1,
    recordId: "run-1",
    runId: "run-1",
    traceId: "run-1",
    kind: "chat",
    name: "ChatOpenAI",
    serializedId: ["langchain", "chat_models", "openai", "ChatOpenAI"],
    model: { provider: "openai", name: "gpt-4o-mini", params: { temperature: 0.7 } },
    input: {
      prompt: "Tell me a joke",
      messages: [
        { role: "system", content: "You are funny" },
        { role: "user", content: "Tell me a joke" },
      ],
    },
    output: { text: "Why did the chicken…", finishReason: "stop" },
    usage: { inputTokens: 12, outputTokens: 8, totalTokens: 20, source: "provider" },
    timing: { startTime: START, endTime: START + 1500, latencyMs: 1500 },
    status: "success",
    cached: false,
    tags: ["chat model"],
    metadata: {},
    ...overrides,
  };
}

describe("mapRecordToTrubricsLlmEvent", () => {
  it("maps a chat record to one publish_llm_events item", () => {
    const event = mapRecordToTrubricsLlmEvent(
      makeRecord({
        userId: "user-id-1234",
        sessionId: "session-9",
        metadata: { some_metadata: { hello: [1, 2] } },
      }),
    );
    expect(event).toMatchInlineSnapshot(`
      {
        "assistant_id": "gpt-4o-mini",
        "generation": "Why did the chicken…",
        "generation_event_name": "Generation",
        "latency": 1.5,
        "prompt": "Tell me a joke",
        "prompt_event_name": "Prompt",
        "properties": {
          "$thread_id": "session-9",
          "finish_reason": "stop",
          "langchain_run_id": "run-1",
          "messages": [
            {
              "content": "You are funny",
              "role": "system",
            },
            {
              "content": "Tell me a joke",
              "role": "user",
            },
          ],
          "model_provider": "openai",
          "some_metadata": {
            "hello": [
              1,
              2,
            ],
          },
          "tags": [
            "langchain",
            "chat model",
          ],
          "usage": {
            "input_tokens": 12,
            "output_tokens": 8,
            "total_tokens": 20,
          },
        },
        "thread_id": "session-9",
        "timestamp": "2025-03-01T10:00:01.500Z",
        "user_id": "user-id-1234",
      }
    `);
  });

  it.each([
    { case: "no user", overrides: {}, userId: "anonymous" },
    { case: "a user", overrides: { userId: "u-1" }, userId: "u-1" },
    { case: "an empty user", overrides: { userId: "" }, userId: "anonymous" },
  ])("user_id with $case is $userId", ({ overrides, userId }) => {
    expect(mapRecordToTrubricsLlmEvent(makeRecord(overrides)).user_id).toBe(userId);
  });

  it.each([
    { case: "the model name", model: { name: "gpt-4o", params: {} }, name: "ChatOpenAI", expected: "gpt-4o" },
    { case: "the run name", model: { params: {} }, name: "FakeListChatModel", expected: "FakeListChatModel" },
    { case: "NA", model: { params: {} }, name: "", expected: "NA" },
  ])("assistant_id falls back to $case", ({ model, name, expected }) => {
    const record = makeRecord({ model, name });
    expect(mapRecordToTrubricsLlmEvent(record).assistant_id).toBe(expected);
    expect(mapRecordToTrubricsPromptDocument(record).fields.config_model.mapValue.fields.model).toEqual({
      stringValue: expected,
    });
  });

  it("sends a failed run with an empty generation and properties.error", () => {
    const event = mapRecordToTrubricsLlmEvent(
      makeRecord({
        status: "error",
        error: { name: "RateLimitError", message: "429 Too Many Requests" },
        output: { text: "" },
        usage: { source: "none" },
      }),
    );
    expect({ generation: event.generation, properties: event.properties }).toMatchInlineSnapshot(`
      {
        "generation": "",
        "properties": {
          "error": {
            "message": "429 Too Many Requests",
            "name": "RateLimitError",
          },
          "langchain_run_id": "run-1",
          "messages": [
            {
              "content": "You are funny",
              "role": "system",
            },
            {
              "content": "Tell me a joke",
              "role": "user",
            },
          ],
          "model_provider": "openai",
          "status": "error",
          "tags": [
            "langchain",
            "chat model",
          ],
        },
      }
    `);
    const cancelled = mapRecordToTrubricsLlmEvent(
      makeRecord({ status: "cancelled", error: { name: "RunEvicted", message: "Run evicted." } }),
    );
    expect([cancelled.generation, cancelled.properties.status, cancelled.properties.error]).toEqual([
      "",
      "cancelled",
      { name: "RunEvicted", message: "Run evicted." },
    ]);
  });

  it("keeps metadata but never lets it replace the keys this package sets, and drops keys already sent", () => {
    const event = mapRecordToTrubricsLlmEvent(
      makeRecord({
        userId: "u-1",
        sessionId: "s-1",
        tags: ["langchain", "a", "a", "b"],
        metadata: {
          langchain_run_id: "spoofed",
          tags: ["spoofed"],
          user_id: "u-1",
          session_id: "s-1",
          thread_id: "s-1",
          env: "prod",
        },
      }),
    );
    expect(event.properties.langchain_run_id).toBe("run-1");
    expect(event.properties.tags).toEqual(["langchain", "a", "b"]);
    expect(event.properties.env).toBe("prod");
    expect(Object.keys(event.properties)).not.toContain("user_id");
    expect(Object.keys(event.properties)).not.toContain("session_id");
    expect(Object.keys(event.properties)).not.toContain("thread_id");
  });

  it("keeps every message role, tool calls, tool call ids and run ids of nested runs", () => {
    const event = mapRecordToTrubricsLlmEvent(
      makeRecord({
        parentRunId: "parent-1",
        traceId: "root-1",
        cached: true,
        input: {
          prompt: "What is the weather in Paris?",
          messages: [
            { role: "user", content: "What is the weather in Paris?" },
            {
              role: "assistant",
              content: "",
              toolCalls: [{ id: "call-1", name: "weather", args: { city: "Paris" } }],
            },
            { role: "tool", content: "18°C, sunny", toolCallId: "call-1", name: "weather" },
            { role: "function", content: "{}", name: "legacy_fn" },
            { role: "critic", content: "Be brief." },
          ],
        },
        output: {
          text: "",
          message: { role: "assistant", content: "", toolCalls: [{ name: "book", args: { when: "now" } }] },
        },
      }),
    );
    expect(event.properties).toMatchObject({
      langchain_parent_run_id: "parent-1",
      langchain_trace_id: "root-1",
      cached: true,
      tool_calls: [{ name: "book", args: { when: "now" } }],
      messages: [
        { role: "user", content: "What is the weather in Paris?" },
        {
          role: "assistant",
          content: "",
          tool_calls: [{ id: "call-1", name: "weather", args: { city: "Paris" } }],
        },
        { role: "tool", content: "18°C, sunny", tool_call_id: "call-1", name: "weather" },
        { role: "function", content: "{}", name: "legacy_fn" },
        { role: "critic", content: "Be brief." },
      ],
    });
  });

  it("reports latency and time to first token in seconds", () => {
    const event = mapRecordToTrubricsLlmEvent(
      makeRecord({
        timing: { startTime: START, endTime: START + 250, latencyMs: 250, timeToFirstTokenMs: 40 },
      }),
    );
    expect([event.latency, event.properties.time_to_first_token]).toEqual([0.25, 0.04]);
  });
});

describe("mapRecordToTrubricsPromptDocument", () => {
  it("writes the legacy SDK's prompt document with its Firestore types", () => {
    const document = mapRecordToTrubricsPromptDocument(
      makeRecord({ userId: "user-id-1234", metadata: { some_metadata: { hello: [1, 2] } } }),
    );
    expect(document).toMatchInlineSnapshot(`
      {
        "fields": {
          "config_model": {
            "mapValue": {
              "fields": {
                "model": {
                  "stringValue": "gpt-4o-mini",
                },
                "prompt_template": {
                  "stringValue": "{prompt}",
                },
                "temperature": {
                  "doubleValue": 0.7,
                },
              },
            },
          },
          "created_on": {
            "timestampValue": "2025-03-01T10:00:01.500000Z",
          },
          "generation": {
            "stringValue": "Why did the chicken…",
          },
          "metadata": {
            "mapValue": {
              "fields": {
                "finish_reason": {
                  "stringValue": "stop",
                },
                "langchain_run_id": {
                  "stringValue": "run-1",
                },
                "messages": {
                  "arrayValue": {
                    "values": [
                      {
                        "mapValue": {
                          "fields": {
                            "content": {
                              "stringValue": "You are funny",
                            },
                            "role": {
                              "stringValue": "system",
                            },
                          },
                        },
                      },
                      {
                        "mapValue": {
                          "fields": {
                            "content": {
                              "stringValue": "Tell me a joke",
                            },
                            "role": {
                              "stringValue": "user",
                            },
                          },
                        },
                      },
                    ],
                  },
                },
                "some_metadata": {
                  "mapValue": {
                    "fields": {
                      "hello": {
                        "arrayValue": {
                          "values": [
                            {
                              "integerValue": "1",
                            },
                            {
                              "integerValue": "2",
                            },
                          ],
                        },
                      },
                    },
                  },
                },
                "usage": {
                  "mapValue": {
                    "fields": {
                      "input_tokens": {
                        "integerValue": "12",
                      },
                      "output_tokens": {
                        "integerValue": "8",
                      },
                      "total_tokens": {
                        "integerValue": "20",
                      },
                    },
                  },
                },
              },
            },
          },
          "prompt": {
            "stringValue": "Tell me a joke",
          },
          "session_id": {
            "nullValue": null,
          },
          "tags": {
            "arrayValue": {
              "values": [
                {
                  "stringValue": "langchain",
                },
                {
                  "stringValue": "chat model",
                },
              ],
            },
          },
          "user_id": {
            "stringValue": "user-id-1234",
          },
        },
      }
    `);
  });

  it.each([
    { case: "a temperature", params: { temperature: 0 }, expected: { doubleValue: 0 } },
    { case: "no temperature", params: {}, expected: { nullValue: null } },
    { case: "a non-number temperature", params: { temperature: "hot" }, expected: { nullValue: null } },
  ])("config_model.temperature with $case", ({ params, expected }) => {
    const document = mapRecordToTrubricsPromptDocument(makeRecord({ model: { name: "m", params } }));
    expect(document.fields.config_model.mapValue.fields.temperature).toEqual(expected);
  });

  it.each([
    { endTime: Date.UTC(2023, 9, 1, 12, 0, 0, 123), expected: "2023-10-01T12:00:00.123000Z" },
    { endTime: Date.UTC(2023, 9, 1, 12, 0, 0, 0), expected: "2023-10-01T12:00:00Z" },
  ])("created_on is Python's utcnow().isoformat() + 'Z': $expected", ({ endTime, expected }) => {
    const document = mapRecordToTrubricsPromptDocument(
      makeRecord({ timing: { startTime: endTime - 10, endTime, latencyMs: 10 } }),
    );
    expect(document.fields.created_on).toEqual({ timestampValue: expected });
  });

  it("sets user_id and session_id, or nullValue when absent", () => {
    const withIds = mapRecordToTrubricsPromptDocument(makeRecord({ userId: "u", sessionId: "s" })).fields;
    const without = mapRecordToTrubricsPromptDocument(makeRecord()).fields;
    expect([withIds.user_id, withIds.session_id, without.user_id, without.session_id]).toEqual([
      { stringValue: "u" },
      { stringValue: "s" },
      { nullValue: null },
      { nullValue: null },
    ]);
  });
});

describe("toFirestoreValue", () => {
  it.each([
    { case: "null", value: null, expected: { nullValue: null } },
    { case: "a string", value: "a", expected: { stringValue: "a" } },
    { case: "a boolean", value: false, expected: { booleanValue: false } },
    { case: "an integer", value: 42, expected: { integerValue: "42" } },
    { case: "a negative integer", value: -7, expected: { integerValue: "-7" } },
    { case: "a float", value: 0.5, expected: { doubleValue: 0.5 } },
    { case: "an unsafe integer", value: 2 ** 60, expected: { doubleValue: 2 ** 60 } },
    { case: "NaN", value: Number.NaN, expected: { stringValue: "NaN" } },
    { case: "a bigint", value: 12n, expected: { integerValue: "12" } },
    {
      case: "a date",
      value: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)),
      expected: { timestampValue: "2024-01-02T03:04:05.006000Z" },
    },
    { case: "an empty array", value: [], expected: { arrayValue: { values: [] } } },
    {
      case: "an array with null and a nested array",
      value: ["a", null, [1, 2], undefined],
      expected: {
        arrayValue: {
          values: [{ stringValue: "a" }, { nullValue: null }, { stringValue: "[1,2]" }, { nullValue: null }],
        },
      },
    },
    {
      case: "an object",
      value: { a: 1, b: { c: [true] }, skip: undefined, fn: () => 1 },
      expected: {
        mapValue: {
          fields: {
            a: { integerValue: "1" },
            b: { mapValue: { fields: { c: { arrayValue: { values: [{ booleanValue: true }] } } } } },
          },
        },
      },
    },
    { case: "undefined", value: undefined, expected: undefined },
    { case: "a function", value: () => 1, expected: undefined },
    { case: "a symbol", value: Symbol("s"), expected: undefined },
  ])("encodes $case", ({ value, expected }) => {
    expect(toFirestoreValue(value)).toEqual(expected);
  });

  it("encodes the fields of an object and leaves out what it cannot encode", () => {
    expect(toFirestoreFields({ run: "r", count: 2, gone: undefined })).toEqual({
      run: { stringValue: "r" },
      count: { integerValue: "2" },
    });
  });
});

describe("toTrubricsDocumentId", () => {
  it.each([
    ["0196f8a2-6c1e-7b3a-9d2f-4c5b6a7e8f90", "0196f8a2-6c1e-7b3a-9d2f-4c5b6a7e8f90"],
    ["0196f8a2-6c1e-7b3a-9d2f-4c5b6a7e8f90:1", "0196f8a2-6c1e-7b3a-9d2f-4c5b6a7e8f90:1"],
    ["a/b", "a%2Fb"],
    ["a%2Fb", "a%252Fb"],
    [".", "%2E"],
    ["..", "%2E%2E"],
    ["__name__", "%5F_name__"],
    ["", "%00"],
    ["\uD800x", "\uFFFDx"],
  ])("makes %j the valid Firestore id %j (the same each time, distinct for distinct ids)", (recordId, id) => {
    expect(toTrubricsDocumentId(recordId)).toBe(id);
    expect(toTrubricsDocumentId(recordId)).toBe(toTrubricsDocumentId(recordId));
  });

  it("keeps a long id under 1500 bytes with a hash of the whole id", () => {
    const long = "é".repeat(2000);
    const other = `${"é".repeat(1999)}e`;
    const id = toTrubricsDocumentId(long);

    expect(new TextEncoder().encode(id).length).toBeLessThanOrEqual(1500);
    expect(id).toMatch(/^é+~[0-9a-f]{16}$/);
    expect(toTrubricsDocumentId(other)).not.toBe(id);
    expect(toTrubricsDocumentId(long)).toBe(id);
  });
});
