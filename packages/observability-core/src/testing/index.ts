export { decodeOtlpTraceRequest } from "../otlp/decode-otlp-protobuf";
export {
  createSeededFaults,
  type EmulatorFault,
  type EmulatorFaultRequest,
  type FaultGenerator,
  type SeededFaultsOptions,
} from "./emulator-fault";
export {
  type FakeChatResponse,
  FakeDetailedChatModel,
  type FakeDetailedChatModelFields,
  FakeDetailedLLM,
  type FakeDetailedLLMFields,
} from "./fake-models";
export {
  createMemoryExporter,
  type MemoryExporter,
  type MemoryExporterOptions,
  type MemorySpanExporter,
} from "./memory-exporter";
export { type NormalizeForSnapshotOptions, normalizeForSnapshot } from "./normalize-for-snapshot";
export { buildSpanTrees, type FormatSpanTreeOptions, formatSpanTrees, type SpanTreeNode } from "./span-tree";
export {
  type Emulator,
  type EmulatorAnswer,
  type EmulatorRequest,
  type EmulatorRequestLog,
  type EmulatorRespondContext,
  type StartEmulatorOptions,
  startEmulator,
} from "./start-emulator";
export { type MockServer, type StartMockServerOptions, startMockServer } from "./start-mock-server";
