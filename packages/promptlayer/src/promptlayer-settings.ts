import {
  COMMON_HANDLER_OPTION_KEYS,
  ConfigurationError,
  checkOptions,
  type ExporterHttpOptions,
  loadNumber,
  loadUrl,
  requireString,
} from "@langchain-observability/core";

/** The PromptLayer API base URL used when neither `baseUrl` nor `PROMPTLAYER_BASE_URL` is set. */
export const PROMPTLAYER_DEFAULT_BASE_URL = "https://api.promptlayer.com";

/** Vendor name used in errors and in the user agent. */
export const PROMPTLAYER_VENDOR = "PromptLayer";

/** Credentials and address shared by the exporter and the client. */
export interface PromptLayerConnectionOptions {
  /** PromptLayer API key. @default env PROMPTLAYER_API_KEY */
  apiKey?: string;
  /** PromptLayer API base URL (https, or http to loopback only). @default env PROMPTLAYER_BASE_URL, else "https://api.promptlayer.com" */
  baseUrl?: string;
}

/** Receives the PromptLayer request id of each logged model call (an integer, as PromptLayer returns it). */
export type PromptLayerIdCallback = (requestId: number) => unknown;

/**
 * How records travel to PromptLayer:
 * - `"spans-bulk"`: the whole run tree as spans, batched, `POST /spans-bulk`; each model call's span
 *   carries its request log. Resends upsert by span id, so delivery is exactly-once.
 * - `"track-request"`: one `POST /track-request` per model call, as Python's handler did; no
 *   idempotency key, so a request that timed out is never resent (at-most-once).
 */
export type PromptLayerTransport = "spans-bulk" | "track-request";

/** Options of `createPromptLayerExporter` (and the PromptLayer-specific options of the handler). */
export interface PromptLayerExporterOptions extends PromptLayerConnectionOptions, ExporterHttpOptions {
  /** The PromptLayer API records go to (see `PromptLayerTransport`). @default "spans-bulk" */
  transport?: PromptLayerTransport;
  /** PromptLayer tags added to every request log (before each run's own tags). @default [] */
  plTags?: string[];
  /**
   * Called once per logged model call with the request id PromptLayer returns (for `track.score`,
   * `track.metadata`, `track.prompt` …). It runs outside the export path, with a timeout: what it
   * throws, rejects with or a hang goes to `onError`, never into the chain, and never holds back
   * delivery. Not called when the record could not be logged. @default undefined
   */
  plIdCallback?: PromptLayerIdCallback;
  /**
   * Longest time a `plIdCallback` call may take; one that has not settled by then is reported to
   * `onError` (export never waits for it). @default 30000
   */
  plIdCallbackTimeoutMs?: number;
  /** Records handed to one export call. @default 100 ("spans-bulk"), 8 ("track-request") */
  maxBatchSize?: number;
  /** Export calls in flight at once. @default 2 ("spans-bulk"), 4 ("track-request") */
  requestConcurrency?: number;
  /**
   * Largest `/spans-bulk` request body, in bytes (PromptLayer documents no limit); a batch is split
   * to fit, and a record larger on its own fails as oversize. @default 1000000
   */
  maxRequestBytes?: number;
  /** Exporter name in stats and errors (give each a distinct one when fanning out to two PromptLayer workspaces). @default "promptlayer" */
  name?: string;
}

/** The option keys of `PromptLayerExporterOptions`, for run-time option checking. */
export const PROMPTLAYER_EXPORTER_OPTION_KEYS = [
  "apiKey",
  "baseUrl",
  "transport",
  "plTags",
  "plIdCallback",
  "plIdCallbackTimeoutMs",
  "maxBatchSize",
  "requestConcurrency",
  "maxRequestBytes",
  "name",
  "timeoutMs",
  "maxRetries",
  "fetch",
] as const;

/** Python's spellings of PromptLayer's options: not accepted, but named in "did you mean". */
const PYTHON_SPELLINGS: Readonly<Record<string, string>> = {
  pl_tags: "plTags",
  pl_id_callback: "plIdCallback",
  request_concurrency: "requestConcurrency",
};

/** The PromptLayer-only keys of the handler's options (the rest are core's common options). */
export const PROMPTLAYER_HANDLER_OPTION_KEYS = [
  "apiKey",
  "baseUrl",
  "transport",
  "plTags",
  "plIdCallback",
  "plIdCallbackTimeoutMs",
  "requestConcurrency",
  "maxRequestBytes",
] as const;

/** Throws a `ConfigurationError` for an option `owner` does not take ("did you mean `baseUrl`?"); sends nothing. */
export function checkPromptLayerOptions(
  options: unknown,
  owner: "PromptLayerCallbackHandler" | "createPromptLayerExporter" | "PromptLayerClient",
): void {
  const known: readonly string[] =
    owner === "PromptLayerCallbackHandler"
      ? [...Object.keys(COMMON_HANDLER_OPTION_KEYS), ...PROMPTLAYER_HANDLER_OPTION_KEYS]
      : owner === "createPromptLayerExporter"
        ? PROMPTLAYER_EXPORTER_OPTION_KEYS
        : PROMPTLAYER_CLIENT_OPTION_KEYS;
  checkOptions(options, { known, aliases: PYTHON_SPELLINGS, owner });
}

/** The option keys of `PromptLayerClientOptions`. */
export const PROMPTLAYER_CLIENT_OPTION_KEYS = [
  "apiKey",
  "baseUrl",
  "timeoutMs",
  "maxRetries",
  "fetch",
] as const;

export interface PromptLayerSettings {
  apiKey: string;
  baseUrl: string;
}

/** Explicit option > env var > default; a missing key is a `ConfigurationError` naming `apiKey` and its env var. */
export function loadPromptLayerSettings(options: PromptLayerConnectionOptions): PromptLayerSettings {
  const apiKey = requireString({
    option: "apiKey",
    value: options.apiKey,
    envVar: "PROMPTLAYER_API_KEY",
    description: "PromptLayer API key",
  });
  const baseUrl = loadUrl({
    option: "baseUrl",
    value: options.baseUrl,
    envVar: "PROMPTLAYER_BASE_URL",
    default: PROMPTLAYER_DEFAULT_BASE_URL,
  });
  return { apiKey, baseUrl };
}

/** Everything an exporter needs, resolved and validated. */
export interface PromptLayerExporterSettings extends PromptLayerSettings {
  transport: PromptLayerTransport;
  plTags: string[];
  plIdCallback: PromptLayerIdCallback | undefined;
  plIdCallbackTimeoutMs: number;
  maxBatchSize: number;
  requestConcurrency: number;
  maxRequestBytes: number;
  name: string;
}

/** Resolves the exporter's options; a bad value is a `ConfigurationError` naming the option. */
export function loadPromptLayerExporterSettings(
  options: PromptLayerExporterOptions,
): PromptLayerExporterSettings {
  const transport = options.transport ?? "spans-bulk";
  if (transport !== "spans-bulk" && transport !== "track-request") {
    throw new ConfigurationError({
      message: `\`transport\` must be "spans-bulk" or "track-request", got ${JSON.stringify(transport)}.`,
      option: "transport",
    });
  }
  const plTags = options.plTags ?? [];
  if (!Array.isArray(plTags) || plTags.some((tag) => typeof tag !== "string")) {
    throw new ConfigurationError({ message: "`plTags` must be an array of strings.", option: "plTags" });
  }
  const plIdCallback = options.plIdCallback ?? undefined;
  if (plIdCallback !== undefined && typeof plIdCallback !== "function") {
    throw new ConfigurationError({ message: "`plIdCallback` must be a function.", option: "plIdCallback" });
  }
  const spans = transport === "spans-bulk";
  return {
    ...loadPromptLayerSettings(options),
    transport,
    plTags,
    plIdCallback,
    plIdCallbackTimeoutMs: loadNumber({
      option: "plIdCallbackTimeoutMs",
      value: options.plIdCallbackTimeoutMs,
      default: 30_000,
      min: 1,
      max: 2_147_483_647,
      integer: true,
    }),
    maxBatchSize: loadNumber({
      option: "maxBatchSize",
      value: options.maxBatchSize,
      // /track-request: several records per export call amortize the queue's work, and with
      // `requestConcurrency` calls in flight a slow request holds back only the records of its call.
      default: spans ? 100 : 8,
      min: 1,
      integer: true,
    }),
    requestConcurrency: loadNumber({
      option: "requestConcurrency",
      value: options.requestConcurrency,
      default: spans ? 2 : 4,
      min: 1,
      max: 64,
      integer: true,
    }),
    maxRequestBytes: loadNumber({
      option: "maxRequestBytes",
      value: options.maxRequestBytes,
      default: 1_000_000,
      min: 1_000,
      integer: true,
    }),
    name: options.name ?? "promptlayer",
  };
}
