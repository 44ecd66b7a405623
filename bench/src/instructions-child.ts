// One variant, run under callgrind by instructions.ts (transpiled to CommonJS there: the CommonJS
// loader starts faster than the ES module loader, and start-up is the slow part under callgrind).
// It runs a fixed number of calls and calls `os.getPriority()` as a marker between sections:
// callgrind dumps its counters at each marker (`--dump-before=uv_os_getpriority`), so each section's
// instructions land in their own file. Nothing here may depend on a clock: queues send when a batch
// is full or on `flush()`, never on their interval timer.
import { existsSync } from "node:fs";
import { getPriority } from "node:os";
import { chainInput, createFiveStepChain, createModel, messages } from "./bench-model";
import {
  type CommonOptions,
  coreWithMemoryExporter,
  coreWithSpanExporter,
  fanOutHandler,
  type HandlerSetup,
  noHandler,
  noopHandler,
  ourHandler,
} from "./variants";

/** What the parent asks for (argv[2], JSON). */
export interface ChildRequest {
  variant: string;
  sinkUrl: string;
  /** Calls before the first section. */
  warmup: number;
  /** Calls of each counted section (a multiple of 100: full batches). */
  calls: number;
  /** Calls after each forced GC, before the section starts (refills caches the GC emptied). */
  rewarm: number;
  repetitions: number;
  /**
   * Callgrind starts with instrumentation off (start-up and warm-up run ~10x faster that way): after
   * the warm-up the child prints `instrument`, the parent switches it on (`callgrind_control -i on`)
   * and then creates this file, which the child waits for.
   */
  handshakeFile?: string;
}

/** What the child prints on stdout, as one JSON line. */
export interface ChildReport {
  markers: number;
  /** Our handlers: records captured, and those not delivered (failed, dropped, unknown or pending). */
  captured?: number;
  undelivered?: number;
  errors: string[];
}

const LONGEST_TIMER_MS = 2 ** 31 - 1;

function setupOf(variant: string, sinkUrl: string, common: CommonOptions): HandlerSetup {
  switch (variant) {
    case "no-handler":
      return noHandler();
    case "no-op":
    case "no-op-chain":
      return noopHandler();
    case "core-memory":
      return coreWithMemoryExporter(common);
    case "whole-tree-chain":
      return coreWithSpanExporter(common);
    case "trubrics":
    case "arthur":
    case "promptlayer":
      return ourHandler(variant, sinkUrl, common);
    case "fan-out":
      return fanOutHandler(sinkUrl, common);
    default:
      throw new Error(`unknown variant ${variant}`);
  }
}

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? "{}") as ChildRequest;
  const errors: string[] = [];
  const setup = setupOf(request.variant, request.sinkUrl, {
    // Batches go when full (100 records) or on flush(), as under load: callgrind runs ~50x slower,
    // so the 1 s interval timer would otherwise cut batches at points that vary from run to run.
    flushIntervalMs: LONGEST_TIMER_MS,
    timeoutMs: 600_000,
    onError: (error) => {
      if (errors.length < 10) errors.push(String((error as Error)?.message ?? error));
    },
  });
  const chain = request.variant.endsWith("-chain");
  const model = createModel();
  const target = chain ? createFiveStepChain() : model;
  const input = chain ? chainInput : messages;
  const run = async (calls: number) => {
    for (let index = 0; index < calls; index++)
      await (target.invoke as (input: unknown, options: unknown) => Promise<unknown>).call(target, input, {
        callbacks: setup.callbacks,
      });
    await setup.flush({ timeoutMs: 600_000 });
  };
  const gc = (globalThis as { gc?: (options?: { type: "minor" }) => void }).gc;
  if (!gc) throw new Error("run with --expose-gc");
  let markers = 0;
  const mark = () => {
    getPriority();
    markers++;
  };

  await run(request.warmup);
  if (request.handshakeFile) {
    process.stdout.write("instrument\n");
    // A busy wait: callgrind takes commands while the program runs, not while it sleeps.
    while (!existsSync(request.handshakeFile)) {}
  }
  for (let repetition = 0; repetition < request.repetitions; repetition++) {
    // Every section starts from an empty young generation (a minor GC, then a few calls: neither
    // is counted). Not a full GC: that would also drop optimized code whose shapes died with the
    // records just flushed, and the section would measure the re-optimization.
    gc({ type: "minor" });
    await run(request.rewarm);
    mark();
    await run(request.calls);
    mark();
  }
  const stats = setup.handler?.stats();
  await setup.shutdown();
  const report: ChildReport = {
    markers,
    ...(stats
      ? {
          captured: stats.captured,
          undelivered: stats.failed + stats.dropped.total + stats.unknown + stats.pending,
        }
      : {}),
    errors,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
