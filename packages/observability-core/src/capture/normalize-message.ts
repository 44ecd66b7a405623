import type { ChatMessage, ChatRole, ContentPart, ToolCall } from "./llm-run-record";
import { safeText, toJsonSafe, truncateText } from "./to-json-safe";

/** The fields of a LangChain message this module reads (duck-typed so any copy of `@langchain/core` works). */
interface MessageLike {
  type?: string;
  _getType?: () => string;
  getType?: () => string;
  role?: string;
  content?: unknown;
  name?: string;
  tool_calls?: Array<{ id?: string; name: string; args: unknown }>;
  tool_call_id?: string;
  additional_kwargs?: Record<string, unknown>;
}

const ROLE_BY_TYPE: Record<string, ChatRole> = {
  human: "user",
  user: "user",
  ai: "assistant",
  assistant: "assistant",
  system: "system",
  developer: "system",
  tool: "tool",
  function: "function",
};

/** The LangChain message type (`human`, `ai`, `system`, `tool`, `function`, `generic` …). */
export function messageType(message: MessageLike): string {
  if (typeof message.getType === "function") return String(message.getType());
  if (typeof message._getType === "function") return String(message._getType());
  return typeof message.type === "string" ? message.type : "generic";
}

function stringOr(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** `String(value)`, or a placeholder when even that throws (an object with a throwing `toString`). */
function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return "[Unserializable]";
  }
}

/** Text of a message's content: the string itself, or its text parts joined. */
export function contentText(content: unknown, maxChars: number): { text: string; parts?: ContentPart[] } {
  if (typeof content === "string") return { text: safeText(content, maxChars) };
  if (!Array.isArray(content))
    return { text: content == null ? "" : safeText(safeString(content), maxChars) };
  let text = "";
  let hasNonText = false;
  const parts: ContentPart[] = [];
  for (const part of content) {
    if (typeof part === "string") {
      text += part;
      parts.push({ type: "text", text: part });
      continue;
    }
    if (part === null || typeof part !== "object") continue;
    const block = part as ContentPart;
    if (block.type === "text" && typeof block.text === "string") {
      text += block.text;
      parts.push({ type: "text", text: truncateText(block.text, maxChars) });
    } else {
      hasNonText = true;
      parts.push(truncateParts(block, maxChars));
    }
  }
  const truncated = truncateText(text, maxChars);
  return hasNonText ? { text: truncated, parts } : { text: truncated };
}

/**
 * A non-text content part (image, audio, file, tool use …) as JSON-safe data: nested strings and
 * arrays cut at `maxChars`, inlined base64 (data URLs, a block's base64 `data`) replaced by a
 * placeholder naming type and size (`[image/png 6.1 MB]`).
 */
function truncateParts(block: ContentPart, maxChars: number): ContentPart {
  const copied = toJsonSafe(block, maxChars);
  const part = (
    copied !== null && typeof copied === "object" && !Array.isArray(copied) ? copied : {}
  ) as Record<string, unknown>;
  return { ...part, type: typeof part.type === "string" ? part.type : "unknown" };
}

/** Maps one LangChain message to the normalized, role-mapped shape; never throws (a hostile object included). */
export function normalizeMessage(message: unknown, maxChars: number): ChatMessage {
  try {
    return readMessage(message, maxChars);
  } catch {
    return { role: "user", content: "[Unserializable]" };
  }
}

function readMessage(message: unknown, maxChars: number): ChatMessage {
  if (message === null || typeof message !== "object") {
    return { role: "user", content: safeText(safeString(message ?? ""), maxChars) };
  }
  const source = message as MessageLike;
  const type = messageType(source);
  const openAiRole = source.additional_kwargs?.__openai_role__;
  const role: ChatRole =
    type === "generic" || type === "chat"
      ? (stringOr(source.role) ?? "user")
      : typeof openAiRole === "string" && type === "system"
        ? openAiRole === "developer"
          ? "system"
          : openAiRole
        : (ROLE_BY_TYPE[type] ?? stringOr(source.role) ?? type);
  const { text, parts } = contentText(source.content, maxChars);
  const result: ChatMessage = { role, content: text };
  if (parts) result.parts = parts;
  const name = source.name ?? (source.additional_kwargs?.name as string | undefined);
  if (typeof name === "string" && name !== "") result.name = name;
  if (Array.isArray(source.tool_calls) && source.tool_calls.length > 0) {
    result.toolCalls = source.tool_calls.map((call): ToolCall => {
      // Tool arguments come from the model or the user's code: BigInt, cycles, binary … all happen.
      const args = toJsonSafe(call?.args, maxChars);
      const name = stringOr(call?.name) ?? "";
      const id = stringOr(call?.id);
      return id ? { id, name, args } : { name, args };
    });
  }
  if (typeof source.tool_call_id === "string") result.toolCallId = source.tool_call_id;
  const functionCall = source.additional_kwargs?.function_call as
    | { name?: unknown; arguments?: unknown }
    | undefined;
  if (functionCall && typeof functionCall.name === "string") {
    result.functionCall = {
      name: functionCall.name,
      arguments:
        typeof functionCall.arguments === "string"
          ? truncateText(functionCall.arguments, maxChars)
          : JSON.stringify(toJsonSafe(functionCall.arguments ?? {}, maxChars)),
    };
  }
  return result;
}
