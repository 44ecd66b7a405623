import {
  type CommonHandlerOptions,
  type Exporter,
  ObservabilityCallbackHandler,
  type ObservabilityCallbackHandlerOptions,
} from "@langchain-observability/core";
import { createPromptLayerExporter } from "./promptlayer-exporter";
import {
  checkPromptLayerOptions,
  type PromptLayerIdCallback,
  type PromptLayerTransport,
} from "./promptlayer-settings";

/** Options of `PromptLayerCallbackHandler`: the Python handler's `plTags`/`plIdCallback`, credentials, transport, and the common options. */
export interface PromptLayerCallbackHandlerOptions extends CommonHandlerOptions {
  /** PromptLayer tags added to every request log (before each run's own tags). @default [] */
  plTags?: string[];
  /**
   * Called once per logged model call with the request id PromptLayer returns. It runs in the
   * background, outside the export path, with a timeout (never in your chain); what it throws,
   * rejects with or a hang goes to `onError`. @default undefined
   */
  plIdCallback?: PromptLayerIdCallback;
  /** Longest time a `plIdCallback` call may take before it is reported to `onError`. @default 30000 */
  plIdCallbackTimeoutMs?: number;
  /** PromptLayer API key. @default env PROMPTLAYER_API_KEY */
  apiKey?: string;
  /** PromptLayer API base URL (https, or http to loopback only). @default env PROMPTLAYER_BASE_URL, else "https://api.promptlayer.com" */
  baseUrl?: string;
  /**
   * `"spans-bulk"`: the whole run tree, batched, to `POST /spans-bulk` (exactly-once); `"track-request"`:
   * one `POST /track-request` per model call, as Python's handler did (at-most-once). @default "spans-bulk"
   */
  transport?: PromptLayerTransport;
  /** Largest `/spans-bulk` request body, in bytes. @default 1000000 */
  maxRequestBytes?: number;
  /** Export calls in flight at once. @default 2 ("spans-bulk"), 4 ("track-request") */
  requestConcurrency?: number;
}

/**
 * Logs every LangChain run to PromptLayer — by default the whole run tree as spans (`POST
 * /spans-bulk`), each model call with its request log — and hands each returned request id to
 * `plIdCallback`. Callbacks only capture; all network I/O happens in the background export queue, so
 * the chain is never slowed down or broken.
 */
export class PromptLayerCallbackHandler extends ObservabilityCallbackHandler {
  override name = "promptlayer_callback_handler";

  constructor(options: PromptLayerCallbackHandlerOptions = {}) {
    super(toCoreOptions(options ?? {}));
  }
}

function toCoreOptions(options: PromptLayerCallbackHandlerOptions): ObservabilityCallbackHandlerOptions {
  // A misspelt option (`baseURL`) would silently send to the default host: refuse it before anything.
  checkPromptLayerOptions(options, "PromptLayerCallbackHandler");
  // Vendor-only options (credentials, URL, transport, PromptLayer's own tags and callback) go to the exporter only.
  const {
    plTags,
    plIdCallback,
    plIdCallbackTimeoutMs,
    apiKey,
    baseUrl,
    transport,
    maxRequestBytes,
    requestConcurrency,
    ...common
  } = options;
  const exporter = createPromptLayerExporter({
    ...(plTags === undefined ? {} : { plTags }),
    ...(plIdCallback === undefined ? {} : { plIdCallback }),
    ...(plIdCallbackTimeoutMs === undefined ? {} : { plIdCallbackTimeoutMs }),
    ...(apiKey === undefined ? {} : { apiKey }),
    ...(baseUrl === undefined ? {} : { baseUrl }),
    ...(transport === undefined ? {} : { transport }),
    ...(maxRequestBytes === undefined ? {} : { maxRequestBytes }),
    ...(requestConcurrency === undefined ? {} : { requestConcurrency }),
    ...(common.timeoutMs === undefined ? {} : { timeoutMs: common.timeoutMs }),
    ...(common.maxRetries === undefined ? {} : { maxRetries: common.maxRetries }),
    ...(common.fetch === undefined ? {} : { fetch: common.fetch }),
  });
  return { ...common, exporters: [exporter as Exporter] };
}
