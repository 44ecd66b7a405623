export {
  convertPromptLayerTemplate,
  type PromptLayerLangChainTemplate,
  toFStringTemplate,
} from "./convert-promptlayer-template";
export { type MapRecordToPromptLayerOptions, mapRecordToPromptLayer } from "./map-record-to-promptlayer";
export type {
  PromptLayerChatTemplate,
  PromptLayerCompletionResponse,
  PromptLayerCompletionTemplate,
  PromptLayerContentPart,
  PromptLayerGetTemplateBody,
  PromptLayerGetTemplateResponse,
  PromptLayerMessage,
  PromptLayerPromptTemplate,
  PromptLayerRequestId,
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
  exportPromptLayer,
  type PromptLayerExporterOptions,
  type PromptLayerIdCallback,
} from "./promptlayer-exporter";
export { PROMPTLAYER_DEFAULT_BASE_URL, type PromptLayerConnectionOptions } from "./promptlayer-settings";
export { VERSION } from "./version";
