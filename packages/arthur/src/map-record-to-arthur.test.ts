import {
  AIMessage,
  getBufferString,
  HumanMessage,
  ChatMessage as LangChainChatMessage,
  SystemMessage,
  ToolMessage,
} from "@langchain/core/messages";
import { type ChatMessage, ConfigurationError, type LLMRunRecord } from "@langchain-observability/core";
import { describe, expect, it } from "vitest";
import type { ArthurAttribute, ArthurModel } from "./arthur-api";
import {
  type ArthurAttributeMapping,
  formatArthurTranscript,
  mapRecordToArthur,
  readTokenLikelihoods,
  resolveArthurAttributes,
} from "./map-record-to-arthur";
import { createArthurTokenSequenceModel } from "./testing/index";

const ALL: ArthurAttributeMapping = {
  input: "input_text",
  output: "output_text",
  tokenLikelihoods: "likelihoods",
  finishReason: "finish_reason",
  promptTokens: "prompt_tokens",
  completionTokens: "completion_tokens",
  duration: "duration",
};
const BARE: ArthurAttributeMapping = { input: "prompt", output: "completion" };

function record(overrides: Partial<LLMRunRecord> = {}): LLMRunRecord {
  return {
    schemaVersion: 1,
    recordId: "run-1",
    runId: "run-1",
    traceId: "run-1",
    kind: "llm",
    name: "FakeLLM",
    serializedId: ["langchain", "llms", "fake", "FakeLLM"],
    model: { name: "fake-model", params: {} },
    input: { prompt: "Say hi" },
    output: { text: "Hi!", finishReason: "stop" },
    usage: { inputTokens: 3, outputTokens: 2, totalTokens: 5, source: "provider" },
    timing: { startTime: 1_700_000_000_000, endTime: 1_700_000_001_250, latencyMs: 1250 },
    status: "success",
    cached: false,
    tags: ["t"],
    metadata: { a: 1 },
    ...overrides,
  };
}

describe("mapRecordToArthur", () => {
  it("maps a text record with every optional attribute declared", () => {
    const logprobs = { top_logprobs: [{ Hi: 0, Hello: Math.log(0.25) }, { "!": Math.log(0.5) }] };
    expect(
      mapRecordToArthur(record({ output: { text: "Hi!", finishReason: "stop", logprobs } }), ALL),
    ).toMatchInlineSnapshot(`
        [
          {
            "inference_data": {
              "completion_tokens": 2,
              "duration": 1.25,
              "finish_reason": "stop",
              "input_text": "Say hi",
              "likelihoods": [
                {
                  "Hello": 0.25,
                  "Hi": 1,
                },
                {
                  "!": 0.5,
                },
              ],
              "output_text": "Hi!",
              "prompt_tokens": 3,
            },
            "inference_timestamp": "2023-11-14T22:13:21.250Z",
            "partner_inference_id": "run-1",
          },
        ]
      `);
  });

  it("maps a text record with no optional attribute declared", () => {
    expect(mapRecordToArthur(record(), BARE)).toMatchInlineSnapshot(`
      [
        {
          "inference_data": {
            "completion": "Hi!",
            "prompt": "Say hi",
          },
          "inference_timestamp": "2023-11-14T22:13:21.250Z",
          "partner_inference_id": "run-1",
        },
      ]
    `);
  });

  it("maps every candidate, keeping the record id for the first", () => {
    const inferences = mapRecordToArthur(
      record({
        recordId: "run-2:1",
        output: {
          text: "one",
          candidates: [
            { text: "one", finishReason: "stop" },
            { text: "two", finishReason: "length" },
          ],
        },
      }),
      ALL,
    );
    expect(inferences.map((inference) => [inference.partner_inference_id, inference.inference_data])).toEqual(
      [
        [
          "run-2:1",
          {
            input_text: "Say hi",
            output_text: "one",
            finish_reason: "stop",
            prompt_tokens: 3,
            completion_tokens: 2,
            duration: 1.25,
          },
        ],
        [
          "run-2:1#1",
          {
            input_text: "Say hi",
            output_text: "two",
            finish_reason: "length",
            prompt_tokens: 3,
            completion_tokens: 2,
            duration: 1.25,
          },
        ],
      ],
    );
  });

  it.each([
    ["usage unknown", { source: "none" as const }, {}],
    ["only output tokens", { outputTokens: 4, source: "stream" as const }, { completion_tokens: 4 }],
    [
      "zero tokens",
      { inputTokens: 0, outputTokens: 0, source: "provider" as const },
      { prompt_tokens: 0, completion_tokens: 0 },
    ],
  ])("sends token counts only when known (%s)", (_label, usage, expected) => {
    const [inference] = mapRecordToArthur(record({ usage }), {
      ...BARE,
      promptTokens: "prompt_tokens",
      completionTokens: "completion_tokens",
    });
    expect(inference?.inference_data).toEqual({ prompt: "Say hi", completion: "Hi!", ...expected });
  });

  it.each([
    ["error", "error"],
    ["cancelled", "cancelled"],
  ] as const)(
    "maps a %s run with an empty output and its status as finish_reason",
    (status, finishReason) => {
      const [inference] = mapRecordToArthur(
        record({ status, output: { text: "" }, error: { name: "Error", message: "boom" } }),
        ALL,
      );
      expect(inference?.inference_data).toMatchObject({ output_text: "", finish_reason: finishReason });
    },
  );

  it("uses the ISO end time as inference_timestamp", () => {
    expect(mapRecordToArthur(record(), BARE)[0]?.inference_timestamp).toBe("2023-11-14T22:13:21.250Z");
  });

  it("uses the transcript for chat runs and the prompt when content is not captured", () => {
    const chat = record({
      kind: "chat",
      input: {
        prompt: "Hi",
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "Hi" },
        ],
      },
    });
    expect(mapRecordToArthur(chat, BARE)[0]?.inference_data.prompt).toBe("System: Be brief.\nHuman: Hi");
    const withoutContent = record({ kind: "chat", input: { prompt: "" }, output: { text: "" } });
    expect(mapRecordToArthur(withoutContent, BARE)[0]?.inference_data).toEqual({
      prompt: "",
      completion: "",
    });
  });
});

describe("formatArthurTranscript", () => {
  it("labels every role like getBufferString, one message per line", () => {
    const messages: ChatMessage[] = [
      { role: "system", content: "Be brief." },
      { role: "user", content: "Weather?", name: "alice" },
      {
        role: "assistant",
        content: "",
        toolCalls: [{ id: "call_1", name: "get_weather", args: { city: "Paris" } }],
      },
      { role: "tool", content: "21 °C", toolCallId: "call_1" },
      { role: "assistant", content: "", functionCall: { name: "lookup", arguments: '{"q":"x"}' } },
      { role: "function", content: "found", name: "lookup" },
      { role: "critic", content: "Looks right." },
      { role: "assistant", content: "It is 21 °C." },
    ];
    expect(formatArthurTranscript(messages)).toMatchInlineSnapshot(`
      "System: Be brief.
      Human: alice, Weather?
      AI: [{"name":"get_weather","args":{"city":"Paris"},"id":"call_1"}]
      Tool: 21 °C
      AI: {"name":"lookup","arguments":"{\\"q\\":\\"x\\"}"}
      Function: lookup, found
      critic: Looks right.
      AI: It is 21 °C."
    `);
  });

  it("matches LangChain's getBufferString for plain messages", () => {
    const langchain = [
      new SystemMessage("Be brief."),
      new HumanMessage("Hi"),
      new AIMessage("Hello!"),
      new ToolMessage({ content: "42", tool_call_id: "c1" }),
      new LangChainChatMessage("Looks right.", "critic"),
    ];
    const normalized: ChatMessage[] = [
      { role: "system", content: "Be brief." },
      { role: "user", content: "Hi" },
      { role: "assistant", content: "Hello!" },
      { role: "tool", content: "42", toolCallId: "c1" },
      { role: "critic", content: "Looks right." },
    ];
    expect(formatArthurTranscript(normalized)).toBe(getBufferString(langchain));
  });

  it("renders multimodal parts as placeholders", () => {
    expect(
      formatArthurTranscript([
        {
          role: "user",
          content: "What is this?",
          parts: [
            { type: "text", text: "What is this?" },
            { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
            { type: "input_audio", data: "AAAA" },
            { type: "reasoning", reasoning: "hidden" },
            { type: "custom" },
          ],
        },
      ]),
    ).toBe("Human: What is this?[image][audio][custom]");
  });
});

describe("readTokenLikelihoods", () => {
  it.each([
    ["absent", undefined, undefined],
    ["null", null, undefined],
    ["a string", "nope", undefined],
    ["completion format without top_logprobs", { tokens: ["a"], token_logprobs: [-0.1] }, undefined],
    ["completion format with only null entries", { top_logprobs: [null, null] }, undefined],
    ["chat format without top_logprobs", { content: [{ token: "a", logprob: -0.1 }] }, undefined],
    [
      "chat format with empty top_logprobs",
      { content: [{ token: "a", logprob: -0.1, top_logprobs: [] }] },
      undefined,
    ],
    ["chat format with null content", { content: null }, undefined],
    ["empty chat content", { content: [] }, undefined],
    [
      "completion format",
      { top_logprobs: [{ a: 0 }, null, { b: Math.log(0.5) }] },
      [{ a: 1 }, {}, { b: 0.5 }],
    ],
    [
      "chat format",
      { content: [{ token: "a", logprob: 0, top_logprobs: [{ token: "a", logprob: 0 }] }] },
      [{ a: 1 }],
    ],
    [
      "chat format as a bare list",
      [{ token: "a", logprob: 0, top_logprobs: [{ token: "a", logprob: 0 }] }],
      [{ a: 1 }],
    ],
    [
      "chat format where one token has no alternatives",
      {
        content: [
          { token: "a", logprob: 0, top_logprobs: [{ token: "a", logprob: 0 }] },
          { token: "b", logprob: Math.log(0.25) },
        ],
      },
      [{ a: 1 }, { b: 0.25 }],
    ],
    [
      "non-finite logprobs skipped",
      { top_logprobs: [{ a: Number.NEGATIVE_INFINITY, b: "x", c: 0 }] },
      [{ c: 1 }],
    ],
  ])("%s", (_label, logprobs, expected) => {
    expect(readTokenLikelihoods(logprobs)).toEqual(expected);
  });

  it("keeps the 5 most likely pairs per token", () => {
    const top = Object.fromEntries(
      ["a", "b", "c", "d", "e", "f", "g"].map((token, index) => [token, -index]),
    );
    const [first] = readTokenLikelihoods({ top_logprobs: [top] }) ?? [];
    expect(Object.keys(first ?? {})).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("keeps a token named __proto__ as a plain key", () => {
    const [first] =
      readTokenLikelihoods({
        content: [{ token: "__proto__", logprob: 0, top_logprobs: [{ token: "__proto__", logprob: 0 }] }],
      }) ?? [];
    expect(Object.keys(first ?? {})).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(first)).toBe(Object.prototype);
  });
});

function model(attributes: Array<Pick<ArthurAttribute, "name" | "stage" | "value_type">>): ArthurModel {
  return { id: "m-1", attributes };
}

const TEXT_IN = { name: "question", stage: "PIPELINE_INPUT", value_type: "UNSTRUCTURED_TEXT" };
const TEXT_OUT = { name: "answer", stage: "PREDICTED_VALUE", value_type: "UNSTRUCTURED_TEXT" };

describe("resolveArthurAttributes", () => {
  it("finds every attribute of a full token sequence model", () => {
    expect(resolveArthurAttributes(createArthurTokenSequenceModel())).toEqual({
      input: "input_text",
      output: "output_text",
      tokenLikelihoods: "output_likelihoods",
      finishReason: "finish_reason",
      promptTokens: "prompt_tokens",
      completionTokens: "completion_tokens",
      duration: "duration",
    });
  });

  it.each([
    ["only the two text attributes", [TEXT_IN, TEXT_OUT], { input: "question", output: "answer" }],
    [
      "the first text attribute of each stage",
      [
        { name: "tokens_in", stage: "PIPELINE_INPUT", value_type: "TOKENS" },
        TEXT_IN,
        { name: "context", stage: "PIPELINE_INPUT", value_type: "UNSTRUCTURED_TEXT" },
        TEXT_OUT,
        { name: "answer_2", stage: "PREDICTED_VALUE", value_type: "UNSTRUCTURED_TEXT" },
      ],
      { input: "question", output: "answer" },
    ],
    [
      "a token likelihood attribute of any inference stage",
      [TEXT_IN, TEXT_OUT, { name: "probs", stage: "NON_INPUT_DATA", value_type: "TOKEN_LIKELIHOODS" }],
      { input: "question", output: "answer", tokenLikelihoods: "probs" },
    ],
    [
      "no optional attribute in a ground truth stage (it would not go in inference_data)",
      [
        TEXT_IN,
        TEXT_OUT,
        { name: "duration", stage: "GROUND_TRUTH", value_type: "FLOAT" },
        { name: "gt_probs", stage: "GROUND_TRUTH", value_type: "TOKEN_LIKELIHOODS" },
      ],
      { input: "question", output: "answer" },
    ],
    [
      "optional attributes by exact name only",
      [
        TEXT_IN,
        TEXT_OUT,
        { name: "Duration", stage: "NON_INPUT_DATA", value_type: "FLOAT" },
        { name: "prompt_tokens", stage: "NON_INPUT_DATA", value_type: "INTEGER" },
      ],
      { input: "question", output: "answer", promptTokens: "prompt_tokens" },
    ],
  ])("finds %s", (_label, attributes, expected) => {
    expect(resolveArthurAttributes(model(attributes))).toEqual(expected);
  });

  it.each([
    ["no attributes at all", [], /no PIPELINE_INPUT attribute .* and no PREDICTED_VALUE attribute/],
    [
      "no text input",
      [TEXT_OUT],
      /has no PIPELINE_INPUT attribute of value type UNSTRUCTURED_TEXT \(for the prompt\)\./,
    ],
    ["no text output", [TEXT_IN], /has no PREDICTED_VALUE attribute of value type UNSTRUCTURED_TEXT/],
  ])("refuses a model with %s", (_label, attributes, message) => {
    let caught: unknown;
    try {
      resolveArthurAttributes(model(attributes));
    } catch (error) {
      caught = error;
    }
    expect(ConfigurationError.isInstance(caught)).toBe(true);
    expect((caught as Error).message).toMatch(/^Arthur model "m-1" cannot log LLM runs/);
    expect((caught as Error).message).toMatch(message);
  });

  it("tolerates a model whose attributes are missing or malformed", () => {
    expect(() => resolveArthurAttributes({ id: "m-2" } as ArthurModel)).toThrow(ConfigurationError);
    expect(
      resolveArthurAttributes({
        id: "m-3",
        attributes: [null, { stage: "PIPELINE_INPUT" }, TEXT_IN, TEXT_OUT],
      } as unknown as ArthurModel),
    ).toEqual({ input: "question", output: "answer" });
  });
});
