import { HumanMessage, SystemMessage, AIMessage } from "@langchain/core/messages";
import { ObservabilityCallbackHandler } from "@langchain-observability/core";
import { createMemoryExporter } from "@langchain-observability/core/testing";
const exporter = createMemoryExporter();
const handler = new ObservabilityCallbackHandler({ exporters: [exporter], flushIntervalMs: 1e9 });
const llm = { lc: 1, type: "constructor", id: ["langchain", "chat_models", "fake-list", "FakeListChatModel"], kwargs: {} } as any;
const msgs = [[new SystemMessage("You are a helpful assistant."), new HumanMessage("What is the capital of France?")]];
const extra = { invocation_params: { model: "x", temperature: 0.1 }, options: {}, batch_size: 1 };
const meta = { ls_provider: "fake", ls_model_name: "x", ls_model_type: "chat", versions: { "@langchain/core": "1.4.0" } };
const output = { generations: [[{ text: "Paris.", message: new AIMessage("Paris."), generationInfo: {} }]] };
let total = 0, n = 0;
for (let r = 0; r < 400; r++) {
  const t = performance.now();
  for (let i = 0; i < 500; i++) {
    const id = "run-" + i;
    handler.handleChatModelStart(llm, msgs, id, undefined, extra, [], meta, undefined);
    handler.handleLLMEnd(output as any, id);
  }
  await handler.flush();
  if (r > 50) { total += performance.now() - t; n += 500; }
  exporter.records.length = 0; exporter.batches.length = 0;
}
console.log("capture+flush µs/record", (total * 1000 / n).toFixed(2));
process.exit(0);
