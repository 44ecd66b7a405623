import {
  type ChatMessage,
  ConfigurationError,
  type ContentPart,
  formatIsoTime,
  type LLMRunRecord,
  type OutputCandidate,
  type ToolCall,
} from "@langchain-observability/core";
import type {
  ArthurAttribute,
  ArthurInference,
  ArthurInferenceValue,
  ArthurModel,
  ArthurTokenLikelihoods,
} from "./arthur-api";

/** Arthur accepts at most this many token/probability pairs per generated token. */
export const MAX_LIKELIHOOD_PAIRS = 5;

/**
 * One inference before it meets the model's attribute names: everything costly (transcript, tool
 * calls as text, likelihoods) is done once, when the record is mapped; `toArthurInference` then only
 * renames keys for the model the exporter has loaded. JSON-safe.
 */
export interface ArthurInferenceDraft {
  /** The record id (plus `#<n>` for extra candidates): Arthur's key of the inference. */
  partner_inference_id: string;
  inference_timestamp: string;
  input: string;
  output: string;
  finishReason?: string;
  promptTokens?: number;
  completionTokens?: number;
  /** Seconds. */
  duration: number;
  tokenLikelihoods?: ArthurTokenLikelihoods;
}

/**
 * Maps one normalized record to inference drafts: one per candidate answer (`n > 1` gives several).
 * The first keeps the record id as `partner_inference_id`; the others add `#<index>`. Pure: no I/O,
 * no clock, no environment.
 */
export function mapRecordToArthurDrafts(record: LLMRunRecord): ArthurInferenceDraft[] {
  const input = recordInputText(record);
  const candidates: OutputCandidate[] =
    record.output.candidates && record.output.candidates.length > 0
      ? record.output.candidates
      : [record.output];
  const timestamp = formatIsoTime(record.timing.endTime);
  return candidates.map((candidate, index) => {
    const draft: ArthurInferenceDraft = {
      partner_inference_id: inferenceId(record.recordId, index),
      inference_timestamp: timestamp,
      input,
      output: candidateOutputText(candidate),
      duration: record.timing.latencyMs / 1000,
    };
    const finishReason = candidate.finishReason ?? (record.status === "success" ? undefined : record.status);
    if (finishReason) draft.finishReason = finishReason;
    if (record.usage.inputTokens !== undefined) draft.promptTokens = record.usage.inputTokens;
    if (record.usage.outputTokens !== undefined) draft.completionTokens = record.usage.outputTokens;
    const likelihoods = readTokenLikelihoods(candidate.logprobs);
    if (likelihoods) draft.tokenLikelihoods = likelihoods;
    return draft;
  });
}

/**
 * The inference Arthur receives for a draft, with the model's attribute names. Optional attributes
 * are written only when `attributes` has them (the model declares them).
 */
export function toArthurInference(
  draft: ArthurInferenceDraft,
  attributes: ArthurAttributeMapping,
): ArthurInference {
  const data: Record<string, ArthurInferenceValue> = {
    [attributes.input]: draft.input,
    [attributes.output]: draft.output,
  };
  if (attributes.finishReason && draft.finishReason) data[attributes.finishReason] = draft.finishReason;
  if (attributes.promptTokens && draft.promptTokens !== undefined) {
    data[attributes.promptTokens] = draft.promptTokens;
  }
  if (attributes.completionTokens && draft.completionTokens !== undefined) {
    data[attributes.completionTokens] = draft.completionTokens;
  }
  if (attributes.duration) data[attributes.duration] = draft.duration;
  if (attributes.tokenLikelihoods && draft.tokenLikelihoods) {
    data[attributes.tokenLikelihoods] = draft.tokenLikelihoods;
  }
  return {
    partner_inference_id: draft.partner_inference_id,
    inference_timestamp: draft.inference_timestamp,
    inference_data: data,
  };
}

/** Maps one record to the inferences a model with `attributes` receives (drafts, then attribute names). */
export function mapRecordToArthur(
  record: LLMRunRecord,
  attributes: ArthurAttributeMapping,
): ArthurInference[] {
  return mapRecordToArthurDrafts(record).map((draft) => toArthurInference(draft, attributes));
}

/**
 * The text Arthur receives as the output: the candidate's text, or — for a tool-calling turn with no
 * text — its tool calls as JSON (`[{"name","args","id"}]`, as in the transcript), so they are not lost.
 */
export function candidateOutputText(candidate: OutputCandidate): string {
  if (candidate.text !== "") return candidate.text;
  const message = candidate.message;
  if (message?.toolCalls && message.toolCalls.length > 0) return formatToolCalls(message.toolCalls);
  if (message?.functionCall) return JSON.stringify(message.functionCall);
  return "";
}

function formatToolCalls(toolCalls: ToolCall[]): string {
  return JSON.stringify(
    toolCalls.map((call) =>
      call.id === undefined
        ? { name: call.name, args: call.args }
        : { name: call.name, args: call.args, id: call.id },
    ),
  );
}

/** The `partner_inference_id` of a record's candidate: stable, so a retry sends the same id. */
export function inferenceId(recordId: string, candidateIndex: number): string {
  return candidateIndex === 0 ? recordId : `${recordId}#${candidateIndex}`;
}

/** The text Arthur receives as input: the prompt, or for chat runs the role-labelled transcript. */
export function recordInputText(record: LLMRunRecord): string {
  if (record.kind === "chat" && record.input.messages && record.input.messages.length > 0) {
    return formatArthurTranscript(record.input.messages);
  }
  return record.input.prompt;
}

const PREFIX_BY_ROLE: Record<string, string> = {
  user: "Human",
  assistant: "AI",
  system: "System",
  tool: "Tool",
  function: "Function",
};

/**
 * The role-labelled transcript LangChain's `getBufferString` produces (and the Python handler logged):
 * one message per line, `Human: …`, `AI: …`, `System: …`, `Tool: …`, `Function: …` or `<role>: …`,
 * with the author name first when there is one, multimodal parts as `[image]`-style placeholders, and
 * an assistant's tool calls appended as JSON.
 */
export function formatArthurTranscript(messages: ChatMessage[]): string {
  return messages
    .map((message) => {
      const prefix = PREFIX_BY_ROLE[message.role] ?? message.role;
      const name = message.name ? `${message.name}, ` : "";
      let line = `${prefix}: ${name}${messageText(message)}`;
      if (message.role === "assistant") {
        if (message.toolCalls && message.toolCalls.length > 0) {
          line += formatToolCalls(message.toolCalls);
        } else if (message.functionCall) {
          line += JSON.stringify(message.functionCall);
        }
      }
      return line;
    })
    .join("\n");
}

function messageText(message: ChatMessage): string {
  if (!message.parts) return message.content;
  return message.parts.map(partText).join("");
}

/** Short placeholders for non-text parts, as `getBufferString` renders them (no base64 in Arthur). */
function partText(part: ContentPart): string {
  const text = typeof part.text === "string" ? part.text : undefined;
  switch (part.type) {
    case "text":
      return text ?? "";
    case "text-plain":
      return text ?? "[text-plain file]";
    case "image":
    case "image_url":
      return "[image]";
    case "audio":
    case "input_audio":
      return "[audio]";
    case "video":
      return "[video]";
    case "file":
      return "[file]";
    case "reasoning":
    case "tool_call":
    case "tool_call_chunk":
    case "invalid_tool_call":
    case "server_tool_call":
    case "server_tool_call_chunk":
    case "server_tool_call_result":
    case "non_standard":
      return "";
    default:
      return part.type ? `[${part.type}]` : "";
  }
}

/**
 * Per-token likelihoods from a candidate's logprobs, in either format:
 * - completions: `{ tokens, token_logprobs, top_logprobs: [{ token: logprob }, …] }`;
 * - chat: `{ content: [{ token, logprob, top_logprobs: [{ token, logprob }, …] }, …] }` (or the bare list).
 * Each token gets a map token → `exp(logprob)` with its (at most 5) most likely alternatives. Returns
 * `undefined` — never throws — when there are no per-token alternatives (absent, `null`, or a chat
 * format without `top_logprobs`).
 */
export function readTokenLikelihoods(logprobs: unknown): ArthurTokenLikelihoods | undefined {
  if (logprobs === null || logprobs === undefined || typeof logprobs !== "object") return undefined;
  const chatContent = Array.isArray(logprobs) ? logprobs : (logprobs as { content?: unknown }).content;
  if (Array.isArray(chatContent)) return fromChatFormat(chatContent);
  const topLogprobs = (logprobs as { top_logprobs?: unknown }).top_logprobs;
  if (Array.isArray(topLogprobs)) return fromCompletionFormat(topLogprobs);
  return undefined;
}

function fromCompletionFormat(topLogprobs: unknown[]): ArthurTokenLikelihoods | undefined {
  let found = false;
  const result = topLogprobs.map((entry) => {
    const pairs: Array<[string, unknown]> =
      entry !== null && typeof entry === "object" && !Array.isArray(entry) ? Object.entries(entry) : [];
    const map = toLikelihoodMap(pairs);
    if (Object.keys(map).length > 0) found = true;
    return map;
  });
  return found ? result : undefined;
}

function fromChatFormat(content: unknown[]): ArthurTokenLikelihoods | undefined {
  let found = false;
  const result = content.map((entry) => {
    if (entry === null || typeof entry !== "object") return {};
    const {
      token,
      logprob,
      top_logprobs: top,
    } = entry as {
      token?: unknown;
      logprob?: unknown;
      top_logprobs?: unknown;
    };
    const pairs: Array<[string, unknown]> = Array.isArray(top)
      ? top
          .filter((item): item is { token: string; logprob: unknown } => {
            return item !== null && typeof item === "object" && typeof item.token === "string";
          })
          .map((item) => [item.token, item.logprob])
      : [];
    if (pairs.length > 0) {
      found = true;
    } else if (typeof token === "string") {
      // A token without alternatives still has its own probability; the list stays aligned to tokens.
      pairs.push([token, logprob]);
    }
    return toLikelihoodMap(pairs);
  });
  return found ? result : undefined;
}

/** The most likely pairs (at most 5), as probabilities, skipping anything that is not a finite logprob. */
function toLikelihoodMap(pairs: Array<[string, unknown]>): Record<string, number> {
  const best = new Map<string, number>();
  for (const [token, logprob] of pairs) {
    if (typeof logprob !== "number" || !Number.isFinite(logprob)) continue;
    const probability = Math.exp(logprob);
    const previous = best.get(token);
    if (previous === undefined || probability > previous) best.set(token, probability);
  }
  const sorted = [...best.entries()].sort((left, right) => right[1] - left[1]).slice(0, MAX_LIKELIHOOD_PAIRS);
  const map: Record<string, number> = {};
  for (const [token, probability] of sorted) {
    // defineProperty, so a token such as "__proto__" stays a plain key.
    Object.defineProperty(map, token, {
      value: probability,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return map;
}

// ---- Model attributes -------------------------------------------------------------------------

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
