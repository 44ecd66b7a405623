import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { extractSnippets } from "../../../../scripts/readme-snippets";
import { runScript, sourceEntries } from "../../test/run-script";

const readmePath = join(import.meta.dirname, "..", "..", "README.md");

/** A README snippet importing this package's sources, as a script run from the package folder. */
function fromSources(code: string): string {
  return code
    .replaceAll('"@langchain-observability/core/testing"', JSON.stringify(sourceEntries.testing))
    .replaceAll('"@langchain-observability/core"', JSON.stringify(sourceEntries.core));
}

function snippetContaining(text: string): string {
  const snippet = extractSnippets(readmePath).find((candidate) => candidate.code.includes(text));
  if (!snippet) throw new Error(`no README snippet contains ${text}`);
  return snippet.code;
}

describe("README: spans", () => {
  it("the small agent's tree is the one the README shows", async () => {
    const result = await runScript(fromSources(snippetContaining("exporter.formatTrees()")));
    expect(result).toMatchObject({ status: 0, killed: false, stderr: "" });
    const readme = readFileSync(readmePath, "utf8");
    const shown = /console\.log\(exporter\.formatTrees\(\)\);\n```\n\n```text\n([\s\S]*?)\n```/.exec(
      readme,
    )?.[1];
    expect(shown).toBeDefined();
    expect(result.stdout.trim()).toBe(shown);
  }, 300_000);

  it("the span exporter example prints one line per span", async () => {
    const result = await runScript(fromSources(snippetContaining("printSpans")));
    expect(result).toMatchObject({ status: 0, killed: false, stderr: "" });
    const lines = result.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^[0-9a-f-]{36} - chat FakeDetailedChatModel fake-chat-model success$/);
  }, 300_000);
});
