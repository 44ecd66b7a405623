// Test support: hand-built run span records of one small agent-like trace (chain → chat model → tool).
import type { LLMRunRecord } from "../capture/llm-run-record";
import type { RunSpanRecord } from "../capture/run-span-record";
import type { OtlpAnyValue, OtlpKeyValue } from "./otlp-types";

export const TRACE_ID = "1f0c4a2e-5b6d-4c7e-8f90-a1b2c3d4e5f6";
export const CHAT_RUN_ID = "2a1b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
export const TOOL_RUN_ID = "3b2c4d5e-6f70-4b8c-9dae-1f2a3b4c5d6e";
const START = Date.UTC(2026, 0, 1, 12, 0, 0);

export function chatLlmRecord(overrides: Partial<LLMRunRecord> = {}): LLMRunRecord {
  return {
    schemaVersion: 1,
    recordId: `${CHAT_RUN_ID}:0`,
    runId: CHAT_RUN_ID,
    parentRunId: TRACE_ID,
    traceId: TRACE_ID,
    kind: "chat",
    name: "ChatOpenAI",
    serializedId: ["langchain", "chat_models", "openai", "ChatOpenAI"],
    model: {
      provider: "openai",
      name: "gpt-4o-mini",
      responseName: "gpt-4o-mini-2024-07-18",
      params: {
        temperature: 0.2,
        max_tokens: 256,
        stop: ["END"],
        tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object" } } }],
      },
    },
    input: {
      prompt: "system: Be brief.\nhuman: Weather in Paris?",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Weather in Paris?" },
      ],
    },
    output: {
      text: "",
      finishReason: "tool_calls",
      message: {
        role: "assistant",
        content: "",
        toolCalls: [{ id: "call_1", name: "get_weather", args: { city: "Paris" } }],
      },
    },
    usage: { inputTokens: 21, outputTokens: 9, totalTokens: 30, cacheReadTokens: 4, source: "provider" },
    timing: { startTime: START + 10, endTime: START + 410.5, latencyMs: 400.5, timeToFirstTokenMs: 120 },
    status: "success",
    cached: false,
    tags: ["weather"],
    metadata: { ls_provider: "openai" },
    userId: "user-7",
    sessionId: "session-3",
    ...overrides,
  };
}

export function rootChainSpan(overrides: Partial<RunSpanRecord> = {}): RunSpanRecord {
  return {
    schemaVersion: 1,
    recordType: "span",
    recordId: TRACE_ID,
    runId: TRACE_ID,
    traceId: TRACE_ID,
    kind: "chain",
    name: "WeatherAgent",
    input: { question: "Weather in Paris?" },
    output: "Sunny, 21 °C.",
    events: [],
    timing: { startTime: START, endTime: START + 900, latencyMs: 900 },
    status: "success",
    tags: ["weather"],
    metadata: { team: "travel" },
    userId: "user-7",
    sessionId: "session-3",
    ...overrides,
  };
}

export function chatSpan(overrides: Partial<RunSpanRecord> = {}): RunSpanRecord {
  const llm = chatLlmRecord();
  return {
    schemaVersion: 1,
    recordType: "span",
    recordId: CHAT_RUN_ID,
    runId: CHAT_RUN_ID,
    parentRunId: TRACE_ID,
    traceId: TRACE_ID,
    kind: "chat",
    name: "ChatOpenAI",
    events: [{ name: "first-token", time: START + 130 }],
    timing: { startTime: START + 10, endTime: START + 410.5, latencyMs: 400.5 },
    status: "success",
    tags: ["weather"],
    metadata: { ls_provider: "openai" },
    userId: "user-7",
    sessionId: "session-3",
    llmRecordIds: [llm.recordId],
    llmRecords: [llm],
    ...overrides,
  };
}

export function toolSpan(overrides: Partial<RunSpanRecord> = {}): RunSpanRecord {
  return {
    schemaVersion: 1,
    recordType: "span",
    recordId: TOOL_RUN_ID,
    runId: TOOL_RUN_ID,
    parentRunId: TRACE_ID,
    traceId: TRACE_ID,
    kind: "tool",
    name: "get_weather",
    toolName: "get_weather",
    input: '{"city":"Paris"}',
    output: "Sunny, 21 °C",
    events: [],
    timing: { startTime: START + 420, endTime: START + 480, latencyMs: 60 },
    status: "success",
    tags: [],
    metadata: {},
    ...overrides,
  };
}

/** Attributes as a plain object for snapshots: integers as bigint (`21n`), so their type shows. */
export function plainAttributes(attributes: OtlpKeyValue[]): Record<string, unknown> {
  return Object.fromEntries(attributes.map((attribute) => [attribute.key, plainValue(attribute.value)]));
}

function plainValue(value: OtlpAnyValue): unknown {
  if ("stringValue" in value) return value.stringValue;
  if ("boolValue" in value) return value.boolValue;
  if ("intValue" in value) return BigInt(value.intValue);
  if ("doubleValue" in value) return value.doubleValue;
  if ("arrayValue" in value) return value.arrayValue.values.map(plainValue);
  if ("kvlistValue" in value) return plainAttributes(value.kvlistValue.values);
  if ("bytesValue" in value) return `bytes:${value.bytesValue}`;
  return null;
}
