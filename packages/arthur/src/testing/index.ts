import { randomUUID } from "node:crypto";
import { delay, HttpResponse, http, type RequestHandler } from "msw";
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

/** A user the emulator accepts at `POST /api/v3/login`. */
export interface ArthurEmulatorUser {
  login: string;
  password: string;
}

export interface ArthurEmulatorOptions {
  /** API keys accepted as the raw `Authorization` header. @default ["arthur-test-api-key"] */
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
   * Fault injection: called for every request that no `failNextRequests` fault took, before it is
   * processed; a fault it returns is answered instead (and nothing is stored). Keep it deterministic,
   * e.g. driven by a seeded pseudo-random generator.
   * @default no injected faults
   */
  injectRequestFault?: (request: ArthurFaultContext) => ArthurFaultResponse | undefined;
  /**
   * Fault injection per inference: called for each inference of a request that is processed and no
   * `failItem` fault took; a status it returns fails that inference in the 207 answer.
   * @default no injected faults
   */
  injectItemFault?: (inference: unknown, index: number) => ArthurItemFaultResult | undefined;
}

/** What a request fault injector knows of the request. */
export interface ArthurFaultContext {
  method: string;
  endpoint: ArthurEndpoint;
  /** Path below `/api/v3`, with the query string. */
  path: string;
  /** Size of the request body, in bytes. */
  bodyBytes: number;
}

/** How an item fault injector fails one inference of a 207 answer. */
export interface ArthurItemFaultResult {
  status: number;
  /** @default "injected failure" */
  message?: string;
}

/** Which endpoint a request reached. */
export type ArthurEndpoint = "login" | "users/me" | "auth_info" | "model" | "inferences" | "unknown";

/** How a request authenticated (the credential itself is never kept). */
export type ArthurRequestAuth = "api-key" | "session" | "expired-session" | "invalid" | "none";

export interface ArthurReceivedRequest {
  method: string;
  /** Path below `/api/v3`, with the query string. */
  path: string;
  endpoint: ArthurEndpoint;
  auth: ArthurRequestAuth;
  /** The `Arthur-Organization-ID` header, when sent. */
  organizationId?: string;
  /** The JSON body (a login's password replaced by `"<redacted>"`). */
  body?: unknown;
  /** The HTTP status the emulator answered (`0` for a dropped connection or a hang). */
  status: number;
}

export interface ArthurReceivedInference {
  modelId: string;
  inference: ArthurInference;
}

/** A canned answer for fault injection. */
export type ArthurFaultResponse =
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | "hang"
  | "reset"
  | "malformed";

export interface ArthurRequestFault {
  /** How many matching requests get the fault. @default 1 */
  times?: number;
  /** Only requests to this endpoint. @default every endpoint */
  endpoint?: ArthurEndpoint;
  response: ArthurFaultResponse;
}

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

export interface ArthurEmulator {
  /** msw handlers for `*\/api/v3/*` (serve them with `startMockServer` from core's `./testing`). */
  handlers: RequestHandler[];
  received: {
    /** Every request, in order. */
    requests: ArthurReceivedRequest[];
    /** Inferences accepted (207 item status 200), in order. */
    inferences: ArthurReceivedInference[];
    /** Inferences refused per item, with the status and message answered. */
    rejected: Array<ArthurReceivedInference & { status: number; message: string }>;
  };
  /** The next matching requests get `response` instead of being processed. */
  failNextRequests(fault: ArthurRequestFault): void;
  /** The next inferences requests fail the given item with `status` (a 207 with that item failed). */
  failItem(fault: ArthurItemFault): void;
  /** Every session token issued so far stops working (the next request with one gets 401). */
  expireTokens(): void;
  /** Changes (or sets) a user's password. */
  setPassword(login: string, password: string): void;
  /** Adds or replaces a model. */
  addModel(model: ArthurModel): void;
  /** Forgets everything received, every pending fault and session; keeps users, keys and models. */
  reset(): void;
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

/**
 * Emulates the Arthur Scope REST API v3 the handler uses: login with the `Authorization` cookie,
 * `users/me` and `auth_info`, models with attributes, and inferences answered with 207 Multi-Status
 * per item. It validates requests the way the real service (and SDK) does — raw `Authorization`,
 * known organization, reserved keys, inference data keys that are attributes of the model, value
 * types, at most 5 token likelihood pairs — and keeps what it accepted in memory.
 */
export function createArthurEmulator(options: ArthurEmulatorOptions = {}): ArthurEmulator {
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
  const sessions = new Map<string, { login: string; expired: boolean }>();
  let requestFaults: Array<ArthurRequestFault & { remaining: number }> = [];
  let itemFaults: Array<ArthurItemFault & { remaining: number }> = [];

  const received: ArthurEmulator["received"] = { requests: [], inferences: [], rejected: [] };

  const json = (status: number, body: unknown, headers?: Record<string, string>) =>
    HttpResponse.json(body as Record<string, unknown>, { status, ...(headers ? { headers } : {}) });

  const handler = http.all("*/api/v3/*", async ({ request }) => {
    const url = new URL(request.url);
    const path = url.pathname.replace(/^.*?\/api\/v3\//, "");
    const endpoint = classify(request.method, path);
    const text = request.method === "GET" || request.method === "HEAD" ? "" : await request.text();
    const body = parseBody(text);
    const organizationHeader = request.headers.get("arthur-organization-id") ?? undefined;
    const auth = authOf(request.headers.get("authorization"));
    const entry: ArthurReceivedRequest = {
      method: request.method,
      path: `${path}${url.search}`,
      endpoint,
      auth: endpoint === "login" ? "none" : auth.kind,
      status: 0,
      ...(organizationHeader === undefined ? {} : { organizationId: organizationHeader }),
      ...(body === undefined ? {} : { body: redact(endpoint, body) }),
    };
    received.requests.push(entry);
    const respond = (response: Response) => {
      entry.status = response.status;
      return response;
    };

    const bodyBytes = text === "" ? 0 : new TextEncoder().encode(text).length;
    const fault =
      takeRequestFault(endpoint) ??
      options.injectRequestFault?.({ method: request.method, endpoint, path: entry.path, bodyBytes });
    if (fault === "hang") {
      await delay("infinite");
      return respond(json(504, { error: "unreachable" }));
    }
    if (fault === "reset") return HttpResponse.error();
    if (fault === "malformed") {
      return respond(
        new HttpResponse("{ not json", {
          status: endpoint === "inferences" ? 207 : 200,
          headers: { "content-type": "application/json" },
        }),
      );
    }
    if (fault) return respond(json(fault.status, fault.body ?? { error: "injected failure" }, fault.headers));
    if (options.maxRequestBytes !== undefined && bodyBytes > options.maxRequestBytes) {
      return respond(
        json(413, { error: `Request body of ${bodyBytes} bytes exceeds ${options.maxRequestBytes} bytes` }),
      );
    }

    if (endpoint === "login") {
      const credentials = body as { login?: unknown; password?: unknown } | undefined;
      if (typeof credentials?.login !== "string" || typeof credentials.password !== "string") {
        return respond(json(400, { error: "login and password are required" }));
      }
      if (passwords.get(credentials.login) !== credentials.password) {
        return respond(json(401, { error: "Invalid login or password" }));
      }
      const token = `session-${randomUUID()}`;
      sessions.set(token, { login: credentials.login, expired: false });
      const expires = new Date(Date.now() + sessionMaxAge * 1000).toUTCString();
      return respond(
        json(200, userOf(credentials.login), {
          "set-cookie": `Authorization=${token}; Path=/; Expires=${expires}; Max-Age=${sessionMaxAge}; Secure; HttpOnly`,
        }),
      );
    }

    if (auth.kind !== "api-key" && auth.kind !== "session") {
      const message =
        auth.bearer === true
          ? "Unauthorized: send the key or token as the raw Authorization value, without 'Bearer '"
          : "Unauthorized";
      return respond(json(401, { error: message }));
    }
    if (organizationHeader !== undefined && !organizationIds.includes(organizationHeader)) {
      return respond(json(403, { error: `Not a member of organization ${organizationHeader}` }));
    }
    if (
      organizationHeader === undefined &&
      options.requireOrganizationHeader &&
      endpoint !== "users/me" &&
      endpoint !== "auth_info"
    ) {
      return respond(json(400, { error: "The Arthur-Organization-ID header is required" }));
    }

    switch (endpoint) {
      case "users/me":
        if (!internalUser) return respond(json(403, { error: "Forbidden" }));
        return respond(json(200, userOf(auth.login ?? "api-key-user")));
      case "auth_info":
        return respond(json(200, { organization_ids: organizationIds, user_id: "user-1", issuer: "arthur" }));
      case "model": {
        const model = findModel(path, url.searchParams.get("id_type"));
        if (!model) return respond(json(404, { error: "Model not found" }));
        const expand = (url.searchParams.get("expand") ?? "").split(",");
        if (expand.includes("attributes")) return respond(json(200, model));
        const { attributes: _attributes, ...withoutAttributes } = model;
        return respond(json(200, withoutAttributes));
      }
      case "inferences": {
        const modelId = decodeURIComponent(path.split("/")[1] ?? "");
        const model = models.get(modelId);
        if (!model) return respond(json(404, { error: "Model not found" }));
        if (!Array.isArray(body)) {
          return respond(json(400, { error: "The body must be a JSON array of inferences" }));
        }
        return respond(json(207, acceptInferences(model, body)));
      }
      default:
        return respond(json(404, { error: `No such endpoint: ${request.method} /api/v3/${path}` }));
    }
  });

  function authOf(header: string | null): {
    kind: ArthurRequestAuth;
    login?: string;
    bearer?: boolean;
  } {
    if (header === null || header === "") return { kind: "none" };
    if (apiKeys.has(header)) return { kind: "api-key" };
    const session = sessions.get(header);
    if (session)
      return session.expired ? { kind: "expired-session" } : { kind: "session", login: session.login };
    return { kind: "invalid", bearer: /^bearer /i.test(header) };
  }

  function takeRequestFault(endpoint: ArthurEndpoint): ArthurFaultResponse | undefined {
    const fault = requestFaults.find(
      (candidate) =>
        candidate.remaining > 0 && (candidate.endpoint === undefined || candidate.endpoint === endpoint),
    );
    if (!fault) return undefined;
    fault.remaining--;
    requestFaults = requestFaults.filter((candidate) => candidate.remaining > 0);
    return fault.response;
  }

  function findModel(path: string, idType: string | null): ArthurModel | undefined {
    const identifier = decodeURIComponent(path.split("/")[1] ?? "");
    if (idType === "partner_model_id") {
      return [...models.values()].find((model) => model.partner_model_id === identifier);
    }
    return models.get(identifier);
  }

  function acceptInferences(model: ArthurModel, items: unknown[]) {
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
      if (outcome.status === 200) received.inferences.push({ modelId: model.id, inference });
      else received.rejected.push({ modelId: model.id, inference, ...outcome });
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

  return {
    handlers: [handler],
    received,
    failNextRequests(fault) {
      requestFaults.push({ ...fault, remaining: fault.times ?? 1 });
    },
    failItem(fault) {
      itemFaults.push({ ...fault, remaining: fault.times ?? 1 });
    },
    expireTokens() {
      for (const session of sessions.values()) session.expired = true;
    },
    setPassword(login, password) {
      passwords.set(login, password);
    },
    addModel(model) {
      models.set(model.id, model);
    },
    reset() {
      received.requests.length = 0;
      received.inferences.length = 0;
      received.rejected.length = 0;
      requestFaults = [];
      itemFaults = [];
      sessions.clear();
    },
  };
}

function classify(method: string, path: string): ArthurEndpoint {
  if (method === "POST" && path === "login") return "login";
  if (method === "GET" && path === "users/me") return "users/me";
  if (method === "GET" && path === "users/me/auth_info") return "auth_info";
  if (method === "GET" && /^models\/[^/]+$/.test(path)) return "model";
  if (method === "POST" && /^models\/[^/]+\/inferences$/.test(path)) return "inferences";
  return "unknown";
}

function parseBody(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function redact(endpoint: ArthurEndpoint, body: unknown): unknown {
  if (endpoint !== "login" || body === null || typeof body !== "object") return body;
  return { ...(body as Record<string, unknown>), password: "<redacted>" };
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
