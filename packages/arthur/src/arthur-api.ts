/**
 * Wire types of the Arthur Scope REST API v3 (`{arthurUrl}/api/v3`), as the `arthurai` SDK uses it.
 * Answers are typed loosely (every field optional) because they are read leniently.
 */

/** Where an attribute sits in an inference (`arthurai.common.constants.Stage`). */
export type ArthurStage =
  | "PIPELINE_INPUT"
  | "PREDICT_FUNCTION_INPUT"
  | "PREDICTED_VALUE"
  | "NON_INPUT_DATA"
  | "GROUND_TRUTH"
  | "GROUND_TRUTH_CLASS"
  | (string & {});

/** The value type of an attribute (`arthurai.common.constants.ValueType`). */
export type ArthurValueType =
  | "STRING"
  | "INTEGER"
  | "FLOAT"
  | "IMAGE"
  | "BOOLEAN"
  | "TIMESTAMP"
  | "UNSTRUCTURED_TEXT"
  | "BOUNDING_BOX"
  | "TOKENS"
  | "TOKEN_LIKELIHOODS"
  | "RANKED_LIST"
  | "ARRAY(STRING)"
  | "TIME_SERIES"
  | (string & {});

/** One attribute (column) of an Arthur model. */
export interface ArthurAttribute {
  name: string;
  value_type: ArthurValueType;
  stage: ArthurStage;
  id?: string;
  position?: number;
  categorical?: boolean;
  is_unique?: boolean;
  [key: string]: unknown;
}

/** An Arthur model as `GET /api/v3/models/{id}?expand=attributes` returns it. */
export interface ArthurModel {
  id: string;
  partner_model_id?: string;
  display_name?: string;
  description?: string;
  input_type?: string;
  output_type?: string;
  attributes: ArthurAttribute[];
  [key: string]: unknown;
}

/** Body of `POST /api/v3/login`; the answer sets the `Authorization` cookie. */
export interface ArthurLoginRequest {
  login: string;
  password: string;
}

/** The parts of `GET /api/v3/users/me` (and of the login answer) this package reads. */
export interface ArthurUser {
  id?: string;
  username?: string;
  email?: string;
  organization_id?: string;
  [key: string]: unknown;
}

/** The parts of `GET /api/v3/users/me/auth_info` this package reads. */
export interface ArthurAuthInfo {
  organization_ids?: string[];
  [key: string]: unknown;
}

/** A token → probability map per generated token, at most 5 pairs each. */
export type ArthurTokenLikelihoods = Array<Record<string, number>>;

/** A value of `inference_data`. */
export type ArthurInferenceValue = string | number | boolean | null | ArthurTokenLikelihoods;

/** One item of the JSON array posted to `POST /api/v3/models/{modelId}/inferences`. */
export interface ArthurInference {
  /** Our stable id (the record id, plus `#<n>` for extra candidates), so a retry is recognisable. */
  partner_inference_id: string;
  /** ISO-8601 with a time zone. */
  inference_timestamp: string;
  /** Attribute name → value, for `PIPELINE_INPUT`, `PREDICT_FUNCTION_INPUT`, `NON_INPUT_DATA` and `PREDICTED_VALUE` attributes. */
  inference_data: Record<string, ArthurInferenceValue>;
}

/** One per-inference entry of the 207 Multi-Status answer. */
export interface ArthurInferenceResult {
  status?: number;
  message?: string;
  partner_inference_id?: string;
  [key: string]: unknown;
}

/** The 207 Multi-Status answer of the inferences endpoint. */
export interface ArthurMultiStatusResponse {
  counts?: { success?: number; failure?: number; total?: number };
  results?: ArthurInferenceResult[];
}

/** An error body of the Arthur API (the field varies by endpoint). */
export interface ArthurErrorBody {
  error?: string;
  message?: string;
  detail?: unknown;
}

// ---- Arthur GenAI Engine (OTLP traces) ---------------------------------------------------------

/**
 * The JSON summary the engine answers `POST {engineUrl}/api/v1/traces` with (200 `"success"`, 206
 * `"partial_success"`, 422 `"failure"`). Not an OTLP `ExportTraceServiceResponse`. Read leniently.
 */
export interface ArthurTraceIngestionResponse {
  total_spans?: number;
  accepted_spans?: number;
  rejected_spans?: number;
  /** One text per rejected span, e.g. `"Invalid span data format: …"`; may name the span id. */
  rejection_reasons?: string[];
  status?: "success" | "partial_success" | "failure" | (string & {});
  [key: string]: unknown;
}

/** The engine API key of a task's connection info. */
export interface ArthurTaskValidationKey {
  id?: string;
  name?: string;
  /** The engine API key (sent as `Authorization: Bearer <key>`). */
  key?: string;
  [key: string]: unknown;
}

/**
 * What the Arthur platform answers to `GET {platformUrl}/api/v1/models/{modelId}/task/connection_info`:
 * the engine that hosts the model's task, the task id and an engine API key. Field names may differ
 * across platform versions (UNCONFIRMED), so every field is optional and read leniently.
 */
export interface ArthurTaskConnectionInfo {
  /** The engine URL (`api_host`). */
  api_host?: string;
  task_id?: string;
  validation_key?: ArthurTaskValidationKey;
  created_at?: string;
  updated_at?: string;
  [key: string]: unknown;
}
