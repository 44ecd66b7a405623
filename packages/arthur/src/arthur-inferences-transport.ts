import {
  ExportTimeoutError,
  type HttpResponse,
  type LLMRunRecord,
  truncateText,
  VendorApiError,
  type VendorRecordFailure,
} from "@langchain-observability/core";
import type {
  ArthurInference,
  ArthurInferenceResult,
  ArthurModel,
  ArthurMultiStatusResponse,
} from "./arthur-api";
import { ARTHUR_VENDOR, unknownModelError, unreadableAnswerError } from "./arthur-error";
import { ArthurSession, isObject } from "./arthur-session";
import type { ArthurSettings } from "./arthur-settings";
import {
  type ArthurAttributeMapping,
  type ArthurInferenceDraft,
  mapRecordToArthurDrafts,
  resolveArthurAttributes,
  toArthurInference,
} from "./map-record-to-arthur";

/**
 * The legacy Arthur Scope REST API v3 inferences transport: connect (login, organization, model
 * schema), then `POST /models/{id}/inferences` per batch, read per inference from the 207 answer.
 *
 * Delivery: the POST carries each inference's `partner_inference_id` (the record id), Arthur's key of
 * an inference, so it is sent as an idempotent request (the HTTP client may resend it after a
 * timeout or a lost connection). See the README for what that means at Arthur.
 */

/** One record to send, with its inference drafts (one per candidate). */
export interface ArthurInferencesItem {
  recordId: string;
  drafts: ArthurInferenceDraft[];
  /**
   * The record's inferences already written with the model's attribute names (see `map`), and their
   * JSON text (an array), which goes into the request body as is: no second serialization.
   */
  resolved?: { inferences: ArthurInference[]; json: string };
}

/**
 * A record's drafts mapped before the model's attribute names were known (the first batch of a
 * model given by id): serialized as the drafts, resolved at send time.
 */
export class PendingArthurDrafts {
  constructor(readonly drafts: ArthurInferenceDraft[]) {}
  toJSON(): ArthurInferenceDraft[] {
    return this.drafts;
  }
}

/** Which model receives the inferences: one already known (with its attributes), or one to load. */
export type ArthurModelTarget = { model: ArthurModel } | { modelId: string };

/** A loaded model and where its values go. */
export interface ArthurModelConnection {
  model: ArthurModel;
  attributes: ArthurAttributeMapping;
}

export interface ArthurInferencesTransport {
  readonly session: ArthurSession;
  /**
   * Authenticates, resolves the organization and loads (and checks) the model — what the first send
   * does anyway. Cached; a failure that cannot pass by itself (rejected credentials, a model without
   * text attributes) is cached too, so it is not asked again on every batch.
   */
  connect(signal?: AbortSignal): Promise<ArthurModelConnection>;
  /**
   * A record's inferences with the model's attribute names when they are known (a model given, or
   * connected), else its drafts to resolve at send time. Pure but for reading the loaded model.
   */
  map(record: LLMRunRecord): ArthurInference[] | PendingArthurDrafts;
  /** Sends the items' inferences in one request; records not listed in the result were delivered. */
  send(items: ArthurInferencesItem[], signal?: AbortSignal): Promise<VendorRecordFailure[]>;
}

/** Most records whose already-accepted candidates are remembered for a resend of the others. */
const MAX_PARTIAL_RECORDS = 10_000;
const MAX_MESSAGE_CHARS = 300;

type ItemOutcome = { ok: true } | { ok: false; status: number | undefined; message: string };

export function createArthurInferencesTransport(
  settings: ArthurSettings,
  target: ArthurModelTarget,
  onRetry?: () => void,
): ArthurInferencesTransport {
  const session = new ArthurSession(settings, onRetry);
  const known =
    "model" in target
      ? { model: target.model, attributes: resolveArthurAttributes(target.model) }
      : undefined;
  let connection: Promise<ArthurModelConnection> | undefined;
  // The attribute names once known: records mapped from then on carry their final inferences.
  let knownAttributes: ArthurAttributeMapping | undefined = known?.attributes;
  // Candidates already accepted of records that were partly refused, so a later send skips them.
  const accepted = new Map<string, Set<string>>();

  const connect = (signal?: AbortSignal): Promise<ArthurModelConnection> => {
    if (!connection) {
      const attempt = (async (): Promise<ArthurModelConnection> => {
        await session.connect(signal);
        if (known) return known;
        const model = await getArthurModel(session, (target as { modelId: string }).modelId, signal);
        const attributes = resolveArthurAttributes(model);
        knownAttributes = attributes;
        return { model, attributes };
      })();
      connection = attempt;
      // A passing failure (network, 5xx, timeout) is tried again on the next send; others stay.
      attempt.catch((error: unknown) => {
        if (isPassing(error)) connection = undefined;
      });
    }
    return connection;
  };

  const remember = (recordId: string, inferenceIds: string[]): void => {
    const set = accepted.get(recordId) ?? new Set<string>();
    for (const id of inferenceIds) set.add(id);
    accepted.delete(recordId);
    accepted.set(recordId, set);
    if (accepted.size > MAX_PARTIAL_RECORDS) {
      const oldest = accepted.keys().next().value;
      if (oldest !== undefined) accepted.delete(oldest);
    }
  };

  return {
    session,
    connect,
    map(record) {
      const drafts = mapRecordToArthurDrafts(record);
      const attributes = knownAttributes;
      return attributes
        ? drafts.map((draft) => toArthurInference(draft, attributes))
        : new PendingArthurDrafts(drafts);
    },
    async send(items, signal) {
      const { model, attributes } = await connect(signal);
      // The body from each record's JSON: the kit serialized the inferences once already.
      const parts: string[] = [];
      const plans = items.map((item) => {
        const already = accepted.get(item.recordId);
        if (item.resolved && !already) {
          if (item.resolved.inferences.length > 0) parts.push(item.resolved.json.slice(1, -1));
          return { recordId: item.recordId, inferences: item.resolved.inferences };
        }
        // A record resent after Arthur accepted some of its candidates, or mapped before the model
        // was known: its remaining inferences, serialized here.
        const inferences = item.resolved
          ? item.resolved.inferences.filter((inference) => !already?.has(inference.partner_inference_id))
          : item.drafts
              .filter((draft) => !already?.has(draft.partner_inference_id))
              .map((draft) => toArthurInference(draft, attributes));
        for (const inference of inferences) parts.push(JSON.stringify(inference));
        return { recordId: item.recordId, inferences };
      });
      const inferences = plans.flatMap((plan) => plan.inferences);
      if (inferences.length === 0) {
        for (const plan of plans) accepted.delete(plan.recordId);
        return [];
      }
      const url = session.url(`models/${encodeURIComponent(model.id)}/inferences`);
      const response = await postArthurInferences(
        session,
        model.id,
        inferences,
        signal,
        `[${parts.join(",")}]`,
      );
      const outcomes = readInferenceOutcomes(response, inferences, (text) => session.redact(text));
      const failures: VendorRecordFailure[] = [];
      if (!outcomes) {
        // Some inferences may have been stored, and which is unknown. Each carries its key
        // (`partner_inference_id`), so sending them again later stores none of them twice.
        const error = new VendorApiError({
          vendor: ARTHUR_VENDOR,
          method: "POST",
          url,
          status: response.status,
          responseBody: truncateText(session.redact(response.text), MAX_MESSAGE_CHARS),
          isRetryable: true,
          message: `Arthur: POST ${url} answered ${response.status} with results that cannot be matched to the ${inferences.length} inferences sent; they are sent again (their partner_inference_id keeps Arthur from storing one twice).`,
        });
        for (const plan of plans) failures.push({ recordId: plan.recordId, error, retryable: true });
        return failures;
      }
      for (const plan of plans) {
        const acceptedIds: string[] = [];
        const rejected: Array<{ id: string; status: number | undefined; message: string }> = [];
        for (const inference of plan.inferences) {
          const outcome = outcomes.get(inference.partner_inference_id) ?? { ok: true };
          if (outcome.ok) acceptedIds.push(inference.partner_inference_id);
          else rejected.push({ id: inference.partner_inference_id, ...outcome });
        }
        if (rejected.length === 0) {
          accepted.delete(plan.recordId);
          continue;
        }
        // 4xx: Arthur refuses this inference as it is, so sending it again cannot help.
        const retryable = rejected.every((item) => item.status === undefined || item.status >= 500);
        if (retryable && acceptedIds.length > 0) remember(plan.recordId, acceptedIds);
        if (!retryable) accepted.delete(plan.recordId);
        const first = rejected[0]!;
        failures.push({
          recordId: plan.recordId,
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
      return failures;
    },
  };
}

/** `GET /models/{id}?id_type=id&expand=attributes`: the model with its attributes. */
export async function getArthurModel(
  session: ArthurSession,
  modelId: string,
  signal?: AbortSignal,
): Promise<ArthurModel> {
  const path = `models/${encodeURIComponent(modelId)}`;
  let response: HttpResponse;
  try {
    response = await session.request({
      method: "GET",
      path,
      searchParams: { id_type: "id", expand: "attributes" },
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if (VendorApiError.isInstance(error) && error.status === 404) {
      throw unknownModelError(error, modelId, session.organization !== undefined);
    }
    throw error;
  }
  if (!isObject(response.body)) {
    throw unreadableAnswerError({
      method: "GET",
      url: session.url(path),
      status: response.status,
      expected: "a model object (not a JSON object)",
    });
  }
  const model = response.body as Partial<ArthurModel>;
  return {
    ...model,
    id: typeof model.id === "string" && model.id !== "" ? model.id : modelId,
    attributes: Array.isArray(model.attributes) ? model.attributes : [],
  };
}

/**
 * `POST /models/{id}/inferences` with a JSON array; the 207 answer is returned, not judged. Each
 * inference carries its `partner_inference_id`, so the request is marked idempotent.
 */
export function postArthurInferences(
  session: ArthurSession,
  modelId: string,
  inferences: ArthurInference[],
  signal?: AbortSignal,
  /** `inferences` already serialized (the JSON array), sent instead of serializing them again. */
  body?: string,
): Promise<HttpResponse> {
  return session.request({
    method: "POST",
    path: `models/${encodeURIComponent(modelId)}/inferences`,
    ...(body === undefined ? { json: inferences } : { body }),
    // Each inference carries its key (`partner_inference_id`): a resend stores nothing twice.
    idempotent: true,
    ...(signal ? { signal } : {}),
  });
}

/**
 * The outcome of every inference sent, from the answer: the 207 `results` in request order (or by
 * `partner_inference_id` when they carry it), or all delivered when `counts` reports no failure.
 * `undefined` when the answer says something failed but not what.
 */
export function readInferenceOutcomes(
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
