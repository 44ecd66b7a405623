import { ConfigurationError } from "@langchain-observability/core";
import type { ArthurAttribute, ArthurModel } from "./arthur-api";

/** Which attribute of the model receives which value; optional entries are set only when the model declares them. */
export interface ArthurAttributeMapping {
  /** The first `PIPELINE_INPUT` / `UNSTRUCTURED_TEXT` attribute: the prompt or chat transcript. */
  input: string;
  /** The first `PREDICTED_VALUE` / `UNSTRUCTURED_TEXT` attribute: the generated text. */
  output: string;
  /** The first `TOKEN_LIKELIHOODS` attribute: per-token probabilities from logprobs. */
  tokenLikelihoods?: string;
  /** An attribute named `finish_reason`. */
  finishReason?: string;
  /** An attribute named `prompt_tokens`. */
  promptTokens?: string;
  /** An attribute named `completion_tokens`. */
  completionTokens?: string;
  /** An attribute named `duration` (seconds). */
  duration?: string;
}

/** Stages whose attributes travel in `inference_data` (the SDK nests exactly these). */
export const INFERENCE_DATA_STAGES: ReadonlySet<string> = new Set([
  "PIPELINE_INPUT",
  "PREDICT_FUNCTION_INPUT",
  "NON_INPUT_DATA",
  "PREDICTED_VALUE",
]);

const OPTIONAL_BY_NAME = {
  finishReason: "finish_reason",
  promptTokens: "prompt_tokens",
  completionTokens: "completion_tokens",
  duration: "duration",
} as const;

/**
 * Finds the attributes the handler writes, as the Python handler did: the first text input and text
 * output attribute, the first token-likelihood attribute, and the optional attributes by their fixed
 * names. A model without the two text attributes cannot log LLM runs: that is a `ConfigurationError`
 * naming the model and what it lacks.
 */
export function resolveArthurAttributes(model: ArthurModel): ArthurAttributeMapping {
  const attributes = readAttributes(model);
  const input = attributes.find(
    (attribute) => attribute.stage === "PIPELINE_INPUT" && attribute.value_type === "UNSTRUCTURED_TEXT",
  );
  const output = attributes.find(
    (attribute) => attribute.stage === "PREDICTED_VALUE" && attribute.value_type === "UNSTRUCTURED_TEXT",
  );
  if (!input || !output) {
    const missing = [
      input ? undefined : "PIPELINE_INPUT attribute of value type UNSTRUCTURED_TEXT (for the prompt)",
      output
        ? undefined
        : "PREDICTED_VALUE attribute of value type UNSTRUCTURED_TEXT (for the generated text)",
    ].filter((part): part is string => part !== undefined);
    throw new ConfigurationError({
      message: `Arthur model ${describeModel(model)} cannot log LLM runs: it has no ${missing.join(" and no ")}. Register it as a token sequence model (see the README).`,
      option: "modelId",
    });
  }
  const mapping: ArthurAttributeMapping = { input: input.name, output: output.name };
  const likelihoods = attributes.find(
    (attribute) => attribute.value_type === "TOKEN_LIKELIHOODS" && INFERENCE_DATA_STAGES.has(attribute.stage),
  );
  if (likelihoods) mapping.tokenLikelihoods = likelihoods.name;
  const used = new Set([input.name, output.name, likelihoods?.name]);
  for (const [key, name] of Object.entries(OPTIONAL_BY_NAME) as Array<
    [keyof typeof OPTIONAL_BY_NAME, string]
  >) {
    const attribute = attributes.find(
      (candidate) => candidate.name === name && INFERENCE_DATA_STAGES.has(candidate.stage),
    );
    if (attribute && !used.has(attribute.name)) mapping[key] = attribute.name;
  }
  return mapping;
}

/** `"<display name>" (id <id>)`, or just the id. */
export function describeModel(model: Pick<ArthurModel, "id" | "display_name">): string {
  const name = typeof model.display_name === "string" && model.display_name !== "" ? model.display_name : "";
  return name ? `"${name}" (id ${model.id})` : `"${model.id}"`;
}

function readAttributes(model: ArthurModel): ArthurAttribute[] {
  if (!Array.isArray(model.attributes)) return [];
  return model.attributes.filter(
    (attribute): attribute is ArthurAttribute =>
      attribute !== null &&
      typeof attribute === "object" &&
      typeof attribute.name === "string" &&
      attribute.name !== "",
  );
}
