import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  extractSnippets,
  type OpenAiCompatibleServer,
  openAiEnvironment,
  runSnippet,
  type Snippet,
  startOpenAiCompatibleServer,
} from "../../../scripts/readme-snippets";
import {
  ARTHUR_EMULATOR_TASK_ID,
  type ArthurEmulator,
  createArthurTokenSequenceModel,
  startArthurEmulator,
} from "./testing/index";

const packageDir = join(import.meta.dirname, "..");
const KEY = "arthur-readme-key";
const PASSWORD = "readme-password";
const PLATFORM_TOKEN = "arthur-readme-platform-token";
const REPLY = "Paris, in one line.";

/**
 * The package is imported by name in the README; the snippets run against its source (a built
 * `dist` is not needed for `pnpm test`), everything else resolves as in a user's project.
 */
function fromSource(snippet: Snippet): Snippet {
  const code = snippet.code
    .replaceAll(
      '"@langchain-observability/arthur/testing"',
      JSON.stringify(join(packageDir, "src/testing/index.ts")),
    )
    .replaceAll('"@langchain-observability/arthur"', JSON.stringify(join(packageDir, "src/index.ts")));
  return { ...snippet, code };
}

const snippets = extractSnippets(join(packageDir, "README.md"));
let openAi: OpenAiCompatibleServer;
let emulator: ArthurEmulator;

beforeAll(async () => {
  openAi = await startOpenAiCompatibleServer({ reply: REPLY });
});

afterAll(async () => {
  await openAi.close();
  await emulator?.close();
});

beforeEach(async () => {
  await emulator?.close();
  emulator = await startArthurEmulator({
    apiKeys: [KEY],
    users: [{ login: "your-arthur-login", password: PASSWORD }],
    models: [createArthurTokenSequenceModel({ id: "your-arthur-model-id" })],
    engine: { apiKeys: [KEY] },
    platform: { tokens: [PLATFORM_TOKEN], models: [{ modelId: "your-platform-model-id", apiKey: KEY }] },
  });
});

async function run(index: number) {
  const snippet = snippets[index - 1];
  if (!snippet) throw new Error(`README.md has no ts snippet ${index}`);
  const result = await runSnippet(fromSource(snippet), {
    cwd: packageDir,
    env: {
      ...openAiEnvironment(openAi),
      ARTHUR_ENDPOINT_URL: emulator.url,
      ARTHUR_API_KEY: KEY,
      ARTHUR_PASSWORD: PASSWORD,
      ARTHUR_ENGINE_URL: emulator.url,
      ARTHUR_TASK_ID: ARTHUR_EMULATOR_TASK_ID,
      ARTHUR_PLATFORM_URL: emulator.url,
      ARTHUR_PLATFORM_TOKEN: PLATFORM_TOKEN,
    },
  });
  // Every snippet is a script that exits by itself, successfully, without a warning about Arthur.
  expect({ exitCode: result.exitCode, killed: result.killed, stderr: result.stderr }).toEqual({
    exitCode: 0,
    killed: false,
    stderr: "",
  });
  return result;
}

function inferenceData() {
  return emulator.inferences.map((item) => item.inference.inference_data);
}

function spanSummary() {
  return emulator.spans.map((item) => [
    item.taskId,
    item.span.name,
    item.span.attributeValues["openinference.span.kind"],
  ]);
}

// Each snippet is a Node process started through tsx: seconds on a loaded machine, never a race.
describe("README.md ts snippets run as written, against the emulators", { timeout: 300_000 }, () => {
  it("has the snippets this test knows", () => {
    expect(snippets).toHaveLength(9);
  });

  it("1: the engine from the environment", async () => {
    const { stdout } = await run(1);
    expect(stdout).toContain(REPLY);
    expect(spanSummary()).toEqual([[ARTHUR_EMULATOR_TASK_ID, "ChatOpenAI", "LLM"]]);
    const [llm] = emulator.spans;
    expect(llm?.span.attributeValues["llm.model_name"]).toBe("gpt-4o-mini");
    expect(llm?.span.attributeValues["llm.output_messages.0.message.content"]).toBe(REPLY);
  });

  it("2: the engine with options, a chain with a tool and a model call", async () => {
    await run(2);
    expect(spanSummary()).toEqual(
      expect.arrayContaining([
        [ARTHUR_EMULATOR_TASK_ID, "assistant", "CHAIN"],
        [ARTHUR_EMULATOR_TASK_ID, "get_weather", "TOOL"],
        [ARTHUR_EMULATOR_TASK_ID, "ChatOpenAI", "LLM"],
      ]),
    );
    expect(emulator.spans).toHaveLength(3);
    const root = emulator.spans.find((item) => item.span.name === "assistant")?.span;
    expect(
      emulator.spans
        .filter((item) => item.span.parentSpanId === root?.spanId)
        .map((item) => item.span.name)
        .sort(),
    ).toEqual(["ChatOpenAI", "get_weather"]);
    expect(
      emulator.spans.every((item) => item.span.attributeValues["session.id"] === "conversation-42"),
    ).toBe(true);
  });

  it("3: the engine looked up on the platform", async () => {
    const { stdout } = await run(3);
    expect(stdout.trim()).toBe(`${emulator.url} ${ARTHUR_EMULATOR_TASK_ID}`);
    expect(emulator.calls.filter((call) => call.endpoint === "connection_info")).toHaveLength(2);
    expect(spanSummary()).toEqual([[ARTHUR_EMULATOR_TASK_ID, "ChatOpenAI", "LLM"]]);
  });

  it("4: legacy fromCredentials with a login (password from ARTHUR_PASSWORD)", async () => {
    await run(4);
    expect(emulator.calls[0]).toMatchObject({ endpoint: "login", status: 200 });
    expect(inferenceData()).toEqual([
      expect.objectContaining({ input_text: "Human: What is the capital of France?", output_text: REPLY }),
    ]);
  });

  it("5: legacy fromCredentials with an API key from the environment", async () => {
    await run(5);
    expect(emulator.calls.every((call) => call.auth === "api-key")).toBe(true);
    expect(inferenceData()).toEqual([
      expect.objectContaining({ input_text: "Human: Hello!", output_text: REPLY }),
    ]);
  });

  it("6: a chat loop, one inference per turn with the transcript so far", async () => {
    await run(6);
    expect(inferenceData().map((data) => data.input_text)).toEqual([
      "System: You answer in one line.\nHuman: Hi",
      `System: You answer in one line.\nHuman: Hi\nAI: ${REPLY}\nHuman: What is the capital of France?`,
    ]);
  });

  it("7: a model schema given up front: no model lookup", async () => {
    await run(7);
    expect(emulator.calls.some((call) => call.endpoint === "model")).toBe(false);
    expect(inferenceData()).toEqual([{ input_text: "Human: Hello!", output_text: REPLY }]);
  });

  it("8: fan-out to both Arthur APIs through core's handler", async () => {
    await run(8);
    expect(inferenceData()).toEqual([
      expect.objectContaining({ input_text: "Human: Hello!", output_text: REPLY }),
    ]);
    expect(spanSummary()).toEqual([[ARTHUR_EMULATOR_TASK_ID, "ChatOpenAI", "LLM"]]);
  });

  it("9: the emulator in a user's own test", async () => {
    const { stdout } = await run(9);
    expect(stdout).toContain("input_text: 'Human: Hello'");
    expect(stdout).toContain("output_text: 'Hi!'");
    // The snippet brings its own emulator: nothing reached this one.
    expect(emulator.calls).toEqual([]);
  });
});
