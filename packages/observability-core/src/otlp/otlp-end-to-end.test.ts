// A real LangChain chain (prompt → chat model asking for a tool → the tool) through the handler and
// `exportOtlp` to an OTLP receiver on 127.0.0.1: the decoded spans, in protobuf and in JSON.
import type { AIMessage } from "@langchain/core/messages";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { RunnableLambda, RunnableSequence } from "@langchain/core/runnables";
import { tool } from "@langchain/core/tools";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { ObservabilityCallbackHandler } from "../observability-callback-handler";
import { FakeDetailedChatModel } from "../testing/fake-models";
import { normalizeForSnapshot } from "../testing/normalize-for-snapshot";
import { createOtlpExporter } from "./create-otlp-exporter";
import { decodeWithOfficialProto } from "./official-otlp-proto.test-support";
import { type OtlpReceiver, startOtlpReceiver } from "./otlp-receiver.test-support";
import { plainAttributes } from "./otlp-test-records.test-support";
import type { OtlpSpan } from "./otlp-types";

const weatherTool = tool(async ({ city }) => `${city}: 21°C, sunny`, {
  name: "weather",
  description: "The weather in a city.",
  schema: z.object({ city: z.string() }),
});

function weatherChain() {
  const model = new FakeDetailedChatModel({
    model: "gpt-4o-mini",
    provider: "openai",
    responses: [
      {
        content: "",
        toolCalls: [{ id: "call_1", name: "weather", args: { city: "Paris" } }],
        usage: { input_tokens: 18, output_tokens: 7, total_tokens: 25 },
        responseMetadata: { finish_reason: "tool_calls" },
      },
    ],
  });
  return RunnableSequence.from([
    ChatPromptTemplate.fromMessages([
      ["system", "Answer with the weather tool."],
      ["human", "{question}"],
    ]),
    model,
    RunnableLambda.from(async (message: AIMessage, config) =>
      weatherTool.invoke({ ...message.tool_calls![0]!, type: "tool_call" }, config),
    ).withConfig({ runName: "RunWeatherTool" }),
  ]).withConfig({ runName: "WeatherChain" });
}

/** Spans depth first from the root, siblings by name, with ids and times as placeholders. */
function readable(spans: OtlpSpan[]) {
  const ordered: OtlpSpan[] = [];
  const visit = (parentSpanId: string | undefined) => {
    const children = spans
      .filter((span) => span.parentSpanId === parentSpanId)
      .sort((left, right) => left.name.localeCompare(right.name));
    for (const child of children) {
      ordered.push(child);
      visit(child.spanId);
    }
  };
  visit(undefined);
  expect(ordered).toHaveLength(spans.length);
  return normalizeForSnapshot(
    ordered.map((span) => ({ ...span, attributes: plainAttributes(span.attributes) })),
    { volatileKeys: ["startTimeUnixNano", "endTimeUnixNano", "timeUnixNano"] },
  );
}

function spansOf(receiver: OtlpReceiver): OtlpSpan[] {
  return receiver.decoded.flatMap((request) =>
    request.request.resourceSpans.flatMap((resourceSpans) =>
      resourceSpans.scopeSpans.flatMap((scope) => scope.spans),
    ),
  );
}

describe("exportOtlp end to end", () => {
  let receiver: OtlpReceiver;
  beforeEach(async () => {
    receiver = await startOtlpReceiver();
  });
  afterEach(async () => {
    await receiver.close();
  });

  it("sends every run of the chain as one span, linked to its parent, in protobuf the official definitions decode", async () => {
    const errors: unknown[] = [];
    const handler = new ObservabilityCallbackHandler({
      exporters: [
        createOtlpExporter({
          url: receiver.tracesUrl,
          serviceName: "weather-app",
          semanticConventions: "openinference",
          headers: { authorization: "Bearer e2e-key-123" },
        }),
      ],
      userId: "user-7",
      onError: (error) => errors.push(error),
    });
    const output = await weatherChain().invoke(
      { question: "Weather in Paris?" },
      { callbacks: [handler], metadata: { session_id: "session-3" } },
    );
    expect(output.content).toBe("Paris: 21°C, sunny");
    const flushed = await handler.flush();
    expect(flushed.ok).toBe(true);
    expect(errors).toEqual([]);

    for (const request of receiver.decoded) {
      expect(decodeWithOfficialProto(request.rawBody)).toEqual(request.request);
    }
    const spans = spansOf(receiver);
    const ids = new Set(spans.map((span) => span.spanId));
    const roots = spans.filter((span) => span.parentSpanId === undefined);
    expect(roots.map((span) => span.name)).toEqual(["WeatherChain"]);
    for (const span of spans) {
      expect(span.traceId).toBe(roots[0]!.traceId);
      if (span.parentSpanId) expect(ids.has(span.parentSpanId)).toBe(true);
    }
    expect(readable(spans)).toMatchInlineSnapshot(`
      [
        {
          "attributes": {
            "input.mime_type": "application/json",
            "input.value": "{"question":"Weather in Paris?"}",
            "openinference.span.kind": "CHAIN",
            "output.mime_type": "application/json",
            "output.value": "{"role":"tool","content":"Paris: 21°C, sunny","name":"weather","toolCallId":"call_1"}",
            "session.id": "session-3",
            "user.id": "user-7",
          },
          "endTimeUnixNano": "<endTimeUnixNano>",
          "events": [],
          "flags": 257,
          "kind": 1,
          "name": "WeatherChain",
          "spanId": "<hex16-1>",
          "startTimeUnixNano": "<startTimeUnixNano>",
          "status": {
            "code": 1,
          },
          "traceId": "<hex32-1>",
        },
        {
          "attributes": {
            "input.mime_type": "application/json",
            "input.value": "{"question":"Weather in Paris?"}",
            "openinference.span.kind": "CHAIN",
            "output.mime_type": "application/json",
            "output.value": "{"messages":[{"role":"system","content":"Answer with the weather tool."},{"role":"user","content":"Weather in Paris?"}]}",
            "session.id": "session-3",
            "user.id": "user-7",
          },
          "endTimeUnixNano": "<endTimeUnixNano>",
          "events": [],
          "flags": 257,
          "kind": 1,
          "name": "ChatPromptTemplate",
          "parentSpanId": "<hex16-1>",
          "spanId": "<hex16-2>",
          "startTimeUnixNano": "<startTimeUnixNano>",
          "status": {
            "code": 1,
          },
          "traceId": "<hex32-1>",
        },
        {
          "attributes": {
            "input.mime_type": "application/json",
            "input.value": "[{"role":"system","content":"Answer with the weather tool."},{"role":"user","content":"Weather in Paris?"}]",
            "llm.input_messages.0.message.content": "Answer with the weather tool.",
            "llm.input_messages.0.message.role": "system",
            "llm.input_messages.1.message.content": "Weather in Paris?",
            "llm.input_messages.1.message.role": "user",
            "llm.invocation_parameters": "{"model":"gpt-4o-mini","temperature":0.2}",
            "llm.model_name": "gpt-4o-mini",
            "llm.output_messages.0.message.role": "assistant",
            "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": "{"city":"Paris"}",
            "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "weather",
            "llm.output_messages.0.message.tool_calls.0.tool_call.id": "call_1",
            "llm.provider": "openai",
            "llm.system": "openai",
            "llm.token_count.completion": 7n,
            "llm.token_count.prompt": 18n,
            "llm.token_count.total": 25n,
            "openinference.span.kind": "LLM",
            "output.mime_type": "application/json",
            "output.value": "[{"id":"call_1","name":"weather","args":{"city":"Paris"}}]",
            "session.id": "session-3",
            "user.id": "user-7",
          },
          "endTimeUnixNano": "<endTimeUnixNano>",
          "events": [],
          "flags": 257,
          "kind": 1,
          "name": "FakeDetailedChatModel",
          "parentSpanId": "<hex16-1>",
          "spanId": "<hex16-3>",
          "startTimeUnixNano": "<startTimeUnixNano>",
          "status": {
            "code": 1,
          },
          "traceId": "<hex32-1>",
        },
        {
          "attributes": {
            "input.mime_type": "application/json",
            "input.value": "{"role":"assistant","content":"","toolCalls":[{"id":"call_1","name":"weather","args":{"city":"Paris"}}]}",
            "openinference.span.kind": "CHAIN",
            "output.mime_type": "application/json",
            "output.value": "{"role":"tool","content":"Paris: 21°C, sunny","name":"weather","toolCallId":"call_1"}",
            "session.id": "session-3",
            "user.id": "user-7",
          },
          "endTimeUnixNano": "<endTimeUnixNano>",
          "events": [],
          "flags": 257,
          "kind": 1,
          "name": "RunWeatherTool",
          "parentSpanId": "<hex16-1>",
          "spanId": "<hex16-4>",
          "startTimeUnixNano": "<startTimeUnixNano>",
          "status": {
            "code": 1,
          },
          "traceId": "<hex32-1>",
        },
        {
          "attributes": {
            "input.mime_type": "application/json",
            "input.value": "{"city":"Paris"}",
            "openinference.span.kind": "TOOL",
            "output.mime_type": "application/json",
            "output.value": "{"role":"tool","content":"Paris: 21°C, sunny","name":"weather","toolCallId":"call_1"}",
            "session.id": "session-3",
            "tool.name": "weather",
            "user.id": "user-7",
          },
          "endTimeUnixNano": "<endTimeUnixNano>",
          "events": [],
          "flags": 257,
          "kind": 1,
          "name": "weather",
          "parentSpanId": "<hex16-4>",
          "spanId": "<hex16-5>",
          "startTimeUnixNano": "<startTimeUnixNano>",
          "status": {
            "code": 1,
          },
          "traceId": "<hex32-1>",
        },
      ]
    `);
  });

  it("sends the same spans as OTLP/JSON, in the official JSON mapping (hex ids, nanosecond strings, typed values)", async () => {
    const handler = new ObservabilityCallbackHandler({
      exporters: [
        createOtlpExporter({ url: receiver.tracesUrl, encoding: "json", semanticConventions: "gen-ai" }),
      ],
    });
    await weatherChain().invoke({ question: "Weather in Paris?" }, { callbacks: [handler] });
    await handler.flush();
    const [first] = receiver.decoded;
    expect(first!.contentType).toBe("application/json");
    const raw = JSON.parse(new TextDecoder().decode(first!.rawBody));
    const span = raw.resourceSpans[0].scopeSpans[0].spans[0];
    expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(span.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(span.startTimeUnixNano).toMatch(/^\d{19}$/);
    const model = spansOf(receiver).find((candidate) => candidate.kind === 3)!;
    expect(model.name).toBe("chat gpt-4o-mini");
    expect(plainAttributes(model.attributes)).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "openai",
      "gen_ai.request.model": "gpt-4o-mini",
      "gen_ai.usage.input_tokens": 18n,
      "gen_ai.usage.output_tokens": 7n,
    });
    expect(
      spansOf(receiver)
        .map((candidate) => candidate.name)
        .sort(),
    ).toEqual(
      [
        "ChatPromptTemplate",
        "RunWeatherTool",
        "WeatherChain",
        "chat gpt-4o-mini",
        "execute_tool weather",
      ].sort(),
    );
  });
});
