export {
  createPromptLayerEmulator,
  type PromptLayerEmulator,
  type PromptLayerEmulatorOptions,
  type PromptLayerEmulatorTemplate,
  type PromptLayerFault,
  type PromptLayerRandomFaults,
  type PromptLayerReceivedRequest,
  type PromptLayerTrackedRequest,
} from "./promptlayer-emulator";
