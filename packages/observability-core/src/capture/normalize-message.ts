import type { ChatMessage, ChatRole, ContentPart, ToolCall } from "./llm-run-record";
import { truncateText } from "./to-json-safe";

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
  if (typeof message.getType === "function") return message.getType();
  if (typeof message._getType === "function") return message._getType();
  return typeof message.type === "string" ? message.type : "generic";
}

/** Text of a message's content: the string itself, or its text parts joined. */
export function contentText(content: unknown, maxChars: number): { text: string; parts?: ContentPart[] } {
  if (typeof content === "string") return { text: truncateText(content, maxChars) };
  if (!Array.isArray(content))
    return { text: content == null ? "" : truncateText(String(content), maxChars) };
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

function truncateParts(block: ContentPart, maxChars: number): ContentPart {
  const result: ContentPart = { type: block.type };
  for (const [key, value] of Object.entries(block)) {
    result[key] = typeof value === "string" ? truncateText(value, maxChars) : value;
  }
  return result;
}

/** Maps one LangChain message to the normalized, role-mapped shape (never throws on unknown types). */
export function normalizeMessage(message: unknown, maxChars: number): ChatMessage {
  if (message === null || typeof message !== "object") {
    return { role: "user", content: truncateText(String(message ?? ""), maxChars) };
  }
  const source = message as MessageLike;
  const type = messageType(source);
  const openAiRole = source.additional_kwargs?.__openai_role__;
  const role: ChatRole =
    type === "generic" || type === "chat"
      ? (source.role ?? "user")
      : typeof openAiRole === "string" && type === "system"
        ? openAiRole === "developer"
          ? "system"
          : openAiRole
        : (ROLE_BY_TYPE[type] ?? source.role ?? type);
  const { text, parts } = contentText(source.content, maxChars);
  const result: ChatMessage = { role, content: text };
  if (parts) result.parts = parts;
  const name = source.name ?? (source.additional_kwargs?.name as string | undefined);
  if (typeof name === "string" && name !== "") result.name = name;
  if (Array.isArray(source.tool_calls) && source.tool_calls.length > 0) {
    result.toolCalls = source.tool_calls.map(
      (call): ToolCall =>
        call.id ? { id: call.id, name: call.name, args: call.args } : { name: call.name, args: call.args },
    );
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
          ? functionCall.arguments
          : JSON.stringify(functionCall.arguments ?? {}),
    };
  }
  return result;
}
