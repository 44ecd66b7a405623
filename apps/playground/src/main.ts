import { VENDORS } from "./backends";
import { startInspector } from "./inspector/start-inspector";
import { parsePlaygroundArgs } from "./playground-args";
import { type PlaygroundResult, runPlayground, type ScenarioOutcome } from "./run-playground";
import { SCENARIOS } from "./scenarios";

const HELP = `pnpm playground [options]

Runs LangChain.js scenarios through the Trubrics, Arthur and PromptLayer handlers at once.
Offline by default: LangChain fake models and the vendors' emulators on 127.0.0.1.
A vendor with credentials in the environment is used for real:
  TRUBRICS_API_KEY (or TRUBRICS_EMAIL + TRUBRICS_PASSWORD), ARTHUR_API_KEY + ARTHUR_MODEL_ID,
  PROMPTLAYER_API_KEY; OPENAI_API_KEY replaces the fake models with OpenAI's.

Options:
  --scenario NAME   run only this scenario (repeatable; see --list)
  --list            list the scenarios and exit
  --json            print the summary as JSON (nothing else on stdout)
  --show-payloads   print what each emulator received
  --ui              serve the inspector page on 127.0.0.1 (run tree, what each vendor
                    received side by side, stats and onError reports; Ctrl+C stops)
  --port N          port of the inspector page (default: any free port)
  --run-all         with --ui: run every scenario (or those of --scenario) once at start
  --help            this text

A leading "--" is accepted: pnpm playground -- --scenario chat-system.
Exits 1 when any scenario's records were not delivered to every vendor.`;

async function main(): Promise<number> {
  const values = parsePlaygroundArgs(process.argv.slice(2));
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values.list) {
    for (const scenario of SCENARIOS) console.log(`${scenario.name.padEnd(18)} ${scenario.description}`);
    return 0;
  }
  if (values.ui) return serveInspector(values.port, values.runAll, values.scenarios);
  const say = values.json ? () => {} : (line: string) => console.log(line);
  const result = await runPlayground({
    ...(values.scenarios.length > 0 ? { scenarios: values.scenarios } : {}),
    onModes: (modes, models) => {
      say(
        `models: ${models === "fake" ? "LangChain fake models (set OPENAI_API_KEY for OpenAI)" : "OpenAI"}`,
      );
      for (const vendor of VENDORS) {
        say(
          `${vendor.padEnd(12)} ${modes[vendor] === "emulator" ? "emulator on 127.0.0.1 (no account needed)" : "REAL vendor (credentials from the environment)"}`,
        );
      }
      say("");
    },
    onProgress: (outcome) => say(progressLine(outcome)),
  });
  if (values.json) {
    const { payloads, ...summary } = result;
    console.log(JSON.stringify(values.showPayloads ? result : summary, null, 2));
    void payloads;
  } else {
    printSummary(result);
    if (values.showPayloads) {
      for (const vendor of VENDORS) {
        console.log(`\n${vendor}: what the emulator received`);
        console.log(JSON.stringify(result.payloads[vendor], null, 2));
      }
    }
  }
  return result.ok ? 0 : 1;
}

/** `--ui`: serves the inspector until Ctrl+C. */
async function serveInspector(port: number, runAll: boolean, scenarios: string[]): Promise<number> {
  const inspector = await startInspector({ port });
  const { columns, models } = inspector.session.state();
  console.log(`Playground inspector: ${inspector.url}  (Ctrl+C stops)`);
  console.log(`models: ${models === "fake" ? "LangChain fake models" : "OpenAI"}`);
  for (const column of columns) {
    const mode =
      column.mode === "emulator"
        ? "emulator on 127.0.0.1"
        : column.mode === "real"
          ? "REAL vendor (shown: what the handler sent, credentials redacted)"
          : `unavailable: ${column.note ?? ""}`;
    console.log(`  ${column.label.padEnd(16)} ${mode}`);
  }
  if (runAll) {
    if (scenarios.length > 0) for (const name of scenarios) inspector.session.runScenario(name);
    else inspector.session.runAll();
  }
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  console.log("\nstopping…");
  await inspector.close();
  return 0;
}

function progressLine(outcome: ScenarioOutcome): string {
  const delivered = Object.entries(outcome.delivered)
    .map(([vendor, entry]) => `${vendor} ${entry?.delivered}/${entry?.expected}`)
    .join(", ");
  const mark = outcome.ok ? "ok  " : "FAIL";
  return `${mark} ${outcome.name.padEnd(18)} ${delivered}  (${outcome.durationMs.toFixed(0)} ms)${outcome.error ? `  error: ${outcome.error}` : ""}`;
}

function printSummary(result: PlaygroundResult): void {
  const header = [
    "vendor",
    "mode",
    "records",
    "requests",
    "delivered",
    "failed",
    "retried",
    "dropped",
    "model p50",
    "flush",
  ];
  const rows = result.vendors.map((vendor) => [
    vendor.vendor,
    vendor.mode,
    String(vendor.captured),
    vendor.requests === null ? "—" : String(vendor.requests),
    String(vendor.delivered),
    String(vendor.failed),
    String(vendor.retried),
    String(vendor.dropped),
    `${vendor.modelCallP50Ms.toFixed(1)} ms`,
    `${vendor.flushMs.toFixed(1)} ms`,
  ]);
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => row[column]!.length)));
  const line = (row: string[]) => `  ${row.map((cell, column) => cell.padEnd(widths[column]!)).join("  ")}`;
  console.log("\nSummary per vendor");
  console.log(line(header));
  console.log(line(widths.map((width) => "-".repeat(width))));
  for (const row of rows) console.log(line(row));
  if (result.errors.length > 0) {
    const outage = result.scenarios.some((scenario) => scenario.name === "vendor-outage");
    console.log(
      `\nReported by the handlers (onError)${outage ? "; vendor-outage causes one 503 report per vendor on purpose" : ""}:`,
    );
    for (const error of result.errors) console.log(`  - ${error}`);
  }
  const failed = result.scenarios.filter((scenario) => !scenario.ok).map((scenario) => scenario.name);
  console.log(
    result.ok
      ? `\nAll ${result.scenarios.length} scenarios delivered to every vendor.`
      : `\nNot delivered: ${failed.length > 0 ? failed.join(", ") : "see failed/dropped above"}.`,
  );
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exitCode = 1;
  },
);
