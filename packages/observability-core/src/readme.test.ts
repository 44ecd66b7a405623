import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  extractSnippets,
  type OpenAiCompatibleServer,
  openAiEnvironment,
  runSnippet,
  startOpenAiCompatibleServer,
} from "../../../scripts/readme-snippets";
import { sourceEntries } from "../test/run-script";
import { type Emulator, startEmulator } from "./testing/index";

const packageDir = join(import.meta.dirname, "..");
const snippets = extractSnippets(join(packageDir, "README.md"));

/** Which test runs each README block: every block is run by one of them. */
const COVERAGE: Array<[marker: string, test: string]> = [
  ["COLLECTOR_URL", "src/readme.test.ts (quick start)"],
  ["exporter.formatTrees()", "src/capture/span-readme.test.ts"],
  ["printSpans", "src/capture/span-readme.test.ts"],
  ["createVendorExporter", "src/export/writing-an-exporter.test.ts"],
  ["checkOptions(", "src/readme.test.ts (checkOptions)"],
];

/** A README block importing this package's sources (core's own build is not needed for its tests). */
function fromSources(code: string): string {
  return code
    .replaceAll('"@langchain-observability/core/testing"', JSON.stringify(sourceEntries.testing))
    .replaceAll('"@langchain-observability/core"', JSON.stringify(sourceEntries.core));
}

function block(marker: string) {
  const snippet = snippets.find((candidate) => candidate.code.includes(marker));
  if (!snippet) throw new Error(`no README block contains ${marker}`);
  return { ...snippet, code: fromSources(snippet.code) };
}

let openAi: OpenAiCompatibleServer;
let collector: Emulator<unknown>;

beforeAll(async () => {
  openAi = await startOpenAiCompatibleServer({ reply: "Hi there!" });
  collector = await startEmulator<unknown>({
    respond(request, { store }) {
      for (const record of request.body as unknown[]) store(record);
      return { status: 200, body: {} };
    },
  });
});

afterAll(async () => {
  await Promise.all([openAi?.close(), collector?.close()]);
});

describe("README.md of core", { timeout: 300_000 }, () => {
  it("every ts block is run by a test", () => {
    const covered = snippets.map(
      (snippet) => COVERAGE.find(([marker]) => snippet.code.includes(marker))?.[1],
    );
    expect(covered).not.toContain(undefined);
    expect(covered).toHaveLength(COVERAGE.length);
  });

  it("quick start: a script with an inline handler and no flush() delivers its record", async () => {
    const result = await runSnippet(block("COLLECTOR_URL"), {
      cwd: packageDir,
      env: { ...openAiEnvironment(openAi), COLLECTOR_URL: collector.url },
    });
    expect(result).toMatchObject({ exitCode: 0, killed: false, stderr: "" });
    expect(collector.received).toHaveLength(1);
    expect(collector.received[0]).toMatchObject({
      kind: "chat",
      model: { name: "gpt-4o-mini", responseName: "gpt-4o-mini-2024-07-18" },
      input: { prompt: "Hello" },
      output: { text: "Hi there!" },
      userId: "user-42",
      tags: ["checkout"],
      status: "success",
    });
  });

  it("checkOptions: the example prints the suggestion it shows", async () => {
    const result = await runSnippet(block("checkOptions("), { cwd: packageDir });
    expect(result).toMatchObject({ exitCode: 0, killed: false, stderr: "" });
    expect(result.stdout.trim()).toBe(
      "Unknown option `baseURL` of AcmeCallbackHandler; did you mean `baseUrl`?",
    );
  });
});
