// Every ```ts block of this package's README runs here as the script a user would paste (a child
// process importing the built package by name), with the environment variables it names pointing at
// the PromptLayer emulator and an OpenAI-compatible server on loopback; then what PromptLayer
// received is checked. A README example that stops working fails this test.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { normalizeForSnapshot } from "@langchain-observability/core/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import {
  extractSnippets,
  type OpenAiCompatibleServer,
  openAiEnvironment,
  runSnippet,
  type Snippet,
  type SnippetRun,
  startOpenAiCompatibleServer,
} from "../../../scripts/readme-snippets.ts";
import { type PromptLayerEmulator, startPromptLayerEmulator } from "./testing/index";

const PACKAGE_DIR = join(import.meta.dirname, "..");
const snippets = extractSnippets(join(PACKAGE_DIR, "README.md"));
const API_KEY = "pl_readme_key";
/** Only a hang reaches this: each script must exit by itself. */
const SCRIPT_TIMEOUT_MS = 100_000;

let emulator: PromptLayerEmulator;
let openAi: OpenAiCompatibleServer;

beforeAll(async () => {
  // The scripts import `@langchain-observability/promptlayer` by name, which resolves to the build.
  expect(existsSync(join(PACKAGE_DIR, "dist", "index.js")), "run `pnpm build` first").toBe(true);
  emulator = await startPromptLayerEmulator({ apiKeys: [API_KEY] });
  openAi = await startOpenAiCompatibleServer();
});

afterAll(async () => {
  await emulator?.close();
  await openAi?.close();
});

beforeEach(() => {
  emulator.reset();
  emulator.seedTemplate({
    promptName: "example",
    version: 1,
    labels: ["prod"],
    promptTemplate: {
      type: "completion",
      content: [{ type: "text", text: "Tell me a joke about {product}." }],
    },
  });
});

function environment(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...openAiEnvironment(openAi),
    PROMPTLAYER_API_KEY: API_KEY,
    PROMPTLAYER_BASE_URL: emulator.url,
    ...extra,
  };
}

/** Runs a script and checks that it exited by itself, without error. */
async function runScript(snippet: Snippet, env = environment()): Promise<SnippetRun> {
  const result = await runSnippet(snippet, { cwd: PACKAGE_DIR, env, timeoutMs: SCRIPT_TIMEOUT_MS });
  expect({ exitCode: result.exitCode, killed: result.killed, stderr: result.stderr }).toEqual({
    exitCode: 0,
    killed: false,
    stderr: "",
  });
  return result;
}

/** Runs README block `index` (1-based). */
function run(index: number, env?: Record<string, string>): Promise<SnippetRun> {
  const snippet = snippets[index - 1];
  expect(snippet, `README has a ts block number ${index}`).toBeDefined();
  return runScript(snippet as Snippet, env);
}

function logRequests(): unknown {
  return normalizeForSnapshot(
    emulator.requestLogs.map((log) => log.logRequest),
    { secrets: [API_KEY] },
  );
}

describe("README.md", () => {
  test("has the ts blocks this test knows", () => {
    expect(
      snippets.map((snippet) => snippet.code.split("\n").find((line) => /new |await start/.test(line))),
    ).toEqual([
      "const promptlayer = new PromptLayerClient(); // PROMPTLAYER_API_KEY (and PROMPTLAYER_BASE_URL)",
      'const handler = new PromptLayerCallbackHandler({ plTags: ["jokes"] });',
      "const handler = new PromptLayerCallbackHandler();",
      "const handler = new PromptLayerCallbackHandler({",
      "const handler = new ObservabilityCallbackHandler({",
      "const promptlayer = new PromptLayerClient(); // { apiKey, baseUrl, timeoutMs, maxRetries, fetch }, all optional",
      'const emulator = await startPromptLayerEmulator({ apiKeys: ["pl_test_key"] });',
    ]);
  });

  test("1. the Python handler's example: two model calls logged without flush(), their ids scored and linked", {
    timeout: 300_000,
  }, async () => {
    await run(1);
    expect(emulator.spans).toHaveLength(2);
    expect(emulator.requestLogs).toHaveLength(2);
    const [chat, text] = emulator.requestLogs;
    expect(chat?.logRequest).toMatchObject({
      provider: "openai",
      model: "gpt-4o-mini",
      tags: ["chatopenai"],
      input: {
        type: "chat",
        messages: [
          { role: "user", content: [{ type: "text", text: "What comes after 1,2,3 ?" }] },
          { role: "user", content: [{ type: "text", text: "Tell me another joke?" }] },
        ],
      },
    });
    expect(text?.logRequest).toMatchObject({
      model: "gpt-3.5-turbo-instruct",
      input: { type: "completion", content: [{ type: "text", text: "Tell me a joke about toasters." }] },
    });
    // plIdCallback got the text model call's id, and each tracking call used it.
    const id = text?.id;
    expect(emulator.scores).toEqual([{ request_id: id, score: 100, api_key: API_KEY }]);
    expect(emulator.metadataUpdates).toEqual([
      { request_id: id, metadata: { foo: "bar" }, api_key: API_KEY },
    ]);
    expect(emulator.promptLinks).toEqual([
      {
        request_id: id,
        prompt_name: "example",
        prompt_input_variables: { product: "toasters" },
        version: 1,
        api_key: API_KEY,
      },
    ]);
  });

  test("2. a chain is one trace: four spans, the model call with its request log", {
    timeout: 300_000,
  }, async () => {
    const result = await run(2);
    expect(result.stdout).toBe("Why did the chicken cross the road? To get to the other side.\n");
    expect(emulator.spans.map((stored) => stored.span.name).sort()).toEqual([
      "ChatOpenAI",
      "ChatPromptTemplate",
      "RunnableSequence",
      "StrOutputParser",
    ]);
    expect(new Set(emulator.spans.map((stored) => stored.traceId)).size).toBe(1);
    expect(logRequests()).toMatchInlineSnapshot(`
      [
        {
          "function_name": "langchain.chat_models.openai.ChatOpenAI",
          "input": {
            "messages": [
              {
                "content": [
                  {
                    "text": "You are a comedian.",
                    "type": "text",
                  },
                ],
                "role": "system",
              },
              {
                "content": [
                  {
                    "text": "Tell me a joke about toasters",
                    "type": "text",
                  },
                ],
                "role": "user",
              },
            ],
            "type": "chat",
          },
          "input_tokens": 12,
          "metadata": {
            "_langchain_parent_run_id": "<id-2>",
            "_langchain_run_id": "<id-1>",
            "_langchain_trace_id": "<id-2>",
            "finish_reason": "stop",
            "input_tokens": "12",
            "model": "gpt-4o-mini",
            "output_tokens": "14",
            "provider": "openai",
            "response_model": "gpt-4o-mini-2024-07-18",
            "session_id": "session-7",
            "total_tokens": "26",
            "user_id": "user-42",
          },
          "model": "gpt-4o-mini",
          "output": {
            "messages": [
              {
                "content": [
                  {
                    "text": "Why did the chicken cross the road? To get to the other side.",
                    "type": "text",
                  },
                ],
                "role": "assistant",
              },
            ],
            "type": "chat",
          },
          "output_tokens": 14,
          "parameters": {
            "model": "gpt-4o-mini",
            "stream": false,
          },
          "provider": "openai",
          "request_end_time": "<time>",
          "request_start_time": "<time>",
          "status": "SUCCESS",
          "tags": [
            "jokes",
          ],
        },
      ]
    `);
  });

  test("3. serverless: flush() before returning; the answer printed", { timeout: 300_000 }, async () => {
    const result = await run(3);
    expect(result.stdout).toBe("Why did the chicken cross the road? To get to the other side.\n");
    expect(emulator.requestLogs).toHaveLength(1);
    expect(emulator.requestLogs[0]?.logRequest.input).toEqual({
      type: "chat",
      messages: [{ role: "user", content: [{ type: "text", text: "What is observability?" }] }],
    });
  });

  test("4. transport track-request: one /track-request, the id to plIdCallback", {
    timeout: 300_000,
  }, async () => {
    const result = await run(4);
    expect(result.stdout).toBe("PromptLayer request 1\n");
    expect(emulator.spans).toHaveLength(0);
    expect(emulator.trackRequests).toHaveLength(1);
    expect(emulator.trackRequests[0]?.body).toMatchObject({
      function_name: "langchain.chat_models.openai.ChatOpenAI",
      provider_type: "langchain",
      args: [{ role: "user", content: "Tell me a joke" }],
      tags: ["chatopenai"],
      return_pl_id: true,
      api_key: API_KEY,
    });
  });

  test("5. fan-out to two PromptLayer workspaces, one per transport", { timeout: 300_000 }, async () => {
    await run(5, environment({ PROMPTLAYER_EVAL_API_KEY: API_KEY }));
    expect(emulator.requestLogs.map((log) => log.logRequest.tags)).toEqual([["prod"]]);
    expect(emulator.trackRequests).toHaveLength(1);
  });

  test("6. the client: a registry template, raw and as a LangChain prompt", {
    timeout: 300_000,
  }, async () => {
    const result = await run(6);
    expect(result.stdout).toBe("example 1 completion\nTell me a joke about toasters.\n");
    expect(emulator.templateRequests.map((request) => request.body)).toEqual([
      { label: "prod" },
      { label: "prod" },
    ]);
  });

  test("7. the emulator in a user's own test: a 503 resent, one span, one request log", {
    timeout: 300_000,
  }, async () => {
    const result = await run(7);
    expect(result.stdout).toMatch(/ok: true[\s\S]*exported: 1[\s\S]*\n1 1\n$/);
  });
});

describe("a script that never calls flush()", () => {
  test("exits by itself, and PromptLayer received every record", { timeout: 300_000 }, async () => {
    const script: Snippet = {
      index: 0,
      line: 0,
      code: `
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { ChatOpenAI } from "@langchain/openai";
import { PromptLayerCallbackHandler } from "@langchain-observability/promptlayer";

const handler = new PromptLayerCallbackHandler({ plIdCallback: (id) => console.log("id", id) });
const chain = ChatPromptTemplate.fromTemplate("Question {index}").pipe(new ChatOpenAI({ model: "gpt-4o-mini" })).pipe(new StringOutputParser());
await Promise.all(Array.from({ length: 10 }, (_, index) => chain.invoke({ index }, { callbacks: [handler] })));
console.log("done");
`,
    };
    const started = Date.now();
    const result = await runScript(script);
    // The drain at exit is bounded by flushTimeoutMs (10 s); the emulator answers at once.
    expect(Date.now() - started).toBeLessThan(SCRIPT_TIMEOUT_MS);
    expect(result.stdout.split("\n").filter((line) => line.startsWith("id "))).toHaveLength(10);
    expect(result.stdout).toContain("done\n");
    expect(emulator.spans).toHaveLength(40);
    expect(emulator.requestLogs).toHaveLength(10);
  });
});
