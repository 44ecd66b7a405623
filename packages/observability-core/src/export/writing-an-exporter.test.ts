import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { extractSnippets } from "../../../../scripts/readme-snippets";
import { runScript, sourceEntries } from "../../test/run-script";

const readme = join(import.meta.dirname, "..", "..", "README.md");

describe("README: Writing an exporter", () => {
  it("the kit example runs as written and delivers to its emulator", async () => {
    const lines = (await import("node:fs")).readFileSync(readme, "utf8").split("\n");
    const heading = lines.indexOf("## Writing an exporter") + 1;
    const snippet = extractSnippets(readme).find((candidate) => candidate.line > heading);
    expect(snippet, "a ```ts block under the heading").toBeDefined();
    // The package's own source instead of its build (core's tests run before core is built).
    const code = snippet!.code
      .replaceAll('"@langchain-observability/core/testing"', JSON.stringify(sourceEntries.testing))
      .replaceAll('"@langchain-observability/core"', JSON.stringify(sourceEntries.core));
    const result = await runScript(code, { hangBoundMs: 100_000 });
    expect(result).toMatchObject({ killed: false, status: 0, stderr: "" });
    expect(result.stdout).toMatchInlineSnapshot(`
      "{
        ok: true,
        timedOut: false,
        exported: 1,
        failed: 0,
        unknown: 0,
        dropped: 0,
        pending: 0
      }
      [ 'Hello' ]
      "
    `);
  }, 60_000);
});
