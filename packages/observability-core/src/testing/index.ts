export { decodeOtlpTraceRequest } from "../otlp/decode-otlp-protobuf";
export {
  type FakeChatResponse,
  FakeDetailedChatModel,
  type FakeDetailedChatModelFields,
  FakeDetailedLLM,
  type FakeDetailedLLMFields,
} from "./fake-models";
export { createMemoryExporter, type MemoryExporter, type MemoryExporterOptions } from "./memory-exporter";
export { type MockServer, type StartMockServerOptions, startMockServer } from "./start-mock-server";
