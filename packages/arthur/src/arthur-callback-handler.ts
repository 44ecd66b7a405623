import {
  COMMON_HANDLER_OPTION_ALIASES,
  COMMON_HANDLER_OPTION_KEYS,
  type CommonHandlerOptions,
  ConfigurationError,
  checkOptions,
  ObservabilityCallbackHandler,
  pickCommonHandlerOptions,
} from "@langchain-observability/core";
import type { ArthurModel } from "./arthur-api";
import { holdProcessWhile, resolveArthurEngineConnection } from "./arthur-client";
import { type ArthurExporter, createArthurEngineExporter, createArthurExporter } from "./arthur-exporter";
import { type ArthurPasswordPrompt, createTerminalPasswordPrompt } from "./arthur-password-prompt";
import {
  ARTHUR_CONNECTION_OPTION_KEYS,
  ARTHUR_ENGINE_OPTION_KEYS,
  ARTHUR_OPTION_MISSPELLINGS,
  ARTHUR_PLATFORM_OPTION_KEYS,
  type ArthurConnectionOptions,
  type ArthurEngineConnectionOptions,
  type ArthurPlatformOptions,
  loadArthurBaseUrl,
  loadArthurCredentialSource,
  missingPasswordError,
  resolveArthurMode,
} from "./arthur-settings";

/**
 * Options of `new ArthurCallbackHandler(…)`: the common options, and either the Arthur GenAI Engine
 * (`engineUrl`, `taskId`, `apiKey` — the whole run tree as traces) or a model of the legacy Arthur
 * Scope API (`modelId` or `model` — model runs as inferences).
 */
export interface ArthurCallbackHandlerOptions
  extends CommonHandlerOptions,
    ArthurConnectionOptions,
    Omit<ArthurEngineConnectionOptions, "apiKey" | "allowInsecure"> {
  /**
   * Legacy API: the Arthur model with its `attributes`, when you already have its schema (no model
   * lookup). Required unless `modelId` is given (or the engine options are).
   * @default undefined
   */
  model?: ArthurModel;
  /**
   * Legacy API: id of the Arthur model; loaded with its attributes on the first export. Prefer
   * `ArthurCallbackHandler.fromCredentials(modelId, …)`, which loads it up front so mistakes fail there.
   * @default undefined
   */
  modelId?: string;
}

/** Options of `ArthurCallbackHandler.fromCredentials(modelId, …)` (legacy API). */
export interface ArthurFromCredentialsOptions extends CommonHandlerOptions, ArthurConnectionOptions {
  /**
   * Asks for the password when `arthurLogin` is set and neither `arthurPassword` nor env
   * `ARTHUR_PASSWORD` is. Replace it for tests or a custom terminal.
   * @default a no-echo prompt on standard input, used only when standard input is a terminal
   */
  passwordPrompt?: ArthurPasswordPrompt;
}

/** Options of `ArthurCallbackHandler.fromPlatform(modelId, …)` (engine, looked up on the platform). */
export interface ArthurFromPlatformOptions extends CommonHandlerOptions, ArthurPlatformOptions {
  /** The resource attribute `service.name` of the traces. @default the task id */
  serviceName?: string;
}

const LEGACY_KEYS = [...ARTHUR_CONNECTION_OPTION_KEYS, "model", "modelId"] as const;
const ENGINE_KEYS = ARTHUR_ENGINE_OPTION_KEYS;
const HANDLER_KEYS = new Set<string>([
  ...Object.keys(COMMON_HANDLER_OPTION_KEYS),
  ...Object.keys(COMMON_HANDLER_OPTION_ALIASES),
  ...LEGACY_KEYS,
  ...ENGINE_KEYS,
]);

/**
 * Sends LangChain runs to Arthur — the JavaScript counterpart of the Python `ArthurCallbackHandler`.
 *
 * - With `engineUrl`, `taskId` and `apiKey` (env ARTHUR_ENGINE_URL, ARTHUR_TASK_ID, ARTHUR_API_KEY):
 *   the whole run tree (chains, tools, retrievers, model calls) as OTLP traces to Arthur's GenAI
 *   Engine task.
 * - With `modelId` / `model`, or `ArthurCallbackHandler.fromCredentials(modelId, …)`: every model run
 *   as an inference of a legacy Arthur Scope model (REST API v3), as the Python handler does.
 *
 * Callbacks only capture; everything is sent in batches in the background. In serverless
 * functions, `await handler.flush()` before returning.
 */
export class ArthurCallbackHandler extends ObservabilityCallbackHandler {
  override name = "arthur_callback_handler";

  /** The legacy inferences exporter (undefined in engine mode). */
  private readonly arthurExporter: ArthurExporter | undefined;

  constructor(options: ArthurCallbackHandlerOptions = {}) {
    if (options === null || typeof options !== "object") {
      throw new ConfigurationError({
        message:
          "`new ArthurCallbackHandler(options)` needs an options object: `{ engineUrl, taskId, apiKey }` for the Arthur GenAI Engine, or `{ modelId, apiKey }` for the legacy inferences API.",
        option: "engineUrl",
      });
    }
    checkOptions(options, {
      known: HANDLER_KEYS,
      aliases: ARTHUR_OPTION_MISSPELLINGS,
      owner: "ArthurCallbackHandler",
    });
    const mode = resolveArthurMode(options as Record<string, unknown>);
    const common = pickCommonHandlerOptions(options);
    if (mode === "engine") {
      const exporter = createArthurEngineExporter(pick(options, ENGINE_KEYS));
      super({ ...common, exporters: [exporter] });
      this.arthurExporter = undefined;
    } else {
      const exporter = createArthurExporter(pick(options, LEGACY_KEYS));
      super({ ...common, exporters: [exporter] });
      this.arthurExporter = exporter;
    }
  }

  /**
   * Legacy API (as the Python handler's `from_credentials`): authenticates (API key, or login and
   * password — asked for on the terminal when it is not configured and standard input is a terminal),
   * resolves the organization, and loads the model with its attributes; rejects with a clear error
   * when the credentials are refused, the model is unknown, or it lacks the text input or text output
   * attribute.
   */
  static async fromCredentials(
    modelId: string,
    options: ArthurFromCredentialsOptions = {},
  ): Promise<ArthurCallbackHandler> {
    if (typeof modelId !== "string" || modelId.trim() === "") {
      throw new ConfigurationError({
        message: "`fromCredentials(modelId, …)` needs the Arthur model id as a non-empty string.",
        option: "modelId",
      });
    }
    checkOptions(options, {
      known: new Set([
        ...Object.keys(COMMON_HANDLER_OPTION_KEYS),
        ...Object.keys(COMMON_HANDLER_OPTION_ALIASES),
        ...ARTHUR_CONNECTION_OPTION_KEYS,
        "passwordPrompt",
      ]),
      aliases: ARTHUR_OPTION_MISSPELLINGS,
      owner: "ArthurCallbackHandler.fromCredentials",
    });
    const { passwordPrompt, ...handlerOptions } = options ?? {};
    const source = loadArthurCredentialSource(handlerOptions);
    let arthurPassword = handlerOptions.arthurPassword;
    if (source.kind === "login" && source.password === undefined) {
      const baseUrl = loadArthurBaseUrl(handlerOptions);
      const prompt = passwordPrompt ?? createTerminalPasswordPrompt();
      if (!prompt.isInteractive()) {
        throw missingPasswordError(
          source.login,
          "standard input is not a terminal, so it cannot be asked for",
        );
      }
      arthurPassword = await prompt.ask(`Arthur password for ${source.login} at ${baseUrl}: `);
      if (typeof arthurPassword !== "string" || arthurPassword === "") {
        throw missingPasswordError(source.login, "the password prompt got no answer");
      }
    }
    const handler = new ArthurCallbackHandler({
      ...handlerOptions,
      ...(arthurPassword === undefined ? {} : { arthurPassword }),
      modelId,
    });
    if (handler.arthurExporter) await holdProcessWhile(handler.arthurExporter.connect());
    return handler;
  }

  /**
   * Engine, for a model of the Arthur platform: asks the platform
   * (`GET {platformUrl}/api/v1/models/{modelId}/task/connection_info`, env ARTHUR_PLATFORM_URL and
   * ARTHUR_PLATFORM_TOKEN) for the engine URL, task id and engine key of the model, then sends the
   * run tree there as traces.
   */
  static async fromPlatform(
    modelId: string,
    options: ArthurFromPlatformOptions = {},
  ): Promise<ArthurCallbackHandler> {
    checkOptions(options, {
      known: new Set([
        ...Object.keys(COMMON_HANDLER_OPTION_KEYS),
        ...Object.keys(COMMON_HANDLER_OPTION_ALIASES),
        ...ARTHUR_PLATFORM_OPTION_KEYS,
        "serviceName",
      ]),
      aliases: ARTHUR_OPTION_MISSPELLINGS,
      owner: "ArthurCallbackHandler.fromPlatform",
    });
    const { platformUrl, platformToken, serviceName, ...rest } = options ?? {};
    const connection = await resolveArthurEngineConnection(modelId, {
      ...(platformUrl === undefined ? {} : { platformUrl }),
      ...(platformToken === undefined ? {} : { platformToken }),
      ...pick(rest, ["allowInsecure", "timeoutMs", "maxRetries", "fetch"] as const),
    });
    return new ArthurCallbackHandler({
      ...rest,
      ...connection,
      ...(serviceName === undefined ? {} : { serviceName }),
    });
  }
}

function pick<T extends object, K extends keyof T>(source: T, keys: readonly K[]): Pick<T, K> {
  const result = {} as Pick<T, K>;
  for (const key of keys) {
    if (source[key] !== undefined) result[key] = source[key];
  }
  return result;
}
