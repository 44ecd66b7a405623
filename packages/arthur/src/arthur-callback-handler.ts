import {
  type CommonHandlerOptions,
  ConfigurationError,
  ObservabilityCallbackHandler,
  pickCommonHandlerOptions,
} from "@langchain-observability/core";
import type { ArthurModel } from "./arthur-api";
import { type ArthurExporter, createArthurExporter } from "./arthur-exporter";
import { type ArthurPasswordPrompt, createTerminalPasswordPrompt } from "./arthur-password-prompt";
import {
  ARTHUR_CONNECTION_OPTION_KEYS,
  type ArthurConnectionOptions,
  loadArthurBaseUrl,
  loadArthurCredentialSource,
  missingPasswordError,
} from "./arthur-settings";

/** Options of `new ArthurCallbackHandler(…)`: the common options, the connection, and the model. */
export interface ArthurCallbackHandlerOptions extends CommonHandlerOptions, ArthurConnectionOptions {
  /**
   * The Arthur model with its `attributes`, when you already have its schema (no model lookup).
   * Required unless `modelId` is given.
   * @default undefined
   */
  model?: ArthurModel;
  /**
   * Id of the Arthur model; loaded with its attributes on the first export. Prefer
   * `ArthurCallbackHandler.fromCredentials(modelId, …)`, which loads it up front so mistakes fail there.
   * @default undefined
   */
  modelId?: string;
}

/** Options of `ArthurCallbackHandler.fromCredentials(modelId, …)`. */
export interface ArthurFromCredentialsOptions extends CommonHandlerOptions, ArthurConnectionOptions {
  /**
   * Asks for the password when `arthurLogin` is set and neither `arthurPassword` nor env
   * `ARTHUR_PASSWORD` is. Replace it for tests or a custom terminal.
   * @default a no-echo prompt on standard input, used only when standard input is a terminal
   */
  passwordPrompt?: ArthurPasswordPrompt;
}

const CONNECTION_OPTION_KEYS = [
  ...ARTHUR_CONNECTION_OPTION_KEYS,
  "model",
  "modelId",
] as const satisfies ReadonlyArray<keyof ArthurCallbackHandlerOptions>;

/**
 * Logs every LLM and chat-model run to an Arthur model as inferences (the JavaScript counterpart of
 * the Python `ArthurCallbackHandler`). Callbacks only capture; inferences are sent in batches in the
 * background. In serverless functions, `await handler.flush()` before returning.
 */
export class ArthurCallbackHandler extends ObservabilityCallbackHandler {
  override name = "arthur_callback_handler";

  private readonly arthurExporter: ArthurExporter;

  /** For a model whose schema you have (`model`), or one loaded on the first export (`modelId`). */
  constructor(options: ArthurCallbackHandlerOptions) {
    const exporter = createArthurExporter(pick(options ?? {}, CONNECTION_OPTION_KEYS));
    super({ ...pickCommonHandlerOptions(options ?? {}), exporters: [exporter] });
    this.arthurExporter = exporter;
  }

  /**
   * Authenticates (API key, or login and password — asked for on the terminal when it is not
   * configured and standard input is a terminal), resolves the organization, and loads the model with
   * its attributes; rejects with a clear error when the credentials are refused, the model is unknown,
   * or it lacks the text input or text output attribute.
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
    await handler.arthurExporter.connect();
    return handler;
  }
}

function pick<T extends object, K extends keyof T>(source: T, keys: readonly K[]): Pick<T, K> {
  const result = {} as Pick<T, K>;
  for (const key of keys) {
    if (source[key] !== undefined) result[key] = source[key];
  }
  return result;
}
