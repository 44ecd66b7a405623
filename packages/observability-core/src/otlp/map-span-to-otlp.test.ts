import { describe, expect, it } from "vitest";
import { mapRunSpanToOtlp } from "./map-span-to-otlp";
import {
  chatLlmRecord,
  chatSpan,
  plainAttributes,
  rootChainSpan,
  TRACE_ID,
  toolSpan,
} from "./otlp-test-records.test-support";

describe("mapRunSpanToOtlp", () => {
  it("maps a root chain span: ids from the run ids, times in nanoseconds, OK status, OpenInference attributes", () => {
    const span = mapRunSpanToOtlp(rootChainSpan(), { semanticConventions: "openinference" });
    expect({ ...span, attributes: plainAttributes(span.attributes) }).toMatchInlineSnapshot(`
      {
        "attributes": {
          "input.mime_type": "application/json",
          "input.value": "{"question":"Weather in Paris?"}",
          "metadata": "{"team":"travel"}",
          "openinference.span.kind": "CHAIN",
          "output.mime_type": "text/plain",
          "output.value": "Sunny, 21 °C.",
          "session.id": "session-3",
          "tag.tags": [
            "weather",
          ],
          "user.id": "user-7",
        },
        "endTimeUnixNano": "1767268800900000000",
        "events": [],
        "flags": 257,
        "kind": 1,
        "name": "WeatherAgent",
        "spanId": "909ceb9c98b9a988",
        "startTimeUnixNano": "1767268800000000000",
        "status": {
          "code": 1,
        },
        "traceId": "1f0c4a2e5b6d4c7e8f90a1b2c3d4e5f6",
      }
    `);
  });

  it("maps a chat model span with OpenInference: messages, tool calls, tokens, parameters, first token event", () => {
    const span = mapRunSpanToOtlp(chatSpan(), { semanticConventions: "openinference" });
    expect(span.name).toBe("ChatOpenAI");
    expect(span.kind).toBe(1);
    expect(span.parentSpanId).toBe(mapRunSpanToOtlp(rootChainSpan()).spanId);
    expect(span.events).toMatchInlineSnapshot(`
      [
        {
          "attributes": [],
          "name": "first-token",
          "timeUnixNano": "1767268800130000000",
        },
      ]
    `);
    expect(plainAttributes(span.attributes)).toMatchInlineSnapshot(`
      {
        "input.mime_type": "application/json",
        "input.value": "[{"role":"system","content":"Be brief."},{"role":"user","content":"Weather in Paris?"}]",
        "llm.input_messages.0.message.content": "Be brief.",
        "llm.input_messages.0.message.role": "system",
        "llm.input_messages.1.message.content": "Weather in Paris?",
        "llm.input_messages.1.message.role": "user",
        "llm.invocation_parameters": "{"temperature":0.2,"max_tokens":256,"stop":["END"]}",
        "llm.model_name": "gpt-4o-mini",
        "llm.output_messages.0.message.role": "assistant",
        "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": "{"city":"Paris"}",
        "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "get_weather",
        "llm.output_messages.0.message.tool_calls.0.tool_call.id": "call_1",
        "llm.provider": "openai",
        "llm.system": "openai",
        "llm.token_count.completion": 9n,
        "llm.token_count.prompt": 21n,
        "llm.token_count.prompt_details.cache_read": 4n,
        "llm.token_count.total": 30n,
        "llm.tools.0.tool.json_schema": "{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}",
        "metadata": "{"ls_provider":"openai"}",
        "openinference.span.kind": "LLM",
        "output.mime_type": "application/json",
        "output.value": "[{"id":"call_1","name":"get_weather","args":{"city":"Paris"}}]",
        "session.id": "session-3",
        "tag.tags": [
          "weather",
        ],
        "user.id": "user-7",
      }
    `);
  });

  it("maps a chat model span with OTel GenAI: span name `{operation} {model}`, kind CLIENT, gen_ai.* attributes", () => {
    const span = mapRunSpanToOtlp(chatSpan(), { semanticConventions: "gen-ai" });
    expect(span.name).toBe("chat gpt-4o-mini");
    expect(span.kind).toBe(3);
    expect(plainAttributes(span.attributes)).toMatchInlineSnapshot(`
      {
        "gen_ai.conversation.id": "session-3",
        "gen_ai.input.messages": "[{"role":"system","parts":[{"type":"text","content":"Be brief."}]},{"role":"user","parts":[{"type":"text","content":"Weather in Paris?"}]}]",
        "gen_ai.operation.name": "chat",
        "gen_ai.output.messages": "[{"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"get_weather","arguments":{"city":"Paris"}}],"finish_reason":"tool_call"}]",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.max_tokens": 256n,
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.request.stop_sequences": [
          "END",
        ],
        "gen_ai.request.temperature": 0.2,
        "gen_ai.response.finish_reasons": [
          "tool_calls",
        ],
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "gen_ai.usage.cache_read.input_tokens": 4n,
        "gen_ai.usage.input_tokens": 21n,
        "gen_ai.usage.output_tokens": 9n,
        "langchain.metadata": "{"ls_provider":"openai"}",
        "langchain.tags": [
          "weather",
        ],
        "session.id": "session-3",
        "user.id": "user-7",
      }
    `);
  });

  it("maps a tool span in both vocabularies", () => {
    const span = mapRunSpanToOtlp(toolSpan(), { semanticConventions: "both" });
    expect(span.name).toBe("execute_tool get_weather");
    expect(plainAttributes(span.attributes)).toMatchInlineSnapshot(`
      {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.call.arguments": "{"city":"Paris"}",
        "gen_ai.tool.call.result": "Sunny, 21 °C",
        "gen_ai.tool.name": "get_weather",
        "input.mime_type": "text/plain",
        "input.value": "{"city":"Paris"}",
        "openinference.span.kind": "TOOL",
        "output.mime_type": "text/plain",
        "output.value": "Sunny, 21 °C",
        "tool.name": "get_weather",
      }
    `);
  });

  it("uses both vocabularies by default, and never emits both `x` and `x.y` (Arthur nests dotted keys)", () => {
    const spans = [rootChainSpan(), chatSpan(), toolSpan()].map((record) => mapRunSpanToOtlp(record));
    for (const span of spans) {
      const keys = span.attributes.map((attribute) => attribute.key);
      expect(new Set(keys).size).toBe(keys.length);
      for (const key of keys) expect(keys.filter((other) => other.startsWith(`${key}.`))).toEqual([]);
    }
    const chatKeys = spans[1]!.attributes.map((attribute) => attribute.key);
    expect(chatKeys).toContain("llm.model_name");
    expect(chatKeys).toContain("gen_ai.request.model");
  });

  it("gives a failed model call ERROR status, an exception event, error.type, and no output messages", () => {
    const llm = chatLlmRecord({
      status: "error",
      error: { name: "RateLimitError", message: "429 Too Many Requests" },
      output: { text: "" },
      usage: { source: "none" },
    });
    const span = mapRunSpanToOtlp(
      chatSpan({
        status: "error",
        error: { name: "RateLimitError", message: "429 Too Many Requests" },
        events: [],
        llmRecords: [llm],
      }),
    );
    expect(span.status).toEqual({ code: 2, message: "RateLimitError: 429 Too Many Requests" });
    expect(span.events).toMatchInlineSnapshot(`
      [
        {
          "attributes": [
            {
              "key": "exception.type",
              "value": {
                "stringValue": "RateLimitError",
              },
            },
            {
              "key": "exception.message",
              "value": {
                "stringValue": "429 Too Many Requests",
              },
            },
          ],
          "name": "exception",
          "timeUnixNano": "1767268800410500000",
        },
      ]
    `);
    const attributes = plainAttributes(span.attributes);
    expect(attributes["error.type"]).toBe("RateLimitError");
    expect(Object.keys(attributes).filter((key) => key.includes("output"))).toEqual([]);
  });

  it("maps a retriever's documents and an agent span's events", () => {
    const retriever = mapRunSpanToOtlp(
      rootChainSpan({
        kind: "retriever",
        name: "VectorStoreRetriever",
        output: undefined,
        documents: [
          { pageContent: "Paris is in France.", metadata: { source: "wiki" }, id: "doc-1" },
          { pageContent: "It is sunny.", metadata: {} },
        ],
      }),
      { semanticConventions: "openinference" },
    );
    expect(plainAttributes(retriever.attributes)).toMatchInlineSnapshot(`
      {
        "input.mime_type": "application/json",
        "input.value": "{"question":"Weather in Paris?"}",
        "metadata": "{"team":"travel"}",
        "openinference.span.kind": "RETRIEVER",
        "retrieval.documents.0.document.content": "Paris is in France.",
        "retrieval.documents.0.document.id": "doc-1",
        "retrieval.documents.0.document.metadata": "{"source":"wiki"}",
        "retrieval.documents.1.document.content": "It is sunny.",
        "session.id": "session-3",
        "tag.tags": [
          "weather",
        ],
        "user.id": "user-7",
      }
    `);
    const agent = mapRunSpanToOtlp(
      rootChainSpan({
        kind: "agent",
        name: "AgentExecutor",
        events: [
          {
            name: "agent-action",
            time: Date.UTC(2026, 0, 1, 12, 0, 0, 5),
            attributes: { tool: "get_weather", toolInput: { city: "Paris" }, log: "calling" },
          },
        ],
      }),
      { semanticConventions: "gen-ai" },
    );
    expect(agent.name).toBe("invoke_agent AgentExecutor");
    expect(agent.events).toMatchInlineSnapshot(`
      [
        {
          "attributes": [
            {
              "key": "tool",
              "value": {
                "stringValue": "get_weather",
              },
            },
            {
              "key": "toolInput",
              "value": {
                "stringValue": "{"city":"Paris"}",
              },
            },
            {
              "key": "log",
              "value": {
                "stringValue": "calling",
              },
            },
          ],
          "name": "agent-action",
          "timeUnixNano": "1767268800005000000",
        },
      ]
    `);
  });

  it("sends a completion model's prompt as llm.prompts and a user message", () => {
    const llm = chatLlmRecord({
      kind: "llm",
      input: { prompt: "Say hi" },
      output: { text: "hi", finishReason: "stop" },
    });
    const span = mapRunSpanToOtlp(chatSpan({ kind: "llm", llmRecords: [llm], events: [] }));
    expect(span.name).toBe("text_completion gpt-4o-mini");
    const attributes = plainAttributes(span.attributes);
    expect(attributes["llm.prompts"]).toEqual(["Say hi"]);
    expect(attributes["input.value"]).toBe("Say hi");
    expect(attributes["output.value"]).toBe("hi");
    expect(attributes["gen_ai.input.messages"]).toBe(
      '[{"role":"user","parts":[{"type":"text","content":"Say hi"}]}]',
    );
  });

  it("derives the same ids on every call (a resend is idempotent)", () => {
    const first = mapRunSpanToOtlp(chatSpan());
    const second = mapRunSpanToOtlp(chatSpan());
    expect(second.traceId).toBe(first.traceId);
    expect(second.spanId).toBe(first.spanId);
    expect(first.traceId).toBe(TRACE_ID.replaceAll("-", ""));
  });
});
