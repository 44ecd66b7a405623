import {
  COMMON_HANDLER_OPTION_KEYS,
  type CommonHandlerOptions,
  checkOptions,
  isCommonHandlerOption,
  ObservabilityCallbackHandler,
} from "@langchain-observability/core";
import { createTrubricsExporterFromSettings } from "./trubrics-exporter";
import {
  loadTrubricsSettings,
  requireOptionsObject,
  TRUBRICS_EXPORTER_OPTION_KEYS,
  TRUBRICS_NEAR_MISS_SPELLINGS,
  type TrubricsExporterOptions,
} from "./trubrics-settings";

const OWNER = "TrubricsCallbackHandler";

/**
 * Options of `TrubricsCallbackHandler`: the Python handler's (`project`, `email`, `password`, `tags`,
 * `user_id`, `session_id`, any other key as metadata), the current API's (`apiKey`, `baseUrl` or its
 * alias `host`), the legacy API's hosts, and the options every handler of this project accepts.
 */
export interface TrubricsCallbackHandlerOptions extends CommonHandlerOptions, TrubricsExporterOptions {
  /**
   * Any other key goes into the metadata of every record, as the Python handler's `**kwargs` do
   * (an entry of the `metadata` option with the same key wins). A key close to an option's name
   * (`url`, `timeoutMS`, `sessionID`, `Host` …) or that looks like a secret (`api_key`, `token`,
   * `password` … in any case, also inside a longer name) is refused with a `ConfigurationError`.
   */
  [metadataKey: string]: unknown;
}

/** The option keys that are options, not metadata (everything else a user passes becomes metadata). */
export const TRUBRICS_OPTION_KEYS: readonly string[] = Object.freeze([
  ...Object.keys(COMMON_HANDLER_OPTION_KEYS),
  ...Object.keys(TRUBRICS_EXPORTER_OPTION_KEYS).filter((key) => !isCommonHandlerOption(key)),
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

/**
 * Splits the user's options into core's, the exporter's, and extra keys, which join the metadata as
 * the Python handler's `**kwargs`. Core's `checkOptions` guards the extra keys: one that nearly
 * spells an option is a typo (it would silently do nothing), one that looks like a secret would be
 * sent to Trubrics in every record; both are errors that never print the value.
 */
function splitTrubricsOptions(options: TrubricsCallbackHandlerOptions): {
  common: CommonHandlerOptions;
  exporter: TrubricsExporterOptions;
} {
  const extraKeys = new Set(
    checkOptions(options, {
      known: TRUBRICS_OPTION_KEYS,
      aliases: TRUBRICS_NEAR_MISS_SPELLINGS,
      owner: OWNER,
      unknownKeys: "allow",
    }),
  );
  const common: Record<string, unknown> = {};
  const exporter: Record<string, unknown> = {};
  const extraMetadata: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (isCommonHandlerOption(key)) common[key] = value;
    if (Object.hasOwn(TRUBRICS_EXPORTER_OPTION_KEYS, key)) exporter[key] = value;
    if (extraKeys.has(key) && value !== undefined) extraMetadata[key] = value;
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
