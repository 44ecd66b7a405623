import { ConfigurationError } from "@langchain-observability/core";
import { describe, expect, it } from "vitest";
import type { ArthurAttribute, ArthurModel } from "./arthur-api";
import { resolveArthurAttributes } from "./arthur-attributes";
import { createArthurTokenSequenceModel } from "./testing/index";

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
