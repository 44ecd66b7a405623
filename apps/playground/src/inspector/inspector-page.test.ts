import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Inspector, startInspector } from "./start-inspector";

// Debian's `chromium` package (`.ci/run` installs it); never a downloaded browser.
const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const ARTIFACTS = fileURLToPath(new URL("../../test-artifacts/", import.meta.url));
// Only a hang is expected to reach these: every wait is on a DOM condition, never on a clock.
const GENEROUS_MS = 120_000;

describe("the inspector page in headless Chromium", () => {
  let inspector: Inspector;
  let context: BrowserContext;
  let userDataDirectory: string;
  let page: Page;

  beforeAll(async () => {
    inspector = await startInspector({ forceEmulators: true });
    userDataDirectory = await mkdtemp(join(tmpdir(), "playground-inspector-chromium-"));
    context = await chromium.launchPersistentContext(userDataDirectory, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1680, height: 1250 },
    });
    context.setDefaultTimeout(GENEROUS_MS);
    page = await context.newPage();
    await page.goto(inspector.url);
  }, GENEROUS_MS);

  afterAll(async () => {
    await context?.close();
    await inspector?.close();
    if (userDataDirectory) await rm(userDataDirectory, { recursive: true, force: true });
  }, GENEROUS_MS);

  it(
    "runs a scenario, shows its run tree, and compares what each vendor received for a model call",
    async () => {
      await page.getByTestId("column-otlp").waitFor();
      await expect(
        page.getByTestId("columns").locator(".badge").allTextContents(),
      ).resolves.toMatchInlineSnapshot(`
        [
          "Trubrics: emulator",
          "Arthur (legacy): emulator",
          "Arthur (engine): emulator",
          "PromptLayer: emulator",
          "OTLP backend: emulator",
        ]
      `);
      await page.getByTestId("run-chain-tool").click();
      await page.waitForSelector('[data-testid="run-status"][data-status="done"]');

      const tree = await page
        .getByTestId("span-row")
        .evaluateAll((rows) =>
          rows.map((row) => `${(row as HTMLElement).dataset.kind} ${(row as HTMLElement).dataset.name}`),
        );
      expect(tree).toEqual([
        "chain weather-chain",
        "chat FakeDetailedChatModel",
        "tool get_weather",
        "chat FakeDetailedChatModel",
        "chain StrOutputParser",
      ]);
      // Every span has a timing bar inside its track.
      expect(await page.locator(".span-row .bar").count()).toBe(5);

      // Open the first model call: the one that asks for the weather tool.
      await page.locator('[data-testid="span-row"][data-kind="chat"]').first().click();
      await page.waitForSelector('[data-testid="model-call"] table');

      const table = await page.getByTestId("model-call").evaluate((section) => {
        const cells: Record<string, string> = {};
        for (const cell of Array.from(section.querySelectorAll<HTMLElement>("td[data-testid]"))) {
          const differs = cell.dataset.differs === "true" ? " [differs]" : "";
          cells[cell.dataset.testid!.replace(/^field-/, "")] = `${cell.textContent}${differs}`;
        }
        return cells;
      });
      // Latencies are measured, so only their shape is asserted (each vendor has one).
      const latencies = Object.entries(table).filter(([key]) => key.startsWith("latency-"));
      expect(latencies.map(([key]) => key).sort()).toEqual(
        ["arthur", "arthur-engine", "core", "otlp", "promptlayer", "trubrics"].map(
          (column) => `latency-${column}`,
        ),
      );
      for (const [, value] of latencies) expect(value).toMatch(/^\d+ ms( \[differs\])?$/);
      for (const [key] of latencies) delete table[key];
      expect(table).toMatchInlineSnapshot(`
        {
          "error-arthur": "—",
          "error-arthur-engine": "—",
          "error-core": "—",
          "error-otlp": "—",
          "error-promptlayer": "—",
          "error-trubrics": "—",
          "messages-arthur": "system: Answer with the weather tool.
        user: What is the weather in Paris?",
          "messages-arthur-engine": "system: Answer with the weather tool.
        user: What is the weather in Paris?",
          "messages-core": "system: Answer with the weather tool.
        user: What is the weather in Paris?",
          "messages-otlp": "system: Answer with the weather tool.
        user: What is the weather in Paris?",
          "messages-promptlayer": "system: Answer with the weather tool.
        user: What is the weather in Paris?",
          "messages-trubrics": "system: Answer with the weather tool.
        user: What is the weather in Paris?",
          "metadata-arthur": "—",
          "metadata-arthur-engine": "app=langchain-observability-playground",
          "metadata-core": "app=langchain-observability-playground",
          "metadata-otlp": "app=langchain-observability-playground",
          "metadata-promptlayer": "app=langchain-observability-playground",
          "metadata-trubrics": "app=langchain-observability-playground",
          "model-arthur": "—",
          "model-arthur-engine": "fake-tool-model",
          "model-core": "fake-tool-model",
          "model-otlp": "fake-tool-model",
          "model-promptlayer": "fake-tool-model",
          "model-trubrics": "fake-tool-model",
          "output-arthur": "[{"name":"get_weather","args":{"city":"Paris"},"id":"call_weather_1"}]",
          "output-arthur-engine": "→ get_weather({"city":"Paris"})",
          "output-core": "→ get_weather({"city":"Paris"})",
          "output-otlp": "→ get_weather({"city":"Paris"})",
          "output-promptlayer": "→ get_weather({"city":"Paris"})",
          "output-trubrics": "→ get_weather({"city":"Paris"})",
          "session-arthur": "—",
          "session-arthur-engine": "—",
          "session-core": "—",
          "session-otlp": "—",
          "session-promptlayer": "—",
          "session-trubrics": "—",
          "tags-arthur": "—",
          "tags-arthur-engine": "playground",
          "tags-core": "playground",
          "tags-otlp": "playground",
          "tags-promptlayer": "playground",
          "tags-trubrics": "langchain, playground [differs]",
          "tokens-arthur": "in 24 · out 12",
          "tokens-arthur-engine": "in 24 · out 12 · total 36",
          "tokens-core": "in 24 · out 12 · total 36",
          "tokens-otlp": "in 24 · out 12",
          "tokens-promptlayer": "in 24 · out 12",
          "tokens-trubrics": "in 24 · out 12 · total 36",
          "user-arthur": "—",
          "user-arthur-engine": "playground-user",
          "user-core": "playground-user",
          "user-otlp": "playground-user",
          "user-promptlayer": "playground-user",
          "user-trubrics": "playground-user",
        }
      `);

      await mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, "inspector.png") });

      // The raw wire item of one vendor, on demand.
      await page.getByTestId("raw-toggle-trubrics").click();
      const raw = JSON.parse((await page.getByTestId("raw-trubrics").textContent()) ?? "") as {
        properties: { langchain_run_id: string; tool_calls: unknown };
      };
      expect(raw.properties.tool_calls).toEqual([
        { id: "call_weather_1", name: "get_weather", args: { city: "Paris" } },
      ]);

      // Each vendor's requests for the run, with the raw request on demand (credentials redacted).
      const trubricsRequest = page.getByTestId("requests-trubrics").getByTestId("request").first();
      await expect(trubricsRequest.textContent()).resolves.toContain("POST /publish_llm_events");
      await trubricsRequest.getByRole("button", { name: "raw" }).click();
      const exchange = JSON.parse(
        (await page
          .getByTestId("requests-trubrics")
          .locator("pre.raw", { hasText: "requestHeaders" })
          .textContent()) ?? "",
      ) as { requestHeaders: Record<string, string>; status: number };
      expect(exchange.status).toBe(200);
      expect(exchange.requestHeaders["x-api-key"]).toBe("[redacted]");
      expect(await page.content()).not.toContain("playground-trubrics-key");

      await page.screenshot({ path: join(ARTIFACTS, "inspector-full.png"), fullPage: true });
    },
    GENEROUS_MS,
  );

  it(
    "shows the handler's stats and the onError reports of the outage scenario, then recovery",
    async () => {
      await page.getByTestId("run-vendor-outage").click();
      await page.waitForSelector('[data-testid="scenario-vendor-outage"][data-status="done"]');
      await page.waitForSelector('[data-testid="run-status"][data-status="done"]');
      const reports = await page
        .locator('[data-testid="error-report"][data-scenario="vendor-outage"]')
        .evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset.column).sort());
      expect(reports).toMatchInlineSnapshot(`
        [
          "arthur",
          "arthur-engine",
          "otlp",
          "promptlayer",
          "trubrics",
        ]
      `);
      const counters = await page.locator('[data-testid^="run-counters-"]').evaluateAll((rows) =>
        rows.map((row) =>
          Array.from(row.children)
            .map((cell) => cell.textContent)
            .join(" "),
        ),
      );
      expect(counters).toMatchInlineSnapshot(`
        [
          "inspector-spans 1 0 0 0 0 0",
          "trubrics 1 0 3 1 0 0",
          "arthur 1 0 3 1 0 0",
          "arthur-engine 1 0 3 1 0 0",
          "promptlayer 1 0 3 1 0 0",
          "otlp 1 0 3 1 0 0",
        ]
      `);
      await page.screenshot({ path: join(ARTIFACTS, "inspector-outage.png"), fullPage: true });
    },
    GENEROUS_MS,
  );
});
