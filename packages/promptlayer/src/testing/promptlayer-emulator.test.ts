import { type MockServer, startMockServer } from "@langchain-observability/core/testing";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { createPromptLayerEmulator, type PromptLayerEmulator } from "./index";

const API_KEY = "pl_test_key";

let emulator: PromptLayerEmulator;
let server: MockServer;

beforeEach(async () => {
  emulator = createPromptLayerEmulator({ apiKeys: [API_KEY] });
  server = await startMockServer(emulator.handlers);
});

afterEach(async () => {
  await server.close();
});

async function post(
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const response = await fetch(`${server.url}${path}`, {
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

describe("createPromptLayerEmulator", () => {
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
    expect(emulator.received).toHaveLength(1);
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
    await server.close();
    emulator = createPromptLayerEmulator({ requestIdFormat: "string", firstRequestId: 7 });
    server = await startMockServer(emulator.handlers);
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

  test("fault injection: status with Retry-After for the next n, then normal answers", async () => {
    emulator.injectFault({
      kind: "status",
      status: 429,
      retryAfterSeconds: 3,
      times: 2,
      path: "/track-request",
    });
    const first = await post("/track-request", trackBody());
    expect(first.status).toBe(429);
    expect(first.headers.get("retry-after")).toBe("3");
    expect(await post("/create-group", { api_key: API_KEY })).toMatchObject({ status: 200 });
    expect((await post("/track-request", trackBody())).status).toBe(429);
    expect((await post("/track-request", trackBody())).status).toBe(200);
    expect(emulator.received.map((request) => request.status)).toEqual([429, 200, 429, 200]);
  });

  test("fault injection: a reset connection, and a malformed body", async () => {
    emulator.injectFault({ kind: "reset" });
    await expect(post("/track-request", trackBody())).rejects.toThrow();
    emulator.injectFault({ kind: "malformed" });
    expect(await post("/track-request", trackBody())).toMatchObject({
      status: 200,
      body: "<html>not json</html>",
    });
  });

  test("maxBodyBytes: a larger body is answered 413 and not logged; injected faults still come first", async () => {
    await server.close();
    emulator = createPromptLayerEmulator({ apiKeys: [API_KEY], maxBodyBytes: 2_000 });
    server = await startMockServer(emulator.handlers);
    const large = trackBody({ args: ["é".repeat(900)] }); // under 2,000 characters, over 2,000 bytes
    expect(JSON.stringify(large).length).toBeLessThan(2_000);
    expect(await post("/track-request", large)).toMatchObject({
      status: 413,
      body: { success: false, message: "Request body larger than 2000 bytes" },
    });
    emulator.injectFault({ kind: "status", status: 503 });
    expect((await post("/track-request", large)).status).toBe(503);
    expect((await post("/track-request", trackBody())).status).toBe(200);
    expect(emulator.received.map((request) => [request.status, request.fault])).toEqual([
      [413, undefined],
      [503, "status"],
      [200, undefined],
    ]);
    expect(emulator.trackRequests).toHaveLength(1);
  });

  test("setRandomFaults: the same seed draws the same faults; only successes are logged", async () => {
    const faults = {
      seed: 42,
      path: "/track-request",
      serverErrorRate: 0.3,
      resetRate: 0.1,
      malformedRate: 0.1,
    };
    const run = async () => {
      emulator.reset();
      emulator.setRandomFaults(faults);
      for (let index = 0; index < 40; index++) {
        await post("/track-request", trackBody()).catch(() => undefined);
      }
      return emulator.received.map((request) => request.fault ?? request.status);
    };
    const first = await run();
    expect(await run()).toEqual(first);
    expect(first.filter((outcome) => outcome === "status").length).toBeGreaterThan(5);
    expect(first).toContain("reset");
    expect(first).toContain("malformed");
    expect(emulator.trackRequests).toHaveLength(first.filter((outcome) => outcome === 200).length);
    expect(emulator.trackRequests.map((tracked) => tracked.requestId)).toEqual(
      emulator.trackRequests.map((_, index) => index + 1),
    );
    // Other paths are untouched, and `undefined` stops the faults.
    expect((await post("/create-group", { api_key: API_KEY })).status).toBe(200);
    emulator.setRandomFaults(undefined);
    for (let index = 0; index < 10; index++) {
      expect((await post("/track-request", trackBody())).status).toBe(200);
    }
  });

  test("setRandomFaults: a 429 starts a burst with Retry-After; a hang is never answered", async () => {
    emulator.setRandomFaults({ seed: 1, rateLimitRate: 1, rateLimitBurst: 3, retryAfterSeconds: 1 });
    const answers = [];
    for (let index = 0; index < 3; index++) answers.push(await post("/track-request", trackBody()));
    expect(answers.map((answer) => [answer.status, answer.headers.get("retry-after")])).toEqual([
      [429, "1"],
      [429, "1"],
      [429, "1"],
    ]);
    emulator.setRandomFaults({ seed: 1, hangRate: 1 });
    const hung = fetch(`${server.url}/track-request`, {
      method: "POST",
      body: JSON.stringify(trackBody()),
      signal: AbortSignal.timeout(100),
    });
    await expect(hung).rejects.toThrow();
    expect(emulator.received.at(-1)).toMatchObject({ status: 0, fault: "hang" });
    expect(emulator.trackRequests).toHaveLength(0);
  });

  test.each([
    { faults: { seed: 1, serverErrorRate: 1.5 }, message: "Each fault rate must be from 0 to 1, got 1.5." },
    { faults: { seed: 1, hangRate: -0.1 }, message: "Each fault rate must be from 0 to 1, got -0.1." },
    { faults: { seed: 1, serverErrorRate: 0.6, resetRate: 0.6 }, message: /add up to 1\.2/ },
    { faults: { seed: 1, rateLimitBurst: 0 }, message: "rateLimitBurst must be an integer >= 1, got 0." },
  ])("setRandomFaults refuses $faults", ({ faults, message }) => {
    expect(() => emulator.setRandomFaults(faults)).toThrow(message);
  });

  test("a body that is not JSON → 400; reset() forgets everything but the templates", async () => {
    emulator.seedTemplate({ promptName: "kept", promptTemplate: { type: "completion", content: "x" } });
    expect(await post("/track-request", "{not json")).toMatchObject({ status: 400 });
    await post("/track-request", trackBody());
    emulator.injectFault({ kind: "status", status: 500 });
    emulator.setRandomFaults({ seed: 3, serverErrorRate: 1 });
    emulator.reset();
    expect(emulator.received).toHaveLength(0);
    expect(emulator.trackRequests).toHaveLength(0);
    expect(await post("/track-request", trackBody())).toMatchObject({ status: 200, body: { request_id: 1 } });
    expect(await post("/prompt-templates/kept", {}, { "x-api-key": API_KEY })).toMatchObject({ status: 200 });
  });
});
