import { ConfigurationError, checkOptions, VendorApiError } from "@langchain-observability/core";
import type { ArthurInference, ArthurModel, ArthurMultiStatusResponse } from "./arthur-api";
import { type ArthurEngineConnection, fetchArthurEngineConnection } from "./arthur-engine-transport";
import { ARTHUR_VENDOR } from "./arthur-error";
import { getArthurModel, postArthurInferences } from "./arthur-inferences-transport";
import { ArthurSession } from "./arthur-session";
import {
  ARTHUR_CONNECTION_OPTION_KEYS,
  ARTHUR_OPTION_MISSPELLINGS,
  ARTHUR_PLATFORM_OPTION_KEYS,
  type ArthurConnectionOptions,
  type ArthurPlatformOptions,
  loadArthurPlatformSettings,
  loadArthurSettings,
} from "./arthur-settings";

export type { ArthurEngineConnection };

/** Options of `new ArthurClient(…)`: where and how to reach the Arthur Scope REST API v3. */
export type ArthurClientOptions = ArthurConnectionOptions;

/** Per-call options of `ArthurClient`. */
export interface ArthurClientCallOptions {
  /** Aborts the call. @default undefined */
  signal?: AbortSignal;
}

/**
 * A small client of the legacy Arthur Scope REST API v3, with the same authentication as the handler
 * (API key, or login and password with the session cookie renewed as needed) and the
 * `Arthur-Organization-ID` header. Each method resolves on success and rejects with a
 * `VendorApiError` (or `ExportTimeoutError`) otherwise; no message ever holds a credential.
 */
export class ArthurClient {
  private readonly session: ArthurSession;

  constructor(options: ArthurClientOptions = {}) {
    if (options === null || typeof options !== "object") {
      throw new ConfigurationError({ message: "`ArthurClient` needs an options object.", option: "apiKey" });
    }
    checkOptions(options, {
      known: ARTHUR_CONNECTION_OPTION_KEYS,
      aliases: ARTHUR_OPTION_MISSPELLINGS,
      owner: "ArthurClient",
    });
    this.session = new ArthurSession(loadArthurSettings(options));
  }

  /** The organization sent with every request, once known (after `connect()` or any call). */
  get organizationId(): string | undefined {
    return this.session.organization;
  }

  /** Logs in (when a login is configured) and resolves the organization, as the SDK does. */
  async connect(options: ArthurClientCallOptions = {}): Promise<void> {
    await holdProcessWhile(this.session.connect(options.signal));
  }

  /** `GET /api/v3/models/{modelId}?expand=attributes`: the model with its attributes. */
  async getModel(modelId: string, options: ArthurClientCallOptions = {}): Promise<ArthurModel> {
    checkModelId(modelId);
    return holdProcessWhile(
      (async () => {
        await this.session.connect(options.signal);
        return getArthurModel(this.session, modelId, options.signal);
      })(),
    );
  }

  /**
   * `POST /api/v3/models/{modelId}/inferences`: resolves with the 207 Multi-Status answer (read its
   * `results` per inference); rejects when the whole request fails.
   */
  async sendInferences(
    modelId: string,
    inferences: ArthurInference[],
    options: ArthurClientCallOptions = {},
  ): Promise<ArthurMultiStatusResponse> {
    checkModelId(modelId);
    if (!Array.isArray(inferences)) {
      throw new ConfigurationError({
        message: "`sendInferences(modelId, inferences)` needs an array of inferences.",
        option: "inferences",
      });
    }
    const response = await holdProcessWhile(
      (async () => {
        await this.session.connect(options.signal);
        return postArthurInferences(this.session, modelId, inferences, options.signal);
      })(),
    );
    const body = response.body;
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      throw new VendorApiError({
        vendor: ARTHUR_VENDOR,
        method: "POST",
        url: this.session.url(`models/${encodeURIComponent(modelId)}/inferences`),
        status: response.status,
        isRetryable: false,
        message: `Arthur: POST ${this.session.url(`models/${encodeURIComponent(modelId)}/inferences`)} answered ${response.status} without a multi-status object.`,
      });
    }
    return body as ArthurMultiStatusResponse;
  }
}

/** Options of `resolveArthurEngineConnection`: the platform, plus a signal. */
export interface ResolveArthurEngineConnectionOptions
  extends ArthurPlatformOptions,
    ArthurClientCallOptions {}

/**
 * Asks the Arthur platform where a model's traces go:
 * `GET {platformUrl}/api/v1/models/{modelId}/task/connection_info` (with `Authorization: Bearer
 * <platformToken>`) gives the engine URL (`api_host`), the task id and an engine API key — the
 * `engineUrl`, `taskId` and `apiKey` of `new ArthurCallbackHandler(…)`. Rejects with a retryable
 * `VendorApiError` while the platform is still creating the task.
 */
export async function resolveArthurEngineConnection(
  modelId: string,
  options: ResolveArthurEngineConnectionOptions = {},
): Promise<ArthurEngineConnection> {
  checkModelId(modelId);
  checkOptions(options, {
    known: [...ARTHUR_PLATFORM_OPTION_KEYS, "signal"],
    aliases: ARTHUR_OPTION_MISSPELLINGS,
    owner: "resolveArthurEngineConnection",
  });
  const { signal, ...platformOptions } = options ?? {};
  return holdProcessWhile(
    fetchArthurEngineConnection(loadArthurPlatformSettings(platformOptions), modelId.trim(), signal),
  );
}

function checkModelId(modelId: unknown): void {
  if (typeof modelId !== "string" || modelId.trim() === "") {
    throw new ConfigurationError({
      message: "The Arthur model id must be a non-empty string.",
      option: "modelId",
    });
  }
}

/**
 * Awaits work the caller is waiting for (a `fromCredentials` connect, a client call) with the
 * process held open. Core's HTTP client never keeps the process alive (its sockets and timers are
 * unref'd, so telemetry cannot delay an exit); a script that awaits one of these calls at top level
 * would otherwise end mid-request.
 */
export async function holdProcessWhile<T>(work: Promise<T>): Promise<T> {
  const timer = setInterval(() => {}, 2 ** 30);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}
