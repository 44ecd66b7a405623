import { ArthurCallbackHandler, exportArthur } from "@langchain-observability/arthur";
import { ARTHUR_ROUTES, startArthurEmulator } from "@langchain-observability/arthur/testing";
import { type Exporter, ObservabilityCallbackHandler } from "@langchain-observability/core";
import type { MockServer } from "@langchain-observability/core/testing";
import {
  exportPromptLayer,
  PromptLayerCallbackHandler,
  PromptLayerClient,
} from "@langchain-observability/promptlayer";
import { startPromptLayerEmulator } from "@langchain-observability/promptlayer/testing";
import { exportTrubrics, TrubricsCallbackHandler } from "@langchain-observability/trubrics";
import { startTrubricsEmulator } from "@langchain-observability/trubrics/testing";
import { readEnv } from "./read-env";

export type VendorName = "trubrics" | "arthur" | "promptlayer";
export const VENDORS: VendorName[] = ["trubrics", "arthur", "promptlayer"];

/** Where a vendor's records go: its emulator on loopback, or the real service. */
export type VendorMode = "emulator" | "real";

/** Settings a scenario uses to build its handlers: the same for a vendor's own handler and fan-out. */
export interface VendorBackend {
  name: VendorName;
  mode: VendorMode;
  /** Requests the emulator received (undefined for a real vendor). */
  requestCount(): number | undefined;
  /** Records the emulator accepted (undefined for a real vendor). */
  acceptedCount(): number | undefined;
  /** What the emulator accepted, for `--show-payloads`. */
  payloads(): unknown[];
  /** The next `times` requests to the ingestion route get a 503 with `Retry-After: 0` (emulator only). */
  outage(times: number): void;
}

export interface Backends {
  trubrics: VendorBackend & { options: Record<string, unknown> };
  arthur: VendorBackend & { options: Record<string, unknown>; modelId: string };
  promptlayer: VendorBackend & {
    options: Record<string, unknown>;
    client: PromptLayerClient;
    /** Scores, metadata and prompt links the emulator accepted (undefined for the real vendor). */
    tracked(): { scores: number; metadata: number; promptLinks: number } | undefined;
  };
  close(): Promise<void>;
}

/** An outage the client may retry at once (a short scenario, not a test of backoff). */
const OUTAGE_HEADERS = { "retry-after": "0" };

const EMULATOR_KEYS = {
  trubrics: "playground-trubrics-key",
  arthur: "playground-arthur-key",
  promptlayer: "pl_playground_key",
};

/**
 * Starts an emulator for each vendor without credentials in the environment, and points that
 * vendor's options at it; a vendor with credentials is used for real.
 */
export async function startBackends(options: { forceEmulators?: boolean } = {}): Promise<Backends> {
  const servers: MockServer[] = [];
  const real = (names: string[]) =>
    !options.forceEmulators && names.every((name) => readEnv(name) !== undefined);

  // Trubrics: ingestion API key, or the legacy email/password platform.
  const trubricsReal =
    !options.forceEmulators && (real(["TRUBRICS_API_KEY"]) || real(["TRUBRICS_EMAIL", "TRUBRICS_PASSWORD"]));
  const trubricsEmulator = trubricsReal
    ? undefined
    : await startTrubricsEmulator({ apiKeys: [EMULATOR_KEYS.trubrics] });
  let trubricsOptions: Record<string, unknown> = {};
  if (trubricsEmulator) {
    servers.push(trubricsEmulator);
    trubricsOptions = { apiKey: EMULATOR_KEYS.trubrics, baseUrl: trubricsEmulator.url };
  }

  // Arthur: an API key and a model id.
  const arthurReal = real(["ARTHUR_API_KEY", "ARTHUR_MODEL_ID"]);
  const arthurEmulator = arthurReal
    ? undefined
    : await startArthurEmulator({ apiKeys: [EMULATOR_KEYS.arthur] });
  let arthurOptions: Record<string, unknown> = {};
  let arthurModelId = readEnv("ARTHUR_MODEL_ID") ?? "arthur-llm-model";
  if (arthurEmulator) {
    servers.push(arthurEmulator);
    arthurOptions = { apiKey: EMULATOR_KEYS.arthur, baseUrl: arthurEmulator.url };
    arthurModelId = "arthur-llm-model";
  }

  // PromptLayer: an API key; the emulator's registry holds the template the flow fetches.
  const promptlayerReal = real(["PROMPTLAYER_API_KEY"]);
  const promptlayerEmulator = promptlayerReal
    ? undefined
    : await startPromptLayerEmulator({
        apiKeys: [EMULATOR_KEYS.promptlayer],
        templates: [
          {
            promptName: "example",
            version: 1,
            promptTemplate: {
              type: "completion",
              content: [
                { type: "text", text: "Write a one-line slogan for a company that sells {product}." },
              ],
              input_variables: ["product"],
              template_format: "f-string",
            },
          },
        ],
      });
  let promptlayerOptions: Record<string, unknown> = {};
  if (promptlayerEmulator) {
    servers.push(promptlayerEmulator);
    promptlayerOptions = { apiKey: EMULATOR_KEYS.promptlayer, baseUrl: promptlayerEmulator.url };
  }

  return {
    trubrics: {
      name: "trubrics",
      mode: trubricsEmulator ? "emulator" : "real",
      options: trubricsOptions,
      requestCount: () => trubricsEmulator?.requests.length,
      acceptedCount: () => trubricsEmulator?.receivedLlmEvents.length,
      payloads: () => trubricsEmulator?.receivedLlmEventBatches ?? [],
      outage: (times) =>
        trubricsEmulator?.failNext({
          route: trubricsEmulator.routes.publishLlmEvents,
          status: 503,
          headers: OUTAGE_HEADERS,
          times,
        }),
    },
    arthur: {
      name: "arthur",
      mode: arthurEmulator ? "emulator" : "real",
      options: arthurOptions,
      modelId: arthurModelId,
      requestCount: () => arthurEmulator?.calls.filter((request) => request.endpoint === "inferences").length,
      acceptedCount: () => arthurEmulator?.inferences.length,
      payloads: () => arthurEmulator?.inferences.map((entry) => entry.inference) ?? [],
      outage: (times) =>
        arthurEmulator?.failNext({
          route: ARTHUR_ROUTES.inferences,
          status: 503,
          headers: OUTAGE_HEADERS,
          times,
        }),
    },
    promptlayer: {
      name: "promptlayer",
      mode: promptlayerEmulator ? "emulator" : "real",
      // The playground counts model-call records per vendor; PromptLayer's default transport
      // ("spans-bulk") sends every run of the tree as a span, so the playground keeps "track-request".
      options: { ...promptlayerOptions, transport: "track-request" },
      client: new PromptLayerClient(promptlayerOptions),
      tracked: () =>
        promptlayerEmulator && {
          scores: promptlayerEmulator.scores.length,
          metadata: promptlayerEmulator.metadataUpdates.length,
          promptLinks: promptlayerEmulator.promptLinks.length,
        },
      requestCount: () =>
        promptlayerEmulator?.requests.filter((request) => request.path === "/track-request").length,
      acceptedCount: () => promptlayerEmulator?.trackRequests.length,
      payloads: () =>
        promptlayerEmulator?.trackRequests.map((entry) => ({ ...entry.body, api_key: "[redacted]" })) ?? [],
      outage: (times) =>
        promptlayerEmulator?.failNext({
          route: promptlayerEmulator.routes.trackRequest,
          status: 503,
          headers: OUTAGE_HEADERS,
          times,
        }),
    },
    async close() {
      await Promise.all(servers.map((server) => server.close()));
    },
  };
}

/** The handlers of one playground run: one per vendor, plus one fan-out handler to all three. */
export interface PlaygroundHandlers {
  trubrics: TrubricsCallbackHandler;
  arthur: ArthurCallbackHandler;
  promptlayer: PromptLayerCallbackHandler;
  fanOut: ObservabilityCallbackHandler;
  /** Request ids PromptLayer returned, in order (from `plIdCallback`). */
  promptLayerIds: number[];
}

/** Common options of the playground's handlers: handler-level tags, user and extra metadata. */
export const HANDLER_DEFAULTS = {
  tags: ["playground"],
  userId: "playground-user",
  metadata: { app: "langchain-observability-playground" },
};

export async function createHandlers(
  backends: Backends,
  onPromptLayerId: (requestId: number) => Promise<void>,
  onError: (vendor: string, error: unknown) => void,
): Promise<PlaygroundHandlers> {
  const promptLayerIds: number[] = [];
  const trubrics = new TrubricsCallbackHandler({
    ...backends.trubrics.options,
    tags: HANDLER_DEFAULTS.tags,
    user_id: HANDLER_DEFAULTS.userId,
    app: HANDLER_DEFAULTS.metadata.app,
    onError: (error) => onError("trubrics", error),
  });
  const arthur = await ArthurCallbackHandler.fromCredentials(backends.arthur.modelId, {
    ...backends.arthur.options,
    ...HANDLER_DEFAULTS,
    onError: (error) => onError("arthur", error),
  });
  const promptlayer = new PromptLayerCallbackHandler({
    ...backends.promptlayer.options,
    ...HANDLER_DEFAULTS,
    plTags: ["playground"],
    plIdCallback: async (requestId) => {
      promptLayerIds.push(Number(requestId));
      await onPromptLayerId(Number(requestId));
    },
    onError: (error) => onError("promptlayer", error),
  });
  const exporters: Exporter[] = [
    exportTrubrics({ ...backends.trubrics.options }),
    exportArthur({ ...backends.arthur.options, modelId: backends.arthur.modelId }),
    exportPromptLayer({ ...backends.promptlayer.options, transport: "track-request" }),
  ];
  const fanOut = new ObservabilityCallbackHandler({
    exporters,
    ...HANDLER_DEFAULTS,
    tags: ["playground", "fan-out"],
    onError: (error) => onError("fan-out", error),
  });
  return { trubrics, arthur, promptlayer, fanOut, promptLayerIds };
}
