// Wire types of the PromptLayer REST API this package talks to (snake_case, as PromptLayer spells it).
// Answers are typed loosely: PromptLayer documents few of them, so every field is optional.

/** Reads a PromptLayer id leniently: an integer, or a string holding one; anything else is no id. */
export function readRequestId(value: unknown): number | undefined {
  const id = typeof value === "string" && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  return typeof id === "number" && Number.isSafeInteger(id) && id >= 0 ? id : undefined;
}

/** A PromptLayer request or group id: an integer on the wire; a string holding one is accepted as input. */
export type PromptLayerRequestId = number | string;

/** An OpenAI-style tool call, as PromptLayer stores assistant tool calls. */
export interface PromptLayerToolCall {
  id?: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** One role-mapped message of `args` or of a chat `request_response`. */
export interface PromptLayerMessage {
  role: string;
  /** Text, or the message's content parts when it had any besides plain text. */
  content: string | Array<Record<string, unknown>>;
  name?: string;
  tool_calls?: PromptLayerToolCall[];
  tool_call_id?: string;
  function_call?: { name: string; arguments: string };
}

/** `request_response` of a text-completion run (the shape the Python handler sends). */
export interface PromptLayerCompletionResponse {
  text: string;
  llm_output: Record<string, unknown> | null;
  /** Every candidate, when the model returned more than one (`n > 1`). */
  candidates?: Array<{ text: string; finish_reason?: string }>;
}

/** Body of `POST /track-request` (`api_key` is added by the exporter, never by the mapper). */
export interface PromptLayerTrackRequestBody {
  function_name: string;
  provider_type: "langchain";
  args: Array<PromptLayerMessage | string>;
  kwargs: Record<string, unknown>;
  tags: string[];
  request_response: PromptLayerMessage[] | PromptLayerCompletionResponse;
  /** Epoch seconds (float). */
  request_start_time: number;
  request_end_time: number;
  /** String → string only: PromptLayer rejects other values. */
  metadata: Record<string, string>;
  return_pl_id?: true;
  status?: "SUCCESS" | "WARNING" | "ERROR";
  error_type?: string;
  error_message?: string;
  api_key?: string;
}

/** Answer of `POST /track-request`. */
export interface PromptLayerTrackRequestResponse {
  success?: boolean;
  request_id?: number | string | null;
  prompt_blueprint?: unknown;
  message?: string;
}

export interface PromptLayerTrackScoreBody {
  request_id: PromptLayerRequestId;
  score: number;
  name?: string;
  api_key: string;
}

export interface PromptLayerTrackMetadataBody {
  request_id: PromptLayerRequestId;
  metadata: Record<string, string>;
  api_key: string;
}

export interface PromptLayerTrackPromptBody {
  request_id: PromptLayerRequestId;
  prompt_name: string;
  prompt_input_variables: Record<string, unknown>;
  version?: number;
  label?: string;
  api_key: string;
}

export interface PromptLayerTrackGroupBody {
  request_id: PromptLayerRequestId;
  group_id: PromptLayerRequestId;
  api_key: string;
}

export interface PromptLayerCreateGroupBody {
  api_key: string;
}

/** Answer of the `/library-track-*`, `/track-group` and `/create-group` endpoints. */
export interface PromptLayerSuccessResponse {
  success?: boolean;
  message?: string;
  /** The new group's id (`/create-group` only). */
  id?: number | string;
}

/** Body of `POST /prompt-templates/{prompt_name}` (the key goes in the `X-API-KEY` header). */
export interface PromptLayerGetTemplateBody {
  version?: number;
  label?: string;
  provider?: string;
  model?: string;
  input_variables?: Record<string, unknown>;
  metadata_filters?: Record<string, string>;
}

/** The template syntax of a PromptLayer prompt (or of one message of a chat prompt). */
export type PromptLayerTemplateFormat = "f-string" | "jinja2";

/** One content part of a PromptLayer prompt template. */
export type PromptLayerContentPart =
  | { type: "text"; text: string }
  | { type: "image_url"; image_url: { url: string } | string }
  | ({ type: string } & Record<string, unknown>);

/** One message of a PromptLayer chat template. */
export interface PromptLayerTemplateMessage {
  role: "system" | "developer" | "user" | "assistant" | "tool" | "function" | "placeholder" | (string & {});
  content?: PromptLayerContentPart[] | string;
  input_variables?: string[];
  template_format?: PromptLayerTemplateFormat;
  name?: string;
  tool_calls?: PromptLayerToolCall[];
  tool_call_id?: string;
  function_call?: { name: string; arguments: string };
}

export interface PromptLayerCompletionTemplate {
  type: "completion";
  content: PromptLayerContentPart[] | string;
  input_variables?: string[];
  template_format?: PromptLayerTemplateFormat;
}

export interface PromptLayerChatTemplate {
  type: "chat";
  messages: PromptLayerTemplateMessage[];
  input_variables?: string[];
  functions?: unknown[];
  tools?: unknown[];
  function_call?: unknown;
  tool_choice?: unknown;
}

/** The `prompt_template` document of a PromptLayer prompt. */
export type PromptLayerPromptTemplate = PromptLayerCompletionTemplate | PromptLayerChatTemplate;

/** Answer of `POST /prompt-templates/{prompt_name}`. */
export interface PromptLayerGetTemplateResponse {
  success?: boolean;
  id?: number;
  prompt_name?: string;
  tags?: string[];
  prompt_template?: PromptLayerPromptTemplate;
  commit_message?: string | null;
  metadata?: { model?: { provider?: string; name?: string; parameters?: Record<string, unknown> } } & Record<
    string,
    unknown
  >;
  llm_kwargs?: Record<string, unknown> | null;
  version?: number;
  workspace_id?: number;
  warning?: string;
}

// ---- POST /spans-bulk (header X-API-KEY; answer 201) ------------------------------------------

/** One content block of a message of a PromptLayer chat or completion template (`/spans-bulk`, `/log-request`). */
export type PromptLayerContentBlock =
  | { type: "text"; text: string }
  | { type: "thinking"; thinking: string }
  | { type: "image_url"; image_url: { url: string; detail?: string } }
  | { type: "media"; media: Record<string, unknown> };

/** One message of a `log_request` chat template: content is always an array of blocks. */
export interface PromptLayerLogMessage {
  role: "system" | "user" | "assistant" | "tool" | "function" | "developer" | "placeholder" | (string & {});
  /** Blocks; `null` only for an assistant message that carries tool calls and no text. */
  content: PromptLayerContentBlock[] | null;
  name?: string;
  tool_calls?: PromptLayerToolCall[];
  tool_call_id?: string;
  function_call?: { name: string; arguments: string };
}

/** `log_request.input` / `output` of a chat model call. */
export interface PromptLayerLogChatTemplate {
  type: "chat";
  messages: PromptLayerLogMessage[];
  tools?: unknown[];
  functions?: unknown[];
  tool_choice?: unknown;
  function_call?: unknown;
}

/** `log_request.input` / `output` of a text-completion call. */
export interface PromptLayerLogCompletionTemplate {
  type: "completion";
  content: PromptLayerContentBlock[];
}

export type PromptLayerLogTemplate = PromptLayerLogChatTemplate | PromptLayerLogCompletionTemplate;

/** PromptLayer's error categories for a failed model call (`log_request.error_type`). */
export type PromptLayerErrorType =
  | "PROVIDER_TIMEOUT"
  | "PROVIDER_QUOTA_LIMIT"
  | "PROVIDER_RATE_LIMIT"
  | "PROVIDER_PARTIAL_RESPONSE"
  | "PROVIDER_AUTH_ERROR"
  | "PROVIDER_ERROR"
  | "TEMPLATE_RENDER_ERROR"
  | "VARIABLE_MISSING_OR_EMPTY"
  | "UNKNOWN_ERROR";

/** The `LogRequest` a span may carry: it creates the request log linked to that span. */
export interface PromptLayerLogRequest {
  provider: string;
  model: string;
  input: PromptLayerLogTemplate;
  output: PromptLayerLogTemplate;
  /** ISO 8601, e.g. `2024-01-20T10:00:00.000Z`. */
  request_start_time: string;
  request_end_time: string;
  parameters?: Record<string, unknown>;
  /** Each at most 512 characters. */
  tags?: string[];
  /** String values only; keys at most 1024 characters. */
  metadata?: Record<string, string>;
  input_tokens?: number;
  output_tokens?: number;
  function_name?: string;
  status?: "SUCCESS" | "WARNING" | "ERROR";
  error_type?: PromptLayerErrorType;
  /** At most 1024 characters. */
  error_message?: string;
  prompt_name?: string;
  prompt_id?: number;
  prompt_version_number?: number;
  prompt_input_variables?: Record<string, unknown>;
  price?: number;
  score?: number;
  api_type?: string | null;
}

/** OpenTelemetry span kinds as PromptLayer spells them. */
export type PromptLayerSpanKind =
  | "SpanKind.CLIENT"
  | "SpanKind.CONSUMER"
  | "SpanKind.INTERNAL"
  | "SpanKind.PRODUCER"
  | "SpanKind.SERVER";

/** An attribute value: a primitive or an array of primitives, as in OpenTelemetry. */
export type PromptLayerAttributeValue = string | number | boolean | string[] | number[] | boolean[];

/** One span of `POST /spans-bulk`. */
export interface PromptLayerSpan {
  name: string;
  /** `trace_id`: 32 lowercase hex characters; `span_id`: 16. */
  context: { trace_id: string; span_id: string; trace_state: string };
  kind: PromptLayerSpanKind;
  /** The parent span's `span_id`, or `null` for a root span. */
  parent_id: string | null;
  /** Nanoseconds since the epoch (integers). */
  start_time: number;
  end_time: number;
  status: {
    status_code: "StatusCode.OK" | "StatusCode.ERROR" | "StatusCode.UNSET";
    description: string | null;
  };
  attributes: Record<string, PromptLayerAttributeValue>;
  events: Array<{ name: string; timestamp: number; attributes: Record<string, PromptLayerAttributeValue> }>;
  links: Array<{
    context: { trace_id: string; span_id: string; trace_state: string };
    attributes: Record<string, PromptLayerAttributeValue>;
  }>;
  resource: { attributes: Record<string, string>; schema_url: string };
  /** Model-call spans: the request log to create for this span. */
  log_request?: PromptLayerLogRequest | null;
}

/** Body of `POST /spans-bulk`. */
export interface PromptLayerSpansBulkBody {
  spans: PromptLayerSpan[];
  /** True closes every trace of the batch once stored (never sent by this package: traces stay open). */
  close_after?: boolean;
}

/** Answer of `POST /spans-bulk` (201). Items are matched by `span_id`, never by position. */
export interface PromptLayerSpansBulkResponse {
  success?: boolean;
  spans?: Array<{ id?: number | string; name?: string; span_id?: string }>;
  request_logs?: Array<{ id?: number | string; span_id?: string }>;
  rejected_span_ids?: string[];
  rejected_trace_ids?: string[];
  rejection_reason?: string;
  /** Error answers: `message` (this package's emulator, `/track-request`), `error` (403), `detail` (422). */
  message?: string;
  error?: string;
  detail?: unknown;
}
