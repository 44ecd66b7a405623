import { Validator } from "@cfworker/json-schema";
import recordSchema from "../schema/llm-run-record.schema.json";
import spanSchema from "../schema/run-span-record.schema.json";
import type { RunSpanRecord } from "../src/index";

const validator = new Validator(spanSchema as never, "2020-12", false);
validator.addSchema(recordSchema as never);

/** Fails the test with the schema errors when a span does not match the shipped JSON Schema. */
export function assertValidSpan(span: RunSpanRecord): void {
  const result = validator.validate(JSON.parse(JSON.stringify(span)));
  if (!result.valid) {
    throw new Error(`span does not match the schema: ${JSON.stringify(result.errors.slice(0, 5), null, 2)}`);
  }
}

/**
 * Replaces volatile values so spans can be snapshotted: each distinct UUID, wherever it sits in a
 * string (run ids, LangGraph checkpoint namespaces), becomes `<id-N>` in order of appearance; clock
 * values become `<key>`.
 */
export function stabilizeSpans<T>(value: T): T {
  const ids = new Map<string, string>();
  const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
  const walk = (item: unknown, key?: string): unknown => {
    if (typeof item === "string") {
      return item.replace(uuid, (id) => {
        if (!ids.has(id)) ids.set(id, `<id-${ids.size + 1}>`);
        return ids.get(id)!;
      });
    }
    if (
      typeof item === "number" &&
      key &&
      /^(startTime|endTime|latencyMs|timeToFirstTokenMs|time)$/.test(key)
    ) {
      return `<${key}>`;
    }
    if (Array.isArray(item)) return item.map((entry) => walk(entry));
    if (item && typeof item === "object") {
      return Object.fromEntries(
        Object.entries(item).map(([entryKey, entry]) => [entryKey, walk(entry, entryKey)]),
      );
    }
    return item;
  };
  return walk(value) as T;
}
