// Option checking (issue 11): a misspelt option or a secret passed as a `**kwargs` key is refused at
// construction, before any run, so nothing reaches Trubrics; other keys stay metadata.
import { HumanMessage } from "@langchain/core/messages";
import { FakeChatModel } from "@langchain/core/utils/testing";
import { ConfigurationError } from "@langchain-observability/core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  createTrubricsExporter,
  TrubricsCallbackHandler,
  type TrubricsCallbackHandlerOptions,
} from "./index";
import {
  clearTrubricsEnv,
  startTrubricsServer,
  TEST_API_KEY,
  type TrubricsTestServer,
} from "./trubrics-test-helpers";

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

/** Builds the handler into a real chat model and runs it; returns the error the construction threw. */
async function runWith(options: TrubricsCallbackHandlerOptions): Promise<unknown> {
  try {
    const handler = new TrubricsCallbackHandler({ apiKey: TEST_API_KEY, baseUrl: trubrics.url, ...options });
    handlers.push(handler);
    const answer = await new FakeChatModel({ callbacks: [handler] }).invoke([new HumanMessage("Hi")]);
    expect(answer.content).toBe("Hi");
    await handler.flush();
    return undefined;
  } catch (error) {
    return error;
  }
}

describe("keys of TrubricsCallbackHandler that are not options", () => {
  it.each([
    { key: "url", suggestion: "baseUrl" },
    { key: "endpoint", suggestion: "baseUrl" },
    { key: "baseURL", suggestion: "baseUrl" },
    { key: "Host", suggestion: "host" },
    { key: "timeoutMS", suggestion: "timeoutMs" },
    { key: "timeout", suggestion: "timeoutMs" },
    { key: "timoutMs", suggestion: "timeoutMs" },
    { key: "sessionID", suggestion: "sessionId" },
    { key: "userID", suggestion: "userId" },
    { key: "apikey", suggestion: "apiKey" },
    { key: "api_key", suggestion: "apiKey" },
    { key: "API_KEY", suggestion: "apiKey" },
    { key: "flushInterval", suggestion: "flushIntervalMs" },
    { key: "max_retries", suggestion: "maxRetries" },
    { key: "Project", suggestion: "project" },
    { key: "tag", suggestion: "tags" },
    { key: "ingestionUrl", suggestion: "baseUrl" },
    { key: "firebaseKey", suggestion: "firebaseApiKey" },
  ])(
    "$key is a ConfigurationError suggesting `$suggestion`, and nothing is sent",
    async ({ key, suggestion }) => {
      const thrown = await runWith({ [key]: "http://127.0.0.1:9/value-never-printed" });

      expect(ConfigurationError.isInstance(thrown)).toBe(true);
      expect((thrown as ConfigurationError).option).toBe(key);
      expect((thrown as Error).message).toBe(
        `Unknown option \`${key}\` of TrubricsCallbackHandler; did you mean \`${suggestion}\`?`,
      );
      expect((thrown as Error).message).not.toContain("value-never-printed");
      expect(trubrics.emulator.requests).toEqual([]);
    },
  );

  it.each([
    "openai_api_key",
    "OPENAI_API_KEY",
    "anthropicApiKey",
    "smtpPassword",
    "mysql_password",
    "token",
    "accessToken",
    "refresh_token",
    "SECRET",
    "client_secret",
    "credentials",
    "stripe-api-key",
  ])("%s looks like a secret: a ConfigurationError, and it is never sent", async (key) => {
    const thrown = await runWith({ [key]: "sk-SECRET-never-sent-0123456789" });

    expect(ConfigurationError.isInstance(thrown)).toBe(true);
    expect((thrown as ConfigurationError).option).toBe(key);
    expect((thrown as Error).message).toBe(
      `Option \`${key}\` of TrubricsCallbackHandler looks like a secret; it is not sent as metadata. Pass credentials through the documented options.`,
    );
    expect((thrown as Error).message).not.toContain("sk-SECRET");
    expect(trubrics.emulator.requests).toEqual([]);
  });

  it("keeps every other key as metadata, as the Python handler's **kwargs (token counts are not secrets)", async () => {
    const thrown = await runWith({
      environment: "staging",
      max_tokens: 256,
      tokenizer: "cl100k",
      experiment: { arm: "b" },
    });

    expect(thrown).toBeUndefined();
    const [event] = trubrics.emulator.receivedLlmEvents;
    expect(event?.properties).toMatchObject({
      environment: "staging",
      max_tokens: 256,
      tokenizer: "cl100k",
      experiment: { arm: "b" },
    });
  });

  it("takes the documented aliases host, user_id and session_id as options", async () => {
    const thrown = await runWith({
      baseUrl: undefined,
      host: trubrics.url,
      user_id: "u-1",
      session_id: "s-1",
    });

    expect(thrown).toBeUndefined();
    const [event] = trubrics.emulator.receivedLlmEvents;
    expect(event).toMatchObject({ user_id: "u-1", thread_id: "s-1" });
    expect(Object.keys(event?.properties ?? {})).not.toContain("host");
  });

  it("refuses baseUrl and host with different values", async () => {
    const thrown = await runWith({ host: "http://127.0.0.1:9" });

    expect(ConfigurationError.isInstance(thrown)).toBe(true);
    expect((thrown as Error).message).toBe(
      "`baseUrl` and its alias `host` have different values; pass one of them.",
    );
  });
});

describe("createTrubricsExporter", () => {
  it.each([
    { key: "url", message: "Unknown option `url` of createTrubricsExporter; did you mean `baseUrl`?" },
    {
      key: "timeoutMS",
      message: "Unknown option `timeoutMS` of createTrubricsExporter; did you mean `timeoutMs`?",
    },
    { key: "team", message: "Unknown option `team` of createTrubricsExporter. Known options: apiKey," },
  ])("refuses the unknown option $key", ({ key, message }) => {
    expect(() => createTrubricsExporter({ apiKey: TEST_API_KEY, [key]: "x" } as never)).toThrow(message);
  });

  it("takes baseUrl, its alias host, and TRUBRICS_HOST", () => {
    expect(createTrubricsExporter({ apiKey: TEST_API_KEY, baseUrl: trubrics.url }).transport).toBe(
      "ingestion",
    );
    expect(createTrubricsExporter({ apiKey: TEST_API_KEY, host: trubrics.url }).transport).toBe("ingestion");
    vi.stubEnv("TRUBRICS_HOST", "http://trubrics.example.com");
    expect(() => createTrubricsExporter({ apiKey: TEST_API_KEY })).toThrow(
      "`baseUrl` (or env TRUBRICS_HOST) must use https",
    );
  });
});
