// Every ```ts block of this package's README runs here as the script a user would paste (a child
// process importing the built package by name), with the environment variables it names pointing at
// the Trubrics emulator and an OpenAI-compatible server on loopback; then what Trubrics received is
// checked. A README example that stops working fails this test.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  extractSnippets,
  type OpenAiCompatibleServer,
  openAiEnvironment,
  runSnippet,
  type SnippetRun,
  startOpenAiCompatibleServer,
} from "../../../scripts/readme-snippets.ts";
import { decodeFirestoreFields } from "./testing/index";
import {
  normalizeForSnapshot,
  startTrubricsServer,
  TEST_API_KEY,
  TEST_EMAIL,
  TEST_PASSWORD,
  type TrubricsTestServer,
} from "./trubrics-test-helpers";

const PACKAGE_DIR = join(import.meta.dirname, "..");
const snippets = extractSnippets(join(PACKAGE_DIR, "README.md"));
/** Only a hang reaches this: each script must exit by itself. */
const SCRIPT_TIMEOUT_MS = 100_000;

let trubrics: TrubricsTestServer;
let openAi: OpenAiCompatibleServer;

beforeAll(async () => {
  // The scripts import `@langchain-observability/trubrics` by name, which resolves to the build.
  expect(existsSync(join(PACKAGE_DIR, "dist", "index.js")), "run `pnpm build` first").toBe(true);
  trubrics = await startTrubricsServer();
  openAi = await startOpenAiCompatibleServer();
});

afterAll(async () => {
  await trubrics?.close();
  await openAi?.close();
});

beforeEach(() => {
  trubrics.emulator.reset();
});

function ingestionEnvironment(): Record<string, string> {
  return { ...openAiEnvironment(openAi), TRUBRICS_API_KEY: TEST_API_KEY, TRUBRICS_HOST: trubrics.url };
}

function legacyEnvironment(): Record<string, string> {
  return {
    ...openAiEnvironment(openAi),
    TRUBRICS_EMAIL: TEST_EMAIL,
    TRUBRICS_PASSWORD: TEST_PASSWORD,
    TRUBRICS_IDENTITY_TOOLKIT_URL: trubrics.url,
    TRUBRICS_FIRESTORE_URL: trubrics.url,
  };
}

/** Runs snippet `index` (1-based) and checks that it exited by itself, without error. */
async function run(index: number, env: Record<string, string>): Promise<SnippetRun> {
  const snippet = snippets[index - 1];
  expect(snippet, `README has a ts block number ${index}`).toBeDefined();
  const result = await runSnippet(snippet!, { cwd: PACKAGE_DIR, env, timeoutMs: SCRIPT_TIMEOUT_MS });
  expect({ exitCode: result.exitCode, killed: result.killed, stderr: result.stderr }).toEqual({
    exitCode: 0,
    killed: false,
    stderr: "",
  });
  return result;
}

/** The events received, without what varies from run to run. */
function receivedEvents(): unknown {
  return normalizeForSnapshot(trubrics.emulator.receivedLlmEvents);
}

describe("README.md", () => {
  it("has the ts blocks this test knows", () => {
    expect(snippets.map((snippet) => snippet.code.split("\n").find((line) => line.includes("new ")))).toEqual(
      [
        "const handler = new TrubricsCallbackHandler({",
        "const handler = new TrubricsCallbackHandler({",
        "const handler = new TrubricsCallbackHandler(); // TRUBRICS_API_KEY",
        'const handler = new TrubricsCallbackHandler({ user_id: "default-user" });',
        'const llm = new ChatOpenAI({ model: "gpt-4o-mini", callbacks: [new TrubricsCallbackHandler()] });',
        "const handler = new TrubricsCallbackHandler();",
        "const handler = new ObservabilityCallbackHandler({",
        expect.any(String),
      ],
    );
  });

  it("1. the ingestion API example sends one LLM event", { timeout: 300_000 }, async () => {
    await run(1, ingestionEnvironment());

    expect(receivedEvents()).toMatchInlineSnapshot(`
      [
        {
          "assistant_id": "gpt-4o-mini",
          "generation": "Why did the chicken cross the road? To get to the other side.",
          "generation_event_name": "Generation",
          "latency": "<seconds>",
          "prompt": "Tell me a joke",
          "prompt_event_name": "Prompt",
          "properties": {
            "finish_reason": "stop",
            "langchain_run_id": "<run-1>",
            "messages": [
              {
                "content": "You are a comedian.",
                "role": "system",
              },
              {
                "content": "Tell me a joke",
                "role": "user",
              },
            ],
            "model_provider": "openai",
            "response_model": "gpt-4o-mini-2024-07-18",
            "some_metadata": {
              "hello": [
                1,
                2,
              ],
            },
            "tags": [
              "langchain",
              "chat model",
            ],
            "usage": {
              "input_tokens": 12,
              "output_tokens": 14,
              "total_tokens": 26,
            },
          },
          "thread_id": null,
          "timestamp": "<time>",
          "user_id": "user-id-1234",
        },
      ]
    `);
  });

  it("2. the legacy example signs in and writes one prompt document", { timeout: 300_000 }, async () => {
    await run(2, legacyEnvironment());

    expect(trubrics.emulator.receivedLlmEvents).toEqual([]);
    expect(
      normalizeForSnapshot(
        trubrics.emulator.receivedPrompts.map((prompt) => ({
          project: prompt.project,
          ...decodeFirestoreFields(prompt.fields),
        })),
      ),
    ).toMatchInlineSnapshot(`
      [
        {
          "config_model": {
            "model": "gpt-4o-mini",
            "prompt_template": "{prompt}",
            "temperature": null,
          },
          "created_on": "<time>",
          "generation": "Why did the chicken cross the road? To get to the other side.",
          "metadata": {
            "finish_reason": "stop",
            "langchain_run_id": "<run-1>",
            "messages": [
              {
                "content": "Tell me a joke",
                "role": "user",
              },
            ],
            "response_model": "gpt-4o-mini-2024-07-18",
            "some_metadata": {
              "hello": [
                1,
                2,
              ],
            },
            "usage": {
              "input_tokens": 12,
              "output_tokens": 14,
              "total_tokens": 26,
            },
          },
          "project": "default",
          "prompt": "Tell me a joke",
          "session_id": null,
          "tags": [
            "langchain",
            "chat model",
          ],
          "user_id": "user-id-1234",
        },
      ]
    `);
  });

  it("3. a text LLM's generate() of two prompts logs two events", { timeout: 300_000 }, async () => {
    await run(3, ingestionEnvironment());

    expect(
      trubrics.emulator.receivedLlmEvents.map(({ prompt, generation, assistant_id }) => ({
        prompt,
        generation,
        assistant_id,
      })),
    ).toMatchInlineSnapshot(`
      [
        {
          "assistant_id": "gpt-3.5-turbo-instruct",
          "generation": "Why did the chicken cross the road? To get to the other side.",
          "prompt": "Tell me a joke",
        },
        {
          "assistant_id": "gpt-3.5-turbo-instruct",
          "generation": "Why did the chicken cross the road? To get to the other side.",
          "prompt": "Write me a poem",
        },
      ]
    `);
  });

  it("4. per-call metadata overrides the handler's user and session", { timeout: 300_000 }, async () => {
    await run(4, ingestionEnvironment());

    expect(
      trubrics.emulator.receivedLlmEvents.map(({ prompt, user_id, thread_id, properties }) => ({
        prompt,
        user_id,
        thread_id,
        $thread_id: properties.$thread_id,
      })),
    ).toMatchInlineSnapshot(`
      [
        {
          "$thread_id": "chat-7",
          "prompt": "Tell me a joke about cats",
          "thread_id": "chat-7",
          "user_id": "u-42",
        },
      ]
    `);
  });

  it("5. a script that never calls flush() delivers and exits by itself", { timeout: 300_000 }, async () => {
    const result = await run(5, ingestionEnvironment());

    expect(result.stdout).toBe("Why did the chicken cross the road? To get to the other side.\n");
    expect(trubrics.emulator.receivedLlmEvents.map((event) => event.prompt)).toEqual(["Tell me a joke"]);
  });

  it("6. flush() reports the delivery and shutdown() ends the handler", { timeout: 300_000 }, async () => {
    const result = await run(6, ingestionEnvironment());

    expect(JSON.parse(result.stdout)).toEqual({
      ok: true,
      timedOut: false,
      exported: 1,
      failed: 0,
      unknown: 0,
      dropped: 0,
      pending: 0,
    });
    expect(trubrics.emulator.receivedLlmEvents).toHaveLength(1);
  });

  it("7. the fan-out example sends through createTrubricsExporter", { timeout: 300_000 }, async () => {
    await run(7, ingestionEnvironment());

    expect(trubrics.emulator.receivedLlmEvents.map(({ prompt, user_id }) => ({ prompt, user_id }))).toEqual([
      { prompt: "Tell me a joke", user_id: "user-id-1234" },
    ]);
  });

  it("8. the testing example runs against its own emulator", { timeout: 300_000 }, async () => {
    // It starts its own emulator: no Trubrics environment at all.
    const result = await run(8, {});

    expect(result.stdout).toBe("[ 'Hi' ]\n");
    expect(trubrics.emulator.requests).toEqual([]);
  });
});
