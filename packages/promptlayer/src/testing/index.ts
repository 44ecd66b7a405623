export {
  PROMPTLAYER_ROUTES,
  type PromptLayerEmulator,
  type PromptLayerEmulatorOptions,
  type PromptLayerEmulatorStored,
  type PromptLayerEmulatorTemplate,
  type PromptLayerSpansBulkAnswer,
  type PromptLayerStoredRequestLog,
  type PromptLayerStoredSpan,
  type PromptLayerTrackedRequest,
  startPromptLayerEmulator,
} from "./promptlayer-emulator";
