// The public surface of core: what users and vendor packages need, nothing else. Internal on
// purpose (use these instead): `describeError` (the kit describes what `map`/`send` throw),
// `parseJson` (`HttpResponse.body` is already parsed), `readEnv` (`loadString({ option, value, envVar })`),
// `toJsonSafe`, `isSampled`, `isLoopbackUrl`, `isRetryableStatus` (`VendorApiError` derives
// `isRetryable` from its status), the export queue and its counters (`ExportStats` has them).
// `api-report/core.api.md` records this list; `pnpm api:check` fails when it changes unnoticed.
export type {
  ChatMessage,
  ChatRole,
  ContentPart,
  LLMRunRecord,
  OutputCandidate,
  RecordModel,
  RecordOutput,
  RecordTiming,
  RecordUsage,
  ToolCall,
} from "./capture/llm-run-record";
export {
  isRunSpanRecord,
  type RunSpanDocument,
  type RunSpanEvent,
  type RunSpanGraphPosition,
  type RunSpanKind,
  type RunSpanRecord,
} from "./capture/run-span-record";
export { TRUNCATION_MARKER, truncateText } from "./capture/to-json-safe";
export { type CheckOptionsSpec, checkOptions } from "./config/check-options";
export {
  loadNumber,
  loadString,
  loadUrl,
  type NumberSettingSource,
  requireString,
  type SettingSource,
  type UrlSettingSource,
} from "./config/load-setting";
export {
  ConfigurationError,
  type ConfigurationErrorOptions,
  type DeliveryOutcome,
  ExportTimeoutError,
  type ExportTimeoutErrorOptions,
  ObservabilityError,
  type ObservabilityErrorOptions,
  VendorApiError,
  type VendorApiErrorOptions,
} from "./errors/index";
export {
  createVendorExporter,
  toRecordFailure,
  type VendorExporter,
  type VendorExporterOptions,
  type VendorRecordFailure,
  type VendorSendContext,
  type VendorSendItem,
} from "./export/create-vendor-exporter";
export type { Exporter, ExporterContext, ExportResult, RecordFailure } from "./export/exporter";
export { formatIsoTime } from "./export/format-iso-time";
export { utf8Length } from "./export/utf8-length";
export {
  createHttpClient,
  type HttpClient,
  type HttpClientOptions,
  type HttpRequest,
  type HttpResponse,
  redactSecrets,
} from "./http/create-http-client";
export {
  ObservabilityCallbackHandler,
  type ObservabilityCallbackHandlerOptions,
} from "./observability-callback-handler";
export {
  COMMON_HANDLER_OPTION_ALIASES,
  COMMON_HANDLER_OPTION_KEYS,
  type CommonHandlerOptions,
  type ExporterHttpOptions,
  type HttpSettings,
  isCommonHandlerOption,
  loadHttpSettings,
  pickCommonHandlerOptions,
} from "./observability-handler-options";
export type { DroppedStats, ExportStats, FlushResult } from "./pipeline/handler-stats";
export { VERSION } from "./version";
