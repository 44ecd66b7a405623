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
export { buildSpanTrees, type FormatSpanTreeOptions, formatSpanTrees, type SpanTreeNode } from "./span-tree";
export { type MockServer, type StartMockServerOptions, startMockServer } from "./start-mock-server";
