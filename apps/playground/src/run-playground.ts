import {
  type Backends,
  createHandlers,
  type PlaygroundHandlers,
  startBackends,
  VENDORS,
  type VendorName,
} from "./backends";
import { readEnv } from "./read-env";
import { fakeModels, type ModelFactory, SCENARIOS, type Scenario } from "./scenarios";

export interface ScenarioOutcome {
  name: string;
  ok: boolean;
  durationMs: number;
  /** Records each vendor delivered for this scenario, against what was expected. */
  delivered: Partial<Record<VendorName, { expected: number; delivered: number }>>;
  error?: string;
}

export interface VendorSummary {
  vendor: VendorName;
  mode: "emulator" | "real";
  captured: number;
  requests: number | null;
  delivered: number;
  failed: number;
  retried: number;
  dropped: number;
  modelCallP50Ms: number;
  flushMs: number;
}

export interface PlaygroundResult {
  ok: boolean;
  models: "fake" | "openai";
  scenarios: ScenarioOutcome[];
  vendors: VendorSummary[];
  errors: string[];
  payloads: Record<VendorName, unknown[]>;
  /** PromptLayer scores, metadata and prompt links accepted by its emulator. */
  promptLayerTracking?: { scores: number; metadata: number; promptLinks: number };
}

export interface RunPlaygroundOptions {
  /** Scenario names to run. @default all */
  scenarios?: string[];
  /** Use the emulators even when vendor credentials are in the environment (tests). @default false */
  forceEmulators?: boolean;
  /** Called as each scenario ends, for progress lines. */
  onProgress?: (outcome: ScenarioOutcome) => void;
  /** Called once the backends are known. */
  onModes?: (modes: Record<VendorName, "emulator" | "real">, models: "fake" | "openai") => void;
}

/** Runs the scenarios through all three vendors and checks that each one's records were delivered. */
export async function runPlayground(options: RunPlaygroundOptions = {}): Promise<PlaygroundResult> {
  const selected = selectScenarios(options.scenarios);
  const models = await chooseModels(options.forceEmulators === true);
  const backends = await startBackends({ forceEmulators: options.forceEmulators === true });
  const errors: string[] = [];
  const latencies: Record<VendorName, number[]> = { trubrics: [], arthur: [], promptlayer: [] };
  options.onModes?.(
    {
      trubrics: backends.trubrics.mode,
      arthur: backends.arthur.mode,
      promptlayer: backends.promptlayer.mode,
    },
    models.kind,
  );
  let handlers: PlaygroundHandlers | undefined;
  try {
    handlers = await createHandlers(
      backends,
      async (requestId) => {
        // The PromptLayer flow: every logged request gets a score, metadata and its prompt link.
        await backends.promptlayer.client.track.score({ requestId, score: 100 });
        await backends.promptlayer.client.track.metadata({ requestId, metadata: { source: "playground" } });
        await backends.promptlayer.client.track.prompt({
          requestId,
          promptName: "example",
          promptInputVariables: { product: "toasters" },
          version: 1,
        });
      },
      (vendor, error) => errors.push(`${vendor}: ${error instanceof Error ? error.message : String(error)}`),
    );
    const outcomes: ScenarioOutcome[] = [];
    for (const scenario of selected) {
      const outcome = await runScenario(scenario, handlers, backends, models, latencies);
      outcomes.push(outcome);
      options.onProgress?.(outcome);
    }
    const vendors = await summarize(handlers, backends, latencies);
    const promptLayerTracking = backends.promptlayer.tracked();
    const ok =
      outcomes.every((outcome) => outcome.ok) &&
      vendors.every((vendor) => vendor.failed === 0 && vendor.dropped === 0);
    return {
      ok,
      models: models.kind,
      scenarios: outcomes,
      vendors,
      errors,
      payloads: {
        trubrics: backends.trubrics.payloads(),
        arthur: backends.arthur.payloads(),
        promptlayer: backends.promptlayer.payloads(),
      },
      ...(promptLayerTracking ? { promptLayerTracking } : {}),
    };
  } finally {
    if (handlers) {
      await Promise.all(
        [handlers.trubrics, handlers.arthur, handlers.promptlayer, handlers.fanOut].map((handler) =>
          handler.shutdown({ timeoutMs: 5000 }),
        ),
      );
    }
    await backends.close();
  }
}

export function selectScenarios(names: string[] | undefined): Scenario[] {
  if (!names || names.length === 0) return SCENARIOS;
  return names.map((name) => {
    const scenario = SCENARIOS.find((candidate) => candidate.name === name);
    if (!scenario) {
      throw new Error(
        `Unknown scenario "${name}". Scenarios: ${SCENARIOS.map((known) => known.name).join(", ")}.`,
      );
    }
    return scenario;
  });
}

async function chooseModels(forceFake: boolean): Promise<ModelFactory> {
  if (!forceFake && readEnv("OPENAI_API_KEY")) {
    const { openaiModels } = await import("./openai-models");
    return openaiModels();
  }
  return fakeModels();
}

/** Each vendor's records of one scenario: the exported count before and after, via each handler's stats. */
async function runScenario(
  scenario: Scenario,
  handlers: PlaygroundHandlers,
  backends: Backends,
  models: ModelFactory,
  latencies: Record<VendorName, number[]>,
): Promise<ScenarioOutcome> {
  const usesFanOut = scenario.name === "fan-out";
  const exportedBefore = exportedByVendor(handlers, usesFanOut);
  const started = performance.now();
  const durations: number[] = [];
  let error: string | undefined;
  try {
    await scenario.run({
      callbacks: {
        perVendor: [handlers.trubrics, handlers.arthur, handlers.promptlayer],
        promptLayer: [handlers.promptlayer],
        fanOut: [handlers.fanOut],
      },
      promptLayerClient: backends.promptlayer.client,
      models,
      faults: {
        outage: (times) => {
          for (const vendor of VENDORS) backends[vendor].outage(times);
        },
      },
      timed: async (call) => {
        const callStarted = performance.now();
        try {
          return await call();
        } finally {
          durations.push(performance.now() - callStarted);
        }
      },
    });
  } catch (caught) {
    error = caught instanceof Error ? caught.message : String(caught);
  }
  await Promise.all(
    (usesFanOut ? [handlers.fanOut] : [handlers.trubrics, handlers.arthur, handlers.promptlayer]).map(
      (handler) => handler.flush({ timeoutMs: 10_000 }),
    ),
  );
  const exportedAfter = exportedByVendor(handlers, usesFanOut);
  const delivered: ScenarioOutcome["delivered"] = {};
  for (const vendor of scenario.vendors) {
    delivered[vendor] = {
      expected: scenario.expectedRecords,
      delivered: exportedAfter[vendor] - exportedBefore[vendor],
    };
    latencies[vendor].push(...durations);
  }
  const ok =
    error === undefined &&
    Object.values(delivered).every((entry) => entry && entry.delivered === entry.expected);
  return {
    name: scenario.name,
    ok,
    durationMs: performance.now() - started,
    delivered,
    ...(error ? { error } : {}),
  };
}

function exportedByVendor(handlers: PlaygroundHandlers, fanOut: boolean): Record<VendorName, number> {
  if (fanOut) {
    const exporters = handlers.fanOut.stats().exporters;
    return {
      trubrics: exporters.trubrics?.exported ?? 0,
      arthur: exporters.arthur?.exported ?? 0,
      promptlayer: exporters.promptlayer?.exported ?? 0,
    };
  }
  return {
    trubrics: handlers.trubrics.stats().exported,
    arthur: handlers.arthur.stats().exported,
    promptlayer: handlers.promptlayer.stats().exported,
  };
}

async function summarize(
  handlers: PlaygroundHandlers,
  backends: Backends,
  latencies: Record<VendorName, number[]>,
): Promise<VendorSummary[]> {
  const fanOut = handlers.fanOut.stats().exporters;
  const summaries: VendorSummary[] = [];
  for (const vendor of VENDORS) {
    const handler = handlers[vendor];
    const started = performance.now();
    await handler.flush({ timeoutMs: 10_000 });
    const flushMs = performance.now() - started;
    const stats = handler.stats();
    const viaFanOut = fanOut[vendor];
    summaries.push({
      vendor,
      mode: backends[vendor].mode,
      captured:
        stats.captured +
        (viaFanOut ? viaFanOut.exported + viaFanOut.failed + viaFanOut.pending + viaFanOut.dropped : 0),
      requests: backends[vendor].requestCount() ?? null,
      delivered: stats.exported + (viaFanOut?.exported ?? 0),
      failed: stats.failed + (viaFanOut?.failed ?? 0),
      retried: stats.retried + (viaFanOut?.retried ?? 0),
      dropped: stats.dropped.total + (viaFanOut?.dropped ?? 0),
      modelCallP50Ms: median(latencies[vendor]),
      flushMs,
    });
  }
  return summaries;
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
