import type { LLMRunRecord, RunSpanRecord } from "@langchain-observability/core";
import { describe, expect, test } from "vitest";
import {
  mapLogRequest,
  mapSpanToPromptLayer,
  toPromptLayerSpanId,
  toPromptLayerTraceId,
} from "./map-span-to-promptlayer";

const ROOT = "0190f5c2-7a1b-7c3d-8e4f-a1b2c3d4e5f6";
const MODEL = "0190f5c2-7a1b-7c3d-8e4f-0000000000a1";
const TOOL = "0190f5c2-7a1b-7c3d-8e4f-0000000000b2";

function chatRecord(overrides: Partial<LLMRunRecord> = {}): LLMRunRecord {
  return {
    schemaVersion: 1,
    recordId: MODEL,
    runId: MODEL,
    parentRunId: ROOT,
    traceId: ROOT,
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
    tags: ["checkout"],
    metadata: { team: "search" },
    ...overrides,
  };
}

function span(overrides: Partial<RunSpanRecord> = {}): RunSpanRecord {
  return {
    schemaVersion: 1,
    recordType: "span",
    recordId: ROOT,
    runId: ROOT,
    traceId: ROOT,
    kind: "chain",
    name: "RunnableSequence",
    serializedId: ["langchain_core", "runnables", "RunnableSequence"],
    input: { question: "Hi" },
    output: { answer: "Hello!" },
    events: [],
    timing: { startTime: 1_717_000_000_100, endTime: 1_717_000_001_500, latencyMs: 1400 },
    status: "success",
    tags: [],
    metadata: {},
    ...overrides,
  };
}

function modelSpan(llmRecords: LLMRunRecord[], overrides: Partial<RunSpanRecord> = {}): RunSpanRecord {
  return span({
    recordId: MODEL,
    runId: MODEL,
    parentRunId: ROOT,
    kind: "chat",
    name: "ChatOpenAI",
    serializedId: ["langchain", "chat_models", "openai", "ChatOpenAI"],
    input: undefined,
    output: undefined,
    timing: { startTime: 1_717_000_000_123, endTime: 1_717_000_001_456, latencyMs: 1333 },
    tags: ["checkout"],
    metadata: { team: "search" },
    llmRecordIds: llmRecords.map((record) => record.recordId),
    llmRecords,
    ...overrides,
  });
}

describe("ids", () => {
  test("trace id: the root run's UUID as 32 hex; span id: 16 hex, the same for the same run id", () => {
    expect(toPromptLayerTraceId(ROOT)).toBe("0190f5c27a1b7c3d8e4fa1b2c3d4e5f6");
    expect(toPromptLayerTraceId("not-a-uuid")).toMatch(/^[0-9a-f]{32}$/);
    expect(toPromptLayerSpanId(ROOT)).toMatch(/^[0-9a-f]{16}$/);
    expect(toPromptLayerSpanId(ROOT)).toBe(toPromptLayerSpanId(ROOT));
    expect(toPromptLayerSpanId(ROOT)).not.toBe(toPromptLayerSpanId(MODEL));
    expect(toPromptLayerSpanId(`${MODEL}:0`)).not.toBe(toPromptLayerSpanId(`${MODEL}:1`));
  });

  test("10,000 time-ordered run ids give 10,000 distinct span ids", () => {
    const ids = new Set<string>();
    for (let index = 0; index < 10_000; index++) {
      const suffix = index.toString(16).padStart(12, "0");
      ids.add(toPromptLayerSpanId(`0190f5c2-7a1b-7c3d-8e4f-${suffix}`));
    }
    expect(ids.size).toBe(10_000);
  });
});

describe("mapSpanToPromptLayer", () => {
  test("a chain span: INTERNAL, no parent, ns times, inputs and outputs as JSON text", () => {
    expect(mapSpanToPromptLayer(span())).toMatchInlineSnapshot(`
      [
        {
          "attributes": {
            "input.value": "{"question":"Hi"}",
            "langchain.class": "langchain_core.runnables.RunnableSequence",
            "langchain.kind": "chain",
            "langchain.run_id": "0190f5c2-7a1b-7c3d-8e4f-a1b2c3d4e5f6",
            "langchain.trace_id": "0190f5c2-7a1b-7c3d-8e4f-a1b2c3d4e5f6",
            "output.value": "{"answer":"Hello!"}",
          },
          "context": {
            "span_id": "${toPromptLayerSpanId(ROOT)}",
            "trace_id": "0190f5c27a1b7c3d8e4fa1b2c3d4e5f6",
            "trace_state": "",
          },
          "end_time": 1717000001500000000,
          "events": [],
          "kind": "SpanKind.INTERNAL",
          "links": [],
          "name": "RunnableSequence",
          "parent_id": null,
          "resource": {
            "attributes": {
              "service.name": "langchain",
            },
            "schema_url": "",
          },
          "start_time": 1717000000100000000,
          "status": {
            "description": null,
            "status_code": "StatusCode.OK",
          },
        },
      ]
    `);
  });

  test("nanosecond times serialize as exact JSON integers, to the microsecond", () => {
    const [mapped] = mapSpanToPromptLayer(span());
    expect(JSON.stringify(mapped?.start_time)).toBe("1717000000100000000");
    expect(JSON.stringify(mapped?.end_time)).toBe("1717000001500000000");
    const [precise] = mapSpanToPromptLayer(
      span({
        timing: { startTime: 1_717_000_000_123.457, endTime: 1_717_000_000_987.654, latencyMs: 864 },
      }),
    );
    expect(JSON.stringify(precise?.start_time)).toBe("1717000000123457000");
    expect(JSON.stringify(precise?.end_time)).toBe("1717000000987654000");
    expect(Number.isInteger(precise?.start_time)).toBe(true);
  });

  test("a chat model span: CLIENT, child of its chain, with its log_request (chat templates, plTags first)", () => {
    const spans = mapSpanToPromptLayer(modelSpan([chatRecord()]), { plTags: ["prod"] });
    expect(spans).toHaveLength(1);
    const [mapped] = spans;
    expect(mapped?.kind).toBe("SpanKind.CLIENT");
    expect(mapped?.parent_id).toBe(toPromptLayerSpanId(ROOT));
    expect(mapped?.context.span_id).toBe(toPromptLayerSpanId(MODEL));
    expect(mapped?.attributes).toMatchInlineSnapshot(`
      {
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.input_tokens": 12,
        "gen_ai.usage.output_tokens": 3,
        "langchain.class": "langchain.chat_models.openai.ChatOpenAI",
        "langchain.kind": "chat",
        "langchain.metadata.team": "search",
        "langchain.parent_run_id": "0190f5c2-7a1b-7c3d-8e4f-a1b2c3d4e5f6",
        "langchain.run_id": "0190f5c2-7a1b-7c3d-8e4f-0000000000a1",
        "langchain.tags": [
          "checkout",
        ],
        "langchain.trace_id": "0190f5c2-7a1b-7c3d-8e4f-a1b2c3d4e5f6",
      }
    `);
    expect(mapped?.log_request).toMatchInlineSnapshot(`
      {
        "function_name": "langchain.chat_models.openai.ChatOpenAI",
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
                  "text": "Hi",
                  "type": "text",
                },
              ],
              "role": "user",
            },
          ],
          "type": "chat",
        },
        "input_tokens": 12,
        "metadata": {
          "_langchain_parent_run_id": "0190f5c2-7a1b-7c3d-8e4f-a1b2c3d4e5f6",
          "_langchain_run_id": "0190f5c2-7a1b-7c3d-8e4f-0000000000a1",
          "_langchain_tags": "["checkout"]",
          "_langchain_trace_id": "0190f5c2-7a1b-7c3d-8e4f-a1b2c3d4e5f6",
          "finish_reason": "stop",
          "input_tokens": "12",
          "model": "gpt-4o-mini",
          "output_tokens": "3",
          "provider": "openai",
          "team": "search",
          "total_tokens": "15",
        },
        "model": "gpt-4o-mini",
        "output": {
          "messages": [
            {
              "content": [
                {
                  "text": "Hello!",
                  "type": "text",
                },
              ],
              "role": "assistant",
            },
          ],
          "type": "chat",
        },
        "output_tokens": 3,
        "parameters": {
          "model": "gpt-4o-mini",
          "temperature": 0,
        },
        "provider": "openai",
        "request_end_time": "2024-05-29T16:26:41.456Z",
        "request_start_time": "2024-05-29T16:26:40.123Z",
        "status": "SUCCESS",
        "tags": [
          "prod",
          "checkout",
        ],
      }
    `);
  });

  test("a text model: completion templates in and out", () => {
    const record = chatRecord({
      kind: "llm",
      name: "OpenAI",
      serializedId: ["langchain", "llms", "openai", "OpenAI"],
      model: { name: "gpt-3.5-turbo-instruct", params: { model_name: "gpt-3.5-turbo-instruct" } },
      input: { prompt: "Tell me a joke" },
      output: { text: "Why did the toaster…" },
    });
    const log = mapLogRequest(record);
    expect({
      input: log.input,
      output: log.output,
      provider: log.provider,
      model: log.model,
    }).toMatchInlineSnapshot(`
      {
        "input": {
          "content": [
            {
              "text": "Tell me a joke",
              "type": "text",
            },
          ],
          "type": "completion",
        },
        "model": "gpt-3.5-turbo-instruct",
        "output": {
          "content": [
            {
              "text": "Why did the toaster…",
              "type": "text",
            },
          ],
          "type": "completion",
        },
        "provider": "openai",
      }
    `);
  });

  test("tool calls, tool results, tools and tool_choice go where PromptLayer's chat template keeps them", () => {
    const record = chatRecord({
      model: {
        provider: "openai",
        name: "gpt-4o-mini",
        params: {
          model: "gpt-4o-mini",
          tools: [{ type: "function", function: { name: "weather", parameters: {} } }],
          tool_choice: "auto",
        },
      },
      input: {
        prompt: "Weather?",
        messages: [
          { role: "user", content: "Weather in Paris?" },
          {
            role: "assistant",
            content: "",
            toolCalls: [{ id: "call_1", name: "weather", args: { city: "Paris" } }],
          },
          { role: "tool", content: "18°C", toolCallId: "call_1", name: "weather" },
        ],
      },
      output: {
        text: "",
        message: {
          role: "assistant",
          content: "",
          toolCalls: [{ id: "call_2", name: "weather", args: { city: "Lyon" } }],
        },
        finishReason: "tool_calls",
      },
    });
    const log = mapLogRequest(record);
    expect(log.parameters).toEqual({ model: "gpt-4o-mini" });
    expect({ input: log.input, output: log.output }).toMatchInlineSnapshot(`
      {
        "input": {
          "messages": [
            {
              "content": [
                {
                  "text": "Weather in Paris?",
                  "type": "text",
                },
              ],
              "role": "user",
            },
            {
              "content": null,
              "role": "assistant",
              "tool_calls": [
                {
                  "function": {
                    "arguments": "{"city":"Paris"}",
                    "name": "weather",
                  },
                  "id": "call_1",
                  "type": "function",
                },
              ],
            },
            {
              "content": [
                {
                  "text": "18°C",
                  "type": "text",
                },
              ],
              "name": "weather",
              "role": "tool",
              "tool_call_id": "call_1",
            },
          ],
          "tool_choice": "auto",
          "tools": [
            {
              "function": {
                "name": "weather",
                "parameters": {},
              },
              "type": "function",
            },
          ],
          "type": "chat",
        },
        "output": {
          "messages": [
            {
              "content": null,
              "role": "assistant",
              "tool_calls": [
                {
                  "function": {
                    "arguments": "{"city":"Lyon"}",
                    "name": "weather",
                  },
                  "id": "call_2",
                  "type": "function",
                },
              ],
            },
          ],
          "type": "chat",
        },
      }
    `);
  });

  test("content parts: text, image_url, standard image blocks, thinking; unknown parts and core's placeholders as text", () => {
    const record = chatRecord({
      input: {
        prompt: "What is this?",
        messages: [
          {
            role: "user",
            content: "What is this?",
            parts: [
              { type: "text", text: "What is this?" },
              { type: "image_url", image_url: { url: "https://example.test/cat.png", detail: "low" } },
              { type: "image", source_type: "base64", data: "AAAA", mime_type: "image/jpeg" },
              { type: "input_audio", input_audio: { format: "wav" } },
              { type: "image_url", image_url: { url: "[image/png 6.1 MB]" } },
              { type: "image", source_type: "base64", data: "[image/jpeg 2.0 MB]", mime_type: "image/jpeg" },
            ],
          },
        ],
      },
      output: {
        text: "A cat.",
        message: {
          role: "assistant",
          content: "A cat.",
          parts: [
            { type: "thinking", thinking: "whiskers" },
            { type: "text", text: "A cat." },
          ],
        },
      },
    });
    const log = mapLogRequest(record);
    expect(log.input.type === "chat" && log.input.messages[0]?.content).toMatchInlineSnapshot(`
      [
        {
          "text": "What is this?",
          "type": "text",
        },
        {
          "image_url": {
            "detail": "low",
            "url": "https://example.test/cat.png",
          },
          "type": "image_url",
        },
        {
          "image_url": {
            "url": "data:image/jpeg;base64,AAAA",
          },
          "type": "image_url",
        },
        {
          "text": "{"type":"input_audio","input_audio":{"format":"wav"}}",
          "type": "text",
        },
        {
          "text": "[image/png 6.1 MB]",
          "type": "text",
        },
        {
          "text": "[image/jpeg 2.0 MB]",
          "type": "text",
        },
      ]
    `);
    expect(log.output.type === "chat" && log.output.messages[0]?.content).toEqual([
      { type: "thinking", thinking: "whiskers" },
      { type: "text", text: "A cat." },
    ]);
  });

  test("a failed model call: status ERROR, PromptLayer's error type, the message, an empty output", () => {
    const cases: Array<[{ name: string; message: string }, string]> = [
      [{ name: "Error", message: "Request timed out." }, "PROVIDER_TIMEOUT"],
      [{ name: "RateLimitError", message: "429 Too Many Requests" }, "PROVIDER_RATE_LIMIT"],
      [{ name: "Error", message: "You exceeded your current quota" }, "PROVIDER_QUOTA_LIMIT"],
      [{ name: "AuthenticationError", message: "401 Incorrect API key" }, "PROVIDER_AUTH_ERROR"],
      [{ name: "Error", message: "model overloaded" }, "PROVIDER_ERROR"],
    ];
    for (const [error, errorType] of cases) {
      const log = mapLogRequest(chatRecord({ status: "error", error, output: { text: "" } }));
      expect({ status: log.status, type: log.error_type }).toEqual({ status: "ERROR", type: errorType });
      expect(log.error_message).toBe(`${error.name}: ${error.message}`);
      expect(log.output).toEqual({ type: "chat", messages: [] });
    }
    const cancelled = mapLogRequest(chatRecord({ status: "cancelled", output: { text: "" } }));
    expect(cancelled).toMatchObject({ status: "WARNING", error_type: "UNKNOWN_ERROR" });
    const [failedSpan] = mapSpanToPromptLayer(
      modelSpan([chatRecord({ status: "error", error: { name: "Error", message: "boom" } })], {
        status: "error",
        error: { name: "Error", message: "boom" },
      }),
    );
    expect(failedSpan?.status).toEqual({ status_code: "StatusCode.ERROR", description: "Error: boom" });
    expect(failedSpan?.attributes["exception.message"]).toBe("boom");
  });

  test("PromptLayer's limits: tags cut at 512, error messages at 1024, metadata keys over 1024 dropped", () => {
    const log = mapLogRequest(
      chatRecord({
        tags: ["x".repeat(600)],
        status: "error",
        error: { name: "Error", message: "e".repeat(5000) },
        metadata: { ["k".repeat(1025)]: "dropped", short: "kept" },
      }),
    );
    expect(log.tags?.[0]?.length).toBe(512);
    expect(log.error_message?.length).toBe(1024);
    expect(log.metadata?.short).toBe("kept");
    expect(Object.keys(log.metadata ?? {}).some((key) => key.length > 1024)).toBe(false);
  });

  test("a model span with several prompts: one child span and request log per prompt, each its own span id", () => {
    const first = chatRecord({ recordId: `${MODEL}:0` });
    const second = chatRecord({ recordId: `${MODEL}:1`, input: { prompt: "Bye" } });
    const spans = mapSpanToPromptLayer(modelSpan([first, second]));
    expect(
      spans.map((item) => [item.name, item.context.span_id, item.parent_id, !!item.log_request]),
    ).toEqual([
      ["ChatOpenAI", toPromptLayerSpanId(MODEL), toPromptLayerSpanId(ROOT), false],
      ["ChatOpenAI [0]", toPromptLayerSpanId(`${MODEL}:0`), toPromptLayerSpanId(MODEL), true],
      ["ChatOpenAI [1]", toPromptLayerSpanId(`${MODEL}:1`), toPromptLayerSpanId(MODEL), true],
    ]);
  });

  test("tool, retriever and LangGraph node spans: their names, documents and node in attributes; events kept", () => {
    const [tool] = mapSpanToPromptLayer(
      span({
        recordId: TOOL,
        runId: TOOL,
        parentRunId: ROOT,
        kind: "tool",
        name: "weather",
        toolName: "weather",
        input: "Paris",
        output: "18°C",
        userId: "u-1",
        sessionId: "s-1",
        graph: { node: "agent", step: 2, triggers: ["start:agent"] },
        events: [
          {
            name: "agent-action",
            time: 1_717_000_000_200,
            attributes: { tool: "weather", toolInput: { city: "Paris" }, log: null },
          },
        ],
        documents: [{ pageContent: "Paris is in France", metadata: { source: "wiki" } }],
      }),
    );
    expect({ attributes: tool?.attributes, events: tool?.events }).toMatchInlineSnapshot(`
      {
        "attributes": {
          "input.value": "Paris",
          "langchain.class": "langchain_core.runnables.RunnableSequence",
          "langchain.kind": "tool",
          "langchain.parent_run_id": "0190f5c2-7a1b-7c3d-8e4f-a1b2c3d4e5f6",
          "langchain.run_id": "0190f5c2-7a1b-7c3d-8e4f-0000000000b2",
          "langchain.trace_id": "0190f5c2-7a1b-7c3d-8e4f-a1b2c3d4e5f6",
          "langgraph.node": "agent",
          "langgraph.step": 2,
          "langgraph.triggers": [
            "start:agent",
          ],
          "output.value": "18°C",
          "retrieval.documents": "[{"pageContent":"Paris is in France","metadata":{"source":"wiki"}}]",
          "session.id": "s-1",
          "tool.name": "weather",
          "user.id": "u-1",
        },
        "events": [
          {
            "attributes": {
              "tool": "weather",
              "toolInput": "{"city":"Paris"}",
            },
            "name": "agent-action",
            "timestamp": 1717000000200000000,
          },
        ],
      }
    `);
  });

  test("captureContent false (no input, output or messages): no content attributes, empty templates", () => {
    const [chain] = mapSpanToPromptLayer(span({ input: undefined, output: undefined }));
    expect(chain?.attributes["input.value"]).toBeUndefined();
    expect(chain?.attributes["output.value"]).toBeUndefined();
    const log = mapLogRequest(chatRecord({ input: { prompt: "" }, output: { text: "" } }));
    expect(log.input).toEqual({ type: "chat", messages: [] });
    expect(log.output).toEqual({ type: "chat", messages: [{ role: "assistant", content: [] }] });
  });

  test("provider and model are always set: from the class path, else langchain and the run name", () => {
    const record = chatRecord({ model: { params: {} }, serializedId: [], name: "MyModel" });
    expect(mapLogRequest(record)).toMatchObject({ provider: "langchain", model: "MyModel" });
    const fromPath = chatRecord({ model: { params: {} } });
    expect(mapLogRequest(fromPath).provider).toBe("openai");
  });

  test("the mapper is pure: the same record maps to the same spans, and carries no key", () => {
    const record = modelSpan([chatRecord()]);
    expect(mapSpanToPromptLayer(record)).toEqual(mapSpanToPromptLayer(record));
    expect(JSON.stringify(mapSpanToPromptLayer(record))).not.toMatch(/api_key|pl_/);
  });
});
