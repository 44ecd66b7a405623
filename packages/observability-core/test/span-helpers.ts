import { Validator } from "@cfworker/json-schema";
import recordSchema from "../schema/llm-run-record.schema.json";
import spanSchema from "../schema/run-span-record.schema.json";
import type { RunSpanRecord } from "../src/index";
import { stabilize } from "./helpers";

const validator = new Validator(spanSchema as never, "2020-12", false);
validator.addSchema(recordSchema as never);

/** Fails the test with the schema errors when a span does not match the shipped JSON Schema. */
export function assertValidSpan(span: RunSpanRecord): void {
  const result = validator.validate(JSON.parse(JSON.stringify(span)));
  if (!result.valid) {
    throw new Error(`span does not match the schema: ${JSON.stringify(result.errors.slice(0, 5), null, 2)}`);
  }
}

/** `stabilize`, plus event times: ids become `<id-N>`, clock values `<key>`. */
export function stabilizeSpans<T>(value: T): T {
  const walk = (item: unknown, key?: string): unknown => {
    if (typeof item === "number" && key === "time") return "<time>";
    if (Array.isArray(item)) return item.map((entry) => walk(entry));
    if (item && typeof item === "object") {
      return Object.fromEntries(
        Object.entries(item).map(([entryKey, entry]) => [entryKey, walk(entry, entryKey)]),
      );
    }
    return item;
  };
  return walk(stabilize(value)) as T;
}
