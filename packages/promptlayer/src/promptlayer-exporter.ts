import {
  ConfigurationError,
  createHttpClient,
  type Exporter,
  type ExporterContext,
  type ExporterHttpOptions,
  type ExportResult,
  type HttpClient,
  type LLMRunRecord,
  loadHttpSettings,
  loadNumber,
  ObservabilityError,
  redactSecrets,
} from "@langchain-observability/core";
import { mapRecordToPromptLayer } from "./map-record-to-promptlayer";
import type { PromptLayerTrackRequestBody, PromptLayerTrackRequestResponse } from "./promptlayer-api";
import { isRecord, rejectedAnswerError } from "./promptlayer-error";
import {
  loadPromptLayerSettings,
  PROMPTLAYER_VENDOR,
  type PromptLayerConnectionOptions,
} from "./promptlayer-settings";
import { VERSION } from "./version";

/** Receives the PromptLayer request id of each logged record (an integer, as PromptLayer returns it). */
export type PromptLayerIdCallback = (requestId: number) => unknown;

/** Options of `exportPromptLayer`. */
export interface PromptLayerExporterOptions extends PromptLayerConnectionOptions, ExporterHttpOptions {
  /** PromptLayer tags added to every request (before each run's own tags). @default [] */
  plTags?: string[];
  /**
   * Called once per logged record with the request id PromptLayer returns (for `track.score`,
   * `track.metadata`, `track.prompt` …). It runs in the export path and is awaited there; what it
   * throws goes to `onError`, never into the chain. Not called when the record could not be logged.
   * @default undefined
   */
  plIdCallback?: PromptLayerIdCallback;
  /** Records handed to the exporter per export call (each is its own `/track-request`, sent in order). @default 8 */
  maxBatchSize?: number;
  /** `/track-request` calls in flight at once (PromptLayer takes one record per request). @default 4 */
  requestConcurrency?: number;
  /** Exporter name in stats and errors (give each a distinct one when fanning out to two PromptLayer workspaces). @default "promptlayer" */
  name?: string;
}

/** Path of the logging endpoint, relative to the base URL. */
const TRACK_REQUEST_PATH = "track-request";

/**
 * Creates the PromptLayer exporter: one `POST /track-request` per record (with `api_key` in the body),
 * a few at a time, per-record failures reported in the `ExportResult`, and `plIdCallback` called with
 * each returned request id. Construction is synchronous; a missing key is a `ConfigurationError`.
 */
export function exportPromptLayer(options: PromptLayerExporterOptions = {}): Exporter {
  const settings = loadPromptLayerSettings(options);
  const plTags = options.plTags ?? [];
  if (!Array.isArray(plTags) || plTags.some((tag) => typeof tag !== "string")) {
    throw new ConfigurationError({ message: "`plTags` must be an array of strings.", option: "plTags" });
  }
  const plIdCallback = options.plIdCallback;
  if (plIdCallback !== undefined && plIdCallback !== null && typeof plIdCallback !== "function") {
    throw new ConfigurationError({ message: "`plIdCallback` must be a function.", option: "plIdCallback" });
  }
  const maxBatchSize = loadNumber({
    option: "maxBatchSize",
    value: options.maxBatchSize,
    // Several records per export call amortize the queue's work; with `requestConcurrency` calls in
    // flight, a slow request holds back only the records after it in its own call.
    default: 8,
    min: 1,
    integer: true,
  });
  const requestConcurrency = loadNumber({
    option: "requestConcurrency",
    value: options.requestConcurrency,
    default: 4,
    min: 1,
    max: 64,
    integer: true,
  });
  const name = options.name ?? "promptlayer";
  let context: ExporterContext | undefined;
  const reportError = (error: unknown) => {
    if (context) context.onError(error);
    else console.warn(`[langchain-observability] ${describeError(error).message}`);
  };
  const http: HttpClient = createHttpClient({
    vendor: PROMPTLAYER_VENDOR,
    baseUrl: settings.baseUrl,
    ...loadHttpSettings(options),
    headers: { accept: "application/json" },
    userAgent: `@langchain-observability/promptlayer/${VERSION}`,
    // The key travels in every body: the client keeps it out of the errors it raises.
    secrets: [settings.apiKey],
    onRetry: () => context?.onRetry(),
    // /track-request has no idempotency key: a timed-out request may have been logged already.
    retryOnTimeout: false,
  });
  const trackUrl = `${http.baseUrl}/${TRACK_REQUEST_PATH}`;

  async function runCallback(requestId: number, signal: AbortSignal): Promise<void> {
    if (!plIdCallback) return;
    try {
      await untilAborted(
        Promise.resolve().then(() => plIdCallback(requestId)),
        signal,
      );
    } catch (error) {
      const { name: errorName, message } = describeError(error);
      reportError(
        new ObservabilityError({
          message: redactSecrets(
            `${PROMPTLAYER_VENDOR}: plIdCallback failed for request ${requestId}: ${errorName}: ${message}`,
            [settings.apiKey],
          ),
        }),
      );
    }
  }

  /** Sends one record; resolves to its failure, or `undefined` when PromptLayer logged it. */
  async function sendRecord(
    record: LLMRunRecord,
    signal: AbortSignal,
  ): Promise<NonNullable<ExportResult["failed"]>[number] | undefined> {
    let body: PromptLayerTrackRequestBody;
    try {
      body = {
        ...mapRecordToPromptLayer(record, { plTags, returnPlId: plIdCallback !== undefined }),
        api_key: settings.apiKey,
      };
    } catch (error) {
      return {
        recordId: record.recordId,
        error: new ObservabilityError({
          message: `${PROMPTLAYER_VENDOR}: could not map run ${record.runId}: ${describeError(error).message}`,
        }),
        retryable: false,
      };
    }
    let response: Awaited<ReturnType<HttpClient["request"]>>;
    try {
      response = await http.request({ method: "POST", path: TRACK_REQUEST_PATH, json: body, signal });
    } catch (error) {
      // The HTTP client has already retried what can succeed on retry; sending again could log twice.
      // Its errors are always ObservabilityErrors, already free of the key.
      return {
        recordId: record.recordId,
        error: ObservabilityError.isInstance(error)
          ? error
          : new ObservabilityError({
              message: redactSecrets(`${PROMPTLAYER_VENDOR}: ${describeError(error).message}`, [
                settings.apiKey,
              ]),
            }),
        retryable: false,
      };
    }
    const answer = response.body;
    if (!isRecord(answer) || answer.success === false) {
      return {
        recordId: record.recordId,
        error: rejectedAnswerError({
          method: "POST",
          url: trackUrl,
          status: response.status,
          text: response.text,
          body: answer,
          apiKey: settings.apiKey,
          ...(isRecord(answer)
            ? {}
            : { reason: `answered ${response.status} with a body that is not a JSON object` }),
        }),
        retryable: false,
      };
    }
    if (plIdCallback) {
      const requestId = readRequestId((answer as PromptLayerTrackRequestResponse).request_id);
      if (requestId === undefined) {
        reportError(
          new ObservabilityError({
            message: `${PROMPTLAYER_VENDOR}: POST ${trackUrl} answered without a request_id; plIdCallback was not called for run ${record.runId}.`,
          }),
        );
      } else {
        await runCallback(requestId, signal);
      }
    }
    return undefined;
  }

  return {
    name,
    maxBatchSize,
    // The queue keeps `requestConcurrency` exports in flight, so one slow record never idles the others.
    concurrency: requestConcurrency,
    bind(exporterContext) {
      context = exporterContext;
    },
    async export(records, signal) {
      const outcomes = await mapWithConcurrency(records, 1, (record) => sendRecord(record, signal));
      const failed = outcomes.filter((outcome) => outcome !== undefined);
      return failed.length > 0 ? { failed } : {};
    },
  };
}

/** Reads a PromptLayer id leniently: an integer, or a string holding one; anything else is no id. */
export function readRequestId(value: unknown): number | undefined {
  const id = typeof value === "string" && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  return typeof id === "number" && Number.isSafeInteger(id) && id >= 0 ? id : undefined;
}

/** Runs `task` over `items`, at most `limit` at once, keeping the order of results. */
async function mapWithConcurrency<T, R>(
  items: T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Waits for `promise`, but stops waiting (rejecting) once the export is aborted (shutdown). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error("the export was aborted (shutdown)"));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error("the export was aborted (shutdown) before it finished"));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** Name and message of anything thrown, without ever throwing itself. */
function describeError(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name || "Error", message: String(error.message ?? "") };
  try {
    return { name: "Error", message: typeof error === "string" ? error : String(JSON.stringify(error)) };
  } catch {
    return { name: "Error", message: String(error) };
  }
}
