import type { ChatMessage, ContentPart, LLMRunRecord, OutputCandidate } from "@langchain-observability/core";
import type { ArthurInference, ArthurInferenceValue, ArthurTokenLikelihoods } from "./arthur-api";
import type { ArthurAttributeMapping } from "./arthur-attributes";

/** Arthur accepts at most this many token/probability pairs per generated token. */
export const MAX_LIKELIHOOD_PAIRS = 5;

/**
 * Maps one normalized record to Arthur inferences: one per candidate answer (`n > 1` gives several).
 * The first keeps the record id as `partner_inference_id`; the others add `#<index>`. Optional
 * attributes are written only when `attributes` has them (the model declares them). Pure: no I/O,
 * no clock, no environment.
 */
export function mapRecordToArthur(
  record: LLMRunRecord,
  attributes: ArthurAttributeMapping,
): ArthurInference[] {
  const input = recordInputText(record);
  const candidates: OutputCandidate[] =
    record.output.candidates && record.output.candidates.length > 0
      ? record.output.candidates
      : [record.output];
  const timestamp = new Date(record.timing.endTime).toISOString();
  return candidates.map((candidate, index) => {
    const data: Record<string, ArthurInferenceValue> = {
      [attributes.input]: input,
      [attributes.output]: candidate.text,
    };
    if (attributes.finishReason) {
      const finishReason =
        candidate.finishReason ?? (record.status === "success" ? undefined : record.status);
      if (finishReason) data[attributes.finishReason] = finishReason;
    }
    if (attributes.promptTokens && record.usage.inputTokens !== undefined) {
      data[attributes.promptTokens] = record.usage.inputTokens;
    }
    if (attributes.completionTokens && record.usage.outputTokens !== undefined) {
      data[attributes.completionTokens] = record.usage.outputTokens;
    }
    if (attributes.duration) data[attributes.duration] = record.timing.latencyMs / 1000;
    if (attributes.tokenLikelihoods) {
      const likelihoods = readTokenLikelihoods(candidate.logprobs);
      if (likelihoods) data[attributes.tokenLikelihoods] = likelihoods;
    }
    return {
      partner_inference_id: inferenceId(record.recordId, index),
      inference_timestamp: timestamp,
      inference_data: data,
    };
  });
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
          line += JSON.stringify(
            message.toolCalls.map((call) =>
              call.id === undefined
                ? { name: call.name, args: call.args }
                : { name: call.name, args: call.args, id: call.id },
            ),
          );
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
