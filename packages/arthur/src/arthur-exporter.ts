import {
  ConfigurationError,
  type Exporter,
  type ExporterContext,
  type ExportResult,
  ExportTimeoutError,
  type HttpResponse,
  type LLMRunRecord,
  ObservabilityError,
  truncateText,
  VendorApiError,
} from "@langchain-observability/core";
import type {
  ArthurInference,
  ArthurInferenceResult,
  ArthurModel,
  ArthurMultiStatusResponse,
} from "./arthur-api";
import { type ArthurAttributeMapping, resolveArthurAttributes } from "./arthur-attributes";
import { ARTHUR_VENDOR, ArthurClient } from "./arthur-client";
import { type ArthurConnectionOptions, loadArthurSettings } from "./arthur-settings";
import { mapRecordToArthur } from "./map-record-to-arthur";

/** Options of `exportArthur`: where to connect, and which model receives the inferences. */
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

/** The Arthur exporter: an `Exporter` that can also connect ahead of its first export. */
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
/** Most records whose already-delivered candidates are remembered for a retry. */
const MAX_PARTIAL_RECORDS = 10_000;
const MAX_MESSAGE_CHARS = 300;

interface Connection {
  model: ArthurModel;
  attributes: ArthurAttributeMapping;
}

type ItemOutcome = { ok: true } | { ok: false; status: number | undefined; message: string };

/**
 * Creates the exporter that sends records to Arthur as inferences, in batches, reading the 207
 * Multi-Status answer per inference. Construction only validates settings; it authenticates and loads
 * the model schema on its first export.
 */
export function exportArthur(options: ArthurExporterOptions): ArthurExporter {
  if (!options || typeof options !== "object") {
    throw new ConfigurationError({ message: "`exportArthur` needs an options object.", option: "modelId" });
  }
  const settings = loadArthurSettings(options);
  const knownModel = options.model === undefined ? undefined : checkModel(options.model);
  const knownAttributes = knownModel ? resolveArthurAttributes(knownModel) : undefined;
  const modelId = knownModel?.id ?? checkModelId(options.modelId);
  if (knownModel && options.modelId !== undefined && options.modelId !== knownModel.id) {
    throw new ConfigurationError({
      message: `\`modelId\` ("${options.modelId}") and \`model.id\` ("${knownModel.id}") differ; pass only one of them.`,
      option: "modelId",
    });
  }
  const name = options.name ?? "arthur";
  if (typeof name !== "string" || name === "") {
    throw new ConfigurationError({ message: "`name` must be a non-empty string.", option: "name" });
  }

  let context: ExporterContext | undefined;
  const client = new ArthurClient(settings, () => context?.onRetry());
  let connection: Promise<Connection> | undefined;
  // Candidates already accepted of records that were partly rejected, so a retry sends only the rest.
  const delivered = new Map<string, Set<string>>();

  const connect = (signal?: AbortSignal): Promise<Connection> => {
    if (!connection) {
      const attempt = (async (): Promise<Connection> => {
        await client.connect(signal);
        if (knownModel && knownAttributes) return { model: knownModel, attributes: knownAttributes };
        const model = await client.getModel(modelId, signal);
        return { model, attributes: resolveArthurAttributes(model) };
      })();
      connection = attempt;
      // A passing failure (network, 5xx, timeout) is tried again on the next export; others stay.
      attempt.catch((error: unknown) => {
        if (isPassing(error)) connection = undefined;
      });
    }
    return connection;
  };

  const remember = (recordId: string, inferenceIds: string[]): void => {
    const set = delivered.get(recordId) ?? new Set<string>();
    for (const id of inferenceIds) set.add(id);
    delivered.delete(recordId);
    delivered.set(recordId, set);
    if (delivered.size > MAX_PARTIAL_RECORDS) {
      const oldest = delivered.keys().next().value;
      if (oldest !== undefined) delivered.delete(oldest);
    }
  };

  return {
    name,
    maxBatchSize: MAX_BATCH_SIZE,
    bind(exporterContext) {
      context = exporterContext;
    },
    async connect(signal) {
      return (await connect(signal)).model;
    },
    async export(records: LLMRunRecord[], signal: AbortSignal): Promise<ExportResult> {
      const { model, attributes } = await connect(signal);
      const failed: NonNullable<ExportResult["failed"]> = [];
      const plans: Array<{ record: LLMRunRecord; inferences: ArthurInference[] }> = [];
      for (const record of records) {
        try {
          const already = delivered.get(record.recordId);
          const inferences = mapRecordToArthur(record, attributes).filter(
            (inference) => !already?.has(inference.partner_inference_id),
          );
          plans.push({ record, inferences });
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
      const inferences = plans.flatMap((plan) => plan.inferences);
      if (inferences.length === 0) {
        for (const plan of plans) delivered.delete(plan.record.recordId);
        return failed.length > 0 ? { failed } : {};
      }
      const response = await client.sendInferences(model.id, inferences, signal);
      const url = client.url(`models/${encodeURIComponent(model.id)}/inferences`);
      const outcomes = readOutcomes(response, inferences, (text) => client.redact(text));
      if (!outcomes) {
        // Some inferences may have been stored: sending them again could duplicate them.
        const error = new VendorApiError({
          vendor: ARTHUR_VENDOR,
          method: "POST",
          url,
          status: response.status,
          responseBody: truncateText(client.redact(response.text), MAX_MESSAGE_CHARS),
          isRetryable: false,
          message: `Arthur: POST ${url} answered ${response.status} with results that cannot be matched to the ${inferences.length} inferences sent; they are not sent again, to avoid duplicates.`,
        });
        for (const plan of plans) {
          delivered.delete(plan.record.recordId);
          failed.push({ recordId: plan.record.recordId, error, retryable: false });
        }
        return { failed };
      }
      for (const plan of plans) {
        const accepted: string[] = [];
        const rejected: Array<{ id: string; status: number | undefined; message: string }> = [];
        for (const inference of plan.inferences) {
          const outcome = outcomes.get(inference.partner_inference_id) ?? { ok: true };
          if (outcome.ok) accepted.push(inference.partner_inference_id);
          else rejected.push({ id: inference.partner_inference_id, ...outcome });
        }
        const recordId = plan.record.recordId;
        if (rejected.length === 0) {
          delivered.delete(recordId);
          continue;
        }
        // 4xx: Arthur refuses this inference as it is, so sending it again cannot help.
        const retryable = rejected.every((item) => item.status === undefined || item.status >= 500);
        if (retryable && accepted.length > 0) remember(recordId, accepted);
        if (!retryable) delivered.delete(recordId);
        const first = rejected[0]!;
        failed.push({
          recordId,
          retryable,
          error: new VendorApiError({
            vendor: ARTHUR_VENDOR,
            method: "POST",
            url,
            ...(first.status === undefined ? {} : { status: first.status }),
            responseBody: first.message,
            isRetryable: retryable,
            message: `Arthur rejected inference "${first.id}" of model "${model.id}" with status ${first.status ?? "unknown"}: ${first.message}${rejected.length > 1 ? ` (and ${rejected.length - 1} more of the same run)` : ""}`,
          }),
        });
      }
      return failed.length > 0 ? { failed } : {};
    },
  };
}

/**
 * The outcome of every inference sent, from the answer: the 207 `results` in request order (or by
 * `partner_inference_id` when they carry it), or all delivered when `counts` reports no failure.
 * `undefined` when the answer says something failed but not what.
 */
function readOutcomes(
  response: HttpResponse,
  inferences: ArthurInference[],
  redact: (text: string) => string,
): Map<string, ItemOutcome> | undefined {
  const outcomes = new Map<string, ItemOutcome>();
  const allDelivered = () => {
    for (const inference of inferences) outcomes.set(inference.partner_inference_id, { ok: true });
    return outcomes;
  };
  const body = response.body as ArthurMultiStatusResponse | undefined;
  const results = Array.isArray(body?.results) ? body.results : undefined;
  const failures = typeof body?.counts?.failure === "number" ? body.counts.failure : undefined;
  const sentIds = new Set(inferences.map((inference) => inference.partner_inference_id));
  if (
    results &&
    results.length > 0 &&
    results.every((result) => typeof result?.partner_inference_id === "string")
  ) {
    let found = 0;
    for (const result of results) {
      const id = result.partner_inference_id as string;
      if (!sentIds.has(id)) continue;
      const outcome = readResult(result, redact);
      if (!outcome.ok) found++;
      outcomes.set(id, outcome);
    }
    if (outcomes.size === inferences.length || failures === found) return outcomes;
    return undefined;
  }
  if (results && results.length === inferences.length) {
    inferences.forEach((inference, index) => {
      outcomes.set(inference.partner_inference_id, readResult(results[index], redact));
    });
    return outcomes;
  }
  if (failures === 0) return allDelivered();
  // A plain 2xx without per-inference results (not a multi-status answer) means everything was taken.
  if (response.status !== 207 && failures === undefined && !results) return allDelivered();
  return undefined;
}

/** One item's outcome; its message is Arthur's text, so a credential it quotes is redacted. */
function readResult(
  result: ArthurInferenceResult | undefined,
  redact: (text: string) => string,
): ItemOutcome {
  const status = typeof result?.status === "number" ? result.status : undefined;
  const message = truncateText(
    typeof result?.message === "string" && result.message !== "" ? redact(result.message) : "no message",
    MAX_MESSAGE_CHARS,
  );
  if (status !== undefined && status >= 200 && status < 300) return { ok: true };
  if (status === undefined && /^success/i.test(message)) return { ok: true };
  return { ok: false, status, message };
}

function isPassing(error: unknown): boolean {
  if (ExportTimeoutError.isInstance(error)) return true;
  return VendorApiError.isInstance(error) && error.isRetryable;
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
