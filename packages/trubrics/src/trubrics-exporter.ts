import {
  checkOptions,
  createVendorExporter,
  type LLMRunRecord,
  type VendorExporter,
  type VendorRecordFailure,
  type VendorSendContext,
  type VendorSendItem,
} from "@langchain-observability/core";
import { TRUBRICS_VENDOR } from "./trubrics-error";
import { createTrubricsIngestionTransport } from "./trubrics-ingestion-transport";
import { createTrubricsLegacyTransport } from "./trubrics-legacy-transport";
import {
  loadTrubricsSettings,
  TRUBRICS_EXPORTER_OPTION_KEYS,
  TRUBRICS_NEAR_MISS_SPELLINGS,
  type TrubricsExporterOptions,
  type TrubricsSettings,
} from "./trubrics-settings";

/** The Trubrics exporter; `transport` says which API it sends to. */
export interface TrubricsExporter extends VendorExporter {
  readonly transport: "ingestion" | "legacy";
}

/** One Trubrics API: how a record becomes its wire form, and how a batch of those is sent. */
export interface TrubricsTransport<TWire> {
  readonly kind: "ingestion" | "legacy";
  readonly maxBatchSize: number;
  /** Credentials the transport holds now (a session adds its tokens): never printed. */
  secrets(): string[];
  map(record: LLMRunRecord): TWire;
  /** Sends a batch; the records not listed were delivered. */
  send(
    items: Array<VendorSendItem<LLMRunRecord, TWire>>,
    context: VendorSendContext,
  ): Promise<VendorRecordFailure[]>;
}

/**
 * Creates the Trubrics exporter (for fan-out with other vendors). With `apiKey` (or env
 * `TRUBRICS_API_KEY`) it sends to the ingestion API; with `email` and `password` only (or env
 * `TRUBRICS_EMAIL` / `TRUBRICS_PASSWORD`), to the legacy platform API. Settings are checked now
 * (synchronously, without network); signing in happens on the first export.
 */
export function createTrubricsExporter(options: TrubricsExporterOptions = {}): TrubricsExporter {
  checkOptions(options, {
    known: TRUBRICS_EXPORTER_OPTION_KEYS,
    aliases: TRUBRICS_NEAR_MISS_SPELLINGS,
    owner: "createTrubricsExporter",
  });
  return createTrubricsExporterFromSettings(loadTrubricsSettings(options ?? {}));
}

/** Alias of `createTrubricsExporter`, the name of the first release. */
export const exportTrubrics: (options?: TrubricsExporterOptions) => TrubricsExporter = createTrubricsExporter;

/** The exporter for settings already loaded (the handler checks its own options first). */
export function createTrubricsExporterFromSettings(settings: TrubricsSettings): TrubricsExporter {
  const transport: TrubricsTransport<unknown> =
    settings.transport === "ingestion"
      ? createTrubricsIngestionTransport(settings)
      : createTrubricsLegacyTransport(settings);
  const exporter = createVendorExporter<LLMRunRecord, unknown>({
    name: "trubrics",
    vendor: TRUBRICS_VENDOR,
    maxBatchSize: transport.maxBatchSize,
    map: (record) => transport.map(record),
    send: (items, context) => transport.send(items, context),
    secrets: () => transport.secrets(),
  });
  return Object.assign(exporter, { transport: transport.kind });
}
