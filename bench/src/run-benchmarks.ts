import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { HumanMessage } from "@langchain/core/messages";
import { chainInput, createFiveStepChain, createModel, messages } from "./bench-model";
import { measureBundleSizes } from "./bundle-size";
import { measureInstallWeight } from "./install-weight";
import {
  checkBaseline,
  INSTRUCTION_SETTINGS,
  INSTRUCTION_VARIANTS,
  type InstructionResult,
  measureInstructions,
  QUICK_INSTRUCTION_VARIANTS,
  REGRESSION_LIMIT,
  readBaseline,
  UPDATE_BASELINE_COMMAND,
  valgrindVersion,
  writeBaseline,
} from "./instructions";
import { measureInterleaved, median, percentile, printTable, type Variant } from "./measure";
import { type Sink, startSinkProcess } from "./sink-client";
import { langfuseHandler, langsmithHandler, naiveHandler } from "./third-party-variants";
import {
  coreWithMemoryExporter,
  coreWithSpanExporter,
  fanOutHandler,
  type HandlerSetup,
  noHandler,
  noopHandler,
  type OurVendor,
  ourHandler,
} from "./variants";

const quick = process.argv.includes("--quick");
const updateBaseline = process.argv.includes("--update-baseline");
const only = process.argv
  .find((argument) => argument.startsWith("--only="))
  ?.slice("--only=".length)
  .split(",");
// `--variants=no-op,Trubrics` keeps only the variants whose name contains one of the words (cpu section).
const variantFilter = process.argv
  .find((argument) => argument.startsWith("--variants="))
  ?.slice("--variants=".length)
  .split(",")
  .map((word) => word.toLowerCase());
const settings = quick
  ? {
      cpu: { rounds: 3, callsPerRound: 40, warmupRounds: 1 },
      latency: { calls: 200, concurrency: 20, rounds: 1 },
      outage: 4000,
      largeOutage: 400,
    }
  : {
      cpu: { rounds: 11, callsPerRound: 400, warmupRounds: 2 },
      latency: { calls: 10_000, concurrency: 50, rounds: 20 },
      outage: 100_000,
      largeOutage: 2000,
    };
const report: Record<string, unknown> = {
  quick,
  node: process.version,
  cpu: cpus()[0]?.model,
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
};

const wants = (section: string) => !only || only.includes(section);
/** Problems that fail the run (exit code 1), printed at the end. */
const failures: string[] = [];

/**
 * The targets (issue 18 and the PromptLayer `/spans-bulk` issue), judged on this process's CPU time
 * per call and shown next to the ratio of instructions per call.
 */
const TARGETS: Record<string, { base: string; limit: number }> = {
  "core + in-memory exporter": { base: "no-op handler", limit: 1.15 },
  "Trubrics (ours)": { base: "no-op handler", limit: 1.2 },
  "Arthur (ours)": { base: "no-op handler", limit: 1.2 },
  "PromptLayer (ours)": { base: "no-op handler", limit: 1.3 },
  "fan-out, 3 vendors (ours)": { base: "no-op handler", limit: 1.5 },
  "core + in-memory, whole tree, 5-step chain": { base: "no-op handler, 5-step chain", limit: 1.3 },
};

/** Instructions per call by row name, when the instructions section ran. */
const instructionsByName = new Map<string, InstructionResult>();

/** Sequential invokes, then the handler's own flush: the whole cost of observing each call. */
function sequential(setup: HandlerSetup): Variant {
  const model = createModel();
  return {
    name: setup.name,
    async round(calls) {
      for (let index = 0; index < calls; index++)
        await model.invoke(messages, { callbacks: setup.callbacks });
      await setup.flush();
    },
  };
}

/** The same, on the 5-step chain (6 runs per call): the row names end with ", 5-step chain". */
function sequentialChain(setup: HandlerSetup): Variant {
  const chain = createFiveStepChain();
  return {
    name: `${setup.name}, 5-step chain`,
    async round(calls) {
      for (let index = 0; index < calls; index++)
        await chain.invoke(chainInput, { callbacks: setup.callbacks });
      await setup.flush();
    },
  };
}

const CHAIN_BASE = "no-op handler, 5-step chain";

async function cpuSection(sink: Sink) {
  const keep = (name: string) =>
    !variantFilter || variantFilter.some((word) => name.toLowerCase().includes(word)) || /^no-op/.test(name);
  const setups = [
    noHandler(),
    noopHandler(),
    coreWithMemoryExporter(),
    ourHandler("trubrics", sink.url),
    ourHandler("arthur", sink.url),
    ourHandler("promptlayer", sink.url),
    fanOutHandler(sink.url),
    naiveHandler(sink.url),
    langfuseHandler(sink.url),
    langsmithHandler(sink.url),
  ].filter((setup) => keep(setup.name));
  const chainSetups = [noopHandler(), coreWithMemoryExporter(), coreWithSpanExporter()].filter((setup) =>
    keep(`${setup.name}, 5-step chain`),
  );
  const results = await measureInterleaved(
    [...setups.map(sequential), ...chainSetups.map(sequentialChain)],
    settings.cpu,
  );
  const byName = new Map(results.map((result) => [result.name, result]));
  const cpuOf = (name: string) => byName.get(name)!.medianCpuMicros;
  const wallOf = (name: string) => byName.get(name)!.medianMicros;
  // Targets are judged on CPU time of this process (the sink runs in another one); wall time is shown too.
  // Chain rows are compared with the no-op handler on the same chain.
  const noopOf = (name: string) => (name.endsWith(", 5-step chain") ? CHAIN_BASE : "no-op handler");
  const rows = results.map((result) => {
    // With --variants a target's base may be left out: that row then has no target.
    const target = byName.has(TARGETS[result.name]?.base ?? "") ? TARGETS[result.name] : undefined;
    const ratio = target ? result.medianCpuMicros / cpuOf(target.base) : undefined;
    const wallRatio = target ? result.medianMicros / wallOf(target.base) : undefined;
    return {
      variant: result.name,
      cpuMicrosPerCall: result.medianCpuMicros,
      wallMicrosPerCall: result.medianMicros,
      cpuRatioToNoop: result.medianCpuMicros / cpuOf(noopOf(result.name)),
      wallRatioToNoop: result.medianMicros / wallOf(noopOf(result.name)),
      target: target ? `≤ ${target.limit}× ${target.base.replace(" handler", "")}` : "",
      instructionsPerCall: instructionsByName.get(result.name)?.perCall,
      ratioToTarget: ratio,
      wallRatioToTarget: wallRatio,
      met: target ? ratio! <= target.limit : undefined,
    };
  });
  printTable(
    "1. Cost per call, export included (sequential invokes, flush at the end of each round; medians; CPU = this process, the sink runs apart)",
    [
      "variant",
      "CPU µs/call",
      "× no-op",
      "wall µs/call",
      "× no-op",
      "instructions/call",
      "target (CPU)",
      "actual",
      "wall",
      "met",
    ],
    rows.map((row) => [
      row.variant,
      row.cpuMicrosPerCall,
      row.cpuRatioToNoop,
      row.wallMicrosPerCall,
      row.wallRatioToNoop,
      row.instructionsPerCall === undefined ? "" : formatCount(row.instructionsPerCall),
      row.target,
      row.ratioToTarget === undefined ? "" : `${row.ratioToTarget.toFixed(2)}×`,
      row.wallRatioToTarget === undefined ? "" : `${row.wallRatioToTarget.toFixed(2)}×`,
      row.met === undefined ? "" : row.met ? "yes" : "NO",
    ]),
  );
  for (const setup of [...setups, ...chainSetups]) await setup.shutdown();
  report.cpuCost = rows;
}

function formatCount(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

async function instructionsSection(sink: Sink) {
  const valgrind = valgrindVersion();
  if (!valgrind) {
    failures.push(
      "instructions: valgrind is not installed (Debian/Ubuntu: apt-get install -y valgrind); or leave the section out with --only",
    );
    return;
  }
  const keys =
    quick && !updateBaseline
      ? QUICK_INSTRUCTION_VARIANTS
      : INSTRUCTION_VARIANTS.map((variant) => variant.key);
  // `--variants=` keeps the variants named by one of its words, and what they are compared with.
  const named = INSTRUCTION_VARIANTS.filter(
    (variant) =>
      keys.includes(variant.key) &&
      (!variantFilter || variantFilter.some((word) => variant.name.toLowerCase().includes(word))),
  );
  const variants = INSTRUCTION_VARIANTS.filter(
    (variant) => named.includes(variant) || named.some((entry) => entry.base === variant.key),
  );
  const { warmup, calls, repetitions } = INSTRUCTION_SETTINGS;
  console.log(
    `\n0. Instructions per call (callgrind, ${valgrind}; a process per variant: ${warmup} warm-up calls, then ${repetitions} counted sections of ${calls} calls and their flush; median; the 5-step chain half as many calls)`,
  );
  const started = performance.now();
  const results = await measureInstructions(variants, sink.url, (message) => console.log(`  … ${message}`));
  for (const result of results) instructionsByName.set(result.name, result);
  const byKey = new Map(results.map((result) => [result.key, result]));
  const baseline = readBaseline();
  const { checks, problems } = checkBaseline(results, baseline);
  const checkOf = new Map(checks.map((check) => [check.key, check]));
  const rows = results.map((result) => {
    const variant = INSTRUCTION_VARIANTS.find((entry) => entry.key === result.key)!;
    const base = variant.base ? byKey.get(variant.base) : undefined;
    const target = TARGETS[result.name];
    const ratio = base ? result.perCall / base.perCall : undefined;
    const check = checkOf.get(result.key);
    return {
      variant: result.name,
      instructionsPerCall: result.perCall,
      sections: result.sections.map(Math.round),
      ratio,
      ratioTo: base?.name,
      target: target ? `≤ ${target.limit}×` : "",
      metByInstructions: target && ratio !== undefined ? ratio <= target.limit : undefined,
      baseline: check?.baseline,
      change: check?.growth,
      gated: variant.gated,
      failed: check?.failed === true,
    };
  });
  printTable(
    `Instructions per call (export included; × = over the no-op handler on the same input; CI fails above +${REGRESSION_LIMIT * 100} % of the baseline)`,
    [
      "variant",
      "instructions/call",
      "sections (min–max)",
      "×",
      "target",
      "met (instructions)",
      "baseline",
      "change",
      "check",
    ],
    rows.map((row) => [
      row.variant,
      formatCount(row.instructionsPerCall),
      `${formatCount(Math.min(...row.sections))}–${formatCount(Math.max(...row.sections))}`,
      row.ratio === undefined ? "" : `${row.ratio.toFixed(2)}×`,
      row.target,
      row.metByInstructions === undefined ? "" : row.metByInstructions ? "yes" : "NO",
      row.baseline === undefined ? "" : formatCount(row.baseline),
      row.change === undefined ? "" : `${row.change >= 0 ? "+" : ""}${(row.change * 100).toFixed(1)} %`,
      !row.gated ? "" : row.failed ? "FAILED" : row.baseline === undefined ? "no baseline" : "ok",
    ]),
  );
  console.log(`  (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  if (updateBaseline) {
    writeBaseline(results, valgrind);
    console.log(`  Baseline written: bench/baseline/instructions.json`);
  } else {
    for (const problem of problems) failures.push(`instructions: ${problem}`);
    const faster = rows.filter(
      (row) => row.gated && row.change !== undefined && row.change < -REGRESSION_LIMIT,
    );
    if (faster.length > 0) {
      console.log(
        `  ${faster.map((row) => row.variant).join(", ")}: well under the baseline; lock the gain in with \`${UPDATE_BASELINE_COMMAND}\``,
      );
    }
  }
  report.instructions = { valgrind, rows };
}

async function latencySection(sink: Sink) {
  const { calls, concurrency, rounds } = settings.latency;
  const setups = [
    noopHandler(),
    ourHandler("trubrics", sink.url),
    ourHandler("arthur", sink.url),
    ourHandler("promptlayer", sink.url),
    fanOutHandler(sink.url),
    langfuseHandler(sink.url),
    langsmithHandler(sink.url),
  ];
  // Latencies per variant and round: the p99 of each round, and its difference with the no-op
  // handler's in the same round, so that a stall of the shared machine in one round (which moves
  // the pooled p99 of every row by tens of ms) does not decide the figure; the pooled p99 is kept.
  const samples = new Map<string, number[][]>(setups.map((setup) => [setup.name, []]));
  const model = createModel(20);
  for (let round = 0; round < rounds; round++) {
    for (const setup of setups) {
      let remaining = Math.ceil(calls / rounds);
      const latencies: number[] = [];
      samples.get(setup.name)!.push(latencies);
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (remaining > 0) {
            remaining--;
            const started = performance.now();
            await model.invoke(messages, { callbacks: setup.callbacks });
            latencies.push(performance.now() - started);
          }
        }),
      );
      await setup.flush();
    }
  }
  const noopRounds = samples.get("no-op handler")!;
  const noopP50 = percentile(noopRounds.flat(), 0.5);
  const noopRoundP99 = noopRounds.map((latencies) => percentile(latencies, 0.99));
  const rows = setups.map((setup) => {
    const roundLatencies = samples.get(setup.name)!;
    const roundP99 = roundLatencies.map((latencies) => percentile(latencies, 0.99));
    const addedP99 = median(roundP99.map((p99, round) => p99 - noopRoundP99[round]!));
    const p50 = percentile(roundLatencies.flat(), 0.5);
    const ours = setup.handler !== undefined;
    return {
      variant: setup.name,
      p50,
      p99: median(roundP99),
      pooledP99: percentile(roundLatencies.flat(), 0.99),
      addedP50: p50 - noopP50,
      addedP99,
      met: ours ? addedP99 <= 1 : undefined,
    };
  });
  printTable(
    `2. Caller-path latency (model with 20 ms latency, ${concurrency} concurrent callers, ${calls} calls in ${rounds} interleaved rounds; ms; p99 = median of the rounds' p99, added = median of the per-round differences with the no-op handler)`,
    ["variant", "p50", "p99", "pooled p99", "added p50", "added p99", "target ≤ 1 ms"],
    rows.map((row) => [
      row.variant,
      row.p50,
      row.p99,
      row.pooledP99,
      row.addedP50,
      row.addedP99,
      row.met === undefined ? "" : row.met ? "yes" : "NO",
    ]),
  );
  for (const setup of setups) await setup.shutdown();
  report.latency = rows;
}

function rssMiB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss / 2 ** 20;
}

async function outageSection(sink: Sink) {
  const rows = [];
  // The same outage with 50 KB prompts (issue 13): the queue's byte bound (`maxQueueBytes`, 32 MB)
  // must hold memory, not only its record count.
  const largeMessages = [...messages.slice(0, -1), new HumanMessage(`${"p".repeat(50_000)} What is it?`)];
  const runs = [
    ...(["trubrics", "arthur", "promptlayer"] as OurVendor[]).map((vendor) => ({ vendor, large: false })),
    ...(["trubrics", "arthur", "promptlayer"] as OurVendor[]).map((vendor) => ({ vendor, large: true })),
  ];
  for (const { vendor, large } of runs) {
    await sink.setMode("ok");
    await sink.reset();
    const setup = ourHandler(vendor, sink.url, { onError: () => {} });
    const handler = setup.handler!;
    const model = createModel();
    const total = large ? settings.largeOutage : settings.outage;
    const input = large ? largeMessages : messages;
    const rss: number[] = [];
    const baseline = rssMiB();
    const checkpoints = 8;
    for (const mode of ["refuse", "hang"] as const) {
      await sink.setMode(mode);
      for (let index = 0; index < total / 2; index++) {
        await model.invoke(input, { callbacks: setup.callbacks });
        if ((index + 1) % (total / 2 / (checkpoints / 2)) === 0) rss.push(rssMiB() - baseline);
      }
    }
    const duringOutage = handler.stats();
    await sink.setMode("ok");
    const recoveryStarted = performance.now();
    const flushed = (await setup.flush({ timeoutMs: 120_000 })) as { timedOut: boolean };
    const recoveryMs = performance.now() - recoveryStarted;
    const stats = handler.stats();
    const sinkStats = await sink.stats();
    const accounted = stats.exported + stats.failed + stats.dropped.total + stats.pending;
    rows.push({
      vendor: large ? `${vendor}, 50 KB prompts` : vendor,
      invokes: total,
      rssGrowthMiB: Math.max(...rss),
      rssCheckpointsMiB: rss.map((value) => Math.round(value)),
      queuedAtRecovery: duringOutage.pending,
      droppedQueueFull: stats.dropped.queueFull,
      failed: stats.failed,
      exported: stats.exported,
      pendingAfter: stats.pending,
      accountedFor: accounted === stats.captured,
      deliveredToSink: sinkStats.unique,
      duplicatesAtSink: sinkStats.duplicates,
      exactlyOnce: sinkStats.duplicates === 0 && sinkStats.unique === stats.exported,
      recoveryMs,
      flushTimedOut: flushed.timedOut,
    });
    await setup.shutdown();
  }
  printTable(
    `3. Memory under outage (${settings.outage} invokes, ${settings.largeOutage} with 50 KB prompts: half with the vendor refusing connections, half with it hanging; then it recovers)`,
    [
      "vendor",
      "RSS growth MiB (max)",
      "RSS at checkpoints",
      "queued",
      "dropped (queue full)",
      "failed",
      "delivered",
      "pending",
      "counts add up",
      "exactly once",
      "recovery",
    ],
    rows.map((row) => [
      row.vendor,
      row.rssGrowthMiB,
      row.rssCheckpointsMiB.join(" "),
      row.queuedAtRecovery,
      row.droppedQueueFull,
      row.failed,
      `${row.exported} (sink ${row.deliveredToSink})`,
      row.pendingAfter,
      row.accountedFor ? "yes" : "NO",
      row.exactlyOnce ? "yes" : "NO",
      `${(row.recoveryMs / 1000).toFixed(1)} s`,
    ]),
  );
  report.outage = rows;
}

async function drainSection(sink: Sink) {
  const cap = 15_000;
  const rows = [];
  const setups = [
    ourHandler("trubrics", sink.url, { onError: () => {} }),
    ourHandler("arthur", sink.url, { onError: () => {} }),
    ourHandler("promptlayer", sink.url, { onError: () => {} }),
    fanOutHandler(sink.url),
    langfuseHandler(sink.url),
    langsmithHandler(sink.url),
  ];
  const model = createModel();
  for (const setup of setups) {
    await sink.setMode("hang");
    for (let index = 0; index < 50; index++) await model.invoke(messages, { callbacks: setup.callbacks });
    const started = performance.now();
    const ours = setup.handler !== undefined;
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      // Another vendor's flush may reject (e.g. its own request timeout): that still ends the wait.
      (ours ? setup.handler!.flush({ timeoutMs: 2000 }) : setup.flush()).then(
        () => true,
        () => true,
      ),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), cap);
      }),
    ]);
    clearTimeout(timer);
    const elapsed = performance.now() - started;
    rows.push({
      variant: setup.name,
      returnedAfterMs: finished ? elapsed : null,
      met: ours ? elapsed <= 2200 : undefined,
    });
    await sink.setMode("ok");
    await setup.shutdown();
  }
  printTable(
    "4. Drain deadline (flush({ timeoutMs: 2000 }) with a hanging vendor; others: their own flush, watched for 15 s)",
    ["variant", "returned after", "target ≤ 2.2 s"],
    rows.map((row) => [
      row.variant,
      row.returnedAfterMs === null
        ? `not within ${cap / 1000} s`
        : `${(row.returnedAfterMs / 1000).toFixed(2)} s`,
      row.met === undefined ? "" : row.met ? "yes" : "NO",
    ]),
  );
  report.drain = rows;
}

async function main() {
  console.log(
    `langchain-observability benchmarks (${quick ? "quick check" : "full run"}) — node ${process.version}, ${report.cores} × ${report.cpu}`,
  );
  const sink = await startSinkProcess();
  try {
    // Memory first, while the heap holds nothing from the other sections.
    if (wants("outage")) await outageSection(sink);
    // Before the timed sections: the CPU table shows the instruction counts next to its figures.
    if (wants("instructions")) await instructionsSection(sink);
    if (wants("cpu")) await cpuSection(sink);
    if (wants("latency")) await latencySection(sink);
    if (wants("drain")) await drainSection(sink);
  } finally {
    await sink.close();
  }
  if (wants("install") && !quick) {
    const rows = await measureInstallWeight();
    report.install = rows;
  }
  if (wants("bundle")) report.bundle = await measureBundleSizes();
  const directory = join(import.meta.dirname, "..", "results");
  mkdirSync(directory, { recursive: true });
  const file = quick ? "quick.json" : "latest.json";
  writeFileSync(join(directory, file), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nJSON: bench/results/${file}`);
  void median;
  if (failures.length > 0) {
    console.error(`\nFAILED:\n${failures.map((failure) => `  - ${failure}`).join("\n")}`);
    process.exit(1);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
