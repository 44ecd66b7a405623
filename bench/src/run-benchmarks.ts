import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { measureInterleaved, printTable } from "./measure";
import { startSink } from "./sink-server";
import {
  coreWithHttpExporter,
  coreWithMemoryExporter,
  noHandler,
  noopHandler,
  sequentialVariant,
} from "./variants";

const quick = process.argv.includes("--quick");
const settings = quick
  ? { rounds: 3, callsPerRound: 50, warmupRounds: 1 }
  : { rounds: 15, callsPerRound: 500, warmupRounds: 3 };

async function main() {
  console.log(
    `langchain-observability benchmarks (${quick ? "quick check" : "full"}) — node ${process.version}, ${settings.rounds} interleaved rounds of ${settings.callsPerRound} calls`,
  );
  const sink = await startSink(() => ({ status: 200, body: {} }));
  const setups = [noHandler(), noopHandler(), coreWithMemoryExporter(), coreWithHttpExporter(sink.url)];
  const variants = setups.map(sequentialVariant);
  const results = await measureInterleaved(variants, settings);
  const noop = results.find((result) => result.name === "no-op handler")!.medianMicros;
  const targets: Record<string, number> = {
    "core + in-memory exporter": 1.15,
    "core + batched HTTP exporter": 1.3,
  };
  printTable(
    "1. CPU cost per call, export included (median µs per call; ratio to the no-op handler)",
    ["variant", "µs/call", "× no-op", "target", "met"],
    results.map((result) => {
      const ratio = result.medianMicros / noop;
      const target = targets[result.name];
      return [
        result.name,
        result.medianMicros,
        ratio,
        target ? `≤ ${target}×` : "",
        target ? (ratio <= target ? "yes" : "NO") : "",
      ];
    }),
  );
  for (const variant of variants) await variant.dispose?.();
  await sink.close();

  const report = {
    quick,
    node: process.version,
    settings,
    cpu: results.map(({ name, medianMicros }) => ({ name, medianMicros, ratioToNoop: medianMicros / noop })),
  };
  const directory = join(import.meta.dirname, "..", "results");
  mkdirSync(directory, { recursive: true });
  writeFileSync(
    join(directory, quick ? "quick.json" : "latest.json"),
    `${JSON.stringify(report, null, 2)}\n`,
  );
  console.log(`\nJSON: bench/results/${quick ? "quick.json" : "latest.json"}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
