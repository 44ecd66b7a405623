import {
  createHttpClient,
  createVendorExporter,
  type LLMRunRecord,
  loadHttpSettings,
  type RunSpanRecord,
  type VendorExporter,
} from "@langchain-observability/core";
import {
  checkPromptLayerOptions,
  loadPromptLayerExporterSettings,
  PROMPTLAYER_VENDOR,
  type PromptLayerExporterOptions,
} from "./promptlayer-settings";
import { createSpansBulkTransport } from "./promptlayer-spans-bulk-transport";
import { createTrackRequestTransport } from "./promptlayer-track-request-transport";
import { VERSION } from "./version";

/**
 * The PromptLayer exporter: it takes the spans of the whole run tree (`"spans-bulk"`, the default) or
 * the model calls (`"track-request"`).
 */
export type PromptLayerExporter<TRecord extends LLMRunRecord | RunSpanRecord = RunSpanRecord> =
  VendorExporter<TRecord> & {
    /** The PromptLayer API this exporter sends to. */
    readonly transport: TRecord extends RunSpanRecord ? "spans-bulk" : "track-request";
  };

/**
 * Creates the PromptLayer exporter on core's exporter kit, for the core handler's fan-out:
 * `transport: "spans-bulk"` (default) sends the whole run tree in batches to `POST /spans-bulk`;
 * `transport: "track-request"` sends one `POST /track-request` per model call. Construction is
 * synchronous and sends nothing; a missing key is a `ConfigurationError`.
 */
export function createPromptLayerExporter(
  options: PromptLayerExporterOptions & { transport: "track-request" },
): PromptLayerExporter<LLMRunRecord>;
export function createPromptLayerExporter(
  options?: PromptLayerExporterOptions & { transport?: "spans-bulk" },
): PromptLayerExporter<RunSpanRecord>;
export function createPromptLayerExporter(
  options?: PromptLayerExporterOptions,
): PromptLayerExporter<RunSpanRecord> | PromptLayerExporter<LLMRunRecord>;
export function createPromptLayerExporter(
  options: PromptLayerExporterOptions = {},
): PromptLayerExporter<RunSpanRecord> | PromptLayerExporter<LLMRunRecord> {
  checkPromptLayerOptions(options, "createPromptLayerExporter");
  const settings = loadPromptLayerExporterSettings(options ?? {});
  const http = createHttpClient({
    vendor: PROMPTLAYER_VENDOR,
    baseUrl: settings.baseUrl,
    ...loadHttpSettings(options ?? {}),
    headers: { accept: "application/json" },
    userAgent: `@langchain-observability/promptlayer/${VERSION}`,
    // The key travels in every request: the client keeps it out of the errors it raises.
    secrets: [settings.apiKey],
  });
  const common = {
    name: settings.name,
    vendor: PROMPTLAYER_VENDOR,
    maxBatchSize: settings.maxBatchSize,
    concurrency: settings.requestConcurrency,
    secrets: [settings.apiKey],
    userCallbackTimeoutMs: settings.plIdCallbackTimeoutMs,
  };
  if (settings.transport === "spans-bulk") {
    const transport = createSpansBulkTransport(settings, http);
    const exporter = createVendorExporter<RunSpanRecord, ReturnType<typeof transport.map>>({
      ...common,
      consumes: "spans",
      map: transport.map,
      send: transport.send,
    });
    return Object.assign(exporter, { transport: "spans-bulk" as const });
  }
  const transport = createTrackRequestTransport(settings, http);
  const exporter = createVendorExporter<LLMRunRecord, ReturnType<typeof transport.map>>({
    ...common,
    consumes: "llm-runs",
    map: transport.map,
    send: transport.send,
  });
  return Object.assign(exporter, { transport: "track-request" as const });
}

/** The documented name of `createPromptLayerExporter`, kept as an alias. */
export const exportPromptLayer: typeof createPromptLayerExporter = createPromptLayerExporter;
