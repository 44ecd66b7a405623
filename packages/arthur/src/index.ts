export type {
  ArthurAttribute,
  ArthurInference,
  ArthurInferenceResult,
  ArthurInferenceValue,
  ArthurModel,
  ArthurMultiStatusResponse,
  ArthurStage,
  ArthurTaskConnectionInfo,
  ArthurTaskValidationKey,
  ArthurTokenLikelihoods,
  ArthurTraceIngestionResponse,
  ArthurValueType,
} from "./arthur-api";
export {
  ArthurCallbackHandler,
  type ArthurCallbackHandlerOptions,
  type ArthurFromCredentialsOptions,
  type ArthurFromPlatformOptions,
} from "./arthur-callback-handler";
export {
  ArthurClient,
  type ArthurClientCallOptions,
  type ArthurClientOptions,
  type ArthurEngineConnection,
  type ResolveArthurEngineConnectionOptions,
  resolveArthurEngineConnection,
} from "./arthur-client";
export {
  type ArthurEngineExporter,
  type ArthurEngineExporterOptions,
  type ArthurExporter,
  type ArthurExporterOptions,
  createArthurEngineExporter,
  createArthurExporter,
  exportArthur,
} from "./arthur-exporter";
export type { ArthurPasswordPrompt } from "./arthur-password-prompt";
export {
  ARTHUR_DEFAULT_BASE_URL,
  type ArthurConnectionOptions,
  type ArthurEngineConnectionOptions,
  type ArthurPlatformOptions,
  DEFAULT_ARTHUR_URL,
} from "./arthur-settings";
export { VERSION } from "./version";
