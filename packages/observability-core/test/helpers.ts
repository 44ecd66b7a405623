import { Validator } from "@cfworker/json-schema";
import schema from "../schema/llm-run-record.schema.json";
import type { LLMRunRecord } from "../src/index";

const validator = new Validator(schema as never, "2020-12", false);

/** Fails the test with the schema errors when a record does not match the shipped JSON Schema. */
export function assertValidRecord(record: LLMRunRecord): void {
  const result = validator.validate(JSON.parse(JSON.stringify(record)));
  if (!result.valid) {
    throw new Error(
      `record does not match the schema: ${JSON.stringify(result.errors.slice(0, 5), null, 2)}`,
    );
  }
}

/**
 * Replaces volatile values (run ids, clock times) with stable placeholders so payloads can be
 * snapshotted: each distinct id becomes `<id-N>` in order of appearance.
 */
export function stabilize<T>(value: T): T {
  const ids = new Map<string, string>();
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
  const walk = (item: unknown, key?: string): unknown => {
    if (typeof item === "string") {
      const match = uuid.exec(item);
      if (match) {
        const id = match[0];
        if (!ids.has(id)) ids.set(id, `<id-${ids.size + 1}>`);
        return ids.get(id)! + item.slice(id.length);
      }
      return item;
    }
    if (typeof item === "number" && key && /^(startTime|endTime|latencyMs|timeToFirstTokenMs)$/.test(key)) {
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
