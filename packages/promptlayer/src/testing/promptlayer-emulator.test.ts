import type { LLMRunRecord } from "@langchain-observability/core";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { mapSpanToPromptLayer } from "../map-span-to-promptlayer";
import type { PromptLayerSpan } from "../promptlayer-api";
import { type PromptLayerEmulator, type PromptLayerEmulatorOptions, startPromptLayerEmulator } from "./index";

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

async function post(
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const response = await fetch(`${emulator.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

function trackBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    function_name: "langchain.llms.openai.OpenAI",
    provider_type: "langchain",
    args: ["hi"],
    kwargs: {},
    tags: ["a"],
    request_response: { text: "hello", llm_output: null },
    request_start_time: 1_717_000_000.25,
    request_end_time: 1_717_000_001.75,
    metadata: { _langchain_run_id: "run-1" },
    api_key: API_KEY,
    ...overrides,
  };
}

describe("startPromptLayerEmulator", () => {
  test("/track-request: answers a request id and keeps the body", async () => {
    expect(await post("/track-request", trackBody())).toMatchObject({
      status: 200,
      body: { success: true, request_id: 1, prompt_blueprint: null, message: "Request tracked successfully" },
    });
    expect(await post("/track-request", trackBody())).toMatchObject({ body: { request_id: 2 } });
    expect(emulator.trackRequests.map((tracked) => tracked.requestId)).toEqual([1, 2]);
    expect(emulator.trackRequests[0]!.body).toEqual(trackBody());
  });

  test.each([
    { name: "no key", body: trackBody({ api_key: undefined }) },
    { name: "a wrong key", body: trackBody({ api_key: "pl_wrong" }) },
  ])("/track-request with $name → 401", async ({ body }) => {
    expect(await post("/track-request", body)).toEqual(
      expect.objectContaining({ status: 401, body: { success: false, message: "Invalid API key" } }),
    );
    expect(emulator.trackRequests).toHaveLength(0);
    expect(emulator.received).toHaveLength(0);
    expect(emulator.requests.map((request) => request.status)).toEqual([401]);
  });

  test.each([
    { change: { function_name: 3 }, message: "function_name must be a non-empty string" },
    { change: { args: "hi" }, message: "args must be an array" },
    { change: { request_response: "hello" }, message: "request_response must be an object or an array" },
    {
      change: { request_start_time: "soon" },
      message: "request_start_time must be a number (epoch seconds)",
    },
    { change: { tags: [1] }, message: "tags must be an array of strings" },
    { change: { metadata: { run: 1 } }, message: "metadata must be an object of string values" },
    { change: { status: "FAILED" }, message: 'status must be "SUCCESS", "WARNING" or "ERROR"' },
  ])("/track-request validates like the API: $message", async ({ change, message }) => {
    expect(await post("/track-request", trackBody(change))).toMatchObject({
      status: 400,
      body: { success: false, message },
    });
  });

  test("/track-request accepts every known variant (provider alias, string times, null tags and metadata)", async () => {
    const variant = trackBody({
      provider_type: undefined,
      provider: "langchain",
      request_start_time: "1717000000",
      request_end_time: "1717000001",
      tags: null,
      metadata: null,
    });
    expect(await post("/track-request", variant)).toMatchObject({ status: 200 });
  });

  test("request ids can be answered as strings", async () => {
    await restart({ requestIdFormat: "string", firstRequestId: 7 });
    expect(await post("/track-request", trackBody())).toMatchObject({ body: { request_id: "7" } });
  });

  test("/library-track-score: 0..100 only, for a tracked request", async () => {
    await post("/track-request", trackBody());
    expect(await post("/library-track-score", { request_id: 1, score: 100, api_key: API_KEY })).toMatchObject(
      {
        status: 200,
        body: { success: true },
      },
    );
    expect(await post("/library-track-score", { request_id: "1", score: 0, api_key: API_KEY })).toMatchObject(
      {
        status: 200,
      },
    );
    for (const score of [-1, 101, "50"]) {
      expect(await post("/library-track-score", { request_id: 1, score, api_key: API_KEY })).toMatchObject({
        status: 400,
        body: { message: "score must be a number between 0 and 100" },
      });
    }
    expect(await post("/library-track-score", { request_id: 9, score: 5, api_key: API_KEY })).toMatchObject({
      status: 400,
    });
    expect(await post("/library-track-score", { request_id: 1, score: 5 })).toMatchObject({ status: 401 });
    expect(emulator.scores).toHaveLength(2);
  });

  test("/library-track-metadata refuses non-string values; /library-track-prompt needs a name and variables", async () => {
    await post("/track-request", trackBody());
    expect(
      await post("/library-track-metadata", { request_id: 1, metadata: { n: 1 }, api_key: API_KEY }),
    ).toMatchObject({ status: 400, body: { message: "metadata must be an object of string values" } });
    expect(
      await post("/library-track-metadata", { request_id: 1, metadata: { n: "1" }, api_key: API_KEY }),
    ).toMatchObject({ status: 200 });
    expect(
      await post("/library-track-prompt", { request_id: 1, prompt_name: "p", api_key: API_KEY }),
    ).toMatchObject({ status: 400, body: { message: "prompt_input_variables must be an object" } });
    expect(
      await post("/library-track-prompt", {
        request_id: 1,
        prompt_name: "p",
        prompt_input_variables: {},
        version: null,
        label: null,
        api_key: API_KEY,
      }),
    ).toMatchObject({ status: 200 });
  });

  test("/create-group and /track-group", async () => {
    await post("/track-request", trackBody());
    expect(await post("/create-group", { api_key: API_KEY })).toMatchObject({
      body: { success: true, id: 1 },
    });
    expect(await post("/track-group", { request_id: 1, group_id: 2, api_key: API_KEY })).toMatchObject({
      status: 400,
    });
    expect(await post("/track-group", { request_id: 1, group_id: 1, api_key: API_KEY })).toMatchObject({
      status: 200,
    });
  });

  test("/prompt-templates/{name}: seeded templates by version and label, 404 otherwise, key in header or body", async () => {
    emulator.seedTemplate({ promptName: "a b", promptTemplate: { type: "completion", content: "v1" } });
    emulator.seedTemplate({
      promptName: "a b",
      labels: ["prod"],
      promptTemplate: { type: "completion", content: "v2" },
    });
    const path = `/prompt-templates/${encodeURIComponent("a b")}`;
    expect(await post(path, {}, { "x-api-key": API_KEY })).toMatchObject({
      status: 200,
      body: { id: 1, prompt_name: "a b", version: 2, prompt_template: { content: "v2" } },
    });
    expect(await post(path, { version: 1, api_key: API_KEY })).toMatchObject({
      body: { version: 1, prompt_template: { content: "v1" } },
    });
    expect(await post(path, { label: "prod" }, { "x-api-key": API_KEY })).toMatchObject({
      body: { version: 2 },
    });
    expect(await post(path, { version: 3 }, { "x-api-key": API_KEY })).toMatchObject({ status: 404 });
    expect(await post("/prompt-templates/unknown", {}, { "x-api-key": API_KEY })).toMatchObject({
      status: 404,
      body: { success: false, message: "Prompt template not found." },
    });
    expect(await post(path, {})).toMatchObject({ status: 401 });
  });

  test("faults of the testing dialect by route: a 429 with Retry-After for the next n, then normal answers", async () => {
    emulator.failNext({
      route: emulator.routes.trackRequest,
      status: 429,
      headers: { "retry-after": "3" },
      times: 2,
    });
    const first = await post("/track-request", trackBody());
    expect(first.status).toBe(429);
    expect(first.headers.get("retry-after")).toBe("3");
    expect(await post("/create-group", { api_key: API_KEY })).toMatchObject({ status: 200 });
    expect((await post("/track-request", trackBody())).status).toBe(429);
    expect((await post("/track-request", trackBody())).status).toBe(200);
    expect(emulator.requests.map((request) => request.status)).toEqual([429, 200, 429, 200]);
    expect(emulator.received.map((stored) => stored.kind)).toEqual(["group", "track-request"]);
  });

  test("a reset after store: the request is logged (in received) though the client got no answer", async () => {
    emulator.failNext({ route: emulator.routes.trackRequest, reset: "after-store" });
    await expect(post("/track-request", trackBody())).rejects.toThrow();
    expect(emulator.trackRequests).toHaveLength(1);
    expect(emulator.received).toMatchObject([{ kind: "track-request", requestId: 1 }]);
  });

  test("maxRequestBytes: a larger body is answered 413 and not logged; injected faults still come first", async () => {
    await restart({ maxRequestBytes: 2_000 });
    const large = trackBody({ args: ["é".repeat(900)] }); // under 2,000 characters, over 2,000 bytes
    expect(JSON.stringify(large).length).toBeLessThan(2_000);
    expect(await post("/track-request", large)).toMatchObject({ status: 413 });
    emulator.failNext({ status: 503 });
    expect((await post("/track-request", large)).status).toBe(503);
    expect((await post("/track-request", trackBody())).status).toBe(200);
    expect(emulator.requests.map((request) => request.status)).toEqual([413, 503, 200]);
    expect(emulator.trackRequests).toHaveLength(1);
  });

  test("a body that is not JSON → 400; reset() forgets everything but the templates", async () => {
    emulator.seedTemplate({ promptName: "kept", promptTemplate: { type: "completion", content: "x" } });
    expect(await post("/track-request", "{not json")).toMatchObject({ status: 400 });
    await post("/track-request", trackBody());
    emulator.failNext({ status: 500 });
    emulator.reset();
    expect(emulator.received).toHaveLength(0);
    expect(emulator.trackRequests).toHaveLength(0);
    expect(await post("/track-request", trackBody())).toMatchObject({ status: 200, body: { request_id: 1 } });
    expect(await post("/prompt-templates/kept", {}, { "x-api-key": API_KEY })).toMatchObject({ status: 200 });
  });
});

const SPAN_ROOT = "0190f5c2-7a1b-7c3d-8e4f-a1b2c3d4e5f6";

/** Spans as the package's mapper builds them: a chain and its chat model call with a log_request. */
function mappedSpans(runSuffix = "a1"): PromptLayerSpan[] {
  const modelRunId = `0190f5c2-7a1b-7c3d-8e4f-0000000000${runSuffix}`;
  const llmRecord: LLMRunRecord = {
    schemaVersion: 1,
    recordId: modelRunId,
    runId: modelRunId,
    parentRunId: SPAN_ROOT,
    traceId: SPAN_ROOT,
    kind: "chat",
    name: "ChatOpenAI",
    serializedId: ["langchain", "chat_models", "openai", "ChatOpenAI"],
    model: { provider: "openai", name: "gpt-4o-mini", params: { temperature: 0 } },
    input: { prompt: "Hi", messages: [{ role: "user", content: "Hi" }] },
    output: { text: "Hello!", message: { role: "assistant", content: "Hello!" } },
    usage: { source: "provider", inputTokens: 3, outputTokens: 2 },
    timing: { startTime: 1_717_000_000_123, endTime: 1_717_000_001_456, latencyMs: 1333 },
    status: "success",
    cached: false,
    tags: [],
    metadata: {},
  };
  const base = {
    schemaVersion: 1 as const,
    recordType: "span" as const,
    traceId: SPAN_ROOT,
    events: [],
    timing: { startTime: 1_717_000_000_100, endTime: 1_717_000_001_500, latencyMs: 1400 },
    status: "success" as const,
    tags: [],
    metadata: {},
  };
  return [
    ...mapSpanToPromptLayer({ ...base, recordId: SPAN_ROOT, runId: SPAN_ROOT, kind: "chain", name: "chain" }),
    ...mapSpanToPromptLayer({
      ...base,
      recordId: modelRunId,
      runId: modelRunId,
      parentRunId: SPAN_ROOT,
      kind: "chat",
      name: "ChatOpenAI",
      llmRecordIds: [modelRunId],
      llmRecords: [llmRecord],
    }),
  ];
}

describe("createPromptLayerEmulator /spans-bulk", () => {
  const auth = { "x-api-key": API_KEY };

  test("201 with spans and request_logs carrying id and span_id; stores one span per id", async () => {
    const spans = mappedSpans();
    const answer = await post("/spans-bulk", { spans, close_after: false }, auth);
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({
      success: true,
      spans: [
        { id: 1, name: "chain", span_id: spans[0]?.context.span_id },
        { id: 2, name: "ChatOpenAI", span_id: spans[1]?.context.span_id },
      ],
      request_logs: [{ id: 1, span_id: spans[1]?.context.span_id }],
    });
    expect(emulator.spans.map((stored) => [stored.spanId, stored.writes])).toEqual([
      [spans[0]?.context.span_id, 1],
      [spans[1]?.context.span_id, 1],
    ]);
    expect(emulator.requestLogs).toMatchObject([{ id: 1, spanId: spans[1]?.context.span_id, writes: 1 }]);
    expect(
      emulator.received.map((stored) => stored.kind === "span" && [stored.spanId, stored.requestLogId]),
    ).toEqual([
      [spans[0]?.context.span_id, undefined],
      [spans[1]?.context.span_id, 1],
    ]);
  });

  test("the key goes in the X-API-KEY header; in the body it is refused (401)", async () => {
    expect(await post("/spans-bulk", { spans: mappedSpans() })).toMatchObject({ status: 401 });
    expect(await post("/spans-bulk", { spans: mappedSpans(), api_key: API_KEY })).toMatchObject({
      status: 401,
    });
    expect(await post("/spans-bulk", { spans: mappedSpans() }, { "x-api-key": "wrong" })).toMatchObject({
      status: 401,
    });
    expect(emulator.spans).toHaveLength(0);
  });

  test("a resend upserts: the same span ids, the same request log id, no new rows", async () => {
    const spans = mappedSpans();
    await post("/spans-bulk", { spans }, auth);
    const again = await post("/spans-bulk", { spans }, auth);
    expect(again).toMatchObject({ status: 201, body: { request_logs: [{ id: 1 }] } });
    expect(emulator.spans.map((stored) => stored.writes)).toEqual([2, 2]);
    expect(emulator.requestLogs.map((log) => [log.id, log.writes])).toEqual([[1, 2]]);
  });

  test("duplicate span ids within one batch: the first wins", async () => {
    const [chain] = mappedSpans();
    const renamed = { ...chain, name: "second" };
    await post("/spans-bulk", { spans: [chain, renamed] }, auth);
    expect(emulator.spans.map((stored) => stored.span.name)).toEqual(["chain"]);
  });

  test.each([
    [
      "a 15-hex span id",
      (span: PromptLayerSpan) => ({ ...span, context: { ...span.context, span_id: "abc" } }),
      ["body", "spans", 1, "context", "span_id"],
    ],
    [
      "a 16-hex trace id",
      (span: PromptLayerSpan) => ({ ...span, context: { ...span.context, trace_id: "0123456789abcdef" } }),
      ["body", "spans", 1, "context", "trace_id"],
    ],
    [
      "an unknown kind",
      (span: PromptLayerSpan) => ({ ...span, kind: "CLIENT" }),
      ["body", "spans", 1, "kind"],
    ],
    [
      "a time in milliseconds as a float",
      (span: PromptLayerSpan) => ({ ...span, start_time: 1_717_000_000.5 }),
      ["body", "spans", 1, "start_time"],
    ],
    [
      "no resource",
      (span: PromptLayerSpan) => ({ ...span, resource: undefined }),
      ["body", "spans", 1, "resource"],
    ],
    [
      "a log_request without a model",
      (span: PromptLayerSpan) => ({ ...span, log_request: { ...span.log_request, model: undefined } }),
      ["body", "spans", 1, "log_request", "model"],
    ],
    [
      "epoch seconds as request_start_time",
      (span: PromptLayerSpan) => ({
        ...span,
        log_request: { ...span.log_request, request_start_time: 1_717_000_000 },
      }),
      ["body", "spans", 1, "log_request", "request_start_time"],
    ],
    [
      "non-string metadata",
      (span: PromptLayerSpan) => ({ ...span, log_request: { ...span.log_request, metadata: { n: 1 } } }),
      ["body", "spans", 1, "log_request", "metadata"],
    ],
    [
      "a string as message content",
      (span: PromptLayerSpan) => ({
        ...span,
        log_request: {
          ...span.log_request,
          input: { type: "chat", messages: [{ role: "user", content: "Hi" }] },
        },
      }),
      ["body", "spans", 1, "log_request", "input", "messages", 0, "content"],
    ],
    [
      "a tool message without tool_call_id",
      (span: PromptLayerSpan) => ({
        ...span,
        log_request: {
          ...span.log_request,
          input: { type: "chat", messages: [{ role: "tool", content: [] }] },
        },
      }),
      ["body", "spans", 1, "log_request", "input", "messages", 0, "tool_call_id"],
    ],
    [
      "an unknown error_type",
      (span: PromptLayerSpan) => ({ ...span, log_request: { ...span.log_request, error_type: "Error" } }),
      ["body", "spans", 1, "log_request", "error_type"],
    ],
  ])("422 for %s, and the whole batch is rolled back", async (_name, corrupt, loc) => {
    const [chain, model] = mappedSpans();
    const answer = await post("/spans-bulk", { spans: [chain, corrupt(model as PromptLayerSpan)] }, auth);
    expect(answer.status).toBe(422);
    expect((answer.body as { detail: Array<{ loc: unknown }> }).detail[0]?.loc).toEqual(loc);
    expect(emulator.spans).toHaveLength(0);
    expect(emulator.requestLogs).toHaveLength(0);
  });

  test("start and end times as decimal strings (as PromptLayer's JS SDK sent them) are accepted", async () => {
    const [chain] = mappedSpans();
    const answer = await post(
      "/spans-bulk",
      { spans: [{ ...chain, start_time: "1717000000100000000", end_time: "1717000001500000000" }] },
      auth,
    );
    expect(answer.status).toBe(201);
  });

  test("rejectSpan: a refused span fails its whole batch with 400 and the vendor's message", async () => {
    await restart({
      rejectSpan: (span) => (span.name === "ChatOpenAI" ? "this span is refused" : undefined),
    });
    const answer = await post("/spans-bulk", { spans: mappedSpans() }, auth);
    expect(answer).toEqual(
      expect.objectContaining({
        status: 400,
        body: { loc: ["body", "spans", 1], msg: "this span is refused", type: "value_error" },
      }),
    );
    expect(emulator.spans).toHaveLength(0);
    expect(emulator.received).toHaveLength(0);
  });

  test("a reset after store: the spans are stored; the resend upserts them", async () => {
    const spans = mappedSpans();
    emulator.failNext({ route: emulator.routes.spansBulk, reset: "after-store" });
    await expect(post("/spans-bulk", { spans }, auth)).rejects.toThrow();
    expect(await post("/spans-bulk", { spans }, auth)).toMatchObject({
      status: 201,
      body: { request_logs: [{ id: 1 }] },
    });
    expect(emulator.spans.map((stored) => stored.writes)).toEqual([2, 2]);
    expect(emulator.requestLogs.map((log) => [log.id, log.writes])).toEqual([[1, 2]]);
    expect(emulator.received).toHaveLength(4);
  });

  test("a closed trace: its spans are answered in rejected_span_ids (still 201) and not stored", async () => {
    const spans = mappedSpans();
    await post("/spans-bulk", { spans: spans.slice(0, 1), close_after: true }, auth);
    const answer = await post("/spans-bulk", { spans: spans.slice(1) }, auth);
    expect(answer).toMatchObject({
      status: 201,
      body: {
        spans: [],
        request_logs: [],
        rejected_span_ids: [spans[1]?.context.span_id],
        rejected_trace_ids: [spans[1]?.context.trace_id],
        rejection_reason: "trace_closed",
      },
    });
    expect(emulator.spans).toHaveLength(1);
  });

  test("request log ids are shared with /track-request, so the tracking endpoints accept both", async () => {
    await post("/track-request", trackBody());
    await post("/spans-bulk", { spans: mappedSpans() }, auth);
    expect(emulator.requestLogs[0]?.id).toBe(2);
    expect(await post("/library-track-score", { request_id: 2, score: 90, api_key: API_KEY })).toMatchObject({
      status: 200,
    });
  });

  test("reset() forgets spans, request logs and closed traces", async () => {
    await post("/spans-bulk", { spans: mappedSpans(), close_after: true }, auth);
    emulator.reset();
    expect(emulator.spans).toHaveLength(0);
    expect(emulator.requestLogs).toHaveLength(0);
    expect(await post("/spans-bulk", { spans: mappedSpans() }, auth)).toMatchObject({
      status: 201,
      body: { request_logs: [{ id: 1 }] },
    });
  });
});
