import {
  type CommonHandlerOptions,
  ObservabilityCallbackHandler,
  type ObservabilityCallbackHandlerOptions,
} from "@langchain-observability/core";
import { exportPromptLayer, type PromptLayerIdCallback } from "./promptlayer-exporter";

/** Options of `PromptLayerCallbackHandler`: the Python handler's `plTags`/`plIdCallback`, credentials, and the common options. */
export interface PromptLayerCallbackHandlerOptions extends CommonHandlerOptions {
  /** PromptLayer tags added to every request (before each run's own tags). @default [] */
  plTags?: string[];
  /**
   * Called once per logged record with the request id PromptLayer returns. Awaited in the background
   * export path (never in your chain); what it throws goes to `onError`. @default undefined
   */
  plIdCallback?: PromptLayerIdCallback;
  /** PromptLayer API key. @default env PROMPTLAYER_API_KEY */
  apiKey?: string;
  /** PromptLayer API base URL (https, or http to loopback only). @default env PROMPTLAYER_BASE_URL, else "https://api.promptlayer.com" */
  baseUrl?: string;
}

/**
 * Logs every LangChain LLM and chat-model run to PromptLayer (`POST /track-request`, one request per
 * prompt), and hands each returned request id to `plIdCallback`. Callbacks only capture; all network
 * I/O happens in the background export queue, so the chain is never slowed down or broken.
 */
export class PromptLayerCallbackHandler extends ObservabilityCallbackHandler {
  override name = "promptlayer_callback_handler";

  constructor(options: PromptLayerCallbackHandlerOptions = {}) {
    super(toCoreOptions(options ?? {}));
  }
}

function toCoreOptions(options: PromptLayerCallbackHandlerOptions): ObservabilityCallbackHandlerOptions {
  // Vendor-only options (credentials, URL, PromptLayer's own tags and callback) go to the exporter only.
  const { plTags, plIdCallback, apiKey, baseUrl, ...common } = options;
  const exporter = exportPromptLayer({
    ...(plTags === undefined ? {} : { plTags }),
    ...(plIdCallback === undefined ? {} : { plIdCallback }),
    ...(apiKey === undefined ? {} : { apiKey }),
    ...(baseUrl === undefined ? {} : { baseUrl }),
    ...(common.timeoutMs === undefined ? {} : { timeoutMs: common.timeoutMs }),
    ...(common.maxRetries === undefined ? {} : { maxRetries: common.maxRetries }),
    ...(common.fetch === undefined ? {} : { fetch: common.fetch }),
  });
  return { ...common, exporters: [exporter] };
}
