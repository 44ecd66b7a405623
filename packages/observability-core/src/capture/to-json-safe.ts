/** Marker appended to text cut at `maxFieldChars`. */
export const TRUNCATION_MARKER = "…[truncated]";

/** Cuts a string longer than `maxChars`, ending it with a marker that says so. */
export function truncateText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  return `${text.slice(0, Math.max(0, maxChars - TRUNCATION_MARKER.length))}${TRUNCATION_MARKER}`;
}

const MAX_DEPTH = 12;

/**
 * Copies a value into plain JSON: circular references become `"[Circular]"`, BigInt a string, Errors
 * `{ name, message }`, Dates ISO text, functions and symbols are left out, long strings truncated.
 * It never throws, so no user metadata can break capture or export.
 */
export function toJsonSafe(value: unknown, maxChars: number, size?: SizeCounter): unknown {
  const counter = size ?? { chars: 0 };
  return copyFlat(value, maxChars, counter) ?? copy(value, maxChars, new WeakSet(), 0, counter);
}

/** The common case (invocation params, metadata): a plain object of short primitives, copied in one pass. */
function copyFlat(value: unknown, maxChars: number, size: SizeCounter): Record<string, unknown> | undefined {
  if (value === null || typeof value !== "object" || !isPlain(value)) return undefined;
  const result: Record<string, unknown> = {};
  let chars = 2;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const item = (value as Record<string, unknown>)[key];
    switch (typeof item) {
      case "string":
        if (item.length > maxChars) return undefined;
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

/** Accumulates an estimate of the serialized size while copying, so nothing is serialized twice. */
export interface SizeCounter {
  chars: number;
}

function copy(
  value: unknown,
  maxChars: number,
  seen: WeakSet<object>,
  depth: number,
  size: SizeCounter,
): unknown {
  size.chars += 8;
  switch (typeof value) {
    case "string": {
      const text = truncateText(value, maxChars);
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
  if (value === null) return null;
  const object = value as object;
  if (seen.has(object)) return "[Circular]";
  if (depth >= MAX_DEPTH) return "[Too deep]";
  if (object instanceof Date) return Number.isNaN(object.getTime()) ? null : object.toISOString();
  if (object instanceof Error) return { name: object.name, message: truncateText(object.message, maxChars) };
  seen.add(object);
  try {
    if (Array.isArray(object)) {
      return object.map((item) => {
        const copied = copy(item, maxChars, seen, depth + 1, size);
        return copied === undefined ? null : copied;
      });
    }
    if (typeof (object as { toJSON?: unknown }).toJSON === "function" && !isPlain(object)) {
      try {
        return copy((object as { toJSON: () => unknown }).toJSON(), maxChars, seen, depth + 1, size);
      } catch {
        return "[Unserializable]";
      }
    }
    const result: Record<string, unknown> = {};
    for (const key of Object.keys(object)) {
      let item: unknown;
      try {
        item = (object as Record<string, unknown>)[key];
      } catch {
        continue;
      }
      const copied = copy(item, maxChars, seen, depth + 1, size);
      if (copied !== undefined) {
        result[key] = copied;
        size.chars += key.length;
      }
    }
    return result;
  } finally {
    seen.delete(object);
  }
}

function isPlain(object: object): boolean {
  const prototype = Object.getPrototypeOf(object);
  return prototype === Object.prototype || prototype === null;
}
