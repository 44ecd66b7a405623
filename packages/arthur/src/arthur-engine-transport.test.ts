import type { ExportResult, RunSpanRecord } from "@langchain-observability/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { resolveArthurEngineConnection } from "./arthur-client";
import { readConnectionInfo } from "./arthur-engine-transport";
import { type ArthurEngineExporter, createArthurEngineExporter } from "./arthur-exporter";
import { type ArthurTestServer, clearArthurEnv, startArthur } from "./arthur-test-helpers";
import {
  ARTHUR_EMULATOR_ENGINE_KEY,
  ARTHUR_EMULATOR_PLATFORM_TOKEN,
  ARTHUR_EMULATOR_TASK_ID,
  ARTHUR_ROUTES,
  type ArthurEmulatorOptions,
} from "./testing/index";

let arthur: ArthurTestServer;
let errors: unknown[];

beforeEach(() => {
  clearArthurEnv();
  errors = [];
});

afterEach(async () => {
  await arthur?.server.close();
});

const TRACE = "0b6a3f4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b";

/** A span record as core's capture builds it (the fields the OTLP mapping reads). */
function span(runId: string, overrides: Partial<RunSpanRecord> = {}): RunSpanRecord {
  return {
    schemaVersion: 1,
    recordType: "span",
    recordId: runId,
    runId,
    traceId: TRACE,
    kind: "chain",
    name: `chain ${runId.slice(0, 4)}`,
    input: { question: "hi" },
    output: { answer: "hello" },
    events: [],
    timing: { startTime: 1_700_000_000_000, endTime: 1_700_000_000_250, latencyMs: 250 },
    status: "success",
    tags: [],
    metadata: {},
    ...overrides,
  };
}

const RUN_IDS = [
  "11111111-1111-4111-8111-111111111111",
  "22222222-2222-4222-8222-222222222222",
  "33333333-3333-4333-8333-333333333333",
];

async function startEngine(options: ArthurEmulatorOptions = {}): Promise<ArthurEngineExporter> {
  arthur = await startArthur(options);
  const exporter = createArthurEngineExporter({
    engineUrl: arthur.url,
    taskId: ARTHUR_EMULATOR_TASK_ID,
    apiKey: ARTHUR_EMULATOR_ENGINE_KEY,
    maxRetries: 1,
  });
  exporter.bind?.({ onRetry: () => {}, onError: (error) => errors.push(error) });
  return exporter;
}

function exportSpans(exporter: ArthurEngineExporter, records: RunSpanRecord[]): Promise<ExportResult> {
  return exporter.export(records, new AbortController().signal);
}

describe("the engine transport", () => {
  it("posts OTLP protobuf with the Bearer key and arthur.task; 200 delivers every span", async () => {
    const exporter = await startEngine();
    const result = await exportSpans(exporter, [
      span(RUN_IDS[0]!),
      span(RUN_IDS[1]!, { parentRunId: RUN_IDS[0]! }),
    ]);
    expect(result).toEqual({});
    expect(arthur.emulator.calls).toMatchObject([
      { method: "POST", path: "/api/v1/traces", endpoint: "traces", auth: "engine-key", status: 200 },
    ]);
    const request = arthur.emulator.requests[0]!;
    expect(request.headers["content-type"]).toBe("application/x-protobuf");
    expect(request.headers.authorization).toBe(`Bearer ${ARTHUR_EMULATOR_ENGINE_KEY}`);
    expect(
      arthur.emulator.spans.map((item) => [item.taskId, item.resource["service.name"], item.span.name]),
    ).toEqual([
      [ARTHUR_EMULATOR_TASK_ID, ARTHUR_EMULATOR_TASK_ID, "chain 1111"],
      [ARTHUR_EMULATOR_TASK_ID, ARTHUR_EMULATOR_TASK_ID, "chain 2222"],
    ]);
    const [root, child] = arthur.emulator.spans.map((item) => item.span);
    expect(child?.parentSpanId).toBe(root?.spanId);
    expect(root?.traceId).toBe(TRACE.replaceAll("-", ""));
    expect(root?.attributeValues["openinference.span.kind"]).toBe("CHAIN");
    expect(Object.keys(root?.attributeValues ?? {}).some((key) => key.startsWith("gen_ai."))).toBe(false);
  });

  it("206: the span the engine rejects fails alone (matched by span id), the others count as delivered", async () => {
    const exporter = await startEngine({
      engine: {
        rejectSpan: (candidate) =>
          candidate.name === "chain 2222"
            ? `span ${candidate.spanId} has an unreadable attribute`
            : undefined,
      },
    });
    const result = await exportSpans(
      exporter,
      RUN_IDS.map((runId) => span(runId)),
    );
    expect(result.failed?.map((failure) => [failure.recordId, failure.retryable])).toEqual([
      [RUN_IDS[1], false],
    ]);
    expect(result.failed?.[0]?.error.message).toMatch(
      /^The Arthur engine rejected span [0-9a-f]{16} \("chain 2222", run 22222222-2222-4222-8222-222222222222\): Invalid span data format: span [0-9a-f]{16} has an unreadable attribute$/,
    );
    expect(arthur.emulator.spans.map((item) => item.span.name)).toEqual(["chain 1111", "chain 3333"]);
    expect(arthur.emulator.calls.map((call) => call.status)).toEqual([206]);
  });

  it("206 whose reasons name no span: the count is reported, the rest delivered", async () => {
    const exporter = await startEngine({
      engine: { rejectSpan: (candidate) => (candidate.name === "chain 3333" ? "bad attribute" : undefined) },
    });
    const result = await exportSpans(
      exporter,
      RUN_IDS.map((runId) => span(runId)),
    );
    expect(result).toEqual({});
    expect(errors.map((error) => (error as Error).message)).toEqual([
      expect.stringMatching(
        /^The Arthur engine rejected 1 of 3 spans \(POST http:\/\/127\.0\.0\.1:\d+\/api\/v1\/traces answered 206\) without naming them: Invalid span data format: bad attribute; the other spans were delivered\.$/,
      ),
    ]);
  });

  it("422 (every span rejected) and 400 (bad protobuf) fail the spans without resending", async () => {
    const exporter = await startEngine({ engine: { rejectSpan: () => "nothing is valid today" } });
    const rejected = await exportSpans(exporter, [span(RUN_IDS[0]!)]);
    expect(rejected.failed).toMatchObject([{ recordId: RUN_IDS[0], retryable: false }]);
    expect(rejected.failed?.[0]?.error.message).toMatch(
      /^The Arthur engine rejected all 1 spans \(POST .*\/api\/v1\/traces answered 422\): Invalid span data format: nothing is valid today; they are not sent again\.$/,
    );
    arthur.emulator.failNext({
      route: ARTHUR_ROUTES.traces,
      status: 400,
      body: { detail: "Invalid protobuf message format" },
    });
    const bad = await exportSpans(exporter, [span(RUN_IDS[1]!)]);
    expect(bad.failed).toMatchObject([{ recordId: RUN_IDS[1], retryable: false }]);
    expect(bad.failed?.[0]?.error.message).toMatch(/could not read the request \(bad protobuf\)/);
    expect(arthur.emulator.calls.map((call) => call.status)).toEqual([422, 400]);
  });

  it("5xx and 429 are resent (span ids make it idempotent); a lost answer after storing stores nothing twice", async () => {
    const exporter = await startEngine();
    arthur.emulator.failNext({ route: ARTHUR_ROUTES.traces, status: 503 });
    expect(await exportSpans(exporter, [span(RUN_IDS[0]!)])).toEqual({});
    arthur.emulator.failNext({ route: ARTHUR_ROUTES.traces, status: 429, headers: { "retry-after": "0" } });
    expect(await exportSpans(exporter, [span(RUN_IDS[1]!)])).toEqual({});
    arthur.emulator.failNext({ route: ARTHUR_ROUTES.traces, reset: "after-store" });
    expect(await exportSpans(exporter, [span(RUN_IDS[2]!)])).toEqual({});
    expect(arthur.emulator.calls.map((call) => call.status)).toEqual([503, 200, 429, 200, 0, 200]);
    expect(arthur.emulator.spans).toHaveLength(3);
    expect(arthur.emulator.duplicates).toBe(1);
  });

  it("a rejected key is reported once with a message naming apiKey / ARTHUR_API_KEY, then fails fast", async () => {
    arthur = await startArthur();
    const exporter = createArthurEngineExporter({
      engineUrl: arthur.url,
      taskId: ARTHUR_EMULATOR_TASK_ID,
      apiKey: "not-the-key",
    });
    const first = await exportSpans(exporter, [span(RUN_IDS[0]!)]);
    const second = await exportSpans(exporter, [span(RUN_IDS[1]!)]);
    expect(first.failed?.[0]?.retryable).toBe(false);
    expect(second.failed?.[0]?.error).toBe(first.failed?.[0]?.error);
    expect(first.failed?.[0]?.error.message).toMatch(
      /^The Arthur engine rejected the API key \(POST http:\/\/127\.0\.0\.1:\d+\/api\/v1\/traces answered 401\); check `apiKey` \(or env ARTHUR_API_KEY\)\.$/,
    );
    expect(first.failed?.[0]?.error.message).not.toContain("not-the-key");
    expect(arthur.emulator.calls).toHaveLength(1);
  });
});

describe("resolveArthurEngineConnection", () => {
  it("reads the engine URL, task id and key from the platform's connection_info", async () => {
    arthur = await startArthur();
    const connection = await resolveArthurEngineConnection("arthur-agentic-model", {
      platformUrl: arthur.url,
      platformToken: ARTHUR_EMULATOR_PLATFORM_TOKEN,
    });
    expect(connection).toEqual({
      engineUrl: arthur.url,
      taskId: ARTHUR_EMULATOR_TASK_ID,
      apiKey: ARTHUR_EMULATOR_ENGINE_KEY,
    });
    expect(arthur.emulator.calls).toMatchObject([
      {
        method: "GET",
        path: "/api/v1/models/arthur-agentic-model/task/connection_info",
        auth: "platform-token",
        status: 200,
      },
    ]);
  });

  it("says when the platform has not created the task yet, or refuses the token, without printing it", async () => {
    arthur = await startArthur({ platform: { models: [{ modelId: "new-model", ready: false }] } });
    await expect(
      resolveArthurEngineConnection("new-model", {
        platformUrl: arthur.url,
        platformToken: ARTHUR_EMULATOR_PLATFORM_TOKEN,
      }),
    ).rejects.toMatchObject({
      isRetryable: true,
      message: expect.stringContaining("the platform has not finished creating the model's engine task"),
    });
    const refused = resolveArthurEngineConnection("new-model", {
      platformUrl: arthur.url,
      platformToken: "expired-platform-token",
      maxRetries: 0,
    });
    await expect(refused).rejects.toThrow(/check `platformToken` \(or env ARTHUR_PLATFORM_TOKEN\)/);
    await expect(refused).rejects.not.toThrow(/expired-platform-token/);
  });
});

describe("readConnectionInfo: lenient about the answer's shape (field names may differ across platform versions)", () => {
  const context = {
    url: "https://platform.example.com/api/v1/models/m/task/connection_info",
    status: 200,
    allowInsecure: false,
  };

  it.each([
    [
      "the documented shape",
      {
        api_host: "https://engine.example.com",
        task_id: "t-1",
        validation_key: { id: "k", name: "n", key: "secret-1" },
      },
    ],
    [
      "camelCase fields",
      { apiHost: "https://engine.example.com", taskId: "t-1", validationKey: { key: "secret-1" } },
    ],
    [
      "a host without scheme, the task nested",
      { api_host: "engine.example.com", task: { id: "t-1" }, api_key: "secret-1" },
    ],
    [
      "the whole traces endpoint as host",
      {
        api_host: "https://engine.example.com/api/v1/traces",
        task_id: "t-1",
        validation_key: { key: "secret-1" },
      },
    ],
  ])("reads %s", (_name, info) => {
    expect(readConnectionInfo(info, context)).toEqual({
      engineUrl: "https://engine.example.com",
      taskId: "t-1",
      apiKey: "secret-1",
    });
  });

  it("names the fields it got, never their values, when the task id or the key is missing", () => {
    expect(() =>
      readConnectionInfo(
        { api_host: "https://engine.example.com", validation_key: { key: "secret-1" } },
        context,
      ),
    ).toThrow(
      "Arthur: GET https://platform.example.com/api/v1/models/m/task/connection_info answered without the task id (`task_id`) (fields: api_host, validation_key); pass `engineUrl`, `taskId` and `apiKey` yourself.",
    );
    expect(() =>
      readConnectionInfo(
        { api_host: "http://engine.example.com", task_id: "t", validation_key: { key: "k-1234" } },
        context,
      ),
    ).toThrow(/The engine URL the Arthur platform gave \(`api_host`\) is not usable: .*must use https/);
  });
});
