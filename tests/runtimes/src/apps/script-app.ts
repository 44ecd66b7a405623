/**
 * Entry of the matrix app for runtimes with a process (Node, Bun, Deno): the handlers take their
 * vendors' URLs and keys from env vars; the report is printed as one JSON line.
 */
import { runMatrixApp } from "./matrix-app.ts";

const [runtime = "unknown", arthurModelId = "", mode] = process.argv.slice(2);
const report = await runMatrixApp({
  runtime,
  arthurModelId,
  trubrics: {},
  arthur: {},
  arthurEngine: {},
  promptlayer: {},
  // `exit-without-flush`: the script ends with records still queued; the exit drain must send them.
  flush: mode !== "exit-without-flush",
});
// biome-ignore lint/suspicious/noConsole: the report goes to stdout, where the test reads it.
console.log(`MATRIX-REPORT ${JSON.stringify(report)}`);
