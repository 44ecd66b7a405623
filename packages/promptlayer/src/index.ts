export type { PromptLayerLangChainTemplate } from "./convert-promptlayer-template";
export type {
  PromptLayerAttributeValue,
  PromptLayerChatTemplate,
  PromptLayerCompletionResponse,
  PromptLayerCompletionTemplate,
  PromptLayerContentBlock,
  PromptLayerContentPart,
  PromptLayerErrorType,
  PromptLayerGetTemplateBody,
  PromptLayerGetTemplateResponse,
  PromptLayerLogChatTemplate,
  PromptLayerLogCompletionTemplate,
  PromptLayerLogMessage,
  PromptLayerLogRequest,
  PromptLayerLogTemplate,
  PromptLayerMessage,
  PromptLayerPromptTemplate,
  PromptLayerRequestId,
  PromptLayerSpan,
  PromptLayerSpanKind,
  PromptLayerSpansBulkBody,
  PromptLayerSpansBulkResponse,
  PromptLayerTemplateFormat,
  PromptLayerTemplateMessage,
  PromptLayerToolCall,
  PromptLayerTrackRequestBody,
  PromptLayerTrackRequestResponse,
} from "./promptlayer-api";
export {
  PromptLayerCallbackHandler,
  type PromptLayerCallbackHandlerOptions,
} from "./promptlayer-callback-handler";
export {
  PromptLayerClient,
  type PromptLayerClientOptions,
  type PromptLayerGetTemplateOptions,
  type PromptLayerGroupsApi,
  type PromptLayerTemplate,
  type PromptLayerTemplatesApi,
  type PromptLayerTrackApi,
  type PromptLayerTrackGroupOptions,
  type PromptLayerTrackMetadataOptions,
  type PromptLayerTrackPromptOptions,
  type PromptLayerTrackScoreOptions,
} from "./promptlayer-client";
export {
  createPromptLayerExporter,
  exportPromptLayer,
  type PromptLayerExporter,
} from "./promptlayer-exporter";
export {
  PROMPTLAYER_DEFAULT_BASE_URL,
  type PromptLayerConnectionOptions,
  type PromptLayerExporterOptions,
  type PromptLayerIdCallback,
  type PromptLayerTransport,
} from "./promptlayer-settings";
export { VERSION } from "./version";
