import {
  createHttpClient,
  type LLMRunRecord,
  type RunSpanRecord,
  VendorApiError,
  type VendorRecordFailure,
  type VendorSendContext,
  type VendorSendItem,
} from "@langchain-observability/core";
import { afterEach, describe, expect, test } from "vitest";
import { toPromptLayerSpanId } from "./map-span-to-promptlayer";
import type { PromptLayerSpan } from "./promptlayer-api";
import { loadPromptLayerExporterSettings, type PromptLayerExporterOptions } from "./promptlayer-settings";
import { createSpansBulkTransport } from "./promptlayer-spans-bulk-transport";
import {
  type PromptLayerEmulator,
  type PromptLayerEmulatorOptions,
  startPromptLayerEmulator,
} from "./testing/index";

const API_KEY = "pl_test_key";
const ROOT = "0190f5c2-7a1b-7c3d-8e4f-a1b2c3d4e5f6";

let server: PromptLayerEmulator | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setup(
  emulatorOptions: PromptLayerEmulatorOptions = {},
  options: PromptLayerExporterOptions = {},
) {
  const emulator = await startPromptLayerEmulator({ apiKeys: [API_KEY], ...emulatorOptions });
  server = emulator;
  const settings = loadPromptLayerExporterSettings({ apiKey: API_KEY, baseUrl: server.url, ...options });
  const http = createHttpClient({
    vendor: "PromptLayer",
    baseUrl: settings.baseUrl,
    maxRetries: options.maxRetries ?? 1,
    timeoutMs: 60_000,
    backoffLimitMs: 1,
    secrets: [API_KEY],
  });
  const transport = createSpansBulkTransport(settings, http);
  const reported: unknown[] = [];
  const callbacks: Array<{ name: string; result: Promise<unknown> }> = [];
  const context: VendorSendContext = {
    signal: new AbortController().signal,
    reportError: (error) => reported.push(error),
    onRetry: () => {},
    runUserCallback: (name, callback) => callbacks.push({ name, result: Promise.resolve().then(callback) }),
  };
  const send = async (records: RunSpanRecord[]): Promise<VendorRecordFailure[]> => {
    const items: Array<VendorSendItem<RunSpanRecord, PromptLayerSpan[]>> = records.map((record) => {
      const wire = transport.map(record);
      return { record, wire, json: JSON.stringify(wire) };
    });
    const failures = await transport.send(items, context);
    await Promise.all(callbacks.map((callback) => callback.result));
    return failures;
  };
  return { emulator, send, reported, callbacks };
}

function runId(index: number): string {
  return `0190f5c2-7a1b-7c3d-8e4f-${index.toString(16).padStart(12, "0")}`;
}

function llmRecord(id: string, prompt: string): LLMRunRecord {
  return {
    schemaVersion: 1,
    recordId: id,
    runId: id,
    parentRunId: ROOT,
    traceId: ROOT,
    kind: "chat",
    name: "ChatOpenAI",
    serializedId: ["langchain", "chat_models", "openai", "ChatOpenAI"],
    model: { provider: "openai", name: "gpt-4o-mini", params: {} },
    input: { prompt, messages: [{ role: "user", content: prompt }] },
    output: { text: "ok", message: { role: "assistant", content: "ok" } },
    usage: { source: "none" },
    timing: { startTime: 1_717_000_000_000, endTime: 1_717_000_000_500, latencyMs: 500 },
    status: "success",
    cached: false,
    tags: [],
    metadata: {},
  };
}

function modelSpan(index: number, prompt = `prompt ${index}`): RunSpanRecord {
  const id = runId(index);
  return {
    schemaVersion: 1,
    recordType: "span",
    recordId: id,
    runId: id,
    parentRunId: ROOT,
    traceId: ROOT,
    kind: "chat",
    name: "ChatOpenAI",
    events: [],
    timing: { startTime: 1_717_000_000_000, endTime: 1_717_000_000_500, latencyMs: 500 },
    status: "success",
    tags: [],
    metadata: {},
    llmRecordIds: [id],
    llmRecords: [llmRecord(id, prompt)],
  };
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

const spansBulkRequests = (emulator: PromptLayerEmulator) =>
  emulator.requests.filter((request) => request.path === "/spans-bulk");

describe("createSpansBulkTransport", () => {
  test("one request for the batch; each model call's request log id goes to its own plIdCallback, matched by span_id", async () => {
    const received: number[] = [];
    const records = Array.from({ length: 50 }, (_, index) => modelSpan(index + 1));
    const { emulator, send } = await setup(
      // PromptLayer does not document the order of request_logs: answer them shuffled.
      { answerSpansBulk: (answer) => ({ ...answer, request_logs: shuffle(answer.request_logs, 7) }) },
      { plIdCallback: (requestId) => received.push(requestId) },
    );
    expect(await send(records)).toEqual([]);
    expect(spansBulkRequests(emulator)).toHaveLength(1);
    // Callbacks run in the order of the records; the k-th got the id PromptLayer gave the k-th span.
    const expected = records.map(
      (record) => emulator.requestLogs.find((log) => log.spanId === toPromptLayerSpanId(record.runId))?.id,
    );
    expect(received).toEqual(expected);
    // The shuffle did move the ids, so matching by position would have given other ids.
    expect(received).not.toEqual(shuffle(expected, 7));
  });

  test("an answer without the id of a span: reported once, no callback for it, the record still delivered", async () => {
    const received: number[] = [];
    const records = [modelSpan(1), modelSpan(2), modelSpan(3)];
    const { emulator, send, reported } = await setup(
      {
        answerSpansBulk: (answer) => ({
          ...answer,
          request_logs: answer.request_logs.filter((log) => log.span_id !== toPromptLayerSpanId(runId(2))),
        }),
      },
      { plIdCallback: (requestId) => received.push(requestId) },
    );
    expect(await send(records)).toEqual([]);
    expect(emulator.requestLogs).toHaveLength(3);
    expect(received).toEqual([emulator.requestLogs[0]?.id, emulator.requestLogs[2]?.id]);
    expect(reported.map((error) => (error as Error).message)).toEqual([
      `PromptLayer: POST ${server?.url}/spans-bulk answered without a request log id for 1 of 3 model calls; plIdCallback was not called for them (they were delivered).`,
    ]);
  });

  test("a refused record in a batch of 20 is isolated by bisection: 19 delivered once, 1 failed with PromptLayer's message", async () => {
    const records = Array.from({ length: 20 }, (_, index) =>
      modelSpan(index + 1, index === 13 ? "poison" : "fine"),
    );
    const { emulator, send } = await setup({
      rejectSpan: (span) =>
        JSON.stringify(span.log_request ?? {}).includes("poison")
          ? "content policy: this prompt is refused"
          : undefined,
    });
    const failures = await send(records);
    expect(failures).toHaveLength(1);
    const [failure] = failures;
    expect(failure?.recordId).toBe(runId(14));
    expect(failure?.retryable).toBe(false);
    expect(VendorApiError.isInstance(failure?.error)).toBe(true);
    expect(failure?.error.message).toBe(
      `PromptLayer: the chat span of run ${runId(14)} was refused by PromptLayer (400): body.spans.0: content policy: this prompt is refused`,
    );
    expect(emulator.spans).toHaveLength(19);
    expect(emulator.spans.every((stored) => stored.writes === 1)).toBe(true);
    expect(emulator.requestLogs).toHaveLength(19);
    // The batch, then halves around the bad record (the 14th): 1–10 ok; 11–20 → 11–15 → 11–13 ok,
    // 14–15 → 14 refused, 15 ok; then 16–20 ok.
    expect(
      spansBulkRequests(emulator).map((request) => (request.body as { spans: unknown[] }).spans.length),
    ).toEqual([20, 10, 10, 5, 3, 2, 1, 1, 5]);
  });

  test("422 (schema) is bisected the same way", async () => {
    const records = [modelSpan(1), modelSpan(2), modelSpan(3), modelSpan(4)];
    const { emulator, send } = await setup({
      rejectSpan: () => undefined,
    });
    emulator.failNext({
      route: emulator.routes.spansBulk,
      status: 422,
      body: { detail: [{ loc: ["body", "spans", 0], msg: "bad span", type: "value_error" }] },
      times: 3,
    });
    // The whole batch, then its first half, then the first record alone are refused.
    const failures = await send(records);
    expect(failures.map((failure) => failure.recordId)).toEqual([runId(1)]);
    expect(failures[0]?.error.message).toContain("(422): body.spans.0: bad span");
    expect(emulator.spans.map((stored) => stored.spanId)).toEqual(
      [2, 3, 4].map((index) => toPromptLayerSpanId(runId(index))),
    );
  });

  test("a 413 splits the batch; a record too large alone fails as oversize, not retried", async () => {
    const records = Array.from({ length: 8 }, (_, index) =>
      modelSpan(index + 1, "x".repeat(index === 5 ? 30_000 : 2_000)),
    );
    const { emulator, send } = await setup({ maxRequestBytes: 25_000 });
    const failures = await send(records);
    expect(failures.map((failure) => [failure.recordId, failure.retryable])).toEqual([[runId(6), false]]);
    expect(failures[0]?.error.message).toContain("is too large for PromptLayer even alone (413)");
    expect(emulator.spans).toHaveLength(7);
  });

  test("maxRequestBytes: a batch is cut into requests that fit; a record larger than the cap alone is not sent", async () => {
    const records = Array.from({ length: 6 }, (_, index) =>
      modelSpan(index + 1, "y".repeat(index === 2 ? 5_000 : 1_000)),
    );
    const { emulator, send } = await setup({}, { maxRequestBytes: 4_000 });
    const failures = await send(records);
    expect(failures.map((failure) => [failure.recordId, failure.retryable])).toEqual([[runId(3), false]]);
    expect(failures[0]?.error.message).toMatch(
      /is \d+ bytes, more than maxRequestBytes \(4000\); it was not sent\.$/,
    );
    const requests = spansBulkRequests(emulator);
    expect(requests.length).toBeGreaterThan(1);
    for (const request of requests) expect(JSON.stringify(request.body).length).toBeLessThanOrEqual(4_000);
    expect(emulator.spans).toHaveLength(5);
  });

  test("a refused key (401): every record fails, not retryable, the message names apiKey and PROMPTLAYER_API_KEY", async () => {
    const { emulator, send } = await setup({ apiKeys: ["another key"] });
    const failures = await send([modelSpan(1), modelSpan(2)]);
    expect(failures.map((failure) => failure.retryable)).toEqual([false, false]);
    expect(failures[0]?.error.message).toBe(
      `PromptLayer: POST ${server?.url}/spans-bulk answered 401: {"success":false,"message":"Invalid API key"} — PromptLayer refused the API key: check \`apiKey\` (env PROMPTLAYER_API_KEY).`,
    );
    expect(spansBulkRequests(emulator)).toHaveLength(1);
  });

  test("5xx after the client's retries: every record fails retryable (a later batch upserts them)", async () => {
    const { emulator, send } = await setup({}, { maxRetries: 1 });
    emulator.failNext({ route: emulator.routes.spansBulk, status: 500, times: 2 });
    const failures = await send([modelSpan(1), modelSpan(2)]);
    expect(failures.map((failure) => [failure.recordId, failure.retryable])).toEqual([
      [runId(1), true],
      [runId(2), true],
    ]);
    expect(spansBulkRequests(emulator)).toHaveLength(2);
    expect(await send([modelSpan(1), modelSpan(2)])).toEqual([]);
    expect(emulator.spans.map((stored) => stored.writes)).toEqual([1, 1]);
  });

  test("a 2xx answer that is not JSON: retryable (the spans may be stored; a resend only upserts them)", async () => {
    const { emulator, send } = await setup({}, { maxRetries: 0 });
    emulator.failNext({ route: emulator.routes.spansBulk, malformed: true });
    const failures = await send([modelSpan(1)]);
    expect(failures.map((failure) => failure.retryable)).toEqual([true]);
    expect(failures[0]?.error.message).toContain("answered 201 with a body that is not a JSON object");
  });

  test("spans of a closed trace are answered in rejected_span_ids: those records fail, not retried", async () => {
    const { emulator, send } = await setup();
    emulator.closeTrace(ROOT.replace(/-/g, ""));
    const failures = await send([modelSpan(1)]);
    expect(failures.map((failure) => [failure.recordId, failure.retryable])).toEqual([[runId(1), false]]);
    expect(failures[0]?.error.message).toContain("trace_closed (its trace is closed)");
  });

  test("the key travels in the X-API-KEY header only, never in the body", async () => {
    const { emulator, send } = await setup();
    await send([modelSpan(1)]);
    const [request] = spansBulkRequests(emulator);
    expect(request?.headers["x-api-key"]).toBe(API_KEY);
    expect(JSON.stringify(request?.body)).not.toContain(API_KEY);
  });
});
