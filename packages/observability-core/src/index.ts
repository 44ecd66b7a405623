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
export { isSampled } from "./capture/sample-by-trace";
export { TRUNCATION_MARKER, toJsonSafe, truncateText } from "./capture/to-json-safe";
export { type CheckOptionsSpec, checkOptions } from "./config/check-options";
export {
  isLoopbackUrl,
  loadNumber,
  loadString,
  loadUrl,
  type NumberSettingSource,
  readEnv,
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
  isRetryableStatus,
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
export type { ExporterStats } from "./export/export-queue";
export type { Exporter, ExporterContext, ExportResult, RecordFailure } from "./export/exporter";
export {
  createHttpClient,
  type HttpClient,
  type HttpClientOptions,
  type HttpRequest,
  type HttpResponse,
  parseJson,
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
export { describeError } from "./pipeline/error-reporter";
export type { DroppedStats, ExportStats, FlushResult } from "./pipeline/handler-stats";
export { VERSION } from "./version";
