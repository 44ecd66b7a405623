import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TRUBRICS_DEFAULT_FIREBASE_API_KEY } from "../trubrics-settings";
import { decodeFirestoreFields, startTrubricsEmulator, type TrubricsEmulator } from "./index";

const API_KEY = "trk_emulator_test_key";
const DOCUMENTS = "/v1/projects/trubrics-streamlit/databases/(default)/documents";
const ORGANISATION = `${DOCUMENTS}/organisations/emulator-organisation`;

let emulator: TrubricsEmulator;

beforeEach(async () => {
  emulator = await startTrubricsEmulator({
    apiKeys: [API_KEY],
    users: [{ email: "ada@example.com", password: "pw" }],
    projects: ["default", { name: "archived-one", archived: true }],
  });
});

afterEach(async () => {
  await emulator.close();
});

async function send(
  path: string,
  options: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${emulator.url}${path}`, {
    method: options.method ?? "POST",
    headers: { "content-type": "application/json", ...options.headers },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

function llmEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    user_id: "u",
    prompt: "p",
    generation: "g",
    assistant_id: null,
    properties: { $thread_id: "t" },
    timestamp: "2025-03-01T10:00:00.123456+00:00",
    latency: 1.5,
    thread_id: null,
    ...overrides,
  };
}

async function signIn(): Promise<string> {
  const { body } = await send(`/v1/accounts:signInWithPassword?key=${TRUBRICS_DEFAULT_FIREBASE_API_KEY}`, {
    body: { email: "ada@example.com", password: "pw", returnSecureToken: true },
  });
  return (body as { idToken: string }).idToken;
}

describe("ingestion API", () => {
  it("answers 401 without an x-api-key header and with an unknown key", async () => {
    expect(await send("/api/ingestion/publish_llm_events", { body: [llmEvent()] })).toMatchInlineSnapshot(`
      {
        "body": {
          "detail": "Missing API key: send the project API key in the x-api-key header.",
        },
        "status": 401,
      }
    `);
    expect(
      await send("/api/ingestion/publish_llm_events", {
        body: [llmEvent()],
        headers: { "x-api-key": "nope" },
      }),
    ).toMatchInlineSnapshot(`
      {
        "body": {
          "detail": "Invalid API key.",
        },
        "status": 401,
      }
    `);
    expect(emulator.receivedLlmEvents).toEqual([]);
  });

  it("answers 422 to more than 100 items", async () => {
    const response = await send("/publish_llm_events", {
      body: Array.from({ length: 101 }, () => llmEvent()),
      headers: { "x-api-key": API_KEY },
    });
    expect(response).toMatchInlineSnapshot(`
      {
        "body": {
          "detail": [
            {
              "loc": [
                "body",
              ],
              "msg": "List should have at most 100 items after validation, not 101",
              "type": "too_long",
            },
          ],
        },
        "status": 422,
      }
    `);
  });

  it("answers 422 naming each field of the wrong type, and 422 to a body that is not a list", async () => {
    const response = await send("/publish_llm_events", {
      body: [
        llmEvent(),
        llmEvent({ user_id: 42, latency: "slow", properties: [], timestamp: "yesterday" }),
        llmEvent({ prompt: undefined, assistant_id: 7 }),
      ],
      headers: { "x-api-key": API_KEY },
    });
    expect(response).toMatchInlineSnapshot(`
      {
        "body": {
          "detail": [
            {
              "input": 42,
              "loc": [
                "body",
                1,
                "user_id",
              ],
              "msg": "Input should be a valid string",
              "type": "string_type",
            },
            {
              "input": "yesterday",
              "loc": [
                "body",
                1,
                "timestamp",
              ],
              "msg": "Input should be a valid datetime or date",
              "type": "datetime_from_date_parsing",
            },
            {
              "input": [],
              "loc": [
                "body",
                1,
                "properties",
              ],
              "msg": "Input should be a valid dictionary",
              "type": "dict_type",
            },
            {
              "input": "slow",
              "loc": [
                "body",
                1,
                "latency",
              ],
              "msg": "Input should be a valid number",
              "type": "float_type",
            },
            {
              "loc": [
                "body",
                2,
                "prompt",
              ],
              "msg": "Field required",
              "type": "missing",
            },
            {
              "input": 7,
              "loc": [
                "body",
                2,
                "assistant_id",
              ],
              "msg": "Input should be a valid string",
              "type": "string_type",
            },
          ],
        },
        "status": 422,
      }
    `);
    expect(
      await send("/publish_llm_events", { body: llmEvent(), headers: { "x-api-key": API_KEY } }),
    ).toMatchObject({ status: 422, body: { detail: [{ type: "list_type", loc: ["body"] }] } });
    expect(emulator.receivedLlmEvents).toEqual([]);
  });

  it("accepts every documented variant of an LLM event and keeps it", async () => {
    const variants = [
      llmEvent(),
      // The JS SDK: no event names, a Date timestamp with Z, an integer latency.
      {
        user_id: "u",
        prompt: "p",
        generation: "g",
        assistant_id: "gpt-4o",
        properties: {},
        timestamp: "2025-03-01T10:00:00.123Z",
        latency: 2,
      },
      // Only the required fields.
      { user_id: "u", prompt: "p", generation: "g", timestamp: "2025-03-01T10:00:00Z" },
      llmEvent({ prompt_event_name: "Prompt", generation_event_name: "Generation", properties: null }),
    ];
    const response = await send("/publish_llm_events", { body: variants, headers: { "x-api-key": API_KEY } });
    expect(response).toEqual({ status: 200, body: { status: "success" } });
    expect(emulator.receivedLlmEvents).toHaveLength(4);
    expect(emulator.receivedLlmEventBatches).toHaveLength(1);
  });

  it("validates and keeps plain events of publish_events", async () => {
    const headers = { "x-api-key": API_KEY };
    const event = {
      user_id: "u",
      event: "Signed up",
      timestamp: "2025-03-01T10:00:00Z",
      properties: { $text: "hi" },
    };
    expect(await send("/publish_events", { body: [event], headers })).toEqual({
      status: 200,
      body: { status: "success" },
    });
    expect(await send("/publish_events", { body: [{ ...event, event: 1 }], headers })).toMatchObject({
      status: 422,
      body: { detail: [{ type: "string_type", loc: ["body", 0, "event"] }] },
    });
    expect(emulator.receivedEvents).toEqual([event]);
  });

  it("injects failures, then answers normally, and forgets everything on reset", async () => {
    emulator.failNext({ route: emulator.routes.publishLlmEvents, status: 503 });
    const headers = { "x-api-key": API_KEY };
    expect(await send("/publish_llm_events", { body: [llmEvent()], headers })).toEqual({
      status: 503,
      body: { detail: "Service unavailable." },
    });
    expect((await send("/publish_llm_events", { body: [llmEvent()], headers })).status).toBe(200);
    expect(emulator.requests.map((request) => request.status)).toEqual([503, 200]);
    emulator.reset();
    expect([emulator.requests, emulator.receivedLlmEvents, emulator.signIns]).toEqual([[], [], 0]);
  });

  it("asks a fault injector about every request failNext has nothing queued for, until reset", async () => {
    const headers = { "x-api-key": API_KEY };
    const asked: string[] = [];
    emulator.injectFaults(({ method, path }) => {
      asked.push(`${method} ${path}`);
      return asked.length === 1 ? { status: 429, headers: { "retry-after": "0" } } : undefined;
    });
    emulator.failNext({ route: emulator.routes.publishLlmEvents, status: 500 });

    expect((await send("/publish_llm_events", { body: [llmEvent()], headers })).status).toBe(500);
    const throttled = await fetch(`${emulator.url}/publish_llm_events`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify([llmEvent()]),
    });
    expect([throttled.status, throttled.headers.get("retry-after"), await throttled.json()]).toEqual([
      429,
      "0",
      { detail: "Too many requests." },
    ]);
    expect((await send("/publish_llm_events", { body: [llmEvent()], headers })).status).toBe(200);
    expect(asked).toEqual(["POST /publish_llm_events", "POST /publish_llm_events"]);
    expect(emulator.receivedLlmEvents).toHaveLength(1);

    emulator.reset();
    expect((await send("/publish_llm_events", { body: [llmEvent()], headers })).status).toBe(200);
    expect(asked).toHaveLength(2);
  });

  it("keeps what a malformed answer accepted, and answers a body that is not JSON", async () => {
    emulator.failNext({ route: emulator.routes.publishLlmEvents, malformed: true, times: 2 });
    const post = (apiKey: string) =>
      fetch(`${emulator.url}/publish_llm_events`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": apiKey },
        body: JSON.stringify([llmEvent()]),
      });

    const accepted = await post(API_KEY);
    const text = await accepted.text();
    expect(accepted.status).toBe(200);
    expect(() => JSON.parse(text)).toThrow();
    expect(emulator.receivedLlmEvents).toHaveLength(1);
  });

  it("answers 413 to a body over maxRequestBytes and keeps nothing of it", async () => {
    await emulator.close();
    emulator = await startTrubricsEmulator({ apiKeys: [API_KEY], maxRequestBytes: 2000 });
    const headers = { "x-api-key": API_KEY };

    const large = await send("/publish_llm_events", {
      body: [llmEvent({ prompt: "x".repeat(2000) })],
      headers,
    });
    const small = await send("/publish_llm_events", { body: [llmEvent()], headers });

    expect(large).toEqual({
      status: 413,
      body: { detail: "Request payload size exceeds the limit: 2000 bytes." },
    });
    expect(small.status).toBe(200);
    expect(emulator.receivedLlmEvents.map((event) => event.prompt)).toEqual(["p"]);
  });
});

describe("Firebase sign-in", () => {
  it("answers in the Identity Toolkit error shapes", async () => {
    const path = "/v1/accounts:signInWithPassword";
    const credentials = { email: "ada@example.com", password: "pw", returnSecureToken: true };
    expect(await send(path, { body: credentials })).toMatchInlineSnapshot(`
      {
        "body": {
          "error": {
            "code": 403,
            "message": "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
            "status": "PERMISSION_DENIED",
          },
        },
        "status": 403,
      }
    `);
    expect(await send(`${path}?key=wrong`, { body: credentials })).toMatchInlineSnapshot(`
      {
        "body": {
          "error": {
            "code": 400,
            "details": [
              {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "domain": "googleapis.com",
                "metadata": {
                  "service": "identitytoolkit.googleapis.com",
                },
                "reason": "API_KEY_INVALID",
              },
            ],
            "errors": [
              {
                "domain": "global",
                "message": "API key not valid. Please pass a valid API key.",
                "reason": "badRequest",
              },
            ],
            "message": "API key not valid. Please pass a valid API key.",
            "status": "INVALID_ARGUMENT",
          },
        },
        "status": 400,
      }
    `);
    expect(
      await send(`${path}?key=${TRUBRICS_DEFAULT_FIREBASE_API_KEY}`, {
        body: { ...credentials, password: "bad" },
      }),
    ).toMatchInlineSnapshot(`
      {
        "body": {
          "error": {
            "code": 400,
            "errors": [
              {
                "domain": "global",
                "message": "INVALID_LOGIN_CREDENTIALS",
                "reason": "invalid",
              },
            ],
            "message": "INVALID_LOGIN_CREDENTIALS",
          },
        },
        "status": 400,
      }
    `);
    expect(
      (await send(`${path}?key=${TRUBRICS_DEFAULT_FIREBASE_API_KEY}`, { body: { password: "pw" } })).body,
    ).toMatchObject({ error: { code: 400, message: "MISSING_EMAIL" } });
    expect(emulator.signIns).toBe(0);
  });

  it("signs in with the right key and credentials", async () => {
    const { status, body } = await send(
      `/v1/accounts:signInWithPassword?key=${TRUBRICS_DEFAULT_FIREBASE_API_KEY}`,
      {
        body: { email: "ada@example.com", password: "pw", returnSecureToken: true },
      },
    );
    expect(status).toBe(200);
    expect(body).toMatchInlineSnapshot(`
      {
        "displayName": "",
        "email": "ada@example.com",
        "expiresIn": "3600",
        "idToken": "emulator-id-token-1+a/b=",
        "kind": "identitytoolkit#VerifyPasswordResponse",
        "localId": "emulator-user-ada",
        "refreshToken": "emulator-refresh-token-1",
        "registered": true,
      }
    `);
    expect(emulator.signIns).toBe(1);
  });
});

describe("Firestore", () => {
  const query = {
    structuredQuery: {
      from: [{ collectionId: "organisations" }],
      where: {
        fieldFilter: {
          field: { fieldPath: "users" },
          op: "ARRAY_CONTAINS",
          value: { stringValue: "ada@example.com" },
        },
      },
    },
  };

  it("answers 403 without a token and 401 with a revoked one, in the Google error shape", async () => {
    expect(await send(`${DOCUMENTS}:runQuery`, { body: query })).toMatchInlineSnapshot(`
      {
        "body": {
          "error": {
            "code": 403,
            "message": "Missing or insufficient permissions.",
            "status": "PERMISSION_DENIED",
          },
        },
        "status": 403,
      }
    `);
    const idToken = await signIn();
    emulator.revokeTokens();
    expect(
      await send(`${DOCUMENTS}:runQuery`, { body: query, headers: { authorization: `Bearer ${idToken}` } }),
    ).toMatchInlineSnapshot(`
      {
        "body": {
          "error": {
            "code": 401,
            "message": "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
            "status": "UNAUTHENTICATED",
          },
        },
        "status": 401,
      }
    `);
  });

  it("finds the organisation and lists its projects with their archived flag", async () => {
    const headers = { authorization: `Bearer ${await signIn()}` };
    const organisations = await send(`${DOCUMENTS}:runQuery`, { body: query, headers });
    expect(organisations.status).toBe(200);
    expect((organisations.body as Array<{ document: { name: string } }>)[0]?.document.name).toBe(
      ORGANISATION.slice("/v1/".length),
    );
    const projects = await send(`${ORGANISATION}/projects?pageSize=50`, { method: "GET", headers });
    expect(
      (
        projects.body as { documents: Array<{ name: string; fields: Record<string, unknown> }> }
      ).documents.map((document) => [
        document.name.split("/").pop(),
        decodeFirestoreFields(document.fields).archived,
      ]),
    ).toEqual([
      ["default", false],
      ["archived-one", true],
    ]);
  });

  it("writes a prompt document, accepting integers as strings or numbers", async () => {
    const headers = { authorization: `Bearer ${await signIn()}` };
    const fields = {
      prompt: { stringValue: "p" },
      count: { integerValue: "3" },
      legacy_count: { integerValue: 3 },
      created_on: { timestampValue: "2023-10-01T12:00:00.123456Z" },
      tags: { arrayValue: { values: [{ stringValue: "langchain" }, { nullValue: null }] } },
      metadata: { mapValue: { fields: { nested: { mapValue: { fields: {} } } } } },
    };
    const response = await send(`${ORGANISATION}/projects/default/prompts`, { body: { fields }, headers });
    expect(response.status).toBe(200);
    expect((response.body as { name: string }).name).toMatch(
      /\/projects\/default\/prompts\/emulatorPrompt\d+$/,
    );
    expect(emulator.receivedPrompts).toEqual([
      {
        organisationId: "emulator-organisation",
        project: "default",
        documentId: "emulatorPrompt00000001",
        fields,
      },
    ]);
  });

  it("creates a document under the documentId asked for, and refuses a second create with 409", async () => {
    const headers = { authorization: `Bearer ${await signIn()}` };
    const path = `${ORGANISATION}/projects/default/prompts?documentId=run-1%3A0`;
    const fields = { prompt: { stringValue: "p" } };

    const first = await send(path, { body: { fields }, headers });
    const second = await send(path, { body: { fields: { prompt: { stringValue: "other" } } }, headers });

    expect(first.status).toBe(200);
    expect((first.body as { name: string }).name).toMatch(/\/projects\/default\/prompts\/run-1:0$/);
    expect(second).toMatchObject({ status: 409, body: { error: { code: 409, status: "ALREADY_EXISTS" } } });
    expect(emulator.receivedPrompts).toEqual([
      { organisationId: "emulator-organisation", project: "default", documentId: "run-1:0", fields },
    ]);
  });

  it.each(["__reserved__", "..", "a%2Fb"])("answers 400 to the document id %s", async (documentId) => {
    const headers = { authorization: `Bearer ${await signIn()}` };
    const response = await send(
      `${ORGANISATION}/projects/default/prompts?documentId=${encodeURIComponent(decodeURIComponent(documentId))}`,
      { body: { fields: {} }, headers },
    );
    expect(response).toMatchObject({ status: 400, body: { error: { status: "INVALID_ARGUMENT" } } });
    expect(emulator.receivedPrompts).toEqual([]);
  });

  it.each([
    { case: "a value of the wrong type", fields: { prompt: { stringValue: 5 } } },
    { case: "an unknown value kind", fields: { prompt: { textValue: "p" } } },
    { case: "two value kinds", fields: { prompt: { stringValue: "p", nullValue: null } } },
    {
      case: "an array in an array",
      fields: { tags: { arrayValue: { values: [{ arrayValue: { values: [] } }] } } },
    },
    { case: "a malformed timestamp", fields: { created_on: { timestampValue: "yesterday" } } },
    { case: "a fractional integer", fields: { count: { integerValue: "1.5" } } },
  ])("answers 400 INVALID_ARGUMENT to $case", async ({ fields }) => {
    const headers = { authorization: `Bearer ${await signIn()}` };
    const response = await send(`${ORGANISATION}/projects/default/prompts`, { body: { fields }, headers });
    expect(response).toMatchObject({
      status: 400,
      body: { error: { code: 400, status: "INVALID_ARGUMENT" } },
    });
    expect(emulator.receivedPrompts).toEqual([]);
  });

  it("refuses a write to a project the organisation does not have", async () => {
    const headers = { authorization: `Bearer ${await signIn()}` };
    const response = await send(`${ORGANISATION}/projects/elsewhere/prompts`, {
      body: { fields: {} },
      headers,
    });
    expect(response).toMatchInlineSnapshot(`
      {
        "body": {
          "error": {
            "code": 403,
            "message": "Missing or insufficient permissions.",
            "status": "PERMISSION_DENIED",
          },
        },
        "status": 403,
      }
    `);
  });
});

describe("the testing dialect", () => {
  const headers = { "x-api-key": API_KEY };

  it("stores a request whose connection it then drops (reset after store), and lists it in received", async () => {
    emulator.failNext({ route: emulator.routes.publishLlmEvents, reset: "after-store" });

    await expect(send("/publish_llm_events", { body: [llmEvent()], headers })).rejects.toThrow();

    expect(emulator.received).toEqual([{ kind: "llm-event", event: llmEvent() }]);
    expect(emulator.requests.map((request) => [request.status, request.stored])).toEqual([["reset", 1]]);
  });

  it("drops a request before storing it (reset before store)", async () => {
    emulator.failNext({ route: emulator.routes.publishLlmEvents, reset: "before-store" });

    await expect(send("/publish_llm_events", { body: [llmEvent()], headers })).rejects.toThrow();

    expect(emulator.received).toEqual([]);
  });

  it("holds a hung create until released, then stores it: received includes what came after the client gave up", async () => {
    const idToken = await signIn();
    emulator.failNext({ route: emulator.routes.createPrompt, hangMs: Number.POSITIVE_INFINITY });
    const controller = new AbortController();
    const request = fetch(`${emulator.url}${ORGANISATION}/projects/default/prompts?documentId=run-9`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${idToken}` },
      body: JSON.stringify({ fields: { prompt: { stringValue: "p" } } }),
      signal: controller.signal,
    });
    await emulator.waitForRequests(2);
    // The client gives up; the emulator has stored nothing yet.
    controller.abort();
    await expect(request).rejects.toThrow();
    expect(emulator.received).toEqual([]);

    emulator.releaseHangs();
    await emulator.waitForReceived(1);

    expect(emulator.receivedPrompts.map((prompt) => prompt.documentId)).toEqual(["run-9"]);
  });

  it("routes each fault to its endpoint, with the body the real service sends with its status", async () => {
    emulator.failNext({ route: emulator.routes.signIn, status: 503 });
    emulator.failNext({ route: emulator.routes.publishLlmEvents, status: 503 });

    expect(await send("/publish_llm_events", { body: [llmEvent()], headers })).toEqual({
      status: 503,
      body: { detail: "Service unavailable." },
    });
    expect(
      await send(`/v1/accounts:signInWithPassword?key=${TRUBRICS_DEFAULT_FIREBASE_API_KEY}`, {
        body: { email: "ada@example.com", password: "pw", returnSecureToken: true },
      }),
    ).toEqual({
      status: 503,
      body: { error: { code: 503, message: "Injected failure 503.", status: "UNAVAILABLE" } },
    });
    expect(emulator.signIns).toBe(0);
  });
});
