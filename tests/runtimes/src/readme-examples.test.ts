import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EdgeRuntime } from "edge-runtime";
import { Miniflare } from "miniflare";
import { afterEach, describe, expect, it } from "vitest";
import {
  extractSnippets,
  type OpenAiCompatibleServer,
  openAiEnvironment,
  startOpenAiCompatibleServer,
} from "../../../scripts/readme-snippets.ts";
import { bundleApp } from "./bundle-app.ts";
import { expectSentBy } from "./expect-matrix-delivered.ts";
import { PACKAGE_DIRECTORY } from "./runtime-paths.ts";
import { startVendorEmulators, type VendorEmulators } from "./vendor-emulators.ts";

const README = join(PACKAGE_DIRECTORY, "..", "..", "README.md");
// Ignored by git (.gitignore): the README's examples as files, and the entries that host them.
const GENERATED = join(PACKAGE_DIRECTORY, ".readme-snippets");
const ANSWER = "Why did the chicken cross the road? To get to the other side.";

/** The README block whose first line is `// <file>`, written to `.readme-snippets/<name>`. */
function writeReadmeExample(file: string, name: string): string {
  const snippet = extractSnippets(README).find((candidate) => candidate.code.startsWith(`// ${file}\n`));
  if (!snippet) throw new Error(`README.md has no \`\`\`ts block starting with "// ${file}"`);
  return writeGenerated(name, snippet.code);
}

function writeGenerated(name: string, code: string): string {
  mkdirSync(GENERATED, { recursive: true });
  const path = join(GENERATED, name);
  writeFileSync(path, code);
  return path;
}

let emulators: VendorEmulators | undefined;
let openAi: OpenAiCompatibleServer | undefined;
let worker: Miniflare | undefined;
afterEach(async () => {
  await worker?.dispose();
  worker = undefined;
  await emulators?.close();
  emulators = undefined;
  await openAi?.close();
  openAi = undefined;
});

describe("README: Runtimes examples", () => {
  it("the Next.js edge route handler answers, then delivers to PromptLayer in after()", async () => {
    emulators = await startVendorEmulators();
    openAi = await startOpenAiCompatibleServer();
    writeReadmeExample("app/api/chat/route.ts", "next-route.ts");
    // What Next.js does around a route handler on the edge: call POST, send its response, then
    // run the `after` tasks inside waitUntil.
    const entry = writeGenerated(
      "next-edge-entry.ts",
      [
        'import { POST } from "./next-route.ts";',
        `import { runAfterTasks } from ${JSON.stringify(join(PACKAGE_DIRECTORY, "src", "apps", "next-server-shim.ts"))};`,
        'addEventListener("fetch", (event: any) => {',
        "  event.respondWith(POST(event.request).then((response: Response) => {",
        "    event.waitUntil(runAfterTasks());",
        "    return response;",
        "  }));",
        "});",
        "",
      ].join("\n"),
    );
    const code = await bundleApp(entry, "edge-light", {
      alias: { "next/server": join(PACKAGE_DIRECTORY, "src", "apps", "next-server-shim.ts") },
    });
    // Vercel's edge functions have `process.env` (the deployment's env vars); so does this one.
    const env = {
      ...openAiEnvironment(openAi),
      PROMPTLAYER_API_KEY: emulators.environment.PROMPTLAYER_API_KEY!,
      PROMPTLAYER_BASE_URL: emulators.environment.PROMPTLAYER_BASE_URL!,
    };
    const runtime = new EdgeRuntime({
      initialCode: code,
      extend: (context) => Object.assign(context, { process: { env } }),
    });

    const response = await runtime.dispatchFetch("http://localhost/api/chat", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ question: "Tell me a joke" }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ answer: ANSWER });
    await response.waitUntil();

    const stored = emulators.stored();
    expect(stored.map(({ vendor }) => vendor)).toEqual(["promptlayer"]);
    expect(JSON.stringify(stored[0]!.payload)).toContain("Tell me a joke");
    expect(JSON.stringify(stored[0]!.payload)).toContain(ANSWER);
    expect(JSON.stringify(stored[0]!.payload)).toContain("chat-route");
    expectSentBy(emulators, "promptlayer", "edge-light", "fetch");
  });

  it("the Cloudflare Worker answers, then delivers to Trubrics in ctx.waitUntil()", async () => {
    emulators = await startVendorEmulators();
    openAi = await startOpenAiCompatibleServer();
    const code = await bundleApp(writeReadmeExample("src/worker.ts", "worker.ts"), "workerd");
    worker = new Miniflare({
      modules: true,
      script: code,
      compatibilityDate: "2025-01-01",
      bindings: {
        ...openAiEnvironment(openAi),
        TRUBRICS_API_KEY: emulators.connection.trubrics.apiKey,
        TRUBRICS_HOST: emulators.connection.trubrics.baseUrl,
      },
    });

    const response = await worker.dispatchFetch("http://localhost/", {
      method: "POST",
      body: "Tell me a joke",
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(ANSWER);
    // The flush runs after the response: the emulator storing the record is the signal.
    await emulators.waitForStored("trubrics", 1);
    const stored = emulators.stored();

    expect(stored.map(({ vendor }) => vendor)).toEqual(["trubrics"]);
    expect(stored[0]!.payload).toMatchObject({ prompt: "Tell me a joke", generation: ANSWER });
    expectSentBy(emulators, "trubrics", "workerd", "fetch");
  });
});
