import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ARTHUR_EMULATOR_TASK_ID, startArthurEmulator } from "@langchain-observability/arthur/testing";
import { startPromptLayerEmulator } from "@langchain-observability/promptlayer/testing";
import { startTrubricsEmulator } from "@langchain-observability/trubrics/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  extractSnippets,
  type OpenAiCompatibleServer,
  openAiEnvironment,
  runSnippet,
  type Snippet,
  startOpenAiCompatibleServer,
} from "../../../scripts/readme-snippets";

const root = join(import.meta.dirname, "../../..");
const readme = join(root, "README.md");
const packageDir = join(import.meta.dirname, "..");
const TRUBRICS_KEY = "readme-trubrics-key";
const ARTHUR_KEY = "readme-arthur-key";
const PROMPTLAYER_KEY = "pl_readme_key";

// Blocks preceded by this marker run inside their runtime (edge-runtime, workerd) in tests/runtimes.
const RUNTIME_MARKER = "<!-- runs in tests/runtimes/";

function runtimeBlocks(): Set<number> {
  const lines = readFileSync(readme, "utf8").split("\n");
  const marked = new Set<number>();
  for (const snippet of extractSnippets(readme)) {
    const before = lines.slice(Math.max(0, snippet.line - 3), snippet.line - 1).join("\n");
    if (before.includes(RUNTIME_MARKER)) marked.add(snippet.index);
  }
  return marked;
}

const snippets = extractSnippets(readme);
const inRuntimes = runtimeBlocks();
const scripts = snippets.filter((snippet) => !inRuntimes.has(snippet.index));

let openAi: OpenAiCompatibleServer;
let trubrics: Awaited<ReturnType<typeof startTrubricsEmulator>>;
let arthur: Awaited<ReturnType<typeof startArthurEmulator>>;
let promptlayer: Awaited<ReturnType<typeof startPromptLayerEmulator>>;

beforeAll(async () => {
  openAi = await startOpenAiCompatibleServer({ reply: "A joke, in one line." });
  trubrics = await startTrubricsEmulator({ apiKeys: [TRUBRICS_KEY] });
  arthur = await startArthurEmulator({ engine: { apiKeys: [ARTHUR_KEY] } });
  promptlayer = await startPromptLayerEmulator({ apiKeys: [PROMPTLAYER_KEY] });
});

afterAll(async () => {
  await Promise.all([openAi?.close(), trubrics?.close(), arthur?.close(), promptlayer?.close()]);
});

function environment(): Record<string, string> {
  return {
    ...openAiEnvironment(openAi),
    TRUBRICS_API_KEY: TRUBRICS_KEY,
    TRUBRICS_HOST: trubrics.url,
    ARTHUR_ENGINE_URL: arthur.url,
    ARTHUR_TASK_ID: ARTHUR_EMULATOR_TASK_ID,
    ARTHUR_API_KEY: ARTHUR_KEY,
    PROMPTLAYER_API_KEY: PROMPTLAYER_KEY,
    PROMPTLAYER_BASE_URL: promptlayer.url,
  };
}

/** Runs one README block as a user's script would run (it must exit by itself) and resets the vendors. */
async function run(snippet: Snippet) {
  trubrics.reset();
  arthur.reset();
  promptlayer.reset();
  const result = await runSnippet(snippet, { cwd: packageDir, env: environment() });
  expect(result.killed, `README block at line ${snippet.line} did not exit by itself`).toBe(false);
  expect(result.stderr).toBe("");
  expect(result.exitCode).toBe(0);
  return result;
}

describe("README.md", () => {
  it("has the blocks this suite runs and the runtime examples tests/runtimes runs", () => {
    expect(scripts.map((snippet) => snippet.code.match(/@langchain-observability\/\w+/g)?.sort()[0])).toEqual(
      [
        "@langchain-observability/trubrics",
        "@langchain-observability/arthur",
        "@langchain-observability/promptlayer",
        "@langchain-observability/arthur",
      ],
    );
    const runtimeTest = readFileSync(join(root, "tests/runtimes/src/readme-examples.test.ts"), "utf8");
    expect(inRuntimes.size).toBe(2);
    expect(runtimeTest).toContain("README.md");
  });

  it("Trubrics: the chat call reaches the ingestion API with the kwargs as metadata, without flush()", async () => {
    await run(scripts[0]!);
    expect(trubrics.receivedLlmEvents).toHaveLength(1);
    const [event] = trubrics.receivedLlmEvents;
    expect(event).toMatchObject({
      user_id: "user-id-1234",
      prompt: "Tell me a joke",
      generation: "A joke, in one line.",
      assistant_id: "gpt-4o-mini",
    });
    expect(JSON.stringify(event)).toContain('"some_metadata":{"hello":[1,2]}');
    expect(JSON.stringify(event)).toContain("chat model");
  });

  it("Arthur: the engine receives the model call as an OpenInference LLM span, without flush()", async () => {
    await run(scripts[1]!);
    expect(arthur.spans).toHaveLength(1);
    const [span] = arthur.spans;
    expect(JSON.stringify(span)).toContain("gpt-4o-mini");
    expect(JSON.stringify(span)).toContain("What is observability?");
    expect(JSON.stringify(span)).toContain("LLM");
  });

  it("PromptLayer: the model call is a span with a request log, and plIdCallback scores it", async () => {
    await run(scripts[2]!);
    expect(promptlayer.requestLogs).toHaveLength(1);
    const [log] = promptlayer.requestLogs;
    expect(log?.logRequest).toMatchObject({ tags: ["chatopenai"] });
    expect(promptlayer.scores).toEqual([expect.objectContaining({ request_id: log?.id, score: 100 })]);
  });

  it("several vendors at once: the same run reaches all three, and flush() says so", async () => {
    const result = await run(scripts[3]!);
    expect(trubrics.receivedLlmEvents).toHaveLength(1);
    expect(arthur.spans).toHaveLength(1);
    expect(promptlayer.requestLogs).toHaveLength(1);
    expect(result.stdout).toContain("ok: true");
    expect(result.stdout).toContain("exported: 3");
  });
});
