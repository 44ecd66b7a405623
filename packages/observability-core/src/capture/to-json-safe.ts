/** Marker appended to text cut at `maxFieldChars`. */
export const TRUNCATION_MARKER = "…[truncated]";

/** What a value that cannot be read or copied (a revoked Proxy, a throwing getter) becomes. */
const UNSERIALIZABLE = "[Unserializable]";

/** Cuts a string longer than `maxChars`, ending it with a marker that says so. */
export function truncateText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  return `${text.slice(0, Math.max(0, maxChars - TRUNCATION_MARKER.length))}${TRUNCATION_MARKER}`;
}

/**
 * Text as a record keeps it: a base64 `data:` URL (an inlined image, audio or file) becomes a
 * placeholder naming its type and size (`[image/png 6.1 MB]`), so no vendor receives the bytes and
 * no record is dropped as oversize for them; other text is cut at `maxChars`.
 */
export function safeText(text: string, maxChars: number): string {
  return inlineDataPlaceholder(text) ?? truncateText(text, maxChars);
}

const MAX_DEPTH = 12;
const BASE64_SAMPLE = /^[A-Za-z0-9+/_=-]+$/;
const DATA_URL = /^data:([\w.+-]+\/[\w.+-]+)?((?:;[\w-]+=[^;,]*)*);base64,/i;

/**
 * Copies a value into plain JSON that `JSON.stringify` always accepts: circular references become
 * `"[Circular]"`, BigInt a string, Errors `{ name, message }`, Dates ISO text, functions and symbols
 * are left out; binary (Buffer, typed arrays, ArrayBuffer, Blob) and base64 data (data URLs, base64
 * `data` of content parts) become placeholders naming type and size; strings longer than `maxChars`
 * are cut, and so are arrays and objects once their copy exceeds `maxChars` (a marker says how many
 * items or keys were left out). Anything that throws while being read (a revoked Proxy, a throwing
 * getter, `ownKeys` trap or `toJSON`) becomes `"[Unserializable]"`. It never throws, so no user
 * value can break capture or export. `size` accumulates an estimate of the serialized length.
 */
export function toJsonSafe(value: unknown, maxChars: number, size?: SizeCounter): unknown {
  return copyRoot(value, maxChars, size ?? { chars: 0 }, true);
}

/**
 * Like `toJsonSafe`, for a whole record (what a `mask` returned): JSON-safe, strings cut at
 * `maxChars` and inlined data replaced, but its arrays and objects are not cut as a whole (a long
 * conversation keeps every message, as at capture).
 */
export function toJsonSafeRecord(value: unknown, maxChars: number, size?: SizeCounter): unknown {
  return copyRoot(value, maxChars, size ?? { chars: 0 }, false);
}

interface CopyContext {
  maxChars: number;
  size: SizeCounter;
  seen: WeakSet<object>;
  /** Cut arrays and objects once their copy exceeds `maxChars`. */
  cutContainers: boolean;
}

function copyRoot(value: unknown, maxChars: number, counter: SizeCounter, cutContainers: boolean): unknown {
  try {
    // Primitives and flat objects (most params and metadata) need no cycle tracking: the
    // WeakSet and context of the full copy are only made for the rest.
    if (value === null || typeof value !== "object") return copyPrimitive(value, maxChars, counter, "");
    let flat: Record<string, unknown> | undefined;
    try {
      flat = copyFlat(value, maxChars, counter);
    } catch {
      // A hostile object: the full copy isolates what throws.
    }
    return flat ?? copy(value, { maxChars, size: counter, seen: new WeakSet(), cutContainers }, 0, "");
  } catch {
    counter.chars += UNSERIALIZABLE.length + 2;
    return UNSERIALIZABLE;
  }
}

/** Accumulates an estimate of the serialized size while copying, so nothing is serialized twice. */
export interface SizeCounter {
  chars: number;
}

/** The common case (invocation params, metadata): a plain object of short primitives, copied in one pass. */
function copyFlat(value: unknown, maxChars: number, size: SizeCounter): Record<string, unknown> | undefined {
  if (value === null || typeof value !== "object" || !isPlain(value)) return undefined;
  const result: Record<string, unknown> = {};
  let chars = 2;
  let keys = 0;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (++keys > 64) return undefined;
    const item = (value as Record<string, unknown>)[key];
    switch (typeof item) {
      case "string":
        // Long or possibly inlined data: the full copy decides.
        if (item.length > maxChars || item.length > 256) return undefined;
        chars += item.length + key.length + 6;
        break;
      case "boolean":
        chars += key.length + 10;
        break;
      case "number":
        if (!Number.isFinite(item)) return undefined;
        chars += key.length + 16;
        break;
      case "undefined":
        continue;
      default:
        if (item !== null) return undefined;
        chars += key.length + 8;
    }
    result[key] = item;
  }
  size.chars += chars;
  return result;
}

/** A value that is not an object (or `null`), as JSON has it; `undefined` when JSON leaves it out. */
function copyPrimitive(value: unknown, maxChars: number, size: SizeCounter, parentMimeType: string): unknown {
  size.chars += 8;
  switch (typeof value) {
    case "string": {
      const text = inlineDataPlaceholder(value, parentMimeType) ?? truncateText(value, maxChars);
      size.chars += text.length;
      return text;
    }
    case "number":
      return Number.isFinite(value) ? value : String(value);
    case "boolean":
      return value;
    case "bigint":
      return value.toString();
    case "undefined":
    case "function":
    case "symbol":
      return undefined;
  }
  return null;
}

function copy(value: unknown, context: CopyContext, depth: number, parentMimeType: string): unknown {
  const { maxChars, seen, size } = context;
  if (value === null || typeof value !== "object")
    return copyPrimitive(value, maxChars, size, parentMimeType);
  size.chars += 8;
  const object = value as object;
  try {
    if (seen.has(object)) return "[Circular]";
    if (depth >= MAX_DEPTH) return "[Too deep]";
    const binary = binaryPlaceholder(object);
    if (binary !== undefined) {
      size.chars += binary.length;
      return binary;
    }
    if (object instanceof Date) return Number.isNaN(object.getTime()) ? null : object.toISOString();
    if (object instanceof Error) {
      return { name: String(object.name), message: truncateText(String(object.message), maxChars) };
    }
    seen.add(object);
    try {
      if (Array.isArray(object)) return copyArray(object, context, depth);
      if (typeof (object as { toJSON?: unknown }).toJSON === "function" && !isPlain(object)) {
        return copy((object as { toJSON: () => unknown }).toJSON(), context, depth + 1, "");
      }
      return copyObject(object as Record<string, unknown>, context, depth);
    } finally {
      seen.delete(object);
    }
  } catch {
    size.chars += UNSERIALIZABLE.length;
    return UNSERIALIZABLE;
  }
}

function copyArray(array: unknown[], context: CopyContext, depth: number): unknown[] {
  const { maxChars, size, cutContainers } = context;
  const start = size.chars;
  const length = array.length;
  const result: unknown[] = [];
  for (let index = 0; index < length; index++) {
    if (cutContainers && index > 0 && size.chars - start > maxChars) {
      const marker = `…[${length - index} more items]`;
      size.chars += marker.length + 2;
      result.push(marker);
      break;
    }
    const copied = copy(array[index], context, depth + 1, "");
    result.push(copied === undefined ? null : copied);
  }
  return result;
}

function copyObject(
  object: Record<string, unknown>,
  context: CopyContext,
  depth: number,
): Record<string, unknown> {
  const { maxChars, size, cutContainers } = context;
  const start = size.chars;
  const keys = Object.keys(object);
  const mimeType = readMimeType(object);
  const result: Record<string, unknown> = {};
  for (let index = 0; index < keys.length; index++) {
    if (cutContainers && index > 0 && size.chars - start > maxChars) {
      const marker = `[${keys.length - index} more keys]`;
      size.chars += marker.length + 6;
      result["…"] = marker;
      break;
    }
    const key = keys[index]!;
    let item: unknown;
    try {
      item = object[key];
    } catch {
      item = UNSERIALIZABLE;
    }
    const copied = copy(item, context, depth + 1, key === "data" ? mimeType : "");
    if (copied !== undefined) {
      result[key] = copied;
      size.chars += key.length + 4;
    }
  }
  return result;
}

/** The MIME type an object says its `data` has (LangChain, OpenAI and Anthropic content blocks). */
function readMimeType(object: Record<string, unknown>): string {
  if (!Object.hasOwn(object, "data")) return "";
  for (const key of ["mime_type", "mimeType", "media_type", "mediaType"]) {
    try {
      const value = object[key];
      if (typeof value === "string" && value !== "") return value;
    } catch {
      // A throwing getter is no type.
    }
  }
  return "base64";
}

/** `[image/png 6.1 MB]` for a base64 data URL or a content block's base64 `data`. */
function inlineDataPlaceholder(text: string, mimeType = ""): string | undefined {
  if (text.length < 32) return undefined;
  if (text.charCodeAt(0) === 100 /* d */ && text.startsWith("data:")) {
    const match = DATA_URL.exec(text.slice(0, 512));
    if (!match) return undefined;
    return `[${match[1] ?? "application/octet-stream"} ${formatBytes(base64Bytes(text.length - match[0].length))}]`;
  }
  // A content block's `data` (a MIME type beside it, or `base64` when none is given): long base64.
  // Plain text is never taken for base64 (a long run of letters is still text).
  if (mimeType !== "" && text.length >= 256 && BASE64_SAMPLE.test(text.slice(0, 1024))) {
    return `[${mimeType} ${formatBytes(base64Bytes(text.length))}]`;
  }
  return undefined;
}

function binaryPlaceholder(object: object): string | undefined {
  if (ArrayBuffer.isView(object)) {
    return `[${constructorName(object, "Binary")} ${formatBytes(object.byteLength)}]`;
  }
  if (object instanceof ArrayBuffer) return `[ArrayBuffer ${formatBytes(object.byteLength)}]`;
  if (typeof SharedArrayBuffer !== "undefined" && object instanceof SharedArrayBuffer) {
    return `[SharedArrayBuffer ${formatBytes(object.byteLength)}]`;
  }
  if (typeof Blob !== "undefined" && object instanceof Blob) {
    return `[${object.type || constructorName(object, "Blob")} ${formatBytes(object.size)}]`;
  }
  return undefined;
}

function constructorName(object: object, fallback: string): string {
  const name = (object as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === "string" && name !== "" ? name : fallback;
}

function base64Bytes(chars: number): number {
  return Math.floor((chars * 3) / 4);
}

/** `512 B`, `1.5 KB`, `6.1 MB` (powers of 1024). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  return `${(bytes / (1024 * 1024 * 1024)).toFixed(1)} GB`;
}

function isPlain(object: object): boolean {
  const prototype = Object.getPrototypeOf(object);
  return prototype === Object.prototype || prototype === null;
}
