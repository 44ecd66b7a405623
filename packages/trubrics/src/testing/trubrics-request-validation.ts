// Request validation of the Trubrics emulator: what the real services refuse, in their answers' shapes.

/** One entry of a FastAPI/pydantic 422 answer. */
export interface ValidationIssue {
  type: string;
  loc: Array<string | number>;
  msg: string;
  input?: unknown;
}

type FieldRule = "string" | "optional-string" | "optional-number" | "optional-object" | "timestamp";

const LLM_EVENT_FIELDS: Record<string, FieldRule> = {
  user_id: "string",
  prompt: "string",
  generation: "string",
  timestamp: "timestamp",
  assistant_id: "optional-string",
  prompt_event_name: "optional-string",
  generation_event_name: "optional-string",
  properties: "optional-object",
  latency: "optional-number",
  thread_id: "optional-string",
};

const EVENT_FIELDS: Record<string, FieldRule> = {
  user_id: "string",
  event: "string",
  timestamp: "timestamp",
  properties: "optional-object",
};

/** Checks one item of `publish_llm_events` (`kind: "llm"`) or `publish_events` (`kind: "event"`). */
export function validateIngestionItem(
  item: unknown,
  index: number,
  kind: "llm" | "event",
): ValidationIssue[] {
  if (item === null || typeof item !== "object" || Array.isArray(item)) {
    return [
      {
        type: "model_attributes_type",
        loc: ["body", index],
        msg: "Input should be a valid dictionary or object to extract fields from",
        input: item,
      },
    ];
  }
  const issues: ValidationIssue[] = [];
  const record = item as Record<string, unknown>;
  for (const [field, rule] of Object.entries(kind === "llm" ? LLM_EVENT_FIELDS : EVENT_FIELDS)) {
    const loc = ["body", index, field];
    const value = record[field];
    const required = rule === "string" || rule === "timestamp";
    if (value === undefined || (value === null && required)) {
      if (required) issues.push({ type: "missing", loc, msg: "Field required" });
      continue;
    }
    if (value === null) continue;
    if ((rule === "string" || rule === "optional-string") && typeof value !== "string") {
      issues.push({ type: "string_type", loc, msg: "Input should be a valid string", input: value });
    } else if (rule === "timestamp" && (typeof value !== "string" || Number.isNaN(Date.parse(value)))) {
      issues.push({
        type: "datetime_from_date_parsing",
        loc,
        msg: "Input should be a valid datetime or date",
        input: value,
      });
    } else if (rule === "optional-number" && (typeof value !== "number" || !Number.isFinite(value))) {
      issues.push({ type: "float_type", loc, msg: "Input should be a valid number", input: value });
    } else if (rule === "optional-object" && (typeof value !== "object" || Array.isArray(value))) {
      issues.push({ type: "dict_type", loc, msg: "Input should be a valid dictionary", input: value });
    }
  }
  return issues;
}

const VALUE_KINDS = new Set([
  "nullValue",
  "booleanValue",
  "integerValue",
  "doubleValue",
  "timestampValue",
  "stringValue",
  "bytesValue",
  "referenceValue",
  "geoPointValue",
  "arrayValue",
  "mapValue",
]);

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Checks a Firestore document body the way the REST API parses it; answers the message of the
 * 400 `INVALID_ARGUMENT` it would give, or `undefined` when the body is valid.
 */
export function validateFirestoreDocument(body: unknown): string | undefined {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    return 'Invalid JSON payload received. Expected an object for "document".';
  }
  for (const key of Object.keys(body)) {
    if (!["name", "fields", "createTime", "updateTime"].includes(key)) {
      return `Invalid JSON payload received. Unknown name "${key}": Cannot find field.`;
    }
  }
  const fields = (body as { fields?: unknown }).fields;
  if (fields === undefined) return undefined;
  return validateFields(fields, "document.fields");
}

function validateFields(fields: unknown, path: string): string | undefined {
  if (fields === null || typeof fields !== "object" || Array.isArray(fields)) {
    return `Invalid JSON payload received. Invalid value at '${path}': expected a map of values.`;
  }
  for (const [key, value] of Object.entries(fields)) {
    if (key === "" || /^__.*__$/.test(key)) return `Invalid field name at '${path}': "${key}".`;
    const problem = validateValue(value, `${path}[${JSON.stringify(key)}]`, false);
    if (problem) return problem;
  }
  return undefined;
}

function validateValue(value: unknown, path: string, insideArray: boolean): string | undefined {
  const invalid = (detail: string) =>
    `Invalid JSON payload received. Invalid value at '${path}' (type.googleapis.com/google.firestore.v1.Value): ${detail}`;
  if (value === null || typeof value !== "object" || Array.isArray(value))
    return invalid("expected a Value object");
  const keys = Object.keys(value);
  const unknown = keys.find((key) => !VALUE_KINDS.has(key));
  if (unknown)
    return `Invalid JSON payload received. Unknown name "${unknown}" at '${path}': Cannot find field.`;
  if (keys.length !== 1) return invalid(`exactly one value kind is allowed, got ${keys.length}`);
  const kind = keys[0]!;
  const inner = (value as Record<string, unknown>)[kind];
  switch (kind) {
    case "nullValue":
      return inner === null || inner === "NULL_VALUE"
        ? undefined
        : invalid(`nullValue ${JSON.stringify(inner)}`);
    case "booleanValue":
      return typeof inner === "boolean" ? undefined : invalid(`booleanValue ${JSON.stringify(inner)}`);
    case "integerValue":
      // int64 is a decimal string in proto3 JSON; a JSON number is accepted as well.
      return (typeof inner === "string" && /^-?\d+$/.test(inner)) ||
        (typeof inner === "number" && Number.isInteger(inner))
        ? undefined
        : invalid(`integerValue ${JSON.stringify(inner)}`);
    case "doubleValue":
      return typeof inner === "number" || ["NaN", "Infinity", "-Infinity"].includes(inner as string)
        ? undefined
        : invalid(`doubleValue ${JSON.stringify(inner)}`);
    case "timestampValue":
      return typeof inner === "string" && RFC3339.test(inner) && !Number.isNaN(Date.parse(inner))
        ? undefined
        : invalid(`timestampValue ${JSON.stringify(inner)}`);
    case "stringValue":
    case "bytesValue":
    case "referenceValue":
      return typeof inner === "string" ? undefined : invalid(`${kind} ${JSON.stringify(inner)}`);
    case "geoPointValue":
      return inner !== null && typeof inner === "object" ? undefined : invalid("geoPointValue");
    case "arrayValue": {
      if (insideArray)
        return `Invalid value at '${path}': Cannot have an array value directly inside an array value.`;
      if (inner === null || typeof inner !== "object" || Array.isArray(inner)) return invalid("arrayValue");
      const values = (inner as { values?: unknown }).values;
      if (values === undefined) return undefined;
      if (!Array.isArray(values)) return invalid("arrayValue.values must be a list");
      for (let index = 0; index < values.length; index++) {
        const problem = validateValue(values[index], `${path}.array_value.values[${index}]`, true);
        if (problem) return problem;
      }
      return undefined;
    }
    default: {
      if (inner === null || typeof inner !== "object" || Array.isArray(inner)) return invalid("mapValue");
      const fields = (inner as { fields?: unknown }).fields;
      return fields === undefined ? undefined : validateFields(fields, `${path}.map_value.fields`);
    }
  }
}

/** Decodes typed Firestore values into plain JSON (integers as numbers), for assertions. */
export function decodeFirestoreValue(value: unknown): unknown {
  if (value === null || typeof value !== "object") return undefined;
  const [kind, inner] = Object.entries(value)[0] ?? [];
  switch (kind) {
    case "nullValue":
      return null;
    case "integerValue":
      return Number(inner);
    case "arrayValue":
      return ((inner as { values?: unknown[] })?.values ?? []).map(decodeFirestoreValue);
    case "mapValue":
      return decodeFirestoreFields((inner as { fields?: Record<string, unknown> })?.fields ?? {});
    default:
      return inner;
  }
}

/** Decodes the `fields` of a Firestore document into a plain object. */
export function decodeFirestoreFields(fields: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) result[key] = decodeFirestoreValue(value);
  return result;
}
