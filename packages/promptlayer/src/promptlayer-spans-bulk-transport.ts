import {
  type HttpClient,
  type HttpResponse,
  ObservabilityError,
  type RunSpanRecord,
  toRecordFailure,
  utf8Length,
  VendorApiError,
  type VendorRecordFailure,
  type VendorSendContext,
  type VendorSendItem,
} from "@langchain-observability/core";
import { mapSpanToPromptLayer } from "./map-span-to-promptlayer";
import { type PromptLayerSpan, type PromptLayerSpansBulkResponse, readRequestId } from "./promptlayer-api";
import {
  explainCredentialError,
  isRecord,
  readVendorMessage,
  rejectedAnswerError,
} from "./promptlayer-error";
import { PROMPTLAYER_VENDOR, type PromptLayerExporterSettings } from "./promptlayer-settings";

/** Path of the span ingestion endpoint, relative to the base URL. */
export const SPANS_BULK_PATH = "spans-bulk";

type SpansItem = VendorSendItem<RunSpanRecord, PromptLayerSpan[]>;

/** The `/spans-bulk` transport: `map` and `send` for core's exporter kit. */
export interface PromptLayerSpansBulkTransport {
  consumes: "spans";
  map(record: RunSpanRecord): PromptLayerSpan[];
  send(items: SpansItem[], context: VendorSendContext): Promise<VendorRecordFailure[]>;
}

/** Bytes of `{"spans":[` and `]}` around the joined spans. */
const ENVELOPE_BYTES = '{"spans":[]}'.length;

/**
 * Sends the run tree to `POST /spans-bulk` (key in the `X-API-KEY` header).
 *
 * - Each record is one LangChain run: one span, or a model-call span with a child span per prompt.
 * - Requests are capped at `maxRequestBytes`: a batch is cut into requests that fit; a record larger
 *   on its own fails as oversize.
 * - Span ids derive from run ids and PromptLayer upserts spans by id, so every request is
 *   idempotent: the HTTP client resends it after a timeout or a lost connection, and a failure the
 *   vendor may recover from leaves the records queued for a later batch (exactly-once at the vendor).
 * - PromptLayer stores a batch whole or not at all: a 400 or 422 is bisected until the refused
 *   record(s) are isolated (each fails with PromptLayer's message; the others are delivered). A 413 is
 *   split the same way.
 * - `plIdCallback` gets each model call's request id from `request_logs[].id`, matched by `span_id`.
 */
export function createSpansBulkTransport(
  settings: PromptLayerExporterSettings,
  http: HttpClient,
): PromptLayerSpansBulkTransport {
  const { apiKey, plIdCallback, plTags, maxRequestBytes } = settings;
  const url = `${http.baseUrl}/${SPANS_BULK_PATH}`;

  /** Posts one request's items; failures of records are pushed onto `failures`. */
  async function post(items: SpansItem[], context: VendorSendContext, failures: VendorRecordFailure[]) {
    if (items.length === 0) return;
    let response: HttpResponse;
    try {
      response = await http.request({
        method: "POST",
        path: SPANS_BULK_PATH,
        // The kit serialized each record once; the spans of a record are its JSON array without `[` `]`.
        body: `{"spans":[${items.map((item) => item.json.slice(1, -1)).join(",")}]}`,
        headers: { "x-api-key": apiKey },
        // Spans are upserted by span id: sending the same request twice stores it once.
        idempotent: true,
        signal: context.signal,
        onRetry: context.onRetry,
      });
    } catch (error) {
      const status = VendorApiError.isInstance(error) ? error.status : undefined;
      const refused = status === 400 || status === 422;
      if ((refused || status === 413) && items.length > 1) {
        // All-or-nothing batches: halve until the refused record is alone, deliver the rest.
        const middle = Math.ceil(items.length / 2);
        await post(items.slice(0, middle), context, failures);
        await post(items.slice(middle), context, failures);
        return;
      }
      if ((refused || status === 413) && VendorApiError.isInstance(error)) {
        const [item] = items;
        if (item) failures.push(refusedFailure(item, error));
        return;
      }
      const explained = explainCredentialError(error);
      for (const item of items)
        failures.push(toRecordFailure(item.record.recordId, explained, PROMPTLAYER_VENDOR));
      return;
    }
    readAnswer(items, response, context, failures);
  }

  function refusedFailure(item: SpansItem, error: VendorApiError): VendorRecordFailure {
    const vendorMessage = readVendorMessage(parseBody(error.responseBody)) ?? error.responseBody ?? "";
    const reason =
      error.status === 413
        ? `is too large for PromptLayer even alone (413)`
        : `was refused by PromptLayer (${error.status})`;
    return {
      recordId: item.record.recordId,
      retryable: false,
      error: new VendorApiError({
        vendor: PROMPTLAYER_VENDOR,
        method: "POST",
        url,
        ...(error.status === undefined ? {} : { status: error.status }),
        ...(error.responseBody === undefined ? {} : { responseBody: error.responseBody }),
        isRetryable: false,
        message: `${PROMPTLAYER_VENDOR}: the ${item.record.kind} span of run ${item.record.runId} ${reason}${vendorMessage ? `: ${vendorMessage}` : ""}`,
      }),
    };
  }

  function readAnswer(
    items: SpansItem[],
    response: HttpResponse,
    context: VendorSendContext,
    failures: VendorRecordFailure[],
  ): void {
    const answer = response.body;
    if (!isRecord(answer) || answer.success === false) {
      // A 2xx whose body is unusable: the spans may be stored, and a resend only upserts them.
      const error = rejectedAnswerError({
        method: "POST",
        url,
        status: response.status,
        text: response.text,
        body: answer,
        apiKey,
        ...(isRecord(answer)
          ? {}
          : { reason: `answered ${response.status} with a body that is not a JSON object` }),
      });
      const retryable = !isRecord(answer);
      for (const item of items) failures.push({ recordId: item.record.recordId, error, retryable });
      return;
    }
    const body = answer as PromptLayerSpansBulkResponse;
    const rejected = new Set(
      (Array.isArray(body.rejected_span_ids) ? body.rejected_span_ids : []).map(normalizeSpanId),
    );
    const logIds = new Map<string, number>();
    if (plIdCallback && Array.isArray(body.request_logs)) {
      for (const log of body.request_logs) {
        if (!isRecord(log) || typeof log.span_id !== "string") continue;
        const id = readRequestId(log.id);
        if (id !== undefined) logIds.set(normalizeSpanId(log.span_id), id);
      }
    }
    let logged = 0;
    let missing = 0;
    for (const item of items) {
      if (item.wire.some((span) => rejected.has(span.context.span_id))) {
        failures.push({
          recordId: item.record.recordId,
          retryable: false,
          error: new ObservabilityError({
            message: `${PROMPTLAYER_VENDOR}: POST ${url} rejected the span of run ${item.record.runId}: ${body.rejection_reason ?? "rejected"} (its trace is closed).`,
          }),
        });
        continue;
      }
      if (!plIdCallback) continue;
      for (const span of item.wire) {
        if (!span.log_request) continue;
        logged++;
        const requestId = logIds.get(span.context.span_id);
        if (requestId === undefined) {
          missing++;
          continue;
        }
        context.runUserCallback("plIdCallback", () => plIdCallback(requestId));
      }
    }
    if (missing > 0) {
      context.reportError(
        new ObservabilityError({
          message: `${PROMPTLAYER_VENDOR}: POST ${url} answered without a request log id for ${missing} of ${logged} model calls; plIdCallback was not called for them (they were delivered).`,
        }),
      );
    }
  }

  return {
    consumes: "spans",
    map: (record) => mapSpanToPromptLayer(record, { plTags }),
    async send(items, context) {
      const failures: VendorRecordFailure[] = [];
      // UTF-8 takes at most 3 bytes per UTF-16 unit: when the whole batch fits by that bound, it is
      // one request and no byte needs counting (the usual case: 100 spans of a few KB).
      let upperBound = ENVELOPE_BYTES;
      for (const item of items) upperBound += 3 * (item.json.length - 2) + 1;
      if (upperBound <= maxRequestBytes) {
        await post(items, context, failures);
        return failures;
      }
      // Cut the batch into requests of at most maxRequestBytes (the spans of one record stay together).
      let request: SpansItem[] = [];
      let requestBytes = ENVELOPE_BYTES;
      for (const item of items) {
        const bytes = utf8Length(item.json) - 2 + 1; // the record's spans without `[` `]`, and a comma
        if (ENVELOPE_BYTES + bytes > maxRequestBytes) {
          failures.push(oversizeFailure(item, bytes));
          continue;
        }
        if (requestBytes + bytes > maxRequestBytes) {
          await post(request, context, failures);
          request = [];
          requestBytes = ENVELOPE_BYTES;
        }
        request.push(item);
        requestBytes += bytes;
      }
      await post(request, context, failures);
      return failures;
    },
  };

  function oversizeFailure(item: SpansItem, bytes: number): VendorRecordFailure {
    return {
      recordId: item.record.recordId,
      retryable: false,
      error: new ObservabilityError({
        message: `${PROMPTLAYER_VENDOR}: the ${item.record.kind} span of run ${item.record.runId} is ${bytes} bytes, more than maxRequestBytes (${maxRequestBytes}); it was not sent.`,
      }),
    };
  }
}

/** A span id as this package writes it: 16 lowercase hex characters (PromptLayer may drop leading zeros). */
function normalizeSpanId(spanId: string): string {
  return spanId.trim().toLowerCase().replace(/^0x/, "").padStart(16, "0");
}

function parseBody(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
