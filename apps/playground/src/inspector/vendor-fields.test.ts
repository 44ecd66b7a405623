import { HumanMessage, SystemMessage } from "@langchain/core/messages";
import { ObservabilityCallbackHandler } from "@langchain-observability/core";
import { createMemoryExporter, FakeDetailedChatModel } from "@langchain-observability/core/testing";
import { createTrubricsExporter } from "@langchain-observability/trubrics";
import { decodeFirestoreFields, startTrubricsEmulator } from "@langchain-observability/trubrics/testing";
import { describe, expect, it } from "vitest";
import { createRecordingFetch, createSecretList, type RecordedExchange } from "./recording-fetch";
import {
  extractTrubricsPromptDocument,
  type FieldValues,
  fieldsOfRecord,
  parseArthurTranscript,
} from "./vendor-fields";

describe("reading fields back from what a vendor was sent", () => {
  it("reads a legacy Trubrics prompt document (email and password) like the record it came from", async () => {
    const emulator = await startTrubricsEmulator({
      users: [{ email: "me@example.com", password: "pw-123456" }],
    });
    const exchanges: RecordedExchange[] = [];
    let sequence = 0;
    const memory = createMemoryExporter();
    const handler = new ObservabilityCallbackHandler({
      exporters: [
        memory,
        createTrubricsExporter({
          email: "me@example.com",
          password: "pw-123456",
          identityToolkitUrl: emulator.url,
          firestoreUrl: emulator.url,
          fetch: createRecordingFetch({
            column: "trubrics",
            secrets: createSecretList(),
            nextId: () => ++sequence,
            onExchange: (exchange, phase) => phase === "sent" && exchanges.push(exchange),
          }),
        }),
      ],
      userId: "user-7",
      tags: ["inspector"],
    });
    try {
      const model = new FakeDetailedChatModel({
        model: "fake-chat-model",
        responses: [
          {
            content: "",
            toolCalls: [{ id: "call_1", name: "lookup", args: { query: "otters" } }],
            usage: { input_tokens: 9, output_tokens: 4, total_tokens: 13 },
          },
        ],
      });
      await model.invoke([new SystemMessage("Be brief."), new HumanMessage("Otters?")], {
        callbacks: [handler],
        metadata: { session_id: "s-1", feature: "search" },
      });
      await handler.flush();
    } finally {
      await handler.shutdown();
      await emulator.close();
    }
    const record = memory.records[0]!;
    const write = exchanges.find((exchange) => exchange.path.endsWith("/prompts"));
    if (!write) throw new Error("no prompt document was written");
    const fields = (write.requestBody as { fields: Record<string, unknown> }).fields;
    const [call] = extractTrubricsPromptDocument(decodeFirestoreFields(fields), write.id).modelCalls;
    expect(call?.runId).toBe(record.runId);
    const displayed = (values: FieldValues) =>
      Object.fromEntries(Object.entries(values).map(([name, cell]) => [name, cell?.display]));
    const { latency: _latency, ...core } = fieldsOfRecord(record);
    expect({ core: displayed(core), trubrics: displayed(call!.fields) }).toMatchInlineSnapshot(`
      {
        "core": {
          "messages": "system: Be brief.
      user: Otters?",
          "metadata": "feature=search",
          "model": "fake-chat-model",
          "output": "→ lookup({"query":"otters"})",
          "session": "s-1",
          "tags": "inspector",
          "tokens": "in 9 · out 4 · total 13",
          "user": "user-7",
        },
        "trubrics": {
          "messages": "system: Be brief.
      user: Otters?",
          "metadata": "feature=search",
          "model": "fake-chat-model",
          "output": "→ lookup({"query":"otters"})",
          "session": "s-1",
          "tags": "langchain, inspector",
          "tokens": "in 9 · out 4 · total 13",
          "user": "user-7",
        },
      }
    `);
    // The password never shows: not in the sign-in body, nor in any later request.
    expect(JSON.stringify(exchanges)).not.toContain("pw-123456");
  });

  it("reads back Arthur's role-labelled transcript, tool calls included", () => {
    expect(
      parseArthurTranscript(
        'System: Be brief.\nHuman: Otters?\nAI: [{"name":"lookup","args":{"query":"otters"},"id":"call_1"}]\nTool: Otters are\nsemi-aquatic.',
      ),
    ).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "Otters?" },
      { role: "assistant", content: "", toolCalls: [{ name: "lookup", args: { query: "otters" } }] },
      { role: "tool", content: "Otters are\nsemi-aquatic." },
    ]);
    // A prompt that is not a transcript stays a prompt.
    expect(parseArthurTranscript("Tell me a joke")).toBeUndefined();
  });
});
