// Wire types of the PromptLayer REST API this package talks to (snake_case, as PromptLayer spells it).
// Answers are typed loosely: PromptLayer documents few of them, so every field is optional.

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
