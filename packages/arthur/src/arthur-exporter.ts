import {
  ConfigurationError,
  checkOptions,
  createVendorExporter,
  type LLMRunRecord,
  type RunSpanRecord,
  type VendorExporter,
} from "@langchain-observability/core";
import { mapRunSpanToOtlp, type OtlpSpan } from "@langchain-observability/core/otlp";
import type { ArthurInference, ArthurModel } from "./arthur-api";
import { createArthurEngineTransport } from "./arthur-engine-transport";
import { ARTHUR_VENDOR } from "./arthur-error";
import { createArthurInferencesTransport, PendingArthurDrafts } from "./arthur-inferences-transport";
import {
  ARTHUR_CONNECTION_OPTION_KEYS,
  ARTHUR_ENGINE_OPTION_KEYS,
  ARTHUR_OPTION_MISSPELLINGS,
  type ArthurConnectionOptions,
  type ArthurEngineConnectionOptions,
  loadArthurEngineSettings,
  loadArthurSettings,
} from "./arthur-settings";

/** Options of `createArthurExporter`: where to connect, and which model receives the inferences. */
export interface ArthurExporterOptions extends ArthurConnectionOptions {
  /**
   * Id of the Arthur model that receives the inferences; it is loaded with its attributes on the first
   * export (and cached). Required unless `model` is given.
   * @default undefined
   */
  modelId?: string;
  /**
   * The Arthur model with its `attributes`, when you already have it (no model lookup). Required unless
   * `modelId` is given.
   * @default undefined
   */
  model?: ArthurModel;
  /** Name of the exporter (distinct per handler, e.g. when two Arthur models receive the same runs). @default "arthur" */
  name?: string;
}

/** The Arthur inferences exporter: an `Exporter` that can also connect ahead of its first export. */
export interface ArthurExporter extends VendorExporter {
  /**
   * Authenticates, resolves the organization and loads (and checks) the model — what the first export
   * does anyway. The result is cached; a failure that cannot pass by itself (rejected credentials, a
   * model without text attributes) is cached too, so it is not retried on every batch.
   */
  connect(signal?: AbortSignal): Promise<ArthurModel>;
}

/** Options of `createArthurEngineExporter`: the engine, the task and the key. */
export interface ArthurEngineExporterOptions extends ArthurEngineConnectionOptions {
  /** Name of the exporter (distinct per handler). @default "arthur-engine" */
  name?: string;
}

/** The Arthur GenAI Engine exporter: the whole run tree as OTLP spans. */
export type ArthurEngineExporter = VendorExporter<RunSpanRecord>;

/** Most records per inferences request (each record gives one inference per candidate). */
const MAX_INFERENCES_BATCH = 100;
/** Most spans per traces request (the OTel batch processor's default). */
const MAX_SPANS_BATCH = 512;

/**
 * Creates the exporter that sends model runs to the legacy Arthur Scope API as inferences, in
 * batches, reading the 207 Multi-Status answer per inference. Construction only validates settings;
 * it authenticates and loads the model schema on its first export.
 */
export function createArthurExporter(options: ArthurExporterOptions): ArthurExporter {
  if (!options || typeof options !== "object") {
    throw new ConfigurationError({
      message: "`createArthurExporter` needs an options object.",
      option: "modelId",
    });
  }
  checkOptions(options, {
    known: [...ARTHUR_CONNECTION_OPTION_KEYS, "modelId", "model", "name"],
    aliases: ARTHUR_OPTION_MISSPELLINGS,
    owner: "createArthurExporter",
  });
  const settings = loadArthurSettings(options);
  const knownModel = options.model === undefined ? undefined : checkModel(options.model);
  if (knownModel && options.modelId !== undefined && options.modelId !== knownModel.id) {
    throw new ConfigurationError({
      message: `\`modelId\` ("${options.modelId}") and \`model.id\` ("${knownModel.id}") differ; pass only one of them.`,
      option: "modelId",
    });
  }
  const target = knownModel ? { model: knownModel } : { modelId: checkModelId(options.modelId) };
  const name = checkName(options.name, "arthur");
  // Resends are counted through the latest send's context (every context counts for this exporter).
  let onRetry: (() => void) | undefined;
  const transport = createArthurInferencesTransport(settings, target, () => onRetry?.());
  const exporter = createVendorExporter<LLMRunRecord, ArthurInference[] | PendingArthurDrafts>({
    name,
    vendor: ARTHUR_VENDOR,
    maxBatchSize: MAX_INFERENCES_BATCH,
    // The final inferences once the model's attributes are known, so that their JSON (made by the
    // kit) is the request body: each record is serialized once.
    map: (record) => transport.map(record),
    secrets: () => transport.session.secrets(),
    send(items, context) {
      onRetry = context.onRetry;
      return transport.send(
        items.map(({ record, wire, json }) =>
          wire instanceof PendingArthurDrafts
            ? { recordId: record.recordId, drafts: wire.drafts }
            : { recordId: record.recordId, drafts: [], resolved: { inferences: wire, json } },
        ),
        context.signal,
      );
    },
  });
  return Object.assign(exporter, {
    async connect(signal?: AbortSignal) {
      return (await transport.connect(signal)).model;
    },
  });
}

/**
 * The previous name of `createArthurExporter`, kept as an alias.
 * @deprecated Use `createArthurExporter`.
 */
export const exportArthur: (options: ArthurExporterOptions) => ArthurExporter = createArthurExporter;

/**
 * Creates the exporter that sends the whole LangChain run tree to an Arthur GenAI Engine task as
 * OTLP protobuf spans with OpenInference attributes (`POST {engineUrl}/api/v1/traces`, resource
 * attribute `arthur.task`). A 206 answer fails only the spans the engine rejected.
 */
export function createArthurEngineExporter(options: ArthurEngineExporterOptions = {}): ArthurEngineExporter {
  if (options === null || typeof options !== "object") {
    throw new ConfigurationError({
      message: "`createArthurEngineExporter` needs an options object.",
      option: "engineUrl",
    });
  }
  checkOptions(options, {
    known: [...ARTHUR_ENGINE_OPTION_KEYS, "name"],
    aliases: ARTHUR_OPTION_MISSPELLINGS,
    owner: "createArthurEngineExporter",
  });
  const settings = loadArthurEngineSettings(options);
  const transport = createArthurEngineTransport(settings);
  return createVendorExporter<RunSpanRecord, OtlpSpan>({
    name: checkName(options.name, "arthur-engine"),
    vendor: ARTHUR_VENDOR,
    consumes: "spans",
    maxBatchSize: MAX_SPANS_BATCH,
    // The engine reads OpenInference attributes only (`gen_ai.*` is ignored on this route).
    map: (record) => mapRunSpanToOtlp(record, { semanticConventions: "openinference" }),
    secrets: () => transport.secrets(),
    send: (items, context) =>
      transport.send(
        items.map((item) => ({ recordId: item.record.recordId, span: item.wire })),
        context,
      ),
  });
}

function checkName(name: unknown, fallback: string): string {
  const value = name ?? fallback;
  if (typeof value !== "string" || value === "") {
    throw new ConfigurationError({ message: "`name` must be a non-empty string.", option: "name" });
  }
  return value;
}

function checkModelId(modelId: unknown): string {
  if (typeof modelId !== "string" || modelId.trim() === "") {
    throw new ConfigurationError({
      message:
        "Missing the Arthur model: pass `modelId` (the model is then loaded on the first export) or `model` (with its attributes).",
      option: "modelId",
    });
  }
  return modelId.trim();
}

function checkModel(model: unknown): ArthurModel {
  if (
    model === null ||
    typeof model !== "object" ||
    typeof (model as ArthurModel).id !== "string" ||
    (model as ArthurModel).id === "" ||
    !Array.isArray((model as ArthurModel).attributes)
  ) {
    throw new ConfigurationError({
      message:
        "`model` must be an Arthur model with an `id` and its `attributes` (as GET /api/v3/models/{id}?expand=attributes returns it).",
      option: "model",
    });
  }
  return model as ArthurModel;
}
