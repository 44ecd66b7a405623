import { createSeededFaults } from "@langchain-observability/core/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ARTHUR_ROUTES,
  type ArthurEmulator,
  createArthurTokenSequenceModel,
  startArthurEmulator,
} from "./index";

const KEY = "arthur-test-api-key";
let emulator: ArthurEmulator;

beforeEach(async () => {
  emulator = await startArthurEmulator();
});

afterEach(async () => {
  await emulator.close();
});

async function call(
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
) {
  const response = await fetch(`${emulator.url}/api/v3/${path}`, {
    method,
    headers: {
      ...(options.body === undefined ? {} : { "content-type": "application/json" }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

function inference(data: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    partner_inference_id: `id-${Math.random()}`,
    inference_timestamp: "2024-01-01T12:00:00.000000+00:00",
    inference_data: data,
    ...extra,
  };
}

const VALID = { input_text: "prompt", output_text: "answer" };

describe("startArthurEmulator: the legacy REST API v3", () => {
  it("logs in with the Authorization cookie and accepts the token as the raw header", async () => {
    const login = await call("POST", "login", {
      body: { login: "arthur-user", password: "arthur-password" },
    });
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({ username: "arthur-user", organization_id: "arthur-org-1" });
    const cookie = login.headers.getSetCookie()[0] ?? "";
    expect(cookie).toMatch(
      /^Authorization=session-[0-9a-f-]+; Path=\/; Expires=.+; Max-Age=3600; Secure; HttpOnly$/,
    );
    const token = /^Authorization=([^;]+)/.exec(cookie)?.[1] ?? "";
    expect((await call("GET", "users/me", { headers: { authorization: token } })).status).toBe(200);
    expect((await call("GET", "users/me", { headers: { authorization: `Bearer ${token}` } })).body).toEqual({
      error: "Unauthorized: send the key or token as the raw Authorization value, without 'Bearer '",
    });
    emulator.expireTokens();
    expect((await call("GET", "users/me", { headers: { authorization: token } })).status).toBe(401);
    expect(emulator.calls.map((request) => request.auth)).toEqual([
      "none",
      "session",
      "invalid",
      "expired-session",
    ]);
    expect(emulator.calls[0]?.body).toEqual({ login: "arthur-user", password: "<redacted>" });
  });

  it("refuses bad logins", async () => {
    expect((await call("POST", "login", { body: { login: "arthur-user", password: "nope" } })).status).toBe(
      401,
    );
    expect((await call("POST", "login", { body: { login: "arthur-user" } })).status).toBe(400);
    expect((await call("GET", "users/me")).status).toBe(401);
  });

  it("serves models with attributes only when expanded, by id or partner id", async () => {
    const headers = { authorization: KEY };
    const expanded = await call("GET", "models/arthur-llm-model?id_type=id&expand=attributes", { headers });
    expect(expanded.body.attributes).toHaveLength(7);
    const plain = await call("GET", "models/arthur-llm-model", { headers });
    expect(plain.body.attributes).toBeUndefined();
    const byPartner = await call(
      "GET",
      "models/arthur-llm-model-partner?id_type=partner_model_id&expand=attributes",
      {
        headers,
      },
    );
    expect(byPartner.body.id).toBe("arthur-llm-model");
    expect((await call("GET", "models/unknown", { headers })).status).toBe(404);
  });

  it("answers auth_info, and 403 on users/me for a non-internal user", async () => {
    await emulator.close();
    emulator = await startArthurEmulator({ internalUser: false, organizationIds: ["o1", "o2"] });
    expect((await call("GET", "users/me", { headers: { authorization: KEY } })).status).toBe(403);
    expect((await call("GET", "users/me/auth_info", { headers: { authorization: KEY } })).body).toMatchObject(
      {
        organization_ids: ["o1", "o2"],
      },
    );
  });

  it("refuses an organization the credentials do not belong to", async () => {
    const response = await call("GET", "users/me", {
      headers: { authorization: KEY, "arthur-organization-id": "someone-else" },
    });
    expect(response.status).toBe(403);
  });

  it("validates every inference like the real API and answers 207 per item", async () => {
    const items = [
      inference(VALID),
      inference({ ...VALID, unknown_column: 1 }),
      inference(VALID, { input_text: "flat, not nested" }),
      inference(VALID, { inference_timestamp: "2024-01-01 12:00" }),
      inference({ input_text: "prompt" }),
      inference({ ...VALID, prompt_tokens: 1.5 }),
      inference({ ...VALID, output_likelihoods: [{ a: 0.1, b: 0.1, c: 0.1, d: 0.1, e: 0.1, f: 0.1 }] }),
      inference({ ...VALID, output_likelihoods: [{ a: 2 }] }),
      inference({ ...VALID, output_text: 42 }),
      inference(VALID, { inference_timestamp: "2024-01-01T12:00:00.000Z" }),
      inference({ ...VALID, finish_reason: null, duration: 0.5, output_likelihoods: [{ a: 0.5 }] }),
      "not an object",
    ];
    const response = await call("POST", "models/arthur-llm-model/inferences", {
      body: items,
      headers: { authorization: KEY },
    });
    expect(response.status).toBe(207);
    expect(response.body).toMatchInlineSnapshot(`
      {
        "counts": {
          "failure": 9,
          "success": 3,
          "total": 12,
        },
        "results": [
          {
            "message": "success",
            "status": 200,
          },
          {
            "message": "Unexpected key "unknown_column" in inference_data: not an attribute of model arthur-llm-model",
            "status": 400,
          },
          {
            "message": "Unexpected key "input_text": not a reserved key (attributes go in inference_data)",
            "status": 400,
          },
          {
            "message": "inference_timestamp must be an ISO-8601 timestamp with a time zone",
            "status": 400,
          },
          {
            "message": "Missing attribute "output_text" in inference_data",
            "status": 400,
          },
          {
            "message": "Attribute "prompt_tokens": expected an integer",
            "status": 400,
          },
          {
            "message": "Attribute "output_likelihoods": token 0: at most 5 token likelihood pairs, got 6",
            "status": 400,
          },
          {
            "message": "Attribute "output_likelihoods": token 0: the likelihood of "a" must be a probability from 0 to 1",
            "status": 400,
          },
          {
            "message": "Attribute "output_text": expected a string, got number",
            "status": 400,
          },
          {
            "message": "success",
            "status": 200,
          },
          {
            "message": "success",
            "status": 200,
          },
          {
            "message": "An inference must be an object",
            "status": 400,
          },
        ],
      }
    `);
    expect(emulator.inferences).toHaveLength(3);
    expect(emulator.received).toHaveLength(3);
    expect(emulator.rejected).toHaveLength(9);
  });

  it("refuses a body that is not an array, and an unknown model", async () => {
    const headers = { authorization: KEY };
    expect(
      (await call("POST", "models/arthur-llm-model/inferences", { body: inference(VALID), headers })).status,
    ).toBe(400);
    expect((await call("POST", "models/nope/inferences", { body: [], headers })).status).toBe(404);
  });

  it("injects request faults by route and count, and item faults by index or id", async () => {
    const headers = { authorization: KEY };
    emulator.failNext({ route: ARTHUR_ROUTES.inferences, times: 2, status: 503 });
    expect((await call("GET", "users/me", { headers })).status).toBe(200);
    const path = "models/arthur-llm-model/inferences";
    expect((await call("POST", path, { body: [], headers })).status).toBe(503);
    expect((await call("POST", path, { body: [], headers })).status).toBe(503);
    emulator.failItem({ index: 0, status: 500 });
    emulator.failItem({ partnerInferenceId: "target", status: 422, message: "nope", times: 2 });
    const first = await call("POST", path, {
      body: [inference(VALID), inference(VALID, { partner_inference_id: "target" })],
      headers,
    });
    expect(first.body.results).toEqual([
      { message: "injected failure", status: 500 },
      { message: "nope", status: 422 },
    ]);
    const second = await call("POST", path, {
      body: [inference(VALID), inference(VALID, { partner_inference_id: "target" })],
      headers,
    });
    expect(second.body.results.map((result: { status: number }) => result.status)).toEqual([200, 422]);
    emulator.reset();
    expect([emulator.received, emulator.calls, emulator.inferences, emulator.rejected]).toEqual([
      [],
      [],
      [],
      [],
    ]);
    const third = await call("POST", path, {
      body: [inference(VALID, { partner_inference_id: "target" })],
      headers,
    });
    expect(third.body.counts).toEqual({ success: 1, failure: 0, total: 1 });
  });

  it("stores an inference once by partner_inference_id, or twice with duplicates: store", async () => {
    const headers = { authorization: KEY };
    const path = "models/arthur-llm-model/inferences";
    const body = [inference(VALID, { partner_inference_id: "same" })];
    expect((await call("POST", path, { body, headers })).body.counts).toEqual({
      success: 1,
      failure: 0,
      total: 1,
    });
    expect((await call("POST", path, { body, headers })).body.counts).toEqual({
      success: 1,
      failure: 0,
      total: 1,
    });
    expect([emulator.inferences.length, emulator.duplicates]).toEqual([1, 1]);
    await emulator.close();
    emulator = await startArthurEmulator({ duplicates: "store" });
    await call("POST", path, { body, headers });
    await call("POST", path, { body, headers });
    expect([emulator.inferences.length, emulator.duplicates]).toEqual([2, 1]);
  });

  it("applies the dialect's faults: hang, resets before and after storing, malformed, 413, seeded faults", async () => {
    await emulator.close();
    emulator = await startArthurEmulator({
      maxRequestBytes: 2_000,
      injectItemFault: (_inference, index) => (index === 1 ? { status: 503 } : undefined),
    });
    const headers = { authorization: KEY };
    const path = "models/arthur-llm-model/inferences";
    const body = [inference(VALID)];
    emulator.failNext({ route: ARTHUR_ROUTES.inferences, status: 500 });
    expect((await call("POST", path, { body, headers })).status).toBe(500);
    emulator.failNext({ route: ARTHUR_ROUTES.inferences, status: 429, headers: { "retry-after": "1" } });
    const limited = await call("POST", path, { body, headers });
    expect([limited.status, limited.headers.get("retry-after")]).toEqual([429, "1"]);
    emulator.failNext({ route: ARTHUR_ROUTES.inferences, reset: "before-store" });
    await expect(call("POST", path, { body, headers })).rejects.toThrow();
    expect(emulator.received).toEqual([]);
    // The post-commit loss: stored, then the connection is dropped.
    emulator.failNext({ route: ARTHUR_ROUTES.inferences, reset: "after-store" });
    await expect(call("POST", path, { body, headers })).rejects.toThrow();
    expect(emulator.inferences).toHaveLength(1);
    emulator.failNext({ route: ARTHUR_ROUTES.inferences, status: 207, malformed: true });
    const malformed = await fetch(`${emulator.url}/api/v3/${path}`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(malformed.status).toBe(207);
    await expect(malformed.json()).rejects.toThrow();
    emulator.failNext({ route: ARTHUR_ROUTES.inferences, hangMs: Number.POSITIVE_INFINITY });
    const hung = fetch(`${emulator.url}/api/v3/${path}`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify([inference(VALID)]),
    }).catch((error: unknown) => error);
    await emulator.waitForRequests(6);
    await emulator.close();
    expect(await hung).toBeInstanceOf(Error);
    expect(emulator.inferences).toHaveLength(1);

    emulator = await startArthurEmulator({
      maxRequestBytes: 2_000,
      injectItemFault: (_inference, index) => (index === 1 ? { status: 503 } : undefined),
    });
    const tooLarge = await call("POST", path, {
      body: [inference({ ...VALID, input_text: "x".repeat(3_000) })],
      headers,
    });
    expect(tooLarge.status).toBe(413);
    const partial = await call("POST", path, { body: [inference(VALID), inference(VALID)], headers });
    expect(partial.body).toEqual({
      counts: { success: 1, failure: 1, total: 2 },
      results: [
        { message: "success", status: 200 },
        { message: "injected failure", status: 503 },
      ],
    });
    expect(emulator.inferences).toHaveLength(1);
    expect(emulator.rejected).toMatchObject([{ status: 503 }]);
    emulator.injectFaults(createSeededFaults({ seed: 7, rate: 1, faults: [{ status: 502 }] }));
    expect((await call("POST", path, { body, headers })).status).toBe(502);
    emulator.injectFaults(undefined);
    expect(emulator.calls.map((request) => request.status)).toEqual([413, 207, 502]);
  });

  it("builds token sequence models with or without the optional attributes", () => {
    expect(
      createArthurTokenSequenceModel({ likelihoodAttribute: null, optionalAttributes: false }).attributes,
    ).toEqual([
      {
        name: "input_text",
        stage: "PIPELINE_INPUT",
        value_type: "UNSTRUCTURED_TEXT",
        position: 0,
        categorical: false,
        is_unique: false,
      },
      {
        name: "output_text",
        stage: "PREDICTED_VALUE",
        value_type: "UNSTRUCTURED_TEXT",
        position: 0,
        categorical: false,
        is_unique: false,
      },
    ]);
    expect(
      createArthurTokenSequenceModel({ optionalAttributes: ["duration"] }).attributes.map(
        (attribute) => attribute.name,
      ),
    ).toEqual(["input_text", "output_text", "output_likelihoods", "duration"]);
  });
});
