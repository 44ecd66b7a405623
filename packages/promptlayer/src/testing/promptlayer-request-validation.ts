// What the PromptLayer emulator checks in a request, as far as PromptLayer documents it.

/** Why PromptLayer would refuse a `/track-request` body (400), or `undefined` when it takes it. */
export function validateTrackRequest(body: Record<string, unknown>): string | undefined {
  if (typeof body.function_name !== "string" || body.function_name === "") {
    return "function_name must be a non-empty string";
  }
  const provider = body.provider_type ?? body.provider;
  if (provider !== undefined && provider !== null && typeof provider !== "string") {
    return "provider_type must be a string";
  }
  if (body.args !== undefined && !Array.isArray(body.args)) return "args must be an array";
  if (body.kwargs !== undefined && !isObject(body.kwargs)) return "kwargs must be an object";
  if (!isObject(body.request_response) && !Array.isArray(body.request_response)) {
    return "request_response must be an object or an array";
  }
  for (const field of ["request_start_time", "request_end_time"]) {
    const value = body[field];
    const valid =
      (typeof value === "number" && Number.isFinite(value)) ||
      (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)));
    if (!valid) return `${field} must be a number (epoch seconds)`;
  }
  if (body.tags !== undefined && body.tags !== null) {
    if (!Array.isArray(body.tags) || body.tags.some((tag) => typeof tag !== "string")) {
      return "tags must be an array of strings";
    }
  }
  if (body.metadata !== undefined && body.metadata !== null && !isStringRecord(body.metadata)) {
    return "metadata must be an object of string values";
  }
  if (body.status !== undefined && !["SUCCESS", "WARNING", "ERROR"].includes(body.status as string)) {
    return 'status must be "SUCCESS", "WARNING" or "ERROR"';
  }
  for (const field of ["error_type", "error_message"]) {
    if (body[field] !== undefined && body[field] !== null && typeof body[field] !== "string") {
      return `${field} must be a string`;
    }
  }
  return undefined;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function isStringRecord(value: unknown): value is Record<string, string> {
  return isObject(value) && Object.values(value).every((item) => typeof item === "string");
}

export function toInteger(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isInteger(value) ? value : undefined;
  if (typeof value === "string" && /^\d+$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

/** One validation problem, as PromptLayer's API (FastAPI) lists them in a 422 answer. */
export interface ValidationProblem {
  loc: Array<string | number>;
  msg: string;
  type: string;
}

const SPAN_KINDS = [
  "SpanKind.CLIENT",
  "SpanKind.CONSUMER",
  "SpanKind.INTERNAL",
  "SpanKind.PRODUCER",
  "SpanKind.SERVER",
];
const STATUS_CODES = ["StatusCode.ERROR", "StatusCode.OK", "StatusCode.UNSET"];
const MESSAGE_ROLES = ["system", "user", "assistant", "tool", "function", "developer", "placeholder"];
const LOG_STATUSES = ["SUCCESS", "WARNING", "ERROR"];
const ERROR_TYPES = [
  "PROVIDER_TIMEOUT",
  "PROVIDER_QUOTA_LIMIT",
  "PROVIDER_RATE_LIMIT",
  "PROVIDER_PARTIAL_RESPONSE",
  "PROVIDER_AUTH_ERROR",
  "PROVIDER_ERROR",
  "TEMPLATE_RENDER_ERROR",
  "VARIABLE_MISSING_OR_EMPTY",
  "UNKNOWN_ERROR",
];
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Validates a `/spans-bulk` body against PromptLayer's documented schema; an empty list means valid. */
export function validateSpansBulk(body: Record<string, unknown>): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  const problem = (loc: Array<string | number>, msg: string) =>
    problems.push({ loc: ["body", ...loc], msg, type: "value_error" });
  if (!Array.isArray(body.spans)) {
    problem(["spans"], "field required (an array of spans)");
    return problems;
  }
  if (body.close_after !== undefined && typeof body.close_after !== "boolean") {
    problem(["close_after"], "value is not a valid boolean");
  }
  for (const [index, span] of body.spans.entries()) {
    validateSpan(span, (loc, msg) => problem(["spans", index, ...loc], msg));
  }
  return problems;
}

type Report = (loc: Array<string | number>, msg: string) => void;

function validateSpan(span: unknown, problem: Report): void {
  if (!isObject(span)) {
    problem([], "a span must be an object");
    return;
  }
  if (typeof span.name !== "string") problem(["name"], "field required (string)");
  const context = span.context;
  if (!isObject(context)) {
    problem(["context"], "field required (object)");
  } else {
    if (typeof context.trace_id !== "string" || !/^[0-9a-fA-F]{32}$/.test(context.trace_id)) {
      problem(["context", "trace_id"], "must be 32 hex characters");
    }
    if (typeof context.span_id !== "string" || !/^[0-9a-fA-F]{16}$/.test(context.span_id)) {
      problem(["context", "span_id"], "must be 16 hex characters");
    }
    if (typeof context.trace_state !== "string")
      problem(["context", "trace_state"], "field required (string)");
  }
  if (!SPAN_KINDS.includes(span.kind as string)) problem(["kind"], `must be one of ${SPAN_KINDS.join(", ")}`);
  if (span.parent_id !== null && span.parent_id !== undefined) {
    if (typeof span.parent_id !== "string" || !/^[0-9a-fA-F]{1,16}$/.test(span.parent_id)) {
      problem(["parent_id"], "must be a hex span id or null");
    }
  }
  for (const field of ["start_time", "end_time"]) {
    if (!isNanoseconds(span[field])) problem([field], "must be an integer (nanoseconds since the epoch)");
  }
  const status = span.status;
  if (!isObject(status) || !STATUS_CODES.includes(status.status_code as string)) {
    problem(["status", "status_code"], `must be one of ${STATUS_CODES.join(", ")}`);
  } else if (status.description !== null && status.description !== undefined) {
    if (typeof status.description !== "string")
      problem(["status", "description"], "must be a string or null");
  }
  if (!isObject(span.attributes)) problem(["attributes"], "field required (object)");
  if (span.events !== undefined && !Array.isArray(span.events)) problem(["events"], "must be an array");
  for (const [index, event] of (Array.isArray(span.events) ? span.events : []).entries()) {
    if (!isObject(event) || typeof event.name !== "string" || !isNanoseconds(event.timestamp)) {
      problem(["events", index], "an event needs a name and an integer timestamp");
    }
  }
  if (span.links !== undefined && !Array.isArray(span.links)) problem(["links"], "must be an array");
  const resource = span.resource;
  if (
    !isObject(resource) ||
    !isStringRecord(resource.attributes) ||
    typeof resource.schema_url !== "string"
  ) {
    problem(["resource"], "field required ({ attributes: string → string, schema_url: string })");
  }
  if (span.log_request !== undefined && span.log_request !== null) {
    validateLogRequest(span.log_request, (loc, msg) => problem(["log_request", ...loc], msg));
  }
}

function validateLogRequest(log: unknown, problem: Report): void {
  if (!isObject(log)) {
    problem([], "must be an object");
    return;
  }
  for (const field of ["provider", "model"]) {
    if (typeof log[field] !== "string" || log[field] === "") problem([field], "field required (string)");
  }
  validateTemplate(log.input, (loc, msg) => problem(["input", ...loc], msg));
  validateTemplate(log.output, (loc, msg) => problem(["output", ...loc], msg));
  // Inherited from the span when left out.
  for (const field of ["request_start_time", "request_end_time"]) {
    if (log[field] !== undefined && (typeof log[field] !== "string" || !ISO_DATE_TIME.test(log[field]))) {
      problem([field], "must be an ISO 8601 date-time");
    }
  }
  if (log.parameters !== undefined && !isObject(log.parameters)) problem(["parameters"], "must be an object");
  if (log.tags !== undefined) {
    if (!Array.isArray(log.tags)) problem(["tags"], "must be an array of strings");
    for (const [index, tag] of (Array.isArray(log.tags) ? log.tags : []).entries()) {
      if (typeof tag !== "string" || tag.length > 512)
        problem(["tags", index], "a tag is a string of at most 512 characters");
    }
  }
  if (log.metadata !== undefined) {
    if (!isStringRecord(log.metadata)) problem(["metadata"], "values must be strings");
    else if (Object.keys(log.metadata).some((key) => key.length > 1024)) {
      problem(["metadata"], "keys are at most 1024 characters");
    }
  }
  for (const field of ["input_tokens", "output_tokens"]) {
    const value = log[field];
    if (value !== undefined && !(typeof value === "number" && Number.isInteger(value) && value >= 0)) {
      problem([field], "must be an integer >= 0");
    }
  }
  if (log.price !== undefined && !(typeof log.price === "number" && log.price >= 0))
    problem(["price"], "must be >= 0");
  if (
    log.score !== undefined &&
    !(Number.isInteger(log.score) && (log.score as number) >= 0 && (log.score as number) <= 100)
  ) {
    problem(["score"], "must be an integer from 0 to 100");
  }
  if (log.function_name !== undefined && typeof log.function_name !== "string")
    problem(["function_name"], "must be a string");
  if (log.status !== undefined && !LOG_STATUSES.includes(log.status as string)) {
    problem(["status"], `must be one of ${LOG_STATUSES.join(", ")}`);
  }
  if (
    log.error_type !== undefined &&
    log.error_type !== null &&
    !ERROR_TYPES.includes(log.error_type as string)
  ) {
    problem(["error_type"], `must be one of ${ERROR_TYPES.join(", ")}`);
  }
  if (log.error_message !== undefined && log.error_message !== null) {
    if (typeof log.error_message !== "string" || log.error_message.length > 1024) {
      problem(["error_message"], "a string of at most 1024 characters");
    }
  }
}

function validateTemplate(template: unknown, problem: Report): void {
  if (!isObject(template)) {
    problem([], "field required (a chat or completion template)");
    return;
  }
  if (template.type === "completion") {
    if (!Array.isArray(template.content)) {
      problem(["content"], "must be an array of content blocks");
      return;
    }
    for (const [index, block] of template.content.entries()) {
      validateBlock(block, (loc, msg) => problem(["content", index, ...loc], msg));
    }
    return;
  }
  if (template.type !== "chat") {
    problem(["type"], 'must be "chat" or "completion"');
    return;
  }
  if (!Array.isArray(template.messages)) {
    problem(["messages"], "must be an array of messages");
    return;
  }
  for (const [index, message] of template.messages.entries()) {
    const report: Report = (loc, msg) => problem(["messages", index, ...loc], msg);
    if (!isObject(message)) {
      report([], "a message must be an object");
      continue;
    }
    if (!MESSAGE_ROLES.includes(message.role as string))
      report(["role"], `must be one of ${MESSAGE_ROLES.join(", ")}`);
    if (message.content === null) {
      if (message.role !== "assistant")
        report(["content"], "only an assistant message may have null content");
    } else if (!Array.isArray(message.content)) {
      report(["content"], "must be an array of content blocks");
    } else {
      for (const [blockIndex, block] of message.content.entries()) {
        validateBlock(block, (loc, msg) => report(["content", blockIndex, ...loc], msg));
      }
    }
    if (message.role === "tool" && typeof message.tool_call_id !== "string")
      report(["tool_call_id"], "a tool message needs tool_call_id");
    if (message.role === "function" && typeof message.name !== "string")
      report(["name"], "a function message needs name");
    if (message.tool_calls !== undefined) {
      if (!Array.isArray(message.tool_calls)) report(["tool_calls"], "must be an array");
      for (const [callIndex, call] of (Array.isArray(message.tool_calls)
        ? message.tool_calls
        : []
      ).entries()) {
        const fn = isObject(call) ? call.function : undefined;
        if (
          !isObject(call) ||
          call.type !== "function" ||
          !isObject(fn) ||
          typeof fn.name !== "string" ||
          typeof fn.arguments !== "string"
        ) {
          report(
            ["tool_calls", callIndex],
            'a tool call is { id, type: "function", function: { name, arguments: string } }',
          );
        }
      }
    }
  }
}

function validateBlock(block: unknown, problem: Report): void {
  if (!isObject(block)) {
    problem([], "a content block must be an object");
    return;
  }
  switch (block.type) {
    case "text":
      if (typeof block.text !== "string") problem(["text"], "field required (string)");
      return;
    case "thinking":
      if (typeof block.thinking !== "string") problem(["thinking"], "field required (string)");
      return;
    case "image_url":
      if (!isObject(block.image_url) || typeof block.image_url.url !== "string")
        problem(["image_url", "url"], "field required (string)");
      return;
    case "media":
      return;
    default:
      problem(["type"], 'must be "text", "thinking", "image_url" or "media"');
  }
}

/** Integer nanoseconds: a JSON integer, or (as PromptLayer's JS SDK sent them) a string of digits. */
function isNanoseconds(value: unknown): boolean {
  if (typeof value === "number") return Number.isInteger(value) && value >= 0;
  return typeof value === "string" && /^\d+$/.test(value);
}
