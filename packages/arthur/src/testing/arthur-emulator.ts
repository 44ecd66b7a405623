import { randomUUID } from "node:crypto";
import type {
  OtlpAnyValue,
  OtlpKeyValue,
  OtlpSpan,
  OtlpTraceRequest,
} from "@langchain-observability/core/otlp";
import {
  decodeOtlpTraceRequest,
  type Emulator,
  type EmulatorAnswer,
  type EmulatorRequest,
  type EmulatorRequestLog,
  type EmulatorRespondContext,
  startEmulator,
} from "@langchain-observability/core/testing";
import type { ArthurAttribute, ArthurInference, ArthurModel } from "../arthur-api";

/** The optional attributes the handler writes when a model declares them (by these exact names). */
export type ArthurOptionalAttributeName =
  | "finish_reason"
  | "prompt_tokens"
  | "completion_tokens"
  | "duration";

export interface ArthurTokenSequenceModelOptions {
  /** @default "arthur-llm-model" */
  id?: string;
  /** @default "LangChain LLM" */
  displayName?: string;
  /** The `PIPELINE_INPUT` / `UNSTRUCTURED_TEXT` attribute. @default "input_text" */
  inputAttribute?: string;
  /** The `PREDICTED_VALUE` / `UNSTRUCTURED_TEXT` attribute. @default "output_text" */
  outputAttribute?: string;
  /** The `PREDICTED_VALUE` / `TOKEN_LIKELIHOODS` attribute; `null` for none. @default "output_likelihoods" */
  likelihoodAttribute?: string | null;
  /** Which `NON_INPUT_DATA` attributes to declare: all four, none, or a list. @default true */
  optionalAttributes?: boolean | ArthurOptionalAttributeName[];
}

const OPTIONAL_VALUE_TYPES: Record<ArthurOptionalAttributeName, string> = {
  finish_reason: "STRING",
  prompt_tokens: "INTEGER",
  completion_tokens: "INTEGER",
  duration: "FLOAT",
};

/**
 * An LLM ("token sequence") model as the SDK's `build_token_sequence_model` registers it, plus the
 * optional `NON_INPUT_DATA` attributes the handler fills.
 */
export function createArthurTokenSequenceModel(options: ArthurTokenSequenceModelOptions = {}): ArthurModel {
  const attributes: ArthurAttribute[] = [
    attribute(options.inputAttribute ?? "input_text", "PIPELINE_INPUT", "UNSTRUCTURED_TEXT", 0),
    attribute(options.outputAttribute ?? "output_text", "PREDICTED_VALUE", "UNSTRUCTURED_TEXT", 0),
  ];
  const likelihood =
    options.likelihoodAttribute === undefined ? "output_likelihoods" : options.likelihoodAttribute;
  if (likelihood) attributes.push(attribute(likelihood, "PREDICTED_VALUE", "TOKEN_LIKELIHOODS", 1));
  const optional =
    options.optionalAttributes === false
      ? []
      : Array.isArray(options.optionalAttributes)
        ? options.optionalAttributes
        : (Object.keys(OPTIONAL_VALUE_TYPES) as ArthurOptionalAttributeName[]);
  optional.forEach((name, index) => {
    attributes.push(attribute(name, "NON_INPUT_DATA", OPTIONAL_VALUE_TYPES[name], index));
  });
  return {
    id: options.id ?? "arthur-llm-model",
    partner_model_id: `${options.id ?? "arthur-llm-model"}-partner`,
    display_name: options.displayName ?? "LangChain LLM",
    input_type: "NLP",
    output_type: "TOKEN_SEQUENCE",
    attributes,
  };
}

function attribute(name: string, stage: string, valueType: string, position: number): ArthurAttribute {
  return { name, stage, value_type: valueType, position, categorical: false, is_unique: false };
}

const RESERVED_KEYS = new Set([
  "partner_inference_id",
  "inference_timestamp",
  "batch_id",
  "ground_truth_timestamp",
  "inference_data",
  "ground_truth_data",
]);
const INFERENCE_STAGES = new Set([
  "PIPELINE_INPUT",
  "PREDICT_FUNCTION_INPUT",
  "NON_INPUT_DATA",
  "PREDICTED_VALUE",
]);
const GROUND_TRUTH_STAGES = new Set(["GROUND_TRUTH", "GROUND_TRUTH_CLASS"]);
const TIMESTAMP_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/;

/** A user the emulator accepts at `POST /api/v3/login`. */
export interface ArthurEmulatorUser {
  login: string;
  password: string;
}

/** A model of the Arthur platform whose engine task the emulator's `connection_info` describes. */
export interface ArthurEmulatorPlatformModel {
  /** The platform model id (`GET /api/v1/models/{id}/task/connection_info`). */
  modelId: string;
  /** The engine task of the model. @default ARTHUR_EMULATOR_TASK_ID */
  taskId?: string;
  /** The engine key the answer carries. @default the first engine key */
  apiKey?: string;
  /** False while the platform is still creating the task: the answer has no `api_host` yet. @default true */
  ready?: boolean;
}

/** Options of the engine route (`POST /api/v1/traces`). */
export interface ArthurEmulatorEngineOptions {
  /** Engine API keys accepted as `Authorization: Bearer <key>`. @default ["arthur-engine-key"] */
  apiKeys?: string[];
  /** Tasks that exist. A span of another `arthur.task` gets a 500 (UNCONFIRMED: the engine's foreign key). @default [ARTHUR_EMULATOR_TASK_ID] */
  taskIds?: string[];
  /**
   * Decides per span whether the engine rejects it: a reason (the answer's `rejection_reasons` gets
   * `"Invalid span data format: <reason>"`) or `undefined` to accept it. The real engine rejects a
   * span only when its processing throws.
   * @default spans without a 16-byte trace id, an 8-byte span id or a name are rejected
   */
  rejectSpan?: (span: ArthurEmulatorSpan) => string | undefined;
}

export interface ArthurEmulatorOptions {
  /** API keys of the legacy API, accepted as the raw `Authorization` header. @default ["arthur-test-api-key"] */
  apiKeys?: string[];
  /** Users accepted by the login endpoint. @default [{ login: "arthur-user", password: "arthur-password" }] */
  users?: ArthurEmulatorUser[];
  /** Organizations every credential belongs to. @default ["arthur-org-1"] */
  organizationIds?: string[];
  /** `GET /users/me` answers (an internal user); false answers 403 as for other users. @default true */
  internalUser?: boolean;
  /** Models that exist. @default [createArthurTokenSequenceModel()] */
  models?: ArthurModel[];
  /** `Max-Age` of the session cookie, in seconds. @default 3600 */
  sessionMaxAgeSeconds?: number;
  /** Refuse requests without `Arthur-Organization-ID` (whether the real server does is unconfirmed). @default false */
  requireOrganizationHeader?: boolean;
  /** Answer 413 (storing nothing) to a request whose body has more bytes than this. @default no limit */
  maxRequestBytes?: number;
  /**
   * What a second inference with a `partner_inference_id` the model already stored does: `"ignore"`
   * (accepted, not stored again — Arthur treats the id as the inference's key) or `"store"` (stored
   * twice). Whether the real service dedups is UNCONFIRMED; the same choice applies to engine spans
   * with a span id the task already has. @default "ignore"
   */
  duplicates?: "ignore" | "store";
  /**
   * Fault injection per inference: called for each inference of a request that is processed and no
   * `failItem` fault took; a status it returns fails that inference in the 207 answer.
   * @default no injected faults
   */
  injectItemFault?: (inference: unknown, index: number) => ArthurItemFaultResult | undefined;
  /** The Arthur GenAI Engine's trace route. */
  engine?: ArthurEmulatorEngineOptions;
  /** The Arthur platform's `connection_info` route. */
  platform?: {
    /** Platform tokens accepted as `Authorization: Bearer <token>`. @default ["arthur-platform-token"] */
    tokens?: string[];
    /** @default [{ modelId: "arthur-agentic-model" }] */
    models?: ArthurEmulatorPlatformModel[];
  };
  /** Port to listen on (always on 127.0.0.1). @default any free port */
  port?: number;
}

/** The engine task id the emulator knows by default. */
export const ARTHUR_EMULATOR_TASK_ID = "2f0c1d8e-6a53-4b7e-9d41-7c2a5e8b3f10";
/** The engine API key the emulator accepts by default. */
export const ARTHUR_EMULATOR_ENGINE_KEY = "arthur-engine-key";
/** The platform token the emulator accepts by default. */
export const ARTHUR_EMULATOR_PLATFORM_TOKEN = "arthur-platform-token";

/** Routes of the Arthur APIs, for `failNext({ route })` and `createSeededFaults({ route })`. */
export const ARTHUR_ROUTES = {
  login: "POST /api/v3/login",
  usersMe: "GET /api/v3/users/me",
  authInfo: "GET /api/v3/users/me/auth_info",
  model: "GET /api/v3/models/*",
  inferences: "POST /api/v3/models/*",
  traces: "POST /api/v1/traces",
  connectionInfo: "GET /api/v1/models/*",
} as const;

/** How an item fault injector fails one inference of a 207 answer. */
export interface ArthurItemFaultResult {
  status: number;
  /** @default "injected failure" */
  message?: string;
}

/** Which endpoint a request reached. */
export type ArthurEndpoint =
  | "login"
  | "users/me"
  | "auth_info"
  | "model"
  | "inferences"
  | "traces"
  | "connection_info"
  | "unknown";

/** How a request authenticated (the credential itself is never shown). */
export type ArthurRequestAuth =
  | "api-key"
  | "session"
  | "expired-session"
  | "engine-key"
  | "platform-token"
  | "invalid"
  | "none";

/** One request, as Arthur saw it. */
export interface ArthurReceivedRequest {
  method: string;
  /** Path below `/api/v3` for the legacy API, the whole path otherwise; the query string when it was handled. */
  path: string;
  endpoint: ArthurEndpoint;
  auth: ArthurRequestAuth;
  /** The `Arthur-Organization-ID` header, when sent. */
  organizationId?: string;
  /** The JSON body (a login's password replaced by `"<redacted>"`); protobuf bodies are left out. */
  body?: unknown;
  /** The HTTP status answered (`0` for a dropped connection or a hang). */
  status: number;
}

/** An inference the emulator stored. */
export interface ArthurReceivedInference {
  kind: "inference";
  modelId: string;
  inference: ArthurInference;
}

/** A decoded engine span: the OTLP span, and its attributes as plain values. */
export interface ArthurEmulatorSpan extends OtlpSpan {
  /** The span's attributes as plain values (`stringValue` → string, `intValue` → number …). */
  attributeValues: Record<string, unknown>;
}

/** A span the engine emulator stored. */
export interface ArthurReceivedSpan {
  kind: "span";
  /** The `arthur.task` resource attribute. */
  taskId: string | undefined;
  /** The resource's attributes as plain values (`service.name`, `arthur.task` …). */
  resource: Record<string, unknown>;
  span: ArthurEmulatorSpan;
}

/** What the emulator stores: inferences (legacy API) and spans (engine). */
export type ArthurReceivedItem = ArthurReceivedInference | ArthurReceivedSpan;

export interface ArthurItemFault {
  /** Position of the inference in the posted array. */
  index?: number;
  /** Or the `partner_inference_id` of the inference. */
  partnerInferenceId?: string;
  status: number;
  /** @default "injected failure" */
  message?: string;
  /** How many inferences requests the fault applies to. @default 1 */
  times?: number;
}

/**
 * The Arthur emulator: core's testing dialect (`url`, `received`, `failNext`, `injectFaults`,
 * `reset`, `close` …) plus Arthur's own views and controls.
 */
export interface ArthurEmulator extends Emulator<ArthurReceivedItem> {
  /** Every request, as Arthur saw it (endpoint, how it authenticated, status). */
  readonly calls: ArthurReceivedRequest[];
  /** The inferences stored, in order. */
  readonly inferences: ArthurReceivedInference[];
  /** Inferences refused per item, with the status and message answered. */
  readonly rejected: Array<Omit<ArthurReceivedInference, "kind"> & { status: number; message: string }>;
  /** The engine spans stored, in order. */
  readonly spans: ArthurReceivedSpan[];
  /** Engine spans refused (206 / 422), with the reason answered. */
  readonly rejectedSpans: Array<{ span: ArthurEmulatorSpan; reason: string }>;
  /** Inferences and spans received again with a key already stored (not stored twice by default). */
  readonly duplicates: number;
  /** The next inferences requests fail the given item with `status` (a 207 with that item failed). */
  failItem(fault: ArthurItemFault): void;
  /** Every session token issued so far stops working (the next request with one gets 401). */
  expireTokens(): void;
  /** Changes (or sets) a user's password. */
  setPassword(login: string, password: string): void;
  /** Adds or replaces a model. */
  addModel(model: ArthurModel): void;
}

/**
 * Starts an emulator of Arthur on 127.0.0.1, on core's `startEmulator`:
 *
 * - the legacy Arthur Scope REST API v3 the handler's `fromCredentials` mode uses: login with the
 *   `Authorization` cookie, `users/me` and `auth_info`, models with attributes, and inferences
 *   answered with 207 Multi-Status per item, validated the way the real service (and SDK) does —
 *   raw `Authorization`, known organization, reserved keys, inference data keys that are attributes
 *   of the model, value types, at most 5 token likelihood pairs;
 * - the GenAI Engine's `POST /api/v1/traces`: Bearer key, protobuf decoded with core's decoder,
 *   `arthur.task`, and the engine's JSON summary (200, 206 partial, 422, 400 for bad protobuf);
 * - the platform's `GET /api/v1/models/{id}/task/connection_info`.
 *
 * What it accepts is kept in `received` (and the `inferences` / `spans` views).
 */
export async function startArthurEmulator(options: ArthurEmulatorOptions = {}): Promise<ArthurEmulator> {
  const apiKeys = new Set(options.apiKeys ?? ["arthur-test-api-key"]);
  const passwords = new Map<string, string>(
    (options.users ?? [{ login: "arthur-user", password: "arthur-password" }]).map((user) => [
      user.login,
      user.password,
    ]),
  );
  const organizationIds = options.organizationIds ?? ["arthur-org-1"];
  const internalUser = options.internalUser ?? true;
  const models = new Map<string, ArthurModel>();
  for (const model of options.models ?? [createArthurTokenSequenceModel()]) models.set(model.id, model);
  const sessionMaxAge = options.sessionMaxAgeSeconds ?? 3600;
  const storeDuplicates = options.duplicates === "store";
  const engineKeys = new Set(options.engine?.apiKeys ?? [ARTHUR_EMULATOR_ENGINE_KEY]);
  const taskIds = new Set(options.engine?.taskIds ?? [ARTHUR_EMULATOR_TASK_ID]);
  const rejectSpan = options.engine?.rejectSpan ?? defaultSpanProblem;
  const platformTokens = new Set(options.platform?.tokens ?? [ARTHUR_EMULATOR_PLATFORM_TOKEN]);
  const platformModels = new Map(
    (options.platform?.models ?? [{ modelId: "arthur-agentic-model" }]).map((model) => [
      model.modelId,
      model,
    ]),
  );
  /** Session token → login, and the index of the first request at which it no longer worked. */
  const sessions = new Map<string, { login: string; expiredFrom: number | undefined }>();
  let itemFaults: Array<ArthurItemFault & { remaining: number }> = [];
  const rejected: ArthurEmulator["rejected"] = [];
  const rejectedSpans: ArthurEmulator["rejectedSpans"] = [];
  const storedInferenceIds = new Set<string>();
  const storedSpanIds = new Set<string>();
  let duplicates = 0;
  /**
   * What a request looked like when it was handled (its query, how it authenticated then), keyed by
   * its headers object, which core's request log shares; requests answered by a fault have none.
   */
  const seen = new WeakMap<object, { search: string; auth: ArthurRequestAuth }>();

  const base = await startEmulator<ArthurReceivedItem>({
    ...(options.maxRequestBytes === undefined ? {} : { maxRequestBytes: options.maxRequestBytes }),
    ...(options.port === undefined ? {} : { port: options.port }),
    onReset() {
      itemFaults = [];
      rejected.length = 0;
      rejectedSpans.length = 0;
      storedInferenceIds.clear();
      storedSpanIds.clear();
      duplicates = 0;
      sessions.clear();
    },
    respond(request, context) {
      const endpoint = classify(request.method, request.path);
      seen.set(request.headers, { search: request.url.search, auth: authNow(endpoint, request.headers) });
      if (endpoint === "traces") return ingestTraces(request, context);
      if (endpoint === "connection_info") return connectionInfo(request);
      if (endpoint === "unknown") {
        return { status: 404, body: { error: `No such endpoint: ${request.method} ${request.path}` } };
      }
      return legacy(request, endpoint, context);
    },
  });

  function legacy(
    request: EmulatorRequest,
    endpoint: ArthurEndpoint,
    context: EmulatorRespondContext<ArthurReceivedItem>,
  ): EmulatorAnswer {
    const path = legacyPath(request.path);
    const body = request.body;
    const organizationHeader = request.headers["arthur-organization-id"];
    if (endpoint === "login") {
      const credentials = body as { login?: unknown; password?: unknown } | undefined;
      if (typeof credentials?.login !== "string" || typeof credentials.password !== "string") {
        return { status: 400, body: { error: "login and password are required" } };
      }
      if (passwords.get(credentials.login) !== credentials.password) {
        return { status: 401, body: { error: "Invalid login or password" } };
      }
      const token = `session-${randomUUID()}`;
      sessions.set(token, { login: credentials.login, expiredFrom: undefined });
      const expires = new Date(Date.now() + sessionMaxAge * 1000).toUTCString();
      return {
        status: 200,
        body: userOf(credentials.login),
        headers: {
          "set-cookie": `Authorization=${token}; Path=/; Expires=${expires}; Max-Age=${sessionMaxAge}; Secure; HttpOnly`,
        },
      };
    }
    const header = request.headers.authorization;
    const auth = legacyAuth(header);
    if (auth !== "api-key" && auth !== "session") {
      const message = /^bearer /i.test(header ?? "")
        ? "Unauthorized: send the key or token as the raw Authorization value, without 'Bearer '"
        : "Unauthorized";
      return { status: 401, body: { error: message } };
    }
    if (organizationHeader !== undefined && !organizationIds.includes(organizationHeader)) {
      return { status: 403, body: { error: `Not a member of organization ${organizationHeader}` } };
    }
    if (
      organizationHeader === undefined &&
      options.requireOrganizationHeader &&
      endpoint !== "users/me" &&
      endpoint !== "auth_info"
    ) {
      return { status: 400, body: { error: "The Arthur-Organization-ID header is required" } };
    }
    switch (endpoint) {
      case "users/me": {
        if (!internalUser) return { status: 403, body: { error: "Forbidden" } };
        const login = auth === "session" ? sessions.get(header ?? "")?.login : undefined;
        return { status: 200, body: userOf(login ?? "api-key-user") };
      }
      case "auth_info":
        return {
          status: 200,
          body: { organization_ids: organizationIds, user_id: "user-1", issuer: "arthur" },
        };
      case "model": {
        const model = findModel(path, request.url.searchParams.get("id_type"));
        if (!model) return { status: 404, body: { error: "Model not found" } };
        const expand = (request.url.searchParams.get("expand") ?? "").split(",");
        if (expand.includes("attributes")) return { status: 200, body: model };
        const { attributes: _attributes, ...withoutAttributes } = model;
        return { status: 200, body: withoutAttributes };
      }
      case "inferences": {
        const modelId = path.split("/")[1] ?? "";
        const model = models.get(modelId);
        if (!model) return { status: 404, body: { error: "Model not found" } };
        if (!Array.isArray(body)) {
          return { status: 400, body: { error: "The body must be a JSON array of inferences" } };
        }
        return { status: 207, body: acceptInferences(model, body, context) };
      }
      default:
        return { status: 404, body: { error: `No such endpoint: ${request.method} ${request.path}` } };
    }
  }

  /**
   * How a legacy request authenticates: now, or as it was when request number `index` arrived (a
   * session expired later still counts as valid for the requests before).
   */
  function legacyAuth(header: string | undefined, index?: number): ArthurRequestAuth {
    if (header === undefined || header === "") return "none";
    if (apiKeys.has(header)) return "api-key";
    const session = sessions.get(header);
    if (session) {
      if (session.expiredFrom === undefined) return "session";
      return index !== undefined && index < session.expiredFrom ? "session" : "expired-session";
    }
    return "invalid";
  }

  function bearer(header: string | undefined): string | undefined {
    const match = /^Bearer\s+(.+)$/i.exec(header ?? "");
    return match?.[1]?.trim();
  }

  function ingestTraces(
    request: EmulatorRequest,
    context: EmulatorRespondContext<ArthurReceivedItem>,
  ): EmulatorAnswer {
    const key = bearer(request.headers.authorization);
    if (key === undefined) return { status: 401, body: { detail: "Not authenticated" } };
    if (!engineKeys.has(key)) return { status: 401, body: { detail: "Invalid API key" } };
    const contentType = (request.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
    if (contentType === "application/json") {
      // FastAPI parses a JSON body for the `bytes` parameter and fails it (UNCONFIRMED): no OTLP/JSON.
      return { status: 422, body: { detail: [{ msg: "Input should be a valid bytes", loc: ["body"] }] } };
    }
    let decoded: OtlpTraceRequest;
    try {
      decoded = decodeOtlpTraceRequest(request.rawBody);
    } catch {
      return { status: 400, body: { detail: "Invalid protobuf message format" } };
    }
    const accepted: ArthurReceivedSpan[] = [];
    const reasons: string[] = [];
    let total = 0;
    for (const resourceSpans of decoded.resourceSpans ?? []) {
      const resource = toPlainAttributes(resourceSpans.resource?.attributes ?? []);
      const task =
        typeof resource["arthur.task"] === "string" ? (resource["arthur.task"] as string) : undefined;
      if (task !== undefined && !taskIds.has(task)) {
        // The engine does not check the task; the foreign key of its trace table fails at commit.
        return {
          status: 500,
          body: { detail: `Task ${task} does not exist (trace_metadata.task_id foreign key)` },
        };
      }
      for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
        for (const otlpSpan of scopeSpans.spans ?? []) {
          total++;
          const span: ArthurEmulatorSpan = {
            ...otlpSpan,
            attributeValues: toPlainAttributes(otlpSpan.attributes ?? []),
          };
          const problem = rejectSpan(span);
          if (problem !== undefined) {
            const reason = `Invalid span data format: ${problem}`;
            reasons.push(reason);
            rejectedSpans.push({ span, reason });
            continue;
          }
          accepted.push({ kind: "span", taskId: task, resource, span });
        }
      }
    }
    for (const item of accepted) {
      const key = `${item.taskId ?? ""}/${item.span.traceId}/${item.span.spanId}`;
      if (storedSpanIds.has(key) && !storeDuplicates) {
        duplicates++;
        continue;
      }
      if (storedSpanIds.has(key)) duplicates++;
      storedSpanIds.add(key);
      context.store(item);
    }
    const summary = {
      total_spans: total,
      accepted_spans: accepted.length,
      rejected_spans: reasons.length,
      rejection_reasons: reasons,
    };
    if (reasons.length === 0) return { status: 200, body: { ...summary, status: "success" } };
    if (accepted.length === 0) return { status: 422, body: { ...summary, status: "failure" } };
    return { status: 206, body: { ...summary, status: "partial_success" } };
  }

  function connectionInfo(request: EmulatorRequest): EmulatorAnswer {
    const token = bearer(request.headers.authorization);
    if (token === undefined || !platformTokens.has(token)) {
      return { status: 401, body: { detail: "Not authenticated" } };
    }
    const match = /^\/api\/v1\/models\/([^/]+)\/task\/connection_info$/.exec(request.path);
    const model = match ? platformModels.get(match[1] ?? "") : undefined;
    if (!model) return { status: 404, body: { detail: "Model not found" } };
    const now = new Date().toISOString();
    if (model.ready === false) return { status: 200, body: { created_at: now, updated_at: now } };
    return {
      status: 200,
      body: {
        created_at: now,
        updated_at: now,
        api_host: base.url,
        task_id: model.taskId ?? ARTHUR_EMULATOR_TASK_ID,
        validation_key: {
          id: "key-1",
          name: "langchain-observability",
          key: model.apiKey ?? [...engineKeys][0] ?? ARTHUR_EMULATOR_ENGINE_KEY,
        },
      },
    };
  }

  function findModel(path: string, idType: string | null): ArthurModel | undefined {
    const identifier = path.split("/")[1] ?? "";
    if (idType === "partner_model_id") {
      return [...models.values()].find((model) => model.partner_model_id === identifier);
    }
    return models.get(identifier);
  }

  function acceptInferences(
    model: ArthurModel,
    items: unknown[],
    context: EmulatorRespondContext<ArthurReceivedItem>,
  ) {
    const used = new Set<ArthurItemFault & { remaining: number }>();
    const results = items.map((item, index) => {
      const inference = item as ArthurInference;
      const id =
        typeof inference?.partner_inference_id === "string" ? inference.partner_inference_id : undefined;
      const fault = itemFaults.find(
        (candidate) =>
          candidate.remaining > 0 &&
          (candidate.index === index || (id !== undefined && candidate.partnerInferenceId === id)),
      );
      let outcome: { status: number; message: string };
      const injected = fault ? undefined : options.injectItemFault?.(item, index);
      if (fault) {
        used.add(fault);
        outcome = { status: fault.status, message: fault.message ?? "injected failure" };
      } else if (injected) {
        outcome = { status: injected.status, message: injected.message ?? "injected failure" };
      } else {
        const problem = validateInference(model, item);
        outcome = problem ? { status: 400, message: problem } : { status: 200, message: "success" };
      }
      if (outcome.status === 200) {
        const key = id === undefined ? undefined : `${model.id}/${id}`;
        const seen = key !== undefined && storedInferenceIds.has(key);
        if (seen) duplicates++;
        if (!seen || storeDuplicates) {
          if (key !== undefined) storedInferenceIds.add(key);
          context.store({ kind: "inference", modelId: model.id, inference });
        }
      } else {
        rejected.push({ modelId: model.id, inference, ...outcome });
      }
      return outcome;
    });
    for (const fault of used) fault.remaining--;
    itemFaults = itemFaults.filter((fault) => fault.remaining > 0);
    const success = results.filter((result) => result.status === 200).length;
    return {
      counts: { success, failure: results.length - success, total: results.length },
      results: results.map((result) => ({ message: result.message, status: result.status })),
    };
  }

  function userOf(login: string) {
    return {
      id: `user-${login}`,
      username: login,
      email: `${login}@example.com`,
      first_name: "Test",
      last_name: "User",
      roles: ["Model Owner"],
      active: true,
      organization_id: organizationIds[0],
    };
  }

  /** How a request authenticates now (`index`: as of that request, for the request log). */
  function authNow(
    endpoint: ArthurEndpoint,
    headers: Record<string, string>,
    index?: number,
  ): ArthurRequestAuth {
    const header = headers.authorization;
    if (endpoint === "login") return "none";
    if (endpoint === "traces") {
      const key = bearer(header);
      return key === undefined ? "none" : engineKeys.has(key) ? "engine-key" : "invalid";
    }
    if (endpoint === "connection_info") {
      const token = bearer(header);
      return token === undefined ? "none" : platformTokens.has(token) ? "platform-token" : "invalid";
    }
    return legacyAuth(header, index);
  }

  function describeRequest(log: EmulatorRequestLog, index: number): ArthurReceivedRequest {
    const endpoint = classify(log.method, log.path);
    const handled = seen.get(log.headers);
    const auth = handled?.auth ?? authNow(endpoint, log.headers, index);
    const organizationId = log.headers["arthur-organization-id"];
    const legacyEndpoint = endpoint !== "traces" && endpoint !== "connection_info";
    const path = legacyEndpoint && log.path.startsWith("/api/v3/") ? legacyPath(log.path) : log.path;
    return {
      method: log.method,
      path: `${path}${handled?.search ?? ""}`,
      endpoint,
      auth,
      ...(organizationId === undefined ? {} : { organizationId }),
      ...(log.body === undefined || endpoint === "traces" ? {} : { body: redactLogin(endpoint, log.body) }),
      status: typeof log.status === "number" ? log.status : 0,
    };
  }

  // A new object over `base` (its arrays and methods are shared); the getters stay getters.
  const emulator: ArthurEmulator = {
    ...base,
    get calls() {
      return base.requests.map((log, index) => describeRequest(log, index));
    },
    get inferences() {
      return base.received.filter((item): item is ArthurReceivedInference => item.kind === "inference");
    },
    rejected,
    get spans() {
      return base.received.filter((item): item is ArthurReceivedSpan => item.kind === "span");
    },
    rejectedSpans,
    get duplicates() {
      return duplicates;
    },
    failItem(fault: ArthurItemFault) {
      itemFaults.push({ ...fault, remaining: fault.times ?? 1 });
    },
    expireTokens() {
      const index = base.requests.length;
      for (const session of sessions.values()) session.expiredFrom ??= index;
    },
    setPassword(login: string, password: string) {
      passwords.set(login, password);
    },
    addModel(model: ArthurModel) {
      models.set(model.id, model);
    },
  };
  return emulator;
}

function classify(method: string, path: string): ArthurEndpoint {
  if (method === "POST" && (path === "/api/v1/traces" || path === "/v1/traces")) return "traces";
  if (method === "GET" && /^\/api\/v1\/models\/[^/]+\/task\/connection_info$/.test(path)) {
    return "connection_info";
  }
  if (!path.startsWith("/api/v3/")) return "unknown";
  const below = legacyPath(path);
  if (method === "POST" && below === "login") return "login";
  if (method === "GET" && below === "users/me") return "users/me";
  if (method === "GET" && below === "users/me/auth_info") return "auth_info";
  if (method === "GET" && /^models\/[^/]+$/.test(below)) return "model";
  if (method === "POST" && /^models\/[^/]+\/inferences$/.test(below)) return "inferences";
  return "unknown";
}

function legacyPath(path: string): string {
  return path.replace(/^\/api\/v3\//, "");
}

function redactLogin(endpoint: ArthurEndpoint, body: unknown): unknown {
  if (endpoint !== "login" || body === null || typeof body !== "object") return body;
  return { ...(body as Record<string, unknown>), password: "<redacted>" };
}

/** The default rejection rule: what makes the engine's span processing throw. */
function defaultSpanProblem(span: ArthurEmulatorSpan): string | undefined {
  if (!/^[0-9a-f]{32}$/.test(span.traceId ?? "")) return `span ${span.spanId ?? "?"} has no 16-byte trace id`;
  if (!/^[0-9a-f]{16}$/.test(span.spanId ?? "")) return "a span has no 8-byte span id";
  if (!span.name) return `span ${span.spanId} has no name`;
  return undefined;
}

/** OTLP key-values as plain values: strings, numbers (64-bit ints as numbers), booleans, arrays, objects. */
function toPlainAttributes(attributes: OtlpKeyValue[]): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const attribute of attributes) result[attribute.key] = toPlainValue(attribute.value);
  return result;
}

function toPlainValue(value: OtlpAnyValue | undefined): unknown {
  if (value === undefined) return undefined;
  if ("stringValue" in value) return value.stringValue;
  if ("boolValue" in value) return value.boolValue;
  if ("intValue" in value) return Number(value.intValue);
  if ("doubleValue" in value) return value.doubleValue;
  if ("arrayValue" in value) return (value.arrayValue.values ?? []).map((item) => toPlainValue(item));
  if ("kvlistValue" in value) return toPlainAttributes(value.kvlistValue.values ?? []);
  if ("bytesValue" in value) return value.bytesValue;
  return undefined;
}

/** Why Arthur would refuse this inference, or `undefined` when it is acceptable. */
function validateInference(model: ArthurModel, item: unknown): string | undefined {
  if (item === null || typeof item !== "object" || Array.isArray(item))
    return "An inference must be an object";
  const inference = item as Record<string, unknown>;
  for (const key of Object.keys(inference)) {
    if (!RESERVED_KEYS.has(key))
      return `Unexpected key "${key}": not a reserved key (attributes go in inference_data)`;
  }
  const id = inference.partner_inference_id;
  if (id !== undefined && (typeof id !== "string" || id === "")) {
    return "partner_inference_id must be a non-empty string";
  }
  const timestamp = inference.inference_timestamp;
  if (
    typeof timestamp !== "string" ||
    !TIMESTAMP_PATTERN.test(timestamp) ||
    Number.isNaN(Date.parse(timestamp))
  ) {
    return "inference_timestamp must be an ISO-8601 timestamp with a time zone";
  }
  const data = inference.inference_data;
  if (data === null || typeof data !== "object" || Array.isArray(data))
    return "inference_data must be an object";
  const attributes = new Map(model.attributes.map((attribute) => [attribute.name, attribute]));
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    const attribute = attributes.get(key);
    if (!attribute || !INFERENCE_STAGES.has(attribute.stage)) {
      return `Unexpected key "${key}" in inference_data: not an attribute of model ${model.id}`;
    }
    const problem = checkValue(attribute, value);
    if (problem) return `Attribute "${key}": ${problem}`;
  }
  for (const attribute of model.attributes) {
    const required =
      (attribute.stage === "PIPELINE_INPUT" || attribute.stage === "PREDICTED_VALUE") &&
      attribute.value_type !== "TOKEN_LIKELIHOODS";
    if (required && !(attribute.name in (data as Record<string, unknown>))) {
      return `Missing attribute "${attribute.name}" in inference_data`;
    }
  }
  const groundTruth = inference.ground_truth_data;
  if (groundTruth !== undefined) {
    if (groundTruth === null || typeof groundTruth !== "object") return "ground_truth_data must be an object";
    for (const key of Object.keys(groundTruth)) {
      const attribute = attributes.get(key);
      if (!attribute || !GROUND_TRUTH_STAGES.has(attribute.stage)) {
        return `Unexpected key "${key}" in ground_truth_data`;
      }
    }
  }
  return undefined;
}

function checkValue(attribute: ArthurAttribute, value: unknown): string | undefined {
  if (value === null) return undefined;
  switch (attribute.value_type) {
    case "UNSTRUCTURED_TEXT":
    case "STRING":
    case "TIMESTAMP":
      return typeof value === "string" ? undefined : `expected a string, got ${typeof value}`;
    case "INTEGER":
      return Number.isInteger(value) ? undefined : "expected an integer";
    case "FLOAT":
      return typeof value === "number" && Number.isFinite(value) ? undefined : "expected a number";
    case "BOOLEAN":
      return typeof value === "boolean" ? undefined : "expected a boolean";
    case "TOKEN_LIKELIHOODS": {
      if (!Array.isArray(value)) return "expected a list of token → probability maps";
      for (const [position, map] of value.entries()) {
        if (map === null || typeof map !== "object" || Array.isArray(map)) {
          return `token ${position}: expected a token → probability map`;
        }
        const entries = Object.entries(map as Record<string, unknown>);
        if (entries.length > 5)
          return `token ${position}: at most 5 token likelihood pairs, got ${entries.length}`;
        for (const [token, probability] of entries) {
          if (typeof probability !== "number" || probability < 0 || probability > 1) {
            return `token ${position}: the likelihood of "${token}" must be a probability from 0 to 1`;
          }
        }
      }
      return undefined;
    }
    default:
      return undefined;
  }
}
