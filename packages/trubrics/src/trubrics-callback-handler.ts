import {
  COMMON_HANDLER_OPTION_KEYS,
  type CommonHandlerOptions,
  ConfigurationError,
  isCommonHandlerOption,
  ObservabilityCallbackHandler,
} from "@langchain-observability/core";
import { createTrubricsExporterFromSettings } from "./trubrics-exporter";
import {
  isSecretLikeKey,
  loadTrubricsSettings,
  requireOptionsObject,
  suggestTrubricsOption,
  TRUBRICS_EXPORTER_OPTION_KEYS,
  type TrubricsExporterOptions,
} from "./trubrics-settings";

const OWNER = "TrubricsCallbackHandler";

/**
 * Options of `TrubricsCallbackHandler`: the Python handler's (`project`, `email`, `password`, `tags`,
 * `user_id`, `session_id`, any other key as metadata), the current API's (`apiKey`, `baseUrl` or its
 * alias `host`), the legacy API's hosts, and the options every handler of this project accepts.
 */
export interface TrubricsCallbackHandlerOptions extends CommonHandlerOptions, TrubricsExporterOptions {
  /** Alias of `userId`, spelled as in the Python handler. @default undefined */
  user_id?: string;
  /** Alias of `sessionId`, spelled as in the Python handler. @default undefined */
  session_id?: string;
  /**
   * Any other key goes into the metadata of every record, as the Python handler's `**kwargs` do
   * (an entry of the `metadata` option with the same key wins). A key close to an option's name
   * (`url`, `timeoutMS`, `sessionID`, `Host` …) or that looks like a secret (`api_key`, `token`,
   * `password` … in any case or inside a longer name) is refused with a `ConfigurationError`.
   */
  [metadataKey: string]: unknown;
}

const ALIAS_OPTION_KEYS = { user_id: "userId", session_id: "sessionId" } as const;

/** The option keys that are options, not metadata (everything else a user passes becomes metadata). */
export const TRUBRICS_OPTION_KEYS: readonly string[] = Object.freeze([
  ...Object.keys(COMMON_HANDLER_OPTION_KEYS),
  ...Object.keys(TRUBRICS_EXPORTER_OPTION_KEYS).filter((key) => !isCommonHandlerOption(key)),
  ...Object.keys(ALIAS_OPTION_KEYS),
]);

/**
 * Sends every LLM and chat-model run of LangChain.js to Trubrics: to the ingestion API with `apiKey`
 * (or env `TRUBRICS_API_KEY`), else to the legacy platform API with `email`/`password` (or env
 * `TRUBRICS_EMAIL`/`TRUBRICS_PASSWORD`). Construction checks the options and does no I/O; records
 * are sent in the background (`await handler.flush()` before a serverless function returns).
 */
export class TrubricsCallbackHandler extends ObservabilityCallbackHandler {
  override name = "trubrics_callback_handler";
  /** Which Trubrics API this handler sends to. */
  readonly transport: "ingestion" | "legacy";

  constructor(options: TrubricsCallbackHandlerOptions = {}) {
    requireOptionsObject(options, OWNER);
    const { common, exporter } = splitTrubricsOptions(options ?? {});
    const trubricsExporter = createTrubricsExporterFromSettings(loadTrubricsSettings(exporter));
    super({ ...common, exporters: [trubricsExporter] });
    this.transport = trubricsExporter.transport;
  }
}

/** Splits the user's options into core's, the exporter's, and extra keys (which join the metadata). */
function splitTrubricsOptions(options: TrubricsCallbackHandlerOptions): {
  common: CommonHandlerOptions;
  exporter: TrubricsExporterOptions;
} {
  const common: Record<string, unknown> = {};
  const exporter: Record<string, unknown> = {};
  const extraMetadata: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (isCommonHandlerOption(key)) common[key] = value;
    if (Object.hasOwn(TRUBRICS_EXPORTER_OPTION_KEYS, key)) exporter[key] = value;
    if (
      !isCommonHandlerOption(key) &&
      !Object.hasOwn(TRUBRICS_EXPORTER_OPTION_KEYS, key) &&
      !Object.hasOwn(ALIAS_OPTION_KEYS, key)
    ) {
      checkMetadataKey(key);
      if (value !== undefined) extraMetadata[key] = value;
    }
  }

  for (const [alias, option] of Object.entries(ALIAS_OPTION_KEYS)) {
    const aliasValue = options[alias];
    if (aliasValue === undefined || aliasValue === null) continue;
    if (typeof aliasValue !== "string") {
      throw new ConfigurationError({ message: `\`${alias}\` must be a string.`, option: alias });
    }
    const value = common[option];
    if (value === undefined || value === null) common[option] = aliasValue;
    else if (value !== aliasValue) {
      throw new ConfigurationError({
        message: `\`${option}\` and its alias \`${alias}\` have different values; pass one of them.`,
        option,
      });
    }
  }

  const metadata = common.metadata;
  const mergeable =
    metadata === undefined || metadata === null || (typeof metadata === "object" && !Array.isArray(metadata));
  // A `metadata` of the wrong type is left for core to reject with its own message.
  if (Object.keys(extraMetadata).length > 0 && mergeable) {
    common.metadata = { ...extraMetadata, ...(metadata as Record<string, unknown> | null | undefined) };
  }
  return { common: common as CommonHandlerOptions, exporter: exporter as TrubricsExporterOptions };
}

/**
 * The two guards on the Python handler's `**kwargs`: a key that nearly spells an option is a typo,
 * not metadata (it would silently do nothing); a key that looks like a secret would be sent to
 * Trubrics in every record. Neither value is printed.
 */
function checkMetadataKey(key: string): void {
  const suggestion = suggestTrubricsOption(key, TRUBRICS_OPTION_KEYS);
  if (suggestion) {
    throw new ConfigurationError({
      message: `Unknown option \`${key}\` of ${OWNER}; did you mean \`${suggestion}\`? (Other keys become metadata; put it under \`metadata\` if it is meant as metadata.)`,
      option: key,
    });
  }
  if (isSecretLikeKey(key)) {
    throw new ConfigurationError({
      message: `\`${key}\` of ${OWNER} looks like a secret, and keys that are not options are sent to Trubrics as metadata, so it is refused. Pass the Trubrics key as \`apiKey\` (or env TRUBRICS_API_KEY), and keep other credentials out of the handler's options.`,
      option: key,
    });
  }
}
