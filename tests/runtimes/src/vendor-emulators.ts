import { ARTHUR_EMULATOR_TASK_ID, startArthurEmulator } from "@langchain-observability/arthur/testing";
import type { Emulator } from "@langchain-observability/core/testing";
import { startPromptLayerEmulator } from "@langchain-observability/promptlayer/testing";
import { startTrubricsEmulator } from "@langchain-observability/trubrics/testing";

export type VendorName = "trubrics" | "arthur" | "promptlayer";
export const VENDOR_NAMES: VendorName[] = ["trubrics", "arthur", "promptlayer"];

/** The Arthur model the emulator serves (the emulator's default token-sequence model). */
export const ARTHUR_MODEL_ID = "arthur-llm-model";

const KEYS = {
  trubrics: "runtime-trubrics-key",
  arthur: "runtime-arthur-key",
  promptlayer: "pl_runtime_key",
};

/** One request a vendor's emulator got from the runtime under test. */
export interface SeenRequest {
  method: string;
  path: string;
  /** Names the runtime and the transport that sent it. */
  userAgent: string;
}

/**
 * One record a vendor stored, as the vendor's own payload: a Trubrics LLM event, an Arthur
 * inference (legacy API), an Arthur GenAI Engine span (OTLP), a PromptLayer request log.
 */
export interface StoredRecord {
  vendor: VendorName | "arthur-engine";
  payload: unknown;
}

/** Where the handlers of an app send, as option values; `environment` holds the same as the vendors' env vars. */
export interface VendorConnection {
  trubrics: { apiKey: string; baseUrl: string };
  arthur: { apiKey: string; baseUrl: string; modelId: string };
  arthurEngine: { apiKey: string; engineUrl: string; taskId: string };
  promptlayer: { apiKey: string; baseUrl: string };
}

export interface VendorEmulators {
  connection: VendorConnection;
  /** The vendors' env vars pointing at the emulators. */
  environment: Record<string, string>;
  /** Requests each emulator received, in order. */
  seen(vendor: VendorName): SeenRequest[];
  /** Records the vendors stored, vendor by vendor (Trubrics, Arthur, Arthur engine, PromptLayer). */
  stored(): StoredRecord[];
  /** Resolves once the vendor's emulator stored `count` items: the signal to look, instead of a timer. */
  waitForStored(vendor: VendorName, count: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts the three vendors' emulators (their `./testing` packages) on 127.0.0.1. */
export async function startVendorEmulators(): Promise<VendorEmulators> {
  const trubrics = await startTrubricsEmulator({ apiKeys: [KEYS.trubrics] });
  // One key for both of Arthur's APIs: ARTHUR_API_KEY serves the legacy handler and the engine one.
  const arthur = await startArthurEmulator({ apiKeys: [KEYS.arthur], engine: { apiKeys: [KEYS.arthur] } });
  const promptlayer = await startPromptLayerEmulator({ apiKeys: [KEYS.promptlayer] });
  const emulators: Record<VendorName, Emulator<unknown>> = { trubrics, arthur, promptlayer };
  return {
    connection: {
      trubrics: { apiKey: KEYS.trubrics, baseUrl: trubrics.url },
      arthur: { apiKey: KEYS.arthur, baseUrl: arthur.url, modelId: ARTHUR_MODEL_ID },
      arthurEngine: { apiKey: KEYS.arthur, engineUrl: arthur.url, taskId: ARTHUR_EMULATOR_TASK_ID },
      promptlayer: { apiKey: KEYS.promptlayer, baseUrl: promptlayer.url },
    },
    environment: {
      TRUBRICS_API_KEY: KEYS.trubrics,
      TRUBRICS_HOST: trubrics.url,
      ARTHUR_API_KEY: KEYS.arthur,
      ARTHUR_ENDPOINT_URL: arthur.url,
      ARTHUR_ENGINE_URL: arthur.url,
      ARTHUR_TASK_ID: ARTHUR_EMULATOR_TASK_ID,
      PROMPTLAYER_API_KEY: KEYS.promptlayer,
      PROMPTLAYER_BASE_URL: promptlayer.url,
    },
    seen: (vendor) =>
      emulators[vendor].requests.map(({ method, path, headers }) => ({
        method,
        path,
        userAgent: headers["user-agent"] ?? "",
      })),
    stored: () => [
      ...trubrics.receivedLlmEvents.map((payload) => ({ vendor: "trubrics" as const, payload })),
      ...arthur.inferences.map(({ inference }) => ({ vendor: "arthur" as const, payload: inference })),
      ...arthur.spans.map(({ span }) => ({ vendor: "arthur-engine" as const, payload: span })),
      // A model call goes to /spans-bulk as a span with its request log: the log is the record.
      ...promptlayer.requestLogs.map(({ logRequest }) => ({
        vendor: "promptlayer" as const,
        payload: logRequest,
      })),
    ],
    waitForStored: (vendor, count) => emulators[vendor].waitForReceived(count),
    async close() {
      await Promise.all(Object.values(emulators).map((emulator) => emulator.close()));
    },
  };
}
