import {
  type HttpClient,
  type HttpResponse,
  type LLMRunRecord,
  ObservabilityError,
  toRecordFailure,
  VendorApiError,
  type VendorRecordFailure,
  type VendorSendContext,
  type VendorSendItem,
} from "@langchain-observability/core";
import { mapRecordToPromptLayer } from "./map-record-to-promptlayer";
import {
  type PromptLayerTrackRequestBody,
  type PromptLayerTrackRequestResponse,
  readRequestId,
} from "./promptlayer-api";
import { explainCredentialError, isRecord, rejectedAnswerError } from "./promptlayer-error";
import { PROMPTLAYER_VENDOR, type PromptLayerExporterSettings } from "./promptlayer-settings";

/** Path of the logging endpoint of Python's handler, relative to the base URL. */
export const TRACK_REQUEST_PATH = "track-request";

type TrackItem = VendorSendItem<LLMRunRecord, PromptLayerTrackRequestBody>;

/** The `/track-request` transport: `map` and `send` for core's exporter kit. */
export interface PromptLayerTrackRequestTransport {
  consumes: "llm-runs";
  map(record: LLMRunRecord): PromptLayerTrackRequestBody;
  send(items: TrackItem[], context: VendorSendContext): Promise<VendorRecordFailure[]>;
}

/**
 * Sends one `POST /track-request` per model call (the key as `api_key` in the body), as Python's
 * handler did, one after the other within an export call.
 *
 * `/track-request` has no idempotency key, so a request that may have reached PromptLayer (a timeout,
 * a connection lost after sending, an error answer other than 429 / 503) is never sent again: it
 * fails, counted apart as "unknown" when PromptLayer may have logged it (at-most-once). A request
 * that surely never reached it (connection refused, 429, 503) is resent by the HTTP client, and the
 * record stays queued if it keeps failing.
 */
export function createTrackRequestTransport(
  settings: PromptLayerExporterSettings,
  http: HttpClient,
): PromptLayerTrackRequestTransport {
  const { apiKey, plIdCallback, plTags } = settings;
  const url = `${http.baseUrl}/${TRACK_REQUEST_PATH}`;

  async function sendOne(
    item: TrackItem,
    context: VendorSendContext,
  ): Promise<VendorRecordFailure | undefined> {
    const { record } = item;
    let response: HttpResponse;
    try {
      response = await http.request({
        method: "POST",
        path: TRACK_REQUEST_PATH,
        // The record's JSON with the key added last (the mapper never holds the key).
        body: `${item.json.slice(0, -1)},"api_key":${JSON.stringify(apiKey)}}`,
        // No idempotency key: a request that may have reached PromptLayer is never sent again.
        idempotent: false,
        signal: context.signal,
        onRetry: context.onRetry,
      });
    } catch (error) {
      const failure = toRecordFailure(record.recordId, explainCredentialError(error), PROMPTLAYER_VENDOR);
      // Only an answer that says nothing was stored (or no connection at all) may be sent again later.
      const status = VendorApiError.isInstance(error) ? error.status : undefined;
      const surelyNotStored = status === undefined || status === 429 || status === 503;
      return failure.retryable && !surelyNotStored ? { ...failure, retryable: false } : failure;
    }
    const answer = response.body;
    if (!isRecord(answer) || answer.success === false) {
      return {
        recordId: record.recordId,
        retryable: false,
        // A 2xx whose body is unreadable may well have logged the record: never sent again, counted apart.
        ...(isRecord(answer) ? {} : { outcome: "unknown" as const }),
        error: rejectedAnswerError({
          method: "POST",
          url,
          status: response.status,
          text: response.text,
          body: answer,
          apiKey,
          ...(isRecord(answer)
            ? {}
            : { reason: `answered ${response.status} with a body that is not a JSON object` }),
        }),
      };
    }
    if (plIdCallback) {
      const requestId = readRequestId((answer as PromptLayerTrackRequestResponse).request_id);
      if (requestId === undefined) {
        context.reportError(
          new ObservabilityError({
            message: `${PROMPTLAYER_VENDOR}: POST ${url} answered without a request_id; plIdCallback was not called for run ${record.runId} (it was delivered).`,
          }),
        );
      } else {
        context.runUserCallback("plIdCallback", () => plIdCallback(requestId));
      }
    }
    return undefined;
  }

  return {
    consumes: "llm-runs",
    map: (record) => mapRecordToPromptLayer(record, { plTags, returnPlId: plIdCallback !== undefined }),
    async send(items, context) {
      const failures: VendorRecordFailure[] = [];
      for (const item of items) {
        const failure = await sendOne(item, context);
        if (failure) failures.push(failure);
      }
      return failures;
    },
  };
}
