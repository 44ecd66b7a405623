import {
  ConfigurationError,
  type Exporter,
  type ExporterContext,
  type ExportResult,
  type LLMRunRecord,
  ObservabilityError,
} from "@langchain-observability/core";
import type { ArthurModel } from "./arthur-api";
import {
  type ArthurInferencesItem,
  type ArthurRecordFailure,
  createArthurInferencesTransport,
} from "./arthur-inferences-transport";
import { type ArthurConnectionOptions, loadArthurSettings } from "./arthur-settings";
import { type ArthurInferenceDraft, mapRecordToArthurDrafts } from "./map-record-to-arthur";

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
export interface ArthurExporter extends Exporter {
  /**
   * Authenticates, resolves the organization and loads (and checks) the model — what the first export
   * does anyway. The result is cached; a failure that cannot pass by itself (rejected credentials, a
   * model without text attributes) is cached too, so it is not retried on every batch.
   */
  connect(signal?: AbortSignal): Promise<ArthurModel>;
}

/** Most records per request (each record gives one inference per candidate). */
const MAX_BATCH_SIZE = 100;

/**
 * Creates the exporter that sends records to the legacy Arthur Scope API as inferences, in batches,
 * reading the 207 Multi-Status answer per inference. Construction only validates settings; it
 * authenticates and loads the model schema on its first export.
 */
export function createArthurExporter(options: ArthurExporterOptions): ArthurExporter {
  if (!options || typeof options !== "object") {
    throw new ConfigurationError({
      message: "`createArthurExporter` needs an options object.",
      option: "modelId",
    });
  }
  const settings = loadArthurSettings(options);
  const knownModel = options.model === undefined ? undefined : checkModel(options.model);
  if (knownModel && options.modelId !== undefined && options.modelId !== knownModel.id) {
    throw new ConfigurationError({
      message: `\`modelId\` ("${options.modelId}") and \`model.id\` ("${knownModel.id}") differ; pass only one of them.`,
      option: "modelId",
    });
  }
  const target = knownModel ? { model: knownModel } : { modelId: checkModelId(options.modelId) };
  const name = options.name ?? "arthur";
  if (typeof name !== "string" || name === "") {
    throw new ConfigurationError({ message: "`name` must be a non-empty string.", option: "name" });
  }
  let context: ExporterContext | undefined;
  // Resolves the model's attributes now when the schema is given, so a bad one fails here.
  const transport = createArthurInferencesTransport(settings, target, () => context?.onRetry());
  const exporter = createExporter<ArthurInferenceDraft[]>({
    name,
    maxBatchSize: MAX_BATCH_SIZE,
    map: mapRecordToArthurDrafts,
    send: (items, signal) =>
      transport.send(
        items.map((item): ArthurInferencesItem => ({ recordId: item.record.recordId, drafts: item.wire })),
        signal,
      ),
    bind: (exporterContext) => {
      context = exporterContext;
    },
  });
  return {
    ...exporter,
    async connect(signal) {
      return (await transport.connect(signal)).model;
    },
  };
}

/**
 * The previous name of `createArthurExporter`, kept as an alias.
 * @deprecated Use `createArthurExporter`.
 */
export const exportArthur: (options: ArthurExporterOptions) => ArthurExporter = createArthurExporter;

/**
 * Until core's exporter kit lands: map each record (a throw fails only that record), send the rest
 * in one call, and turn per-record failures into the queue's result.
 */
function createExporter<TWire>(definition: {
  name: string;
  maxBatchSize: number;
  map(record: LLMRunRecord): TWire;
  send(
    items: Array<{ record: LLMRunRecord; wire: TWire }>,
    signal: AbortSignal,
  ): Promise<ArthurRecordFailure[]>;
  bind(context: ExporterContext): void;
}): Exporter {
  return {
    name: definition.name,
    maxBatchSize: definition.maxBatchSize,
    bind: definition.bind,
    async export(records, signal): Promise<ExportResult> {
      const failed: NonNullable<ExportResult["failed"]> = [];
      const items: Array<{ record: LLMRunRecord; wire: TWire }> = [];
      for (const record of records) {
        try {
          items.push({ record, wire: definition.map(record) });
        } catch (error) {
          failed.push({
            recordId: record.recordId,
            retryable: false,
            error: new ObservabilityError({
              message: `Arthur: record ${record.recordId} could not be mapped to an inference: ${error instanceof Error ? error.message : String(error)}`,
              cause: error,
            }),
          });
        }
      }
      if (items.length > 0) {
        for (const failure of await definition.send(items, signal)) {
          failed.push({ recordId: failure.recordId, error: failure.error, retryable: failure.retryable });
        }
      }
      return failed.length > 0 ? { failed } : {};
    },
  };
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
