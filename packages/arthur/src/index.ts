export type {
  ArthurAttribute,
  ArthurInference,
  ArthurInferenceResult,
  ArthurInferenceValue,
  ArthurModel,
  ArthurMultiStatusResponse,
  ArthurStage,
  ArthurTokenLikelihoods,
  ArthurValueType,
} from "./arthur-api";
export { type ArthurAttributeMapping, resolveArthurAttributes } from "./arthur-attributes";
export {
  ArthurCallbackHandler,
  type ArthurCallbackHandlerOptions,
  type ArthurFromCredentialsOptions,
} from "./arthur-callback-handler";
export { type ArthurExporter, type ArthurExporterOptions, exportArthur } from "./arthur-exporter";
export {
  type ArthurPasswordPrompt,
  createTerminalPasswordPrompt,
  type TerminalPasswordPromptOptions,
} from "./arthur-password-prompt";
export { type ArthurConnectionOptions, DEFAULT_ARTHUR_URL } from "./arthur-settings";
export {
  formatArthurTranscript,
  mapRecordToArthur,
  readTokenLikelihoods,
} from "./map-record-to-arthur";
export { VERSION } from "./version";
