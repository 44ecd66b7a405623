import { normalizeMessage } from "./normalize-message";
import type { RunSpanDocument } from "./run-span-record";
import { type SizeCounter, toJsonSafe, truncateText } from "./to-json-safe";

/** How deep and how wide LangChain objects are looked for; beyond, `toJsonSafe` copies what is left. */
const MAX_DEPTH = 6;
const MAX_ITEMS = 1000;

/**
 * Copies a run's input or output into plain JSON: LangChain messages become role-mapped messages (as
 * in `LLMRunRecord`), documents `{ pageContent, metadata, id? }`, prompt values their messages or text;
 * everything else goes through `toJsonSafe` (strings cut at `maxChars`, cycles and odd values made
 * safe). Never throws.
 */
export function convertRunValue(value: unknown, maxChars: number, size: SizeCounter): unknown {
  let plain: unknown;
  try {
    plain = replaceLangChainObjects(value, maxChars, 0);
  } catch {
    plain = value;
  }
  return toJsonSafe(plain, maxChars, size);
}

/** A retriever's documents: page content cut at `maxChars`, metadata made JSON-safe, at most 1000. */
export function convertDocuments(documents: unknown, maxChars: number, size: SizeCounter): RunSpanDocument[] {
  if (!Array.isArray(documents)) return [];
  const result: RunSpanDocument[] = [];
  for (const document of documents.slice(0, MAX_ITEMS)) {
    try {
      const plain = toDocument(document, maxChars) ?? {
        pageContent: truncateText(safeText(document), maxChars),
        metadata: {},
      };
      const copied: RunSpanDocument = {
        pageContent: plain.pageContent,
        metadata: (toJsonSafe(plain.metadata, maxChars, size) ?? {}) as Record<string, unknown>,
      };
      if (plain.id !== undefined) copied.id = plain.id;
      size.chars += copied.pageContent.length + 40;
      result.push(copied);
    } catch {
      result.push({ pageContent: "[Unserializable]", metadata: {} });
    }
  }
  return result;
}

/**
 * LangChain reports a lone value as `{ input: value }` / `{ output: value }` on `invoke()`, but not
 * on `.stream()`: the same wrapping here gives both the same shape.
 */
export function coerceToObject(value: unknown, key: "input" | "output"): unknown {
  return value && typeof value === "object" && !Array.isArray(value) && !(value instanceof Date)
    ? value
    : { [key]: value };
}

/** Tool input arrives as a string (LangChain serializes object inputs): parsed back when it is JSON. */
export function parseToolInput(input: unknown): unknown {
  if (typeof input !== "string") return input;
  const first = input.trimStart()[0];
  if (first !== "{" && first !== "[") return input;
  try {
    return JSON.parse(input);
  } catch {
    return input;
  }
}

/** Copy-on-write: containers are copied only where a LangChain object was replaced below them. */
function replaceLangChainObjects(value: unknown, maxChars: number, depth: number): unknown {
  if (value === null || typeof value !== "object" || depth > MAX_DEPTH) return value;
  if (isMessage(value)) return normalizeMessage(value, maxChars);
  const document = toDocument(value, maxChars);
  if (document) return document;
  const prompt = toPromptValue(value, maxChars);
  if (prompt !== undefined) return prompt;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    const length = Math.min(value.length, MAX_ITEMS);
    for (let index = 0; index < length; index++) {
      const item = value[index];
      const replaced = replaceLangChainObjects(item, maxChars, depth + 1);
      if (replaced !== item) {
        copy ??= value.slice();
        copy[index] = replaced;
      }
    }
    return copy ?? value;
  }
  if (!isPlain(value)) return value;
  let copy: Record<string, unknown> | undefined;
  let seen = 0;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (++seen > MAX_ITEMS) break;
    const item = (value as Record<string, unknown>)[key];
    const replaced = replaceLangChainObjects(item, maxChars, depth + 1);
    if (replaced !== item) {
      copy ??= { ...(value as Record<string, unknown>) };
      copy[key] = replaced;
    }
  }
  return copy ?? value;
}

/** A LangChain message (any copy of `@langchain/core`): a type getter and a content. */
function isMessage(value: object): boolean {
  const candidate = value as { getType?: unknown; _getType?: unknown; content?: unknown };
  return (
    (typeof candidate.getType === "function" || typeof candidate._getType === "function") &&
    "content" in candidate
  );
}

function toDocument(value: unknown, maxChars: number): RunSpanDocument | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const candidate = value as { pageContent?: unknown; metadata?: unknown; id?: unknown };
  if (typeof candidate.pageContent !== "string") return undefined;
  const metadata =
    candidate.metadata && typeof candidate.metadata === "object" && !Array.isArray(candidate.metadata)
      ? (candidate.metadata as Record<string, unknown>)
      : {};
  const document: RunSpanDocument = { pageContent: truncateText(candidate.pageContent, maxChars), metadata };
  if (typeof candidate.id === "string" && candidate.id !== "") document.id = candidate.id;
  return document;
}

/** `ChatPromptValue` → `{ messages }`, `StringPromptValue` → its text. */
function toPromptValue(value: object, maxChars: number): unknown {
  const candidate = value as { toChatMessages?: unknown; messages?: unknown; value?: unknown };
  if (typeof candidate.toChatMessages !== "function") return undefined;
  if (Array.isArray(candidate.messages)) {
    return {
      messages: candidate.messages
        .slice(0, MAX_ITEMS)
        .map((message: unknown) => normalizeMessage(message, maxChars)),
    };
  }
  if (typeof candidate.value === "string") return truncateText(candidate.value, maxChars);
  return undefined;
}

function isPlain(object: object): boolean {
  const prototype = Object.getPrototypeOf(object);
  return prototype === Object.prototype || prototype === null;
}

function safeText(value: unknown): string {
  try {
    return String(value);
  } catch {
    return "";
  }
}
