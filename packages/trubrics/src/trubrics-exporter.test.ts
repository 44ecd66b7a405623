import { inspect } from "node:util";
import { HumanMessage } from "@langchain/core/messages";
import {
  ConfigurationError,
  ExportTimeoutError,
  type LLMRunRecord,
  ObservabilityError,
  VendorApiError,
} from "@langchain-observability/core";
import { FakeDetailedChatModel } from "@langchain-observability/core/testing";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { exportTrubrics, TrubricsCallbackHandler, type TrubricsCallbackHandlerOptions } from "./index";
import type { TrubricsEmulatorOptions } from "./testing/index";
import {
  clearTrubricsEnv,
  requestStatuses,
  startTrubricsServer,
  TEST_API_KEY,
  TEST_PASSWORD,
  type TrubricsTestServer,
} from "./trubrics-test-helpers";

const WRONG_API_KEY = "trk_wrong_SECRET_key_9876543210";
const WRONG_PASSWORD = "hunter2-SECRET-wrong-password";

let trubrics: TrubricsTestServer;
const handlers: TrubricsCallbackHandler[] = [];

beforeEach(async () => {
  clearTrubricsEnv();
  trubrics = await startTrubricsServer();
});

afterEach(async () => {
  await Promise.all(handlers.splice(0).map((handler) => handler.shutdown({ timeoutMs: 1000 })));
  await trubrics.close();
});

async function restartEmulator(options: TrubricsEmulatorOptions): Promise<void> {
  await trubrics.close();
  trubrics = await startTrubricsServer(options);
}

interface Observed {
  handler: TrubricsCallbackHandler;
  errors: unknown[];
}

function observe(options: TrubricsCallbackHandlerOptions): Observed {
  const errors: unknown[] = [];
  const handler = new TrubricsCallbackHandler({
    // Generous: only an injected hang may reach it, never a slow loopback answer.
    timeoutMs: 30_000,
    maxRetries: 2,
    flushIntervalMs: 60_000,
    onError: (error) => errors.push(error),
    ...options,
  });
  handlers.push(handler);
  return { handler, errors };
}

function ingestion(options: TrubricsCallbackHandlerOptions = {}): Observed {
  return observe({ apiKey: TEST_API_KEY, host: trubrics.url, ...options });
}

function legacy(options: TrubricsCallbackHandlerOptions = {}): Observed {
  return observe({ ...trubrics.legacy, ...options });
}

/** Runs one chat call through the handler and checks that the chain got its answer whatever Trubrics did. */
async function chat(handler: TrubricsCallbackHandler, question = "Tell me a joke"): Promise<void> {
  const model = new FakeDetailedChatModel({
    model: "gpt-4o-mini",
    responses: [{ content: `An answer to: ${question}` }],
    callbacks: [handler],
  });
  const answer = await model.invoke([new HumanMessage(question)]);
  expect(answer.content).toBe(`An answer to: ${question}`);
}

function statuses(): string[] {
  return requestStatuses(trubrics.emulator);
}

function messageOf(error: unknown): string {
  return (error as Error).message.replaceAll(trubrics.url, "<emulator>");
}

describe("ingestion API failures", () => {
  it("retries after a 429 and waits as long as its Retry-After says", async () => {
    const { handler, errors } = ingestion();
    trubrics.emulator.failNext({
      route: trubrics.emulator.routes.publishLlmEvents,
      status: 429,
      headers: { "retry-after": "1" },
    });
    // When each request arrived, from the emulator's own signals (only a lower bound is checked).
    const arrivals: number[] = [];
    void trubrics.emulator.waitForRequests(1).then(() => arrivals.push(Date.now()));
    void trubrics.emulator.waitForRequests(2).then(() => arrivals.push(Date.now()));

    await chat(handler);
    const flushed = await handler.flush();

    expect(flushed).toMatchObject({ ok: true, exported: 1, failed: 0 });
    expect(handler.stats()).toMatchObject({ exported: 1, failed: 0, retried: 1 });
    expect(statuses()).toMatchInlineSnapshot(`
      [
        "publish_llm_events 429",
        "publish_llm_events 200",
      ]
    `);
    const [first, second] = arrivals;
    expect(second! - first!).toBeGreaterThanOrEqual(900);
    expect(trubrics.emulator.receivedLlmEvents).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it("retries after a 503", async () => {
    const { handler, errors } = ingestion();
    trubrics.emulator.failNext({ route: trubrics.emulator.routes.publishLlmEvents, status: 503, times: 2 });

    await chat(handler);
    const flushed = await handler.flush();

    expect(flushed).toMatchObject({ ok: true, exported: 1, failed: 0 });
    expect(handler.stats()).toMatchObject({ exported: 1, failed: 0, retried: 2 });
    expect(statuses()).toMatchInlineSnapshot(`
      [
        "publish_llm_events 503",
        "publish_llm_events 503",
        "publish_llm_events 200",
      ]
    `);
    expect(errors).toEqual([]);
  });

  it("does not retry after a 401, counts the record as failed, and the chain still succeeds", async () => {
    const { handler, errors } = ingestion({ apiKey: WRONG_API_KEY });

    await chat(handler);
    const flushed = await handler.flush();

    expect(flushed).toMatchObject({ ok: false, exported: 0, failed: 1, pending: 0 });
    expect(handler.stats()).toMatchObject({ exported: 0, failed: 1, retried: 0 });
    expect(statuses()).toMatchInlineSnapshot(`
      [
        "publish_llm_events 401",
      ]
    `);
    expect(errors).toHaveLength(1);
    expect(VendorApiError.isInstance(errors[0])).toBe(true);
    expect((errors[0] as VendorApiError).isRetryable).toBe(false);
    expect(messageOf(errors[0])).toMatchInlineSnapshot(
      `"Trubrics: POST <emulator>/publish_llm_events answered 401: {"detail":"Invalid API key."} (the API key was refused: check \`apiKey\` or env TRUBRICS_API_KEY)"`,
    );
  });

  it("does not retry after a 422", async () => {
    const { handler, errors } = ingestion();
    trubrics.emulator.failNext({ route: trubrics.emulator.routes.publishLlmEvents, status: 422 });

    await chat(handler);
    const flushed = await handler.flush();

    expect(flushed).toMatchObject({ ok: false, exported: 0, failed: 1 });
    expect(handler.stats()).toMatchObject({ failed: 1, retried: 0 });
    expect(statuses()).toMatchInlineSnapshot(`
      [
        "publish_llm_events 422",
      ]
    `);
    expect(messageOf(errors[0])).toMatchInlineSnapshot(
      `"Trubrics: POST <emulator>/publish_llm_events answered 422: {"detail":"Unprocessable entity."}"`,
    );
  });

  it("fails only the items a 422 names and sends the others once more", async () => {
    const { handler, errors } = ingestion();
    trubrics.emulator.failNext({
      route: trubrics.emulator.routes.publishLlmEvents,
      status: 422,
      body: {
        detail: [{ type: "string_type", loc: ["body", 1, "prompt"], msg: "Input should be a valid string" }],
      },
    });

    await chat(handler, "first");
    await chat(handler, "second");
    await chat(handler, "third");
    const flushed = await handler.flush();

    expect(flushed).toMatchObject({ ok: false, exported: 2, failed: 1 });
    expect(statuses()).toMatchInlineSnapshot(`
      [
        "publish_llm_events 422",
        "publish_llm_events 200",
      ]
    `);
    expect(trubrics.emulator.receivedLlmEvents.map((event) => event.prompt)).toEqual(["first", "third"]);
    expect(errors).toHaveLength(1);
    expect((errors[0] as VendorApiError).status).toBe(422);
  });

  it("never resends a publish that timed out: Trubrics may have stored it (at most once)", async () => {
    const { handler, errors } = ingestion({ timeoutMs: 5000, maxRetries: 2 });
    trubrics.emulator.failNext({
      route: trubrics.emulator.routes.publishLlmEvents,
      hangMs: Number.POSITIVE_INFINITY,
    });

    await chat(handler);

    expect(await handler.flush()).toMatchObject({ ok: false, exported: 0, failed: 0, unknown: 1 });
    expect(handler.stats()).toMatchObject({ retried: 0, requeued: 0, failed: 0, unknown: 1, pending: 0 });
    expect(statuses()).toEqual(["publish_llm_events hang"]);
    expect(ExportTimeoutError.isInstance(errors[0])).toBe(true);
    expect(messageOf(errors[0])).toMatchInlineSnapshot(
      `"Trubrics: POST <emulator>/publish_llm_events timed out after 5000 ms; the vendor may have stored it, so it is not sent again"`,
    );
  });

  it("never resends a publish whose connection was reset: Trubrics may have stored it", async () => {
    const { handler, errors } = ingestion({ maxRetries: 2 });
    trubrics.emulator.failNext({ route: trubrics.emulator.routes.publishLlmEvents, reset: "before-store" });

    await chat(handler);

    expect(await handler.flush()).toMatchObject({ ok: false, exported: 0, failed: 0, unknown: 1 });
    expect(handler.stats()).toMatchObject({ retried: 0, requeued: 0, unknown: 1 });
    expect(statuses()).toEqual(["publish_llm_events reset"]);
    expect(VendorApiError.isInstance(errors[0])).toBe(true);
    expect((errors[0] as VendorApiError).status).toBeUndefined();
    expect((errors[0] as VendorApiError).outcome).toBe("unknown");
  });

  it("sends a publish again after a 503 that stored nothing, when the client's resends ran out", async () => {
    const { handler, errors } = ingestion({ maxRetries: 0 });
    trubrics.emulator.failNext({ route: trubrics.emulator.routes.publishLlmEvents, status: 503 });

    await chat(handler);

    // The record went back to the queue, and the next batch delivered it.
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1, failed: 0, unknown: 0 });
    expect(handler.stats()).toMatchObject({ retried: 0, requeued: 1 });
    expect(statuses()).toEqual(["publish_llm_events 503", "publish_llm_events 200"]);
    expect(trubrics.emulator.receivedLlmEvents).toHaveLength(1);
    expect((errors[0] as VendorApiError).status).toBe(503);
  });

  it("takes any 2xx as delivered, even with a body that is not JSON", async () => {
    const { handler, errors } = ingestion();
    trubrics.emulator.failNext({ route: trubrics.emulator.routes.publishLlmEvents, malformed: true });

    await chat(handler);

    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1, failed: 0 });
    expect(trubrics.emulator.receivedLlmEvents).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it("halves a batch refused with 413 until only the oversized record fails", async () => {
    await restartEmulator({ maxRequestBytes: 8000 });
    const { handler, errors } = ingestion();

    for (const question of ["one", "two", "x".repeat(5000), "four", "five"]) await chat(handler, question);
    const flushed = await handler.flush();

    expect(flushed).toMatchObject({ ok: false, exported: 4, failed: 1, pending: 0 });
    expect(handler.stats()).toMatchObject({ captured: 5, exported: 4, failed: 1, retried: 0 });
    // Core's queue halves the refused batch; the halves may go out concurrently, so order is free.
    expect([...statuses()].sort()).toMatchInlineSnapshot(`
      [
        "publish_llm_events 200",
        "publish_llm_events 200",
        "publish_llm_events 413",
        "publish_llm_events 413",
        "publish_llm_events 413",
      ]
    `);
    expect(trubrics.emulator.receivedLlmEvents.map((event) => event.prompt).sort()).toEqual([
      "five",
      "four",
      "one",
      "two",
    ]);
    expect(errors).toHaveLength(1);
    expect((errors[0] as VendorApiError).status).toBe(413);
    expect(messageOf(errors[0])).toMatchInlineSnapshot(
      `"Trubrics: POST <emulator>/publish_llm_events answered 413: {"detail":"Request payload size exceeds the limit: 8000 bytes."}"`,
    );
  });

  it("counts as failed only the part of a halved batch that was not delivered", async () => {
    const { handler, errors } = ingestion({ maxRetries: 0 });
    let request = 0;
    trubrics.emulator.injectFaults(() => {
      request++;
      if (request === 1) return { status: 413 };
      return request === 3 ? { status: 500 } : undefined;
    });

    for (const question of ["one", "two", "three", "four"]) await chat(handler, question);
    const flushed = await handler.flush();

    // A 500 on a publish: Trubrics may have stored it, so the half is counted unknown, not resent.
    expect(flushed).toMatchObject({ ok: false, exported: 2, failed: 0, unknown: 2, pending: 0 });
    expect(statuses()).toEqual([
      "publish_llm_events 413",
      "publish_llm_events 200",
      "publish_llm_events 500",
    ]);
    // Core's queue sends the two halves concurrently: whichever arrived second got the 500.
    const delivered = trubrics.emulator.receivedLlmEvents.map((event) => event.prompt).sort();
    expect([
      ["one", "two"],
      ["four", "three"],
    ]).toContainEqual(delivered);
    expect(errors.map((error) => (error as VendorApiError).status)).toEqual([500]);
  });

  it("splits what it is given into requests of at most 100 items when driven directly", async () => {
    const exporter = exportTrubrics({ apiKey: TEST_API_KEY, host: trubrics.url });
    const records = Array.from({ length: 130 }, (_, index) => makeRecord(`record-${index}`));

    const result = await exporter.export(records, new AbortController().signal);

    expect(result).toEqual({});
    expect(trubrics.emulator.receivedLlmEventBatches.map((batch) => batch.length)).toEqual([100, 30]);
  });
});

describe("legacy platform API", () => {
  it("fails with a ConfigurationError listing the existing projects when the project is unknown", async () => {
    await restartEmulator({ projects: ["default", "research", { name: "old-project", archived: true }] });
    const { handler, errors } = legacy({ project: "marketing" });

    await chat(handler);
    const flushed = await handler.flush();

    expect(flushed).toMatchObject({ ok: false, exported: 0, failed: 1 });
    expect(ConfigurationError.isInstance(errors[0])).toBe(true);
    expect((errors[0] as ConfigurationError).option).toBe("project");
    expect(messageOf(errors[0])).toMatchInlineSnapshot(
      `"Trubrics project "marketing" not found. Please select one of ["default", "research"] (option \`project\`)."`,
    );
    expect(trubrics.emulator.receivedPrompts).toEqual([]);
    expect(statuses()).toMatchInlineSnapshot(`
      [
        "signInWithPassword 200",
        "runQuery 200",
        "listProjects 200",
      ]
    `);
  });

  it("finds a project on a later page of the project list", async () => {
    const projects = Array.from({ length: 60 }, (_, index) => `project-${index}`);
    await restartEmulator({ projects });
    const { handler } = legacy({ project: "project-57" });

    await chat(handler);

    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1 });
    expect(trubrics.emulator.receivedPrompts.map((prompt) => prompt.project)).toEqual(["project-57"]);
  });

  it("reuses the sign-in token and the project lookup across exports", async () => {
    const { handler } = legacy();

    for (const question of ["one", "two", "three"]) {
      await chat(handler, question);
      expect(await handler.flush()).toMatchObject({ ok: true, exported: 1 });
    }

    expect(trubrics.emulator.signIns).toBe(1);
    expect(statuses()).toMatchInlineSnapshot(`
      [
        "signInWithPassword 200",
        "runQuery 200",
        "listProjects 200",
        "createPrompt 200",
        "createPrompt 200",
        "createPrompt 200",
      ]
    `);
  });

  it("signs in again before the token expires", async () => {
    // A token that lives 2 minutes is always within the 5-minute renewal margin.
    await restartEmulator({ tokenLifetimeSeconds: 120 });
    const { handler } = legacy();

    for (const question of ["one", "two"]) {
      await chat(handler, question);
      expect(await handler.flush()).toMatchObject({ ok: true, exported: 1 });
    }

    expect(trubrics.emulator.signIns).toBe(2);
    expect(statuses()).toMatchInlineSnapshot(`
      [
        "signInWithPassword 200",
        "runQuery 200",
        "listProjects 200",
        "createPrompt 200",
        "signInWithPassword 200",
        "createPrompt 200",
      ]
    `);
  });

  it("signs in again once when Firestore refuses a revoked token", async () => {
    const { handler, errors } = legacy();
    await chat(handler, "before");
    await handler.flush();
    trubrics.emulator.revokeTokens();

    await chat(handler, "after");
    const flushed = await handler.flush();

    expect(flushed).toMatchObject({ ok: true, exported: 1 });
    expect(errors).toEqual([]);
    expect(statuses().slice(4)).toMatchInlineSnapshot(`
      [
        "createPrompt 401",
        "signInWithPassword 200",
        "createPrompt 200",
      ]
    `);
  });

  it("points at email and password when Firestore refuses a fresh token too", async () => {
    const { handler, errors } = legacy();
    trubrics.emulator.failNext({ route: trubrics.emulator.routes.createPrompt, status: 401, times: 2 });

    await chat(handler);

    expect(await handler.flush()).toMatchObject({ ok: false, exported: 0, failed: 1 });
    expect(statuses()).toMatchInlineSnapshot(`
      [
        "signInWithPassword 200",
        "runQuery 200",
        "listProjects 200",
        "createPrompt 401",
        "signInWithPassword 200",
        "createPrompt 401",
      ]
    `);
    expect(errors).toHaveLength(1);
    expect((errors[0] as VendorApiError).status).toBe(401);
    expect(
      messageOf(errors[0]).replace(/organisations\/.*\/prompts/, "organisations/…/prompts"),
    ).toMatchInlineSnapshot(
      `"Trubrics: POST <emulator>/v1/projects/trubrics-streamlit/databases/(default)/documents/organisations/…/prompts answered 401: {"error":{"code":401,"message":"Injected failure 401.","status":"UNAUTHENTICATED"}} (Firestore refused a fresh token: check \`email\` or env TRUBRICS_EMAIL and \`password\` or env TRUBRICS_PASSWORD)"`,
    );
  });

  it("reports a refused sign-in as a ConfigurationError naming email and password", async () => {
    const { handler, errors } = legacy({ password: WRONG_PASSWORD });

    await chat(handler);
    const flushed = await handler.flush();

    expect(flushed).toMatchObject({ ok: false, failed: 1 });
    expect(ConfigurationError.isInstance(errors[0])).toBe(true);
    expect(messageOf(errors[0])).toMatchInlineSnapshot(
      `"Trubrics sign-in was refused (INVALID_LOGIN_CREDENTIALS): check \`email\` (or env TRUBRICS_EMAIL) and \`password\` (or env TRUBRICS_PASSWORD)."`,
    );
    expect(statuses()).toEqual(["signInWithPassword 400"]);
  });

  it("reports an invalid Firebase API key as a ConfigurationError naming firebaseApiKey", async () => {
    const { handler, errors } = legacy({
      firebaseApiKey: "not-the-key",
      firebaseProjectId: "trubrics-streamlit",
    });

    await chat(handler);
    await handler.flush();

    expect((errors[0] as ConfigurationError).option).toBe("firebaseApiKey");
    expect(messageOf(errors[0])).toMatchInlineSnapshot(
      `"Trubrics sign-in was refused: the Firebase API key is not valid (option \`firebaseApiKey\`)."`,
    );
  });

  it("reports an account that no organisation lists", async () => {
    await restartEmulator({ organisationMembers: ["someone-else@example.com"] });
    const { handler, errors } = legacy();

    await chat(handler);
    await handler.flush();

    expect(ConfigurationError.isInstance(errors[0])).toBe(true);
    expect(messageOf(errors[0])).toMatchInlineSnapshot(
      `"Trubrics: no organisation lists the signed-in account (\`email\` or env TRUBRICS_EMAIL); ask your organisation's owner to add it."`,
    );
    expect(statuses()).toEqual(["signInWithPassword 200", "runQuery 200"]);
  });

  it("reports a sign-in answer without a token, and signs in again for the next batch", async () => {
    const { handler, errors } = legacy();
    trubrics.emulator.failNext({ route: trubrics.emulator.routes.signIn, malformed: true });

    await chat(handler);

    // A sign-in stores nothing: the record waits in the queue and goes once a sign-in works.
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1 });
    expect(handler.stats()).toMatchObject({ requeued: 1, failed: 0 });
    expect(statuses()).toMatchInlineSnapshot(`
      [
        "signInWithPassword 200",
        "signInWithPassword 200",
        "runQuery 200",
        "listProjects 200",
        "createPrompt 200",
      ]
    `);
    expect(VendorApiError.isInstance(errors[0])).toBe(true);
    expect(messageOf(errors[0])).toMatchInlineSnapshot(
      `"Trubrics: POST <emulator>/v1/accounts:signInWithPassword answered 200 without an idToken"`,
    );
  });

  it("retries a prompt write after a 503 and a sign-in after a 429", async () => {
    const { handler, errors } = legacy();
    trubrics.emulator.failNext({
      route: trubrics.emulator.routes.signIn,
      status: 429,
      headers: { "retry-after": "0" },
    });
    trubrics.emulator.failNext({ route: trubrics.emulator.routes.createPrompt, status: 503 });

    await chat(handler);

    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1 });
    expect(handler.stats()).toMatchObject({ retried: 2, failed: 0 });
    expect(errors).toEqual([]);
    expect(statuses()).toMatchInlineSnapshot(`
      [
        "signInWithPassword 429",
        "signInWithPassword 200",
        "runQuery 200",
        "listProjects 200",
        "createPrompt 503",
        "createPrompt 200",
      ]
    `);
  });

  it("fails only the prompt whose write was refused", async () => {
    const { handler, errors } = legacy();
    trubrics.emulator.failNext({ route: trubrics.emulator.routes.createPrompt, status: 400 });

    await chat(handler, "first");
    await chat(handler, "second");
    const flushed = await handler.flush();

    expect(flushed).toMatchObject({ ok: false, exported: 1, failed: 1 });
    expect(trubrics.emulator.receivedPrompts).toHaveLength(1);
    expect((errors[0] as VendorApiError).status).toBe(400);
  });
});

describe("secrets", () => {
  const secrets = [
    TEST_API_KEY,
    WRONG_API_KEY,
    TEST_PASSWORD,
    WRONG_PASSWORD,
    "emulator-id-token-",
    "Bearer ",
  ];

  /** Runs failure scenarios of both transports; `make` builds each handler with the scenario's options. */
  async function runScenarios(make: (options: TrubricsCallbackHandlerOptions) => TrubricsCallbackHandler) {
    const base = { timeoutMs: 5000, maxRetries: 0, flushIntervalMs: 60_000 };
    const ingestionBase = { ...base, apiKey: TEST_API_KEY, host: trubrics.url };
    const legacyBase = { ...base, ...trubrics.legacy };
    const scenarios: Array<[TrubricsCallbackHandlerOptions, () => void]> = [
      [{ ...ingestionBase, apiKey: WRONG_API_KEY }, () => {}],
      [
        ingestionBase,
        () =>
          trubrics.emulator.failNext({
            route: trubrics.emulator.routes.publishLlmEvents,
            hangMs: Number.POSITIVE_INFINITY,
          }),
      ],
      [
        ingestionBase,
        () =>
          trubrics.emulator.failNext({
            route: trubrics.emulator.routes.publishLlmEvents,
            reset: "before-store",
          }),
      ],
      [
        ingestionBase,
        () => trubrics.emulator.failNext({ route: trubrics.emulator.routes.publishLlmEvents, status: 500 }),
      ],
      [{ ...legacyBase, password: WRONG_PASSWORD }, () => {}],
      [{ ...legacyBase, project: "unknown" }, () => {}],
      [
        legacyBase,
        () => trubrics.emulator.failNext({ route: trubrics.emulator.routes.createPrompt, status: 403 }),
      ],
      [
        legacyBase,
        () =>
          trubrics.emulator.failNext({
            route: trubrics.emulator.routes.runQuery,
            hangMs: Number.POSITIVE_INFINITY,
          }),
      ],
      [
        legacyBase,
        () => trubrics.emulator.failNext({ route: trubrics.emulator.routes.signIn, reset: "before-store" }),
      ],
    ];
    for (const [options, arrange] of scenarios) {
      const handler = make(options);
      arrange();
      await chat(handler);
      // Each scenario reports an error, whether the record is delivered later or not.
      await handler.flush();
      await handler.shutdown({ timeoutMs: 500 });
      trubrics.emulator.reset();
    }
  }

  it("never puts an API key, password or token in a log line", async () => {
    const lines: string[] = [];
    for (const method of ["warn", "error", "log", "info", "debug"] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        lines.push(
          args.map((arg) => (typeof arg === "string" ? arg : inspect(arg, { depth: null }))).join(" "),
        );
      });
    }

    // No onError: the default reporter writes one console.warn per distinct error.
    await runScenarios((options) => new TrubricsCallbackHandler(options));

    expect(lines.length).toBeGreaterThanOrEqual(9);
    for (const line of lines) {
      for (const secret of secrets) expect(line).not.toContain(secret);
    }
  });

  it("never puts an API key, password or token in an error, its stack or anything it holds", async () => {
    const errors: unknown[] = [];
    await runScenarios(
      (options) => new TrubricsCallbackHandler({ ...options, onError: (error) => errors.push(error) }),
    );

    expect(errors.length).toBeGreaterThanOrEqual(9);
    for (const error of errors) {
      expect(ObservabilityError.isInstance(error)).toBe(true);
      const text = [
        (error as Error).message,
        (error as Error).stack ?? "",
        inspect(error, { depth: null, showHidden: true }),
        JSON.stringify(error),
      ].join("\n");
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
  });
});

function makeRecord(recordId: string): LLMRunRecord {
  return {
    schemaVersion: 1,
    recordId,
    runId: recordId,
    traceId: recordId,
    kind: "llm",
    name: "FakeLLM",
    serializedId: [],
    model: { params: {} },
    input: { prompt: `prompt of ${recordId}` },
    output: { text: "answer" },
    usage: { source: "none" },
    timing: { startTime: 0, endTime: 1000, latencyMs: 1000 },
    status: "success",
    cached: false,
    tags: [],
    metadata: {},
  };
}
