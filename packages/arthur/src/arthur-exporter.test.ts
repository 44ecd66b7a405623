import { inspect } from "node:util";
import {
  ConfigurationError,
  ExportTimeoutError,
  ObservabilityCallbackHandler,
  VendorApiError,
} from "@langchain-observability/core";
import { createMemoryExporter, FakeDetailedLLM } from "@langchain-observability/core/testing";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ArthurCallbackHandler } from "./arthur-callback-handler";
import { exportArthur } from "./arthur-exporter";
import {
  API_KEY,
  type ArthurTestServer,
  clearArthurEnv,
  LOGIN,
  normalize,
  PASSWORD,
  requestLines,
  startArthur,
} from "./arthur-test-helpers";
import { ARTHUR_ROUTES, createArthurTokenSequenceModel } from "./testing/index";

let arthur: ArthurTestServer;
let errors: unknown[];

beforeEach(async () => {
  clearArthurEnv();
  arthur = await startArthur();
  errors = [];
});

afterEach(async () => {
  await arthur.server.close();
});

/** A handler whose records wait for `flush()`, so several runs go out in one batch. */
function createHandler(overrides: Record<string, unknown> = {}) {
  return new ArthurCallbackHandler({
    arthurUrl: arthur.url,
    apiKey: API_KEY,
    modelId: "arthur-llm-model",
    timeoutMs: 30_000,
    maxRetries: 2,
    flushIntervalMs: 60_000,
    onError: (error: unknown) => errors.push(error),
    ...overrides,
  });
}

async function runPrompts(handler: ArthurCallbackHandler, prompts: string[], n = 1): Promise<void> {
  const llm = new FakeDetailedLLM({
    responses: prompts.map((prompt) => `answer to ${prompt}`),
    n,
    callbacks: [handler],
  });
  for (const prompt of prompts) await llm.invoke(prompt);
}

function inferenceBatches(): unknown {
  return normalize(
    arthur.emulator.calls
      .filter((request) => request.endpoint === "inferences")
      .map((request) =>
        (request.body as Array<{ partner_inference_id: string; inference_data: { input_text: string } }>).map(
          (inference) => `${inference.partner_inference_id} ${inference.inference_data.input_text}`,
        ),
      ),
  );
}

function messages(): string[] {
  return normalize(errors.map((error) => (error as Error).message)) as string[];
}

describe("exportArthur", () => {
  it("connects lazily on the first export, caches the model, and uses the record id as partner_inference_id", async () => {
    const memory = createMemoryExporter();
    const handler = new ObservabilityCallbackHandler({
      exporters: [
        exportArthur({ arthurUrl: arthur.url, apiKey: API_KEY, modelId: "arthur-llm-model" }),
        memory,
      ],
      onError: (error) => errors.push(error),
    });
    expect(arthur.emulator.calls).toEqual([]);
    const llm = new FakeDetailedLLM({ responses: ["first", "second"], callbacks: [handler] });
    await llm.invoke("one");
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 2 });
    await llm.invoke("two");
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 2 });
    expect(requestLines(arthur.emulator)).toMatchInlineSnapshot(`
      [
        "GET users/me → 200 (auth: api-key)",
        "GET models/arthur-llm-model?id_type=id&expand=attributes → 200 (auth: api-key, org: arthur-org-1)",
        "POST models/arthur-llm-model/inferences → 207 (auth: api-key, org: arthur-org-1)",
        "POST models/arthur-llm-model/inferences → 207 (auth: api-key, org: arthur-org-1)",
      ]
    `);
    expect(arthur.emulator.inferences.map((item) => item.inference.partner_inference_id)).toEqual(
      memory.records.map((record) => record.recordId),
    );
    expect(memory.records.map((record) => record.recordId)).toEqual(
      memory.records.map((record) => record.runId),
    );
    expect(errors).toEqual([]);
  });

  it("refuses incomplete options synchronously", () => {
    expect(() => exportArthur({ arthurUrl: arthur.url, apiKey: API_KEY })).toThrow(ConfigurationError);
    expect(() => exportArthur({ arthurUrl: arthur.url, modelId: "arthur-llm-model" })).toThrow(
      /Missing Arthur credentials: pass `apiKey` \(or env ARTHUR_API_KEY\)/,
    );
    expect(() =>
      exportArthur({ arthurUrl: arthur.url, arthurLogin: LOGIN, modelId: "arthur-llm-model" }),
    ).toThrow(/`arthurPassword` \(or env ARTHUR_PASSWORD\)/);
    expect(() =>
      exportArthur({
        arthurUrl: arthur.url,
        apiKey: API_KEY,
        modelId: "other",
        model: createArthurTokenSequenceModel(),
      }),
    ).toThrow(/differ/);
  });
});

describe("the 207 multi-status answer", () => {
  it("fails only the rejected item of three and does not send it again (4xx)", async () => {
    const handler = createHandler();
    await runPrompts(handler, ["a", "b", "c"]);
    arthur.emulator.failItem({ index: 1, status: 400, message: "Invalid value for input_text" });
    expect(await handler.flush()).toMatchObject({ ok: false, exported: 2, failed: 1, pending: 0 });
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 0, failed: 0 });
    expect(inferenceBatches()).toMatchInlineSnapshot(`
      [
        [
          "<id-1> a",
          "<id-2> b",
          "<id-3> c",
        ],
      ]
    `);
    expect(messages()).toMatchInlineSnapshot(`
      [
        "Arthur rejected inference "<id-1>" of model "arthur-llm-model" with status 400: Invalid value for input_text",
      ]
    `);
    const [error] = errors;
    expect(VendorApiError.isInstance(error) && error.status === 400 && !error.isRetryable).toBe(true);
    const sent = arthur.emulator.calls.find((request) => request.endpoint === "inferences")?.body as Array<{
      partner_inference_id: string;
    }>;
    expect(arthur.emulator.rejected.map((item) => item.inference.partner_inference_id)).toEqual([
      sent[1]?.partner_inference_id,
    ]);
    expect((error as Error).message).toContain(sent[1]?.partner_inference_id);
    expect(handler.stats()).toMatchObject({ exported: 2, failed: 1, retried: 0 });
  });

  it("sends a 5xx item again, alone, and counts it delivered once accepted", async () => {
    const handler = createHandler();
    await runPrompts(handler, ["a", "b", "c"]);
    arthur.emulator.failItem({ index: 2, status: 503, message: "storage busy" });
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 3, failed: 0, pending: 0 });
    expect(inferenceBatches()).toMatchInlineSnapshot(`
      [
        [
          "<id-1> a",
          "<id-2> b",
          "<id-3> c",
        ],
        [
          "<id-3> c",
        ],
      ]
    `);
    const accepted = arthur.emulator.inferences.map((item) => item.inference.partner_inference_id);
    expect(new Set(accepted).size).toBe(3);
    // Sent again by the queue (a record retry), not resent by the HTTP client (a request retry).
    expect(handler.stats()).toMatchObject({ exported: 3, failed: 0, requeued: 1, retried: 0 });
  });

  it("resends only the rejected candidate of a record with several candidates", async () => {
    const handler = createHandler();
    await runPrompts(handler, ["a"], 2);
    arthur.emulator.failItem({ index: 1, status: 500 });
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1, failed: 0 });
    expect(inferenceBatches()).toMatchInlineSnapshot(`
      [
        [
          "<id-1> a",
          "<id-1>#1 a",
        ],
        [
          "<id-1>#1 a",
        ],
      ]
    `);
    expect(arthur.emulator.inferences).toHaveLength(2);
  });

  it("keeps an inference Arthur keeps refusing with 5xx queued, and delivers it once Arthur takes it", async () => {
    const handler = createHandler({ maxRetries: 1 });
    await runPrompts(handler, ["a"]);
    arthur.emulator.failItem({ index: 0, status: 500, message: "internal", times: 3 });
    expect(await handler.flush({ timeoutMs: 30_000 })).toMatchObject({ ok: true, exported: 1, failed: 0 });
    expect(arthur.emulator.calls.filter((request) => request.endpoint === "inferences")).toHaveLength(4);
    expect(arthur.emulator.inferences).toHaveLength(1);
    expect(handler.stats()).toMatchObject({ exported: 1, failed: 0, requeued: 3 });
    expect(messages()).toMatchInlineSnapshot(`
      [
        "Arthur rejected inference "<id-1>" of model "arthur-llm-model" with status 500: internal",
        "Arthur rejected inference "<id-1>" of model "arthur-llm-model" with status 500: internal",
        "Arthur rejected inference "<id-1>" of model "arthur-llm-model" with status 500: internal",
      ]
    `);
    expect(VendorApiError.isInstance(errors[0]) && errors[0].isRetryable).toBe(true);
  });

  it("sends the batch again when Arthur stored it but its 207 cannot be read, and each inference is stored once", async () => {
    const handler = createHandler();
    await runPrompts(handler, ["a", "b"]);
    // Stored, then the answer is cut: which inferences were taken is unknown.
    arthur.emulator.failNext({ route: ARTHUR_ROUTES.inferences, malformed: true });
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 2, failed: 0, pending: 0 });
    expect(
      arthur.emulator.calls.filter((request) => request.endpoint === "inferences").map((call) => call.status),
    ).toEqual([207, 207]);
    // The resend carries the same partner_inference_ids: nothing is stored twice.
    expect(arthur.emulator.inferences).toHaveLength(2);
    expect(arthur.emulator.duplicates).toBe(2);
  });
});

describe("transport failures", () => {
  it("retries a 503 and then delivers", async () => {
    const handler = createHandler();
    await runPrompts(handler, ["a"]);
    arthur.emulator.failNext({ route: ARTHUR_ROUTES.inferences, status: 503 });
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1, failed: 0 });
    expect(requestLines(arthur.emulator).slice(2)).toMatchInlineSnapshot(`
      [
        "POST models/arthur-llm-model/inferences → 503 (auth: api-key, org: arthur-org-1)",
        "POST models/arthur-llm-model/inferences → 207 (auth: api-key, org: arthur-org-1)",
      ]
    `);
    expect(handler.stats()).toMatchObject({ exported: 1, retried: 1 });
    expect(errors).toEqual([]);
  });

  it("honours 429 with Retry-After, then delivers", async () => {
    const handler = createHandler();
    await runPrompts(handler, ["a"]);
    arthur.emulator.failNext({
      route: ARTHUR_ROUTES.inferences,
      status: 429,
      headers: { "retry-after": "0" },
      body: { error: "slow down" },
    });
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1 });
    expect(arthur.emulator.calls.map((request) => request.status).slice(2)).toEqual([429, 207]);
  });

  it("a request that hangs past timeoutMs: the chain still succeeds, and the record goes out again", async () => {
    // The hung request never answers (no race): the client gives up after timeoutMs.
    const handler = createHandler({ timeoutMs: 5000, maxRetries: 0 });
    arthur.emulator.failNext({ route: ARTHUR_ROUTES.inferences, hangMs: Number.POSITIVE_INFINITY });
    const llm = new FakeDetailedLLM({ responses: ["still fine"], callbacks: [handler] });
    expect(await llm.invoke("a")).toBe("still fine");
    expect(await handler.flush({ timeoutMs: 30_000 })).toMatchObject({ ok: true, exported: 1, pending: 0 });
    expect(arthur.emulator.inferences).toHaveLength(1);
    expect(ExportTimeoutError.isInstance(errors[0])).toBe(true);
    expect(messages()).toMatchInlineSnapshot(`
      [
        "Arthur: POST http://127.0.0.1:<port>/api/v3/models/arthur-llm-model/inferences timed out after 5000 ms",
      ]
    `);
  });

  it("a connection reset twice: the client resends once (maxRetries 1), the queue keeps the record, delivered once", async () => {
    const handler = createHandler({ maxRetries: 1 });
    await runPrompts(handler, ["a"]);
    arthur.emulator.failNext({ route: ARTHUR_ROUTES.inferences, reset: "before-store", times: 2 });
    expect(await handler.flush({ timeoutMs: 30_000 })).toMatchObject({ ok: true, exported: 1, failed: 0 });
    expect(handler.stats()).toMatchObject({ exported: 1, failed: 0, retried: 1, requeued: 1 });
    expect(arthur.emulator.inferences).toHaveLength(1);
    expect(VendorApiError.isInstance(errors[0]) && errors[0].status === undefined).toBe(true);
  });

  it("connects again on the next export after an unreadable model answer", async () => {
    const handler = createHandler({ maxRetries: 0 });
    await runPrompts(handler, ["a"]);
    arthur.emulator.failNext({ route: ARTHUR_ROUTES.model, status: 200, malformed: true });
    // The record stays queued and goes out with the next export, which connects again.
    expect(await handler.flush({ timeoutMs: 30_000 })).toMatchObject({
      ok: true,
      exported: 1,
      failed: 0,
      pending: 0,
    });
    expect(requestLines(arthur.emulator)).toMatchInlineSnapshot(`
      [
        "GET users/me → 200 (auth: api-key)",
        "GET models/arthur-llm-model → 200 (auth: api-key, org: arthur-org-1)",
        "GET models/arthur-llm-model?id_type=id&expand=attributes → 200 (auth: api-key, org: arthur-org-1)",
        "POST models/arthur-llm-model/inferences → 207 (auth: api-key, org: arthur-org-1)",
      ]
    `);
    expect(messages()).toMatchInlineSnapshot(`
      [
        "Arthur: GET http://127.0.0.1:<port>/api/v3/models/arthur-llm-model answered 200 without a model object (not a JSON object); it is asked again on the next export.",
      ]
    `);
    expect(VendorApiError.isInstance(errors[0]) && errors[0].isRetryable).toBe(true);
  });

  it("logs in again on the next export after a login answer without the session cookie", async () => {
    const handler = createHandler({
      apiKey: undefined,
      arthurLogin: LOGIN,
      arthurPassword: PASSWORD,
      maxRetries: 0,
    });
    await runPrompts(handler, ["a"]);
    arthur.emulator.failNext({ route: ARTHUR_ROUTES.login, status: 200, malformed: true });
    expect(await handler.flush({ timeoutMs: 30_000 })).toMatchObject({
      ok: true,
      exported: 1,
      failed: 0,
      pending: 0,
    });
    expect(requestLines(arthur.emulator)).toMatchInlineSnapshot(`
      [
        "POST login → 200 (auth: none)",
        "POST login → 200 (auth: none)",
        "GET users/me → 200 (auth: session)",
        "GET models/arthur-llm-model?id_type=id&expand=attributes → 200 (auth: session, org: arthur-org-1)",
        "POST models/arthur-llm-model/inferences → 207 (auth: session, org: arthur-org-1)",
      ]
    `);
    expect(messages()).toMatchInlineSnapshot(`
      [
        "Arthur: POST http://127.0.0.1:<port>/api/v3/login answered 200 without an Authorization cookie, so there is no session token to use; it logs in again on the next export.",
      ]
    `);
  });

  it("does not take a passing auth_info failure for a user without organization", async () => {
    const handler = createHandler({ maxRetries: 0 });
    await runPrompts(handler, ["a"]);
    // users/me unreadable, so the organization must come from auth_info, which is busy, then unreadable.
    arthur.emulator.failNext({ route: ARTHUR_ROUTES.usersMe, status: 200, malformed: true, times: 3 });
    arthur.emulator.failNext({ route: ARTHUR_ROUTES.authInfo, status: 429, headers: { "retry-after": "0" } });
    arthur.emulator.failNext({ route: ARTHUR_ROUTES.authInfo, status: 200, malformed: true });
    // Each passing failure leaves the record queued; the third export connects and delivers it.
    expect(await handler.flush({ timeoutMs: 30_000 })).toMatchObject({ ok: true, exported: 1, failed: 0 });
    expect(requestLines(arthur.emulator)).toMatchInlineSnapshot(`
      [
        "GET users/me → 200 (auth: api-key)",
        "GET users/me/auth_info → 429 (auth: api-key)",
        "GET users/me → 200 (auth: api-key)",
        "GET users/me/auth_info → 200 (auth: api-key)",
        "GET users/me → 200 (auth: api-key)",
        "GET users/me/auth_info → 200 (auth: api-key)",
        "GET models/arthur-llm-model?id_type=id&expand=attributes → 200 (auth: api-key, org: arthur-org-1)",
        "POST models/arthur-llm-model/inferences → 207 (auth: api-key, org: arthur-org-1)",
      ]
    `);
    expect(messages()).toMatchInlineSnapshot(`
      [
        "Arthur: GET http://127.0.0.1:<port>/api/v3/users/me/auth_info answered 429: {"error":"injected failure (429)"}",
        "Arthur: GET http://127.0.0.1:<port>/api/v3/users/me/auth_info answered 200 without the user's organizations (not a JSON object); it is asked again on the next export.",
      ]
    `);
  });

  it("does not retry a 4xx answer to the whole request", async () => {
    const handler = createHandler();
    await runPrompts(handler, ["a", "b"]);
    arthur.emulator.failNext({
      route: ARTHUR_ROUTES.inferences,
      status: 400,
      body: { error: "Bad request" },
    });
    expect(await handler.flush()).toMatchObject({ ok: false, exported: 0, failed: 2 });
    expect(arthur.emulator.calls.filter((request) => request.endpoint === "inferences")).toHaveLength(1);
    expect(messages()).toMatchInlineSnapshot(`
      [
        "Arthur: POST http://127.0.0.1:<port>/api/v3/models/arthur-llm-model/inferences answered 400: {"error":"Bad request"}",
      ]
    `);
  });

  it("splits a batch refused as too large (413) instead of failing it whole", async () => {
    const handler = createHandler();
    await runPrompts(handler, ["a", "b"]);
    arthur.emulator.failNext({
      route: ARTHUR_ROUTES.inferences,
      status: 413,
      body: { error: "Payload too large" },
    });
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 2, failed: 0 });
    const sent = arthur.emulator.calls.filter((request) => request.endpoint === "inferences");
    expect(sent.map((request) => [request.status, (request.body as unknown[]).length])).toEqual([
      [413, 2],
      [207, 1],
      [207, 1],
    ]);
    expect(messages()).toEqual([]);
  });
});

describe("credentials and model problems", () => {
  it("fromCredentials rejects a bad API key clearly", async () => {
    const error = await ArthurCallbackHandler.fromCredentials("arthur-llm-model", {
      arthurUrl: arthur.url,
      apiKey: "not-a-valid-key",
    }).catch((caught: unknown) => caught);
    expect(VendorApiError.isInstance(error)).toBe(true);
    expect((error as Error).message.replace(/127\.0\.0\.1:\d+/g, "<host>")).toMatchInlineSnapshot(
      `"Arthur rejected the API key (GET http://<host>/api/v3/users/me answered 401); check \`apiKey\` (or env ARTHUR_API_KEY)."`,
    );
  });

  it("fromCredentials rejects a bad password clearly", async () => {
    const error = await ArthurCallbackHandler.fromCredentials("arthur-llm-model", {
      arthurUrl: arthur.url,
      arthurLogin: LOGIN,
      arthurPassword: "wrong-password",
    }).catch((caught: unknown) => caught);
    expect(VendorApiError.isInstance(error) && error.status === 401).toBe(true);
    expect((error as Error).message).toMatch(/rejected the login "arthur-user"/);
  });

  it("fromCredentials rejects an unknown model", async () => {
    const error = await ArthurCallbackHandler.fromCredentials("no-such-model", {
      arthurUrl: arthur.url,
      apiKey: API_KEY,
    }).catch((caught: unknown) => caught);
    expect((error as Error).message.replace(/127\.0\.0\.1:\d+/g, "<host>")).toMatchInlineSnapshot(
      `"Arthur has no model with id "no-such-model" that these credentials can see (GET http://<host>/api/v3/models/no-such-model answered 404); check \`modelId\` and \`organizationId\`."`,
    );
  });

  it("rejects a model without the text input or output attribute, naming the model and what is missing", async () => {
    const model = {
      id: "tabular-model",
      display_name: "Churn",
      attributes: [
        { name: "age", stage: "PIPELINE_INPUT", value_type: "INTEGER" },
        { name: "summary", stage: "PREDICTED_VALUE", value_type: "UNSTRUCTURED_TEXT" },
      ],
    };
    arthur.emulator.addModel(model);
    const error = await ArthurCallbackHandler.fromCredentials("tabular-model", {
      arthurUrl: arthur.url,
      apiKey: API_KEY,
    }).catch((caught: unknown) => caught);
    expect(ConfigurationError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatchInlineSnapshot(
      `"Arthur model "Churn" (id tabular-model) cannot log LLM runs: it has no PIPELINE_INPUT attribute of value type UNSTRUCTURED_TEXT (for the prompt). Register it as a token sequence model (see the README)."`,
    );
    expect(() => new ArthurCallbackHandler({ arthurUrl: arthur.url, apiKey: API_KEY, model })).toThrow(
      /Arthur model "Churn" \(id tabular-model\) cannot log LLM runs/,
    );
  });

  it("reports a rejected API key from the background once per batch, without calling Arthur again", async () => {
    const handler = createHandler({ apiKey: "not-a-valid-key" });
    await runPrompts(handler, ["a"]);
    expect(await handler.flush()).toMatchObject({ ok: false, failed: 1 });
    await runPrompts(handler, ["b"]);
    expect(await handler.flush()).toMatchObject({ ok: false, failed: 1 });
    expect(requestLines(arthur.emulator)).toMatchInlineSnapshot(`
      [
        "GET users/me → 401 (auth: invalid)",
      ]
    `);
    expect(messages()[0]).toMatch(/check `apiKey` \(or env ARTHUR_API_KEY\)/);
  });

  it("fails with ConfigurationError when no credentials are configured", async () => {
    await expect(
      ArthurCallbackHandler.fromCredentials("arthur-llm-model", { arthurUrl: arthur.url }),
    ).rejects.toThrow(ConfigurationError);
    expect(
      () => new ArthurCallbackHandler({ arthurUrl: arthur.url, modelId: "m" }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[ConfigurationError: Missing Arthur credentials: pass \`apiKey\` (or env ARTHUR_API_KEY), or \`arthurLogin\` (or env ARTHUR_LOGIN) with \`arthurPassword\` (or env ARTHUR_PASSWORD).]`,
    );
    expect(arthur.emulator.calls).toEqual([]);
  });

  it("fails with ConfigurationError naming arthurPassword / ARTHUR_PASSWORD when stdin is not a terminal", async () => {
    const error = await ArthurCallbackHandler.fromCredentials("arthur-llm-model", {
      arthurUrl: arthur.url,
      arthurLogin: LOGIN,
      passwordPrompt: {
        isInteractive: () => false,
        ask: () => Promise.reject(new Error("must not be asked")),
      },
    }).catch((caught: unknown) => caught);
    expect(ConfigurationError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ option: "arthurPassword", envVar: "ARTHUR_PASSWORD" });
    expect((error as Error).message).toMatchInlineSnapshot(
      `"Missing the Arthur password of login "arthur-user": pass \`arthurPassword\` (or env ARTHUR_PASSWORD); standard input is not a terminal, so it cannot be asked for."`,
    );
    expect(arthur.emulator.calls).toEqual([]);
  });

  it("uses the real stdin check by default: not a terminal means no prompt", async () => {
    const descriptor = Object.getOwnPropertyDescriptor(process.stdin, "isTTY");
    Object.defineProperty(process.stdin, "isTTY", { value: false, configurable: true });
    try {
      await expect(
        ArthurCallbackHandler.fromCredentials("arthur-llm-model", {
          arthurUrl: arthur.url,
          arthurLogin: LOGIN,
        }),
      ).rejects.toThrow(/standard input is not a terminal/);
    } finally {
      if (descriptor) Object.defineProperty(process.stdin, "isTTY", descriptor);
      else delete (process.stdin as { isTTY?: boolean }).isTTY;
    }
  });
});

describe("organization", () => {
  it("falls back to auth_info for a non-internal user", async () => {
    await arthur.server.close();
    arthur = await startArthur({ internalUser: false, organizationIds: ["org-external"] });
    const handler = await ArthurCallbackHandler.fromCredentials("arthur-llm-model", {
      arthurUrl: arthur.url,
      apiKey: API_KEY,
    });
    await runPrompts(handler, ["a"]);
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1 });
    expect(requestLines(arthur.emulator)).toMatchInlineSnapshot(`
      [
        "GET users/me → 403 (auth: api-key)",
        "GET users/me/auth_info → 200 (auth: api-key)",
        "GET models/arthur-llm-model?id_type=id&expand=attributes → 200 (auth: api-key, org: org-external)",
        "POST models/arthur-llm-model/inferences → 207 (auth: api-key, org: org-external)",
      ]
    `);
  });

  it("asks to choose when the user belongs to several organizations", async () => {
    await arthur.server.close();
    arthur = await startArthur({ internalUser: false, organizationIds: ["org-a", "org-b"] });
    const error = await ArthurCallbackHandler.fromCredentials("arthur-llm-model", {
      arthurUrl: arthur.url,
      apiKey: API_KEY,
    }).catch((caught: unknown) => caught);
    expect(ConfigurationError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatchInlineSnapshot(
      `"These Arthur credentials belong to several organizations (org-a, org-b): pass \`organizationId\` (or env ARTHUR_ORGANIZATION_ID) to choose one."`,
    );
  });

  it("uses ARTHUR_ORGANIZATION_ID, and works with a server that requires the header", async () => {
    await arthur.server.close();
    arthur = await startArthur({ requireOrganizationHeader: true, organizationIds: ["org-a", "org-b"] });
    vi.stubEnv("ARTHUR_ORGANIZATION_ID", "org-b");
    const handler = await ArthurCallbackHandler.fromCredentials("arthur-llm-model", {
      arthurUrl: arthur.url,
      apiKey: API_KEY,
    });
    await runPrompts(handler, ["a"]);
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1 });
    expect(arthur.emulator.calls.map((request) => request.organizationId)).toEqual(["org-b", "org-b"]);
  });
});

describe("secrets", () => {
  it("never shows the API key, the password or the session token in messages, logs or inspected errors", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const secrets = [API_KEY, PASSWORD, "not-a-valid-key", "wrong-password", "session-"];
    const collected: unknown[] = [];

    // Rejected up front: bad key, bad password, unknown model.
    collected.push(
      await ArthurCallbackHandler.fromCredentials("arthur-llm-model", {
        arthurUrl: arthur.url,
        apiKey: "not-a-valid-key",
      }).catch((caught: unknown) => caught),
      await ArthurCallbackHandler.fromCredentials("arthur-llm-model", {
        arthurUrl: arthur.url,
        arthurLogin: LOGIN,
        arthurPassword: "wrong-password",
      }).catch((caught: unknown) => caught),
      await ArthurCallbackHandler.fromCredentials("missing", {
        arthurUrl: arthur.url,
        arthurLogin: LOGIN,
        arthurPassword: PASSWORD,
      }).catch((caught: unknown) => caught),
    );

    // In the background: 5xx, timeout, 4xx item, refused re-login — once through the default onError
    // (console.warn), once through a collecting onError whose errors are inspected in depth.
    const background = async (onError?: (error: unknown) => void) => {
      arthur.emulator.setPassword(LOGIN, PASSWORD);
      const handler = new ArthurCallbackHandler({
        arthurUrl: arthur.url,
        arthurLogin: LOGIN,
        arthurPassword: PASSWORD,
        modelId: "arthur-llm-model",
        timeoutMs: 5000,
        maxRetries: 0,
        flushIntervalMs: 60_000,
        ...(onError ? { onError } : {}),
      });
      await runPrompts(handler, ["a"]);
      arthur.emulator.failNext({ route: ARTHUR_ROUTES.inferences, status: 500 });
      await handler.flush();
      await runPrompts(handler, ["b"]);
      arthur.emulator.failNext({ route: ARTHUR_ROUTES.inferences, hangMs: Number.POSITIVE_INFINITY });
      await handler.flush();
      await runPrompts(handler, ["c"]);
      arthur.emulator.failItem({ index: 0, status: 400 });
      await handler.flush();
      arthur.emulator.expireTokens();
      arthur.emulator.setPassword(LOGIN, "rotated");
      await runPrompts(handler, ["d"]);
      await handler.flush();
      // The 5xx and the timeout pass (their records go out later); the 4xx item and the refused login do not.
      expect(handler.stats()).toMatchObject({ captured: 4, exported: 2, failed: 2, requeued: 2 });
      return handler;
    };
    const quiet = await background();
    expect(warn).toHaveBeenCalledTimes(4);
    const backgroundErrors: unknown[] = [];
    await background((error) => backgroundErrors.push(error));
    expect(backgroundErrors).toHaveLength(4);
    collected.push(...backgroundErrors);

    const texts = [
      ...collected.map((error) => inspect(error, { depth: 20, showHidden: true })),
      ...collected.map((error) => JSON.stringify(error)),
      ...warn.mock.calls.map((call) => call.map(String).join(" ")),
      JSON.stringify(quiet),
    ];
    expect(texts.length).toBeGreaterThan(14);
    for (const text of texts) {
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
  });

  it("redacts a credential Arthur quotes back: the API key, the password, and a session token obtained later", async () => {
    // A fetch that lets the emulator's answers quote what it received, as a careless server might.
    const echoingFetch: typeof fetch = async (input, init) => {
      const request = input instanceof Request ? input : new Request(input, init);
      const sentBody = request.method === "GET" ? "" : await request.clone().text();
      const response = await fetch(request);
      const quote = (value: string) => JSON.stringify(value).slice(1, -1);
      const text = (await response.text())
        .replaceAll("<authorization>", quote(request.headers.get("authorization") ?? ""))
        .replaceAll("<request-body>", quote(sentBody));
      const headers = new Headers(response.headers);
      headers.delete("content-length");
      return new Response(text, { status: response.status, statusText: response.statusText, headers });
    };
    const collected: unknown[] = [];
    const createEchoHandler = (credentials: Record<string, string>) =>
      new ArthurCallbackHandler({
        arthurUrl: arthur.url,
        modelId: "arthur-llm-model",
        timeoutMs: 30_000,
        maxRetries: 0,
        flushIntervalMs: 60_000,
        fetch: echoingFetch,
        onError: (error) => collected.push(error),
        ...credentials,
      });

    const withKey = createEchoHandler({ apiKey: API_KEY });
    await runPrompts(withKey, ["a"]);
    arthur.emulator.failNext({
      route: ARTHUR_ROUTES.inferences,
      status: 500,
      body: { error: "key <authorization> is over quota" },
    });
    await withKey.flush();
    await runPrompts(withKey, ["b"]);
    arthur.emulator.failItem({ index: 0, status: 400, message: "not allowed for <authorization>" });
    await withKey.flush();

    const withLogin = createEchoHandler({ arthurLogin: LOGIN, arthurPassword: PASSWORD });
    await runPrompts(withLogin, ["c"]);
    arthur.emulator.failNext({
      route: ARTHUR_ROUTES.inferences,
      status: 503,
      body: { error: "session <authorization> is stale" },
    });
    await withLogin.flush();
    await runPrompts(withLogin, ["d"]);
    arthur.emulator.failItem({ index: 0, status: 422, message: "session <authorization> may not write" });
    await withLogin.flush();
    arthur.emulator.expireTokens();
    arthur.emulator.failNext({
      route: ARTHUR_ROUTES.login,
      status: 500,
      body: { error: "could not log in with <request-body>" },
    });
    await runPrompts(withLogin, ["e"]);
    await withLogin.flush();

    // Passing failures (5xx, the failed login) leave their records queued, delivered later; 4xx items fail.
    expect(withKey.stats()).toMatchObject({ captured: 2, exported: 1, failed: 1 });
    expect(withLogin.stats()).toMatchObject({ captured: 3, exported: 2, failed: 1 });
    expect(collected).toHaveLength(5);
    const shown = normalize(collected.map((error) => (error as Error).message));
    expect(shown).toMatchInlineSnapshot(`
      [
        "Arthur: POST http://127.0.0.1:<port>/api/v3/models/arthur-llm-model/inferences answered 500: {"error":"key [redacted] is over quota"}",
        "Arthur rejected inference "<id-1>" of model "arthur-llm-model" with status 400: not allowed for [redacted]",
        "Arthur: POST http://127.0.0.1:<port>/api/v3/models/arthur-llm-model/inferences answered 503: {"error":"session [redacted] is stale"}",
        "Arthur rejected inference "<id-2>" of model "arthur-llm-model" with status 422: session [redacted] may not write",
        "Arthur: POST http://127.0.0.1:<port>/api/v3/login answered 500: {"error":"could not log in with {\\"login\\":\\"arthur-user\\",\\"password\\":\\"[redacted]\\"}"}",
      ]
    `);
    const texts = collected.flatMap((error) => [
      String(error),
      inspect(error, { depth: 20, showHidden: true }),
      JSON.stringify(error),
    ]);
    for (const text of texts) {
      expect(text).toContain("[redacted]");
      for (const secret of [API_KEY, PASSWORD, "session-"]) expect(text).not.toContain(secret);
    }
  });
});
