import { spawn, spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import ts from "typescript";
import type { ChildReport, ChildRequest } from "./instructions-child";
import { median } from "./measure";

// Instructions per call, counted by valgrind's callgrind: a CPU figure that does not move with the
// machine's load (the timed figures move ±0.1–0.3× between runs on 2 shared cores).
//
// Method. Each variant runs in its own Node process under callgrind (`instructions-child.ts`); the
// loopback sink runs natively in its own process, so its work is not counted. Start-up and a long
// warm-up (10,000 calls, until V8 has optimized what runs per call and per batch) run with callgrind's
// instrumentation off (~10x faster); then the child runs 5 counted sections of 200 calls, each
// followed by `flush()` (export included: two full batches of the batched vendors), each after a
// forced minor GC and 30 uncounted calls so that every section starts from the same young
// generation. `os.getPriority()` marks section boundaries: callgrind dumps its counters there
// (`--dump-before=uv_os_getpriority`), one file per section. Instructions per call = median
// section / 200. V8 runs with `--predictable` (no background compiler or GC threads) so counts
// repeat from run to run, a fixed young generation and an old generation large enough that no
// full GC falls in a section; the optimizing and baseline compilers are left out of the count
// (`--toggle-collect`): compiling is a one-off cost that lands in whichever section a function
// happens to get hot in. Queues send when a batch is full or on flush, never on their interval
// timer. What is not counted: the kernel's work (system calls, loopback TCP), the sink's, and
// full (old-generation) GCs.

/** The fixed settings: the same in `--quick` and full runs, and the same as the baseline's. */
export const INSTRUCTION_SETTINGS = { warmup: 10_000, calls: 200, rewarm: 30, repetitions: 5 } as const;
/** The 5-step chain makes 6 runs per call: half as many calls give as steady a figure. */
const CHAIN_SETTINGS = { warmup: 5000, calls: 100, rewarm: 20, repetitions: 5 } as const;

export type InstructionSettings = { warmup: number; calls: number; rewarm: number; repetitions: number };

/** V8 flags of the child: see the method above. */
const NODE_FLAGS = [
  "--predictable",
  "--expose-gc",
  // Room enough that no full GC runs during the count (it would also throw away optimized code
  // whose object shapes died with the records just flushed), and a fixed young generation.
  "--initial-old-space-size=1024",
  "--min-semi-space-size=16",
  "--max-semi-space-size=16",
];

export interface InstructionVariant {
  /** Variant key understood by instructions-child.ts. */
  key: string;
  /** Row name, as in the timed tables. */
  name: string;
  /** Key of the variant this one is compared with (× column). */
  base?: string;
  /** Gated in CI against the baseline. */
  gated: boolean;
  settings: InstructionSettings;
}

const modelCall = (key: string, name: string, gated: boolean, base?: string): InstructionVariant => ({
  key,
  name,
  gated,
  settings: INSTRUCTION_SETTINGS,
  ...(base ? { base } : {}),
});

export const INSTRUCTION_VARIANTS: InstructionVariant[] = [
  modelCall("no-handler", "no handler", false, "no-op"),
  modelCall("no-op", "no-op handler", false),
  modelCall("core-memory", "core + in-memory exporter", true, "no-op"),
  modelCall("trubrics", "Trubrics (ours)", true, "no-op"),
  modelCall("arthur", "Arthur (ours)", true, "no-op"),
  modelCall("promptlayer", "PromptLayer (ours)", true, "no-op"),
  modelCall("fan-out", "fan-out, 3 vendors (ours)", true, "no-op"),
  { key: "no-op-chain", name: "no-op handler, 5-step chain", gated: false, settings: CHAIN_SETTINGS },
  {
    key: "whole-tree-chain",
    name: "core + in-memory, whole tree, 5-step chain",
    base: "no-op-chain",
    gated: true,
    settings: CHAIN_SETTINGS,
  },
];

/** The variants of `pnpm bench --quick` (CI): every gated variant and what they are compared with. */
export const QUICK_INSTRUCTION_VARIANTS = [
  "no-op",
  "core-memory",
  "trubrics",
  "arthur",
  "promptlayer",
  "fan-out",
  "no-op-chain",
  "whole-tree-chain",
];

export interface InstructionResult {
  key: string;
  name: string;
  /** Instructions per call (export included): the median section's, rounded. */
  perCall: number;
  /** Instructions per call of each section, in order. */
  sections: number[];
}

export interface Baseline {
  command: string;
  node: string;
  valgrind: string;
  variants: Record<string, { name: string; instructionsPerCall: number; settings: InstructionSettings }>;
}

export const BASELINE_FILE = join(import.meta.dirname, "..", "baseline", "instructions.json");
export const UPDATE_BASELINE_COMMAND = "pnpm bench --only=instructions --update-baseline";
/** Growth over the baseline that fails the check. */
export const REGRESSION_LIMIT = 0.15;

const benchDirectory = join(import.meta.dirname, "..");
const workDirectory = join(benchDirectory, "results", "instructions-work");
const profileDirectory = join(benchDirectory, "results", "callgrind");

/** `valgrind-3.19.0`, or undefined when valgrind is not installed. */
export function valgrindVersion(): string | undefined {
  const result = spawnSync("valgrind", ["--version"], { encoding: "utf8" });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/**
 * Transpiles the child and the modules it imports to CommonJS next to the bench's node_modules
 * (so its imports resolve), without type checking (`pnpm typecheck` does that).
 */
function buildChild(): string {
  const directory = join(workDirectory, "child");
  rmSync(directory, { recursive: true, force: true });
  mkdirSync(directory, { recursive: true });
  writeFileSync(join(directory, "package.json"), '{ "type": "commonjs" }\n');
  for (const name of ["instructions-child", "variants", "bench-model"]) {
    const source = readFileSync(join(import.meta.dirname, `${name}.ts`), "utf8");
    const output = ts.transpileModule(source, {
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        esModuleInterop: true,
        verbatimModuleSyntax: false,
      },
      fileName: `${name}.ts`,
    });
    writeFileSync(join(directory, `${name}.js`), output.outputText);
  }
  return join(directory, "instructions-child.js");
}

interface ChildRun {
  pid: number | undefined;
  variant: InstructionVariant;
  report: ChildReport;
  sections: number[];
  lastSectionFile: string;
}

const perfMap = process.argv.includes("--perf-map");

function runChild(variant: InstructionVariant, childPath: string, sinkUrl: string): Promise<ChildRun> {
  const outputBase = join(workDirectory, `${variant.key}.callgrind`);
  const handshakeFile = join(workDirectory, `${variant.key}.instrumented`);
  rmSync(handshakeFile, { force: true });
  const request: ChildRequest = {
    variant: variant.key,
    sinkUrl,
    handshakeFile,
    ...variant.settings,
  };
  for (const file of readdirSync(workDirectory)) {
    if (file.startsWith(`${variant.key}.callgrind`)) rmSync(join(workDirectory, file));
  }
  const args = [
    "--tool=callgrind",
    // Start-up and warm-up run without instrumentation (~10x faster); see the handshake below.
    "--instr-atstart=no",
    `--callgrind-out-file=${outputBase}`,
    `--log-file=${join(workDirectory, `${variant.key}.valgrind.log`)}`,
    "--dump-before=uv_os_getpriority",
    "--toggle-collect=v8::internal::Compiler::CompileOptimized*",
    "--toggle-collect=v8::internal::baseline::BaselineBatchCompiler::CompileBatch*",
    // After the toggles, which would otherwise switch counting off at start.
    "--collect-atstart=yes",
    "--dump-line=no",
    process.execPath,
    ...NODE_FLAGS,
    // `--perf-map`: V8 lists its JIT code in /tmp/perf-<pid>.map, which names the `???:0x…` entries
    // of the profile (copied beside it).
    ...(perfMap ? ["--perf-basic-prof"] : []),
    childPath,
    JSON.stringify(request),
  ];
  return new Promise<ChildRun>((resolve, reject) => {
    // In the work directory: V8 writes its own logs (with `--perf-map`) where it runs.
    const child = spawn("valgrind", args, { stdio: ["ignore", "pipe", "pipe"], cwd: workDirectory });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk;
      if (!stdout.includes("instrument\n") || existsSync(handshakeFile)) return;
      const control = spawnSync("callgrind_control", ["--instr=on", String(child.pid)], { encoding: "utf8" });
      if (control.status !== 0) {
        child.kill("SIGKILL");
        reject(new Error(`callgrind_control failed: ${control.stdout}${control.stderr}`));
        return;
      }
      writeFileSync(handshakeFile, "on\n");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk;
    });
    // Callgrind runs ~50-100x slower; a child that takes this long is stuck.
    const timer = setTimeout(() => child.kill("SIGKILL"), 20 * 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(new Error(`${variant.name}: the callgrind child exited with ${code}\n${stderr.slice(-2000)}`));
        return;
      }
      try {
        const report = JSON.parse(stdout.trim().split("\n").pop() ?? "") as ChildReport;
        rmSync(handshakeFile, { force: true });
        if (existsSync(`${outputBase}.${report.markers + 1}`)) {
          throw new Error("more callgrind dumps than markers: something else called uv_os_getpriority");
        }
        // Part 1 runs to the first marker (start-up, warm-up); then one part per marker: the
        // counted sections are the even parts (the odd ones are the GC and calls between them).
        const sections: number[] = [];
        for (let part = 2; part <= report.markers; part += 2) {
          sections.push(readTotal(`${outputBase}.${part}`));
        }
        resolve({
          pid: child.pid,
          variant,
          report,
          sections,
          lastSectionFile: `${outputBase}.${report.markers}`,
        });
      } catch (error) {
        reject(
          new Error(
            `${variant.name}: unreadable callgrind output (${String(error)})\n${stderr.slice(-2000)}`,
          ),
        );
      }
    });
  });
}

function readTotal(file: string): number {
  const match = /^totals:\s+(\d+)/m.exec(readFileSync(file, "utf8"));
  if (!match) throw new Error(`no totals in ${file}`);
  return Number(match[1]);
}

/** Counts instructions per call of each variant, running up to `parallel` callgrind children at once. */
export async function measureInstructions(
  variants: InstructionVariant[],
  sinkUrl: string,
  onProgress: (message: string) => void = () => {},
): Promise<InstructionResult[]> {
  mkdirSync(workDirectory, { recursive: true });
  mkdirSync(profileDirectory, { recursive: true });
  const childPath = buildChild();
  const parallel = Math.max(1, Math.min(availableParallelism(), 4));
  const results = new Map<string, InstructionResult>();
  const queue = [...variants];
  const worker = async () => {
    for (let variant = queue.shift(); variant; variant = queue.shift()) {
      const started = performance.now();
      const run = await runChild(variant, childPath, sinkUrl);
      const problems = [...run.report.errors];
      if (run.report.undelivered) {
        problems.push(`${run.report.undelivered} of ${run.report.captured} records not delivered`);
      }
      if (problems.length > 0) {
        throw new Error(`${variant.name}: export failed under callgrind: ${problems.join("; ")}`);
      }
      const sections = run.sections.map((total) => total / variant.settings.calls);
      const perCall = Math.round(median(sections));
      results.set(variant.key, { key: variant.key, name: variant.name, perCall, sections });
      // The last section, for `callgrind_annotate` (see BENCHMARKS.md).
      copyFileSync(run.lastSectionFile, join(profileDirectory, `${variant.key}.callgrind`));
      if (perfMap && existsSync(`/tmp/perf-${run.pid}.map`)) {
        copyFileSync(`/tmp/perf-${run.pid}.map`, join(profileDirectory, `${variant.key}.perf.map`));
        rmSync(`/tmp/perf-${run.pid}.map`);
      }
      onProgress(
        `${variant.name}: ${perCall} instructions/call (${((performance.now() - started) / 1000).toFixed(0)} s)`,
      );
    }
  };
  try {
    await Promise.all(Array.from({ length: parallel }, worker));
  } finally {
    for (const file of readdirSync(workDirectory)) {
      if (file.includes(".callgrind")) rmSync(join(workDirectory, file));
    }
  }
  return variants.map((variant) => results.get(variant.key)!);
}

export function readBaseline(): Baseline | undefined {
  return existsSync(BASELINE_FILE)
    ? (JSON.parse(readFileSync(BASELINE_FILE, "utf8")) as Baseline)
    : undefined;
}

export function writeBaseline(results: InstructionResult[], valgrind: string): void {
  const previous = readBaseline();
  const variants: Baseline["variants"] = { ...(previous?.variants ?? {}) };
  for (const result of results) {
    const { settings } = INSTRUCTION_VARIANTS.find((variant) => variant.key === result.key)!;
    variants[result.key] = { name: result.name, instructionsPerCall: result.perCall, settings };
  }
  const baseline: Baseline = {
    command: UPDATE_BASELINE_COMMAND,
    node: process.version,
    valgrind,
    variants,
  };
  mkdirSync(join(BASELINE_FILE, ".."), { recursive: true });
  writeFileSync(BASELINE_FILE, `${JSON.stringify(baseline, null, 2)}\n`);
}

export interface BaselineCheck {
  key: string;
  baseline?: number;
  /** value / baseline − 1 */
  growth?: number;
  failed: boolean;
}

/** Compares each gated variant with the baseline: more than `REGRESSION_LIMIT` growth fails. */
export function checkBaseline(
  results: InstructionResult[],
  baseline: Baseline | undefined,
): { checks: BaselineCheck[]; problems: string[] } {
  const problems: string[] = [];
  if (!baseline) {
    problems.push(`no baseline in ${BASELINE_FILE}; create it with \`${UPDATE_BASELINE_COMMAND}\``);
    return { checks: [], problems };
  }
  const checks = results.map((result): BaselineCheck => {
    const variant = INSTRUCTION_VARIANTS.find((entry) => entry.key === result.key)!;
    const entry = baseline.variants[result.key];
    if (!entry) return { key: result.key, failed: false };
    if (JSON.stringify(entry.settings) !== JSON.stringify(variant.settings)) {
      problems.push(
        `${result.name}: the baseline was counted with other settings; regenerate it with \`${UPDATE_BASELINE_COMMAND}\``,
      );
    }
    const gated = variant.gated;
    const reference = entry.instructionsPerCall;
    const growth = result.perCall / reference - 1;
    const failed = gated && growth > REGRESSION_LIMIT;
    if (failed) {
      problems.push(
        `${result.name}: ${result.perCall} instructions per call, ${(growth * 100).toFixed(1)} % over the baseline (${reference}); the limit is ${REGRESSION_LIMIT * 100} %`,
      );
    }
    return { key: result.key, baseline: reference, growth, failed };
  });
  if (problems.length > 0 && baseline.node !== process.version) {
    problems.push(
      `the baseline was counted on Node ${baseline.node}, this is ${process.version}: if only Node changed, regenerate it with \`${UPDATE_BASELINE_COMMAND}\``,
    );
  }
  return { checks, problems };
}
