// Wire types of the two Trubrics APIs (types only). Field names are the vendors' own.

// ---- Current ingestion API: POST {host}/publish_llm_events ---------------------------------------

/** One item of `POST {host}/publish_llm_events` (the shape the Python SDK 1.8.5 sends). */
export interface TrubricsLlmEvent {
  /** Required by the API; `"anonymous"` when the run has no user. */
  user_id: string;
  prompt: string;
  /** The answer; empty for a failed run (its error is in `properties.error`). */
  generation: string;
  prompt_event_name: string;
  generation_event_name: string;
  /** The model name. */
  assistant_id: string | null;
  /** Free-form properties; keys starting with `$` (`$thread_id` …) are interpreted by Trubrics. */
  properties: TrubricsLlmEventProperties;
  /** ISO-8601 time the run ended. */
  timestamp: string;
  /** Seconds, as a float. */
  latency: number | null;
  /** The session (also sent as `properties.$thread_id`). */
  thread_id: string | null;
}

/** The properties this package puts on an LLM event, plus the record's own metadata entries. */
export interface TrubricsLlmEventProperties extends TrubricsRunProperties {
  $thread_id?: string;
  tags: string[];
  model_provider?: string;
  cached?: true;
  /** `"error"` or `"cancelled"`; absent for a successful run. */
  status?: "error" | "cancelled";
  error?: { name: string; message: string };
}

/** What both transports record about a run besides prompt and answer (the legacy one as `metadata`). */
export interface TrubricsRunProperties {
  langchain_run_id: string;
  langchain_parent_run_id?: string;
  langchain_trace_id?: string;
  messages?: TrubricsMessage[];
  tool_calls?: TrubricsToolCall[];
  finish_reason?: string;
  /** The model name the provider's answer gave, when it differs from the one asked for. */
  response_model?: string;
  usage?: TrubricsUsage;
  /** Seconds from the start of the run to its first streamed token. */
  time_to_first_token?: number;
  [metadataKey: string]: unknown;
}

/** A chat message in the OpenAI-style shape the Python handler used (`role`, `content`, `name` …). */
export interface TrubricsMessage {
  role: string;
  content: string;
  name?: string;
  tool_calls?: TrubricsToolCall[];
  tool_call_id?: string;
  function_call?: { name: string; arguments: string };
}

export interface TrubricsToolCall {
  id?: string;
  name: string;
  args: unknown;
}

export interface TrubricsUsage {
  input_tokens?: number;
  output_tokens?: number;
  total_tokens?: number;
  cache_read_tokens?: number;
  cache_write_tokens?: number;
  reasoning_tokens?: number;
}

/** One item of `POST {host}/publish_events` (plain events; emulated, not sent by this package). */
export interface TrubricsEvent {
  user_id: string;
  event: string;
  timestamp: string;
  properties?: Record<string, unknown> | null;
}

/** An error answer of the ingestion API (FastAPI style; the shape of `detail` is UNCONFIRMED). */
export interface TrubricsIngestionErrorBody {
  detail: string | Array<{ type?: string; loc: Array<string | number>; msg: string; input?: unknown }>;
}

// ---- Legacy platform API: Firebase Identity Toolkit + Firestore REST -----------------------------

/** `POST {identityToolkitUrl}/v1/accounts:signInWithPassword?key={firebaseApiKey}` */
export interface FirebaseSignInRequest {
  email: string;
  password: string;
  returnSecureToken: true;
}

export interface FirebaseSignInResponse {
  kind?: string;
  localId?: string;
  email?: string;
  displayName?: string;
  idToken: string;
  registered?: boolean;
  refreshToken?: string;
  /** Lifetime of `idToken` in seconds, as a string (`"3600"`). */
  expiresIn?: string;
}

/** A typed Firestore value: exactly one of these keys. */
export type FirestoreValue =
  | { nullValue: null }
  | { booleanValue: boolean }
  | { integerValue: string | number }
  | { doubleValue: number }
  | { timestampValue: string }
  | { stringValue: string }
  | { bytesValue: string }
  | { referenceValue: string }
  | { geoPointValue: { latitude: number; longitude: number } }
  | { arrayValue: { values?: FirestoreValue[] } }
  | { mapValue: { fields?: Record<string, FirestoreValue> } };

export interface FirestoreDocument {
  /** `projects/{projectId}/databases/(default)/documents/{path}` */
  name?: string;
  fields?: Record<string, FirestoreValue>;
  createTime?: string;
  updateTime?: string;
}

/** The prompt document `log_prompt` wrote (the SDK's pydantic `Prompt` without `id`). */
export interface TrubricsPromptDocument {
  fields: {
    config_model: {
      mapValue: {
        fields: {
          model: { stringValue: string };
          prompt_template: { stringValue: string };
          temperature: { nullValue: null } | { doubleValue: number };
        };
      };
    };
    prompt: { stringValue: string };
    generation: { stringValue: string };
    created_on: { timestampValue: string };
    user_id: { stringValue: string } | { nullValue: null };
    session_id: { stringValue: string } | { nullValue: null };
    tags: { arrayValue: { values: Array<{ stringValue: string }> } };
    metadata: { mapValue: { fields: Record<string, FirestoreValue> } };
  };
}

/** `POST …/documents:runQuery` — the organisation lookup. */
export interface FirestoreRunQueryRequest {
  structuredQuery: {
    from: Array<{ collectionId: string }>;
    where: {
      fieldFilter: { field: { fieldPath: string }; op: "ARRAY_CONTAINS"; value: FirestoreValue };
    };
  };
}

/** One entry per matching document; a query without results answers `[{ readTime }]`. */
export type FirestoreRunQueryResponse = Array<{
  document?: FirestoreDocument;
  readTime?: string;
  skippedResults?: number;
}>;

/** `GET …/organisations/{id}/projects?pageSize=50` */
export interface FirestoreListDocumentsResponse {
  documents?: FirestoreDocument[];
  nextPageToken?: string;
}

/** The error shape of every Google API (Identity Toolkit and Firestore). */
export interface GoogleApiErrorBody {
  error: {
    code: number;
    message: string;
    status?: string;
    errors?: Array<{ message: string; domain: string; reason: string }>;
    details?: unknown[];
  };
}
