import type { OtlpAnyValue, OtlpKeyValue } from "./otlp-types";

/** A value a caller may give as an OTLP attribute (resource attributes, span attributes). */
export type OtlpAttributeValue =
  | string
  | number
  | boolean
  | bigint
  | ReadonlyArray<string | number | boolean>;

/**
 * Collects typed span attributes: strings, booleans, integers (`intValue`), doubles, arrays of them;
 * anything else as JSON text. Empty strings and `undefined` are left out, so an attribute is either
 * meaningful or absent.
 */
export class AttributeList {
  readonly items: OtlpKeyValue[] = [];

  string(key: string, value: string | undefined): void {
    if (value !== undefined && value !== "") this.items.push({ key, value: { stringValue: value } });
  }

  integer(key: string, value: number | undefined): void {
    if (value !== undefined && Number.isFinite(value))
      this.items.push({ key, value: { intValue: String(Math.trunc(value)) } });
  }

  double(key: string, value: number | undefined): void {
    if (value !== undefined && Number.isFinite(value))
      this.items.push({ key, value: { doubleValue: value } });
  }

  /** Strings kept as text, anything else as JSON (`metadata`, `llm.invocation_parameters` …). */
  json(key: string, value: unknown): void {
    if (value === undefined) return;
    this.string(key, typeof value === "string" ? value : safeJson(value));
  }

  stringArray(key: string, values: readonly string[] | undefined): void {
    if (values && values.length > 0)
      this.items.push({
        key,
        value: { arrayValue: { values: values.map((item) => ({ stringValue: item })) } },
      });
  }

  /** A value of unknown type, typed as closely as OTLP allows. */
  value(key: string, value: unknown): void {
    const typed = toAnyValue(value);
    if (typed) this.items.push({ key, value: typed });
  }
}

/** Converts a caller's value to an `AnyValue`: primitives typed, arrays of primitives as arrays, others as JSON. */
export function toAnyValue(value: unknown): OtlpAnyValue | undefined {
  switch (typeof value) {
    case "string":
      return { stringValue: value };
    case "boolean":
      return { boolValue: value };
    case "bigint":
      return { intValue: value.toString() };
    case "number":
      if (Number.isSafeInteger(value)) return { intValue: String(value) };
      return Number.isFinite(value) ? { doubleValue: value } : { stringValue: String(value) };
    case "undefined":
    case "function":
    case "symbol":
      return undefined;
    default: {
      if (value === null) return undefined;
      if (Array.isArray(value) && value.every(isPrimitive) && isHomogeneous(value)) {
        // Numbers in one array share one type: doubles as soon as one is not an integer.
        const doubles = value.some((item) => typeof item === "number" && !Number.isSafeInteger(item));
        return {
          arrayValue: {
            values: value.map((item) =>
              doubles && Number.isFinite(item) ? { doubleValue: item as number } : toAnyValue(item)!,
            ),
          },
        };
      }
      return { stringValue: safeJson(value) };
    }
  }
}

/** Attributes from a plain record (resource attributes, event details). */
export function toKeyValues(record: Record<string, unknown> | undefined): OtlpKeyValue[] {
  const result: OtlpKeyValue[] = [];
  if (!record) return result;
  for (const [key, item] of Object.entries(record)) {
    const value = toAnyValue(item);
    if (value) result.push({ key, value });
  }
  return result;
}

function isPrimitive(value: unknown): value is string | number | boolean {
  return typeof value === "string" || typeof value === "boolean" || typeof value === "number";
}

/** OTLP arrays SHOULD hold one type: a mixed array goes as JSON text instead. */
function isHomogeneous(values: unknown[]): boolean {
  return values.every((item) => typeof item === typeof values[0]);
}

/** JSON text that never throws (records are JSON-safe; this guards hand-built ones). */
export function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? "";
  } catch {
    return String(value);
  }
}
