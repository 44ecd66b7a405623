import { delay, HttpResponse, http, type RequestHandler } from "msw";
import type {
  FirestoreValue,
  GoogleApiErrorBody,
  TrubricsEvent,
  TrubricsIngestionErrorBody,
  TrubricsLlmEvent,
} from "../trubrics-api";
import {
  TRUBRICS_DEFAULT_FIREBASE_API_KEY,
  TRUBRICS_DEFAULT_FIREBASE_PROJECT_ID,
} from "../trubrics-settings";
import {
  type ValidationIssue,
  validateFirestoreDocument,
  validateIngestionItem,
} from "./trubrics-request-validation";

export { decodeFirestoreFields, decodeFirestoreValue } from "./trubrics-request-validation";

/** How the emulated Trubrics services are set up. */
export interface TrubricsEmulatorOptions {
  /** API keys the ingestion API accepts. @default any non-empty key */
  apiKeys?: string[];
  /** Accounts of the legacy platform. @default any email with a non-empty password signs in */
  users?: Array<{ email: string; password: string }>;
  /** Emails the organisation lists in its `users`. @default every email asked for */
  organisationMembers?: string[];
  /** Id of the one organisation. @default "emulator-organisation" */
  organisationId?: string;
  /** The organisation's projects (archived ones exist but do not count). @default ["default"] */
  projects?: Array<string | { name: string; archived?: boolean }>;
  /** Firebase Web API key the sign-in accepts. @default the legacy SDK's public key */
  firebaseApiKey?: string;
  /** Firebase project of the Firestore paths. @default "trubrics-streamlit" */
  firebaseProjectId?: string;
  /** Lifetime of an id token, in seconds (`expiresIn`). @default 3600 */
  tokenLifetimeSeconds?: number;
  /**
   * Largest request body accepted, in bytes; a larger one is answered 413 and not handled, as the
   * proxy in front of a real service would. @default no limit
   */
  maxRequestBytes?: number;
}

/** The endpoints of the emulator, for `failNext`. */
export type TrubricsEmulatorRoute =
  | "publish_llm_events"
  | "publish_events"
  | "signInWithPassword"
  | "runQuery"
  | "listProjects"
  | "createPrompt";

/**
 * An injected failure: an answer with this status (and headers/body) instead of handling the
 * request, a dropped connection, a request that never gets an answer, or `malformed`: the request
 * is handled as usual (and kept when accepted) but a success answer's body is not JSON.
 */
export type TrubricsEmulatorFault =
  | { status: number; headers?: Record<string, string>; body?: unknown }
  | "connection-reset"
  | "hang"
  | "malformed";

/**
 * Decides the fault of one request (or none), for requests `failNext` has queued nothing for;
 * it runs in arrival order, so a seeded generator makes a run repeatable.
 */
export type TrubricsEmulatorFaultInjector = (request: {
  route: TrubricsEmulatorRoute;
  method: string;
  path: string;
}) => TrubricsEmulatorFault | undefined;

/** One request the emulator saw (never its credentials). */
export interface TrubricsEmulatorRequest {
  route: TrubricsEmulatorRoute;
  method: string;
  path: string;
  /** The status answered, or what happened instead. */
  status: number | "connection-reset" | "hang";
  /** Epoch ms when it arrived. */
  time: number;
}

/** A prompt document written to Firestore by the legacy transport. */
export interface TrubricsEmulatorPrompt {
  organisationId: string;
  project: string;
  documentId: string;
  fields: Record<string, FirestoreValue>;
}

export interface TrubricsEmulator {
  /** msw handlers for both APIs; serve them with `startMockServer` from `@langchain-observability/core/testing`. */
  readonly handlers: RequestHandler[];
  /** Every LLM event accepted by `publish_llm_events`, in order. */
  readonly receivedLlmEvents: TrubricsLlmEvent[];
  /** Every accepted `publish_llm_events` request body. */
  readonly receivedLlmEventBatches: TrubricsLlmEvent[][];
  /** Every event accepted by `publish_events`. */
  readonly receivedEvents: TrubricsEvent[];
  /** Every prompt document written by the legacy API. */
  readonly receivedPrompts: TrubricsEmulatorPrompt[];
  /** Every request, answered or not. */
  readonly requests: TrubricsEmulatorRequest[];
  /** Successful sign-ins so far. */
  readonly signIns: number;
  /** Makes the next `times` requests to `route` fail with `fault` (answered before any validation). */
  failNext(route: TrubricsEmulatorRoute, fault: TrubricsEmulatorFault, times?: number): void;
  /** Asks `injector` for the fault of every later request; `undefined` stops injecting. */
  injectFaults(injector: TrubricsEmulatorFaultInjector | undefined): void;
  /** Invalidates every id token issued so far (Firestore then answers 401). */
  revokeTokens(): void;
  /** Forgets everything received, injected failures (and the injector) and tokens. */
  reset(): void;
}

const MAX_INGESTION_ITEMS = 100;
const DATABASE = "(?:\\(default\\)|%28default%29)";
const ROUTES = {
  publishLlmEvents: /\/publish_llm_events$/,
  publishEvents: /\/publish_events$/,
  signIn: /\/v1\/accounts:signInWithPassword$/,
  runQuery: new RegExp(`/v1/projects/([^/]+)/databases/${DATABASE}/documents:runQuery$`),
  listProjects: new RegExp(
    `/v1/projects/([^/]+)/databases/${DATABASE}/documents/organisations/([^/]+)/projects$`,
  ),
  createPrompt: new RegExp(
    `/v1/projects/([^/]+)/databases/${DATABASE}/documents/organisations/([^/]+)/projects/([^/]+)/prompts$`,
  ),
};
const UNAUTHENTICATED_MESSAGE =
  "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.";

/**
 * Emulates both Trubrics APIs as msw handlers: the ingestion API (`publish_llm_events`,
 * `publish_events`, `x-api-key`) and the legacy platform (Firebase email/password sign-in and the
 * Firestore REST calls of the legacy SDK). Requests are validated as the real services do and
 * answered in their error shapes; what was accepted is kept in memory.
 */
export function createTrubricsEmulator(options: TrubricsEmulatorOptions = {}): TrubricsEmulator {
  const firebaseApiKey = options.firebaseApiKey ?? TRUBRICS_DEFAULT_FIREBASE_API_KEY;
  const firebaseProjectId = options.firebaseProjectId ?? TRUBRICS_DEFAULT_FIREBASE_PROJECT_ID;
  const organisationId = options.organisationId ?? "emulator-organisation";
  const projects = (options.projects ?? ["default"]).map((project) =>
    typeof project === "string" ? { name: project, archived: false } : { archived: false, ...project },
  );
  const tokenLifetimeSeconds = options.tokenLifetimeSeconds ?? 3600;
  const documentsPath = `projects/${firebaseProjectId}/databases/(default)/documents`;
  const organisationName = `${documentsPath}/organisations/${organisationId}`;

  const receivedLlmEvents: TrubricsLlmEvent[] = [];
  const receivedLlmEventBatches: TrubricsLlmEvent[][] = [];
  const receivedEvents: TrubricsEvent[] = [];
  const receivedPrompts: TrubricsEmulatorPrompt[] = [];
  /** Names of the prompt documents stored, so a second create of one is refused. */
  const promptNames = new Set<string>();
  const requests: TrubricsEmulatorRequest[] = [];
  const faults = new Map<TrubricsEmulatorRoute, TrubricsEmulatorFault[]>();
  let injector: TrubricsEmulatorFaultInjector | undefined;
  const tokens = new Map<string, { email: string; expiresAt: number }>();
  let signIns = 0;
  let promptSequence = 0;
  // Never reset, so a token issued before `reset()` never becomes valid again.
  let tokenSequence = 0;

  const log = (route: TrubricsEmulatorRoute, request: Request, status: TrubricsEmulatorRequest["status"]) => {
    requests.push({
      route,
      method: request.method,
      path: new URL(request.url).pathname,
      status,
      time: Date.now(),
    });
  };

  const answer = (
    route: TrubricsEmulatorRoute,
    request: Request,
    body: unknown,
    status = 200,
    headers = {},
  ) => {
    log(route, request, status);
    return HttpResponse.json(body as Record<string, unknown>, { status, headers });
  };

  /**
   * Serves one route: an injected fault or an oversized body is answered without handling the
   * request, so only a request answered with success is ever kept.
   */
  const serve =
    (route: TrubricsEmulatorRoute, handle: (request: Request) => Promise<Response | undefined>) =>
    async ({ request }: { request: Request }): Promise<Response | undefined> => {
      const path = new URL(request.url).pathname;
      const fault = faults.get(route)?.shift() ?? injector?.({ route, method: request.method, path });
      if (fault === "connection-reset") {
        log(route, request, "connection-reset");
        return HttpResponse.error() as Response;
      }
      if (fault === "hang") {
        log(route, request, "hang");
        await delay("infinite");
        return undefined;
      }
      if (fault !== undefined && fault !== "malformed") {
        return answer(
          route,
          request,
          fault.body ?? defaultFaultBody(route, fault.status),
          fault.status,
          fault.headers,
        );
      }
      if (options.maxRequestBytes !== undefined && request.body) {
        const bytes = (await request.clone().arrayBuffer()).byteLength;
        if (bytes > options.maxRequestBytes) {
          return answer(route, request, tooLargeBody(route, options.maxRequestBytes), 413);
        }
      }
      const response = await handle(request);
      if (fault !== "malformed" || !response?.ok) return response;
      return new HttpResponse("<html>upstream sent garbage", {
        status: response.status,
        headers: { "content-type": "application/json" },
      }) as Response;
    };

  // ---- Ingestion API -----------------------------------------------------------------------

  const ingestion = async (
    route: "publish_llm_events" | "publish_events",
    request: Request,
  ): Promise<Response | undefined> => {
    const reject = (status: number, detail: TrubricsIngestionErrorBody["detail"]) =>
      answer(route, request, { detail }, status);
    const apiKey = request.headers.get("x-api-key");
    if (!apiKey) return reject(401, "Missing API key: send the project API key in the x-api-key header.");
    if (options.apiKeys && !options.apiKeys.includes(apiKey)) return reject(401, "Invalid API key.");
    const body = await readJson(request);
    if (body === INVALID_JSON) {
      return reject(422, [{ type: "json_invalid", loc: ["body", 0], msg: "JSON decode error" }]);
    }
    if (!Array.isArray(body)) {
      return reject(422, [
        { type: "list_type", loc: ["body"], msg: "Input should be a valid list", input: body },
      ]);
    }
    if (body.length > MAX_INGESTION_ITEMS) {
      return reject(422, [
        {
          type: "too_long",
          loc: ["body"],
          msg: `List should have at most ${MAX_INGESTION_ITEMS} items after validation, not ${body.length}`,
        },
      ]);
    }
    const issues: ValidationIssue[] = body.flatMap((item, index) =>
      validateIngestionItem(item, index, route === "publish_llm_events" ? "llm" : "event"),
    );
    if (issues.length > 0) return reject(422, issues);
    if (route === "publish_llm_events") {
      receivedLlmEventBatches.push(body as TrubricsLlmEvent[]);
      receivedLlmEvents.push(...(body as TrubricsLlmEvent[]));
    } else {
      receivedEvents.push(...(body as TrubricsEvent[]));
    }
    return answer(route, request, { status: "success" });
  };

  // ---- Firebase Identity Toolkit ---------------------------------------------------------------

  const signIn = async (request: Request): Promise<Response | undefined> => {
    const route = "signInWithPassword";
    const key = new URL(request.url).searchParams.get("key");
    if (!key) {
      return answer(
        route,
        request,
        googleError(
          403,
          "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
          "PERMISSION_DENIED",
        ),
        403,
      );
    }
    if (key !== firebaseApiKey) {
      const message = "API key not valid. Please pass a valid API key.";
      return answer(
        route,
        request,
        {
          error: {
            code: 400,
            message,
            errors: [{ message, domain: "global", reason: "badRequest" }],
            status: "INVALID_ARGUMENT",
            details: [
              {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                reason: "API_KEY_INVALID",
                domain: "googleapis.com",
                metadata: { service: "identitytoolkit.googleapis.com" },
              },
            ],
          },
        },
        400,
      );
    }
    const body = await readJson(request);
    if (body === INVALID_JSON || body === null || typeof body !== "object" || Array.isArray(body)) {
      return answer(
        route,
        request,
        googleError(400, "Invalid JSON payload received.", "INVALID_ARGUMENT"),
        400,
      );
    }
    const { email, password } = body as { email?: unknown; password?: unknown };
    const refuse = (code: string) =>
      answer(
        route,
        request,
        {
          error: {
            code: 400,
            message: code,
            errors: [{ message: code, domain: "global", reason: "invalid" }],
          },
        },
        400,
      );
    if (typeof email !== "string" || email === "") return refuse("MISSING_EMAIL");
    if (!/^[^@\s]+@[^@\s]+$/.test(email)) return refuse("INVALID_EMAIL");
    if (typeof password !== "string" || password === "") return refuse("MISSING_PASSWORD");
    const known = options.users
      ? options.users.some((user) => user.email === email && user.password === password)
      : true;
    if (!known) return refuse("INVALID_LOGIN_CREDENTIALS");
    signIns++;
    tokenSequence++;
    const idToken = `emulator-id-token-${tokenSequence}`;
    tokens.set(idToken, { email, expiresAt: Date.now() + tokenLifetimeSeconds * 1000 });
    return answer(route, request, {
      kind: "identitytoolkit#VerifyPasswordResponse",
      localId: `emulator-user-${email.split("@")[0]}`,
      email,
      displayName: "",
      idToken,
      registered: true,
      refreshToken: `emulator-refresh-token-${tokenSequence}`,
      expiresIn: String(tokenLifetimeSeconds),
    });
  };

  // ---- Firestore -------------------------------------------------------------------------------

  /** The Bearer check every Firestore call gets; an error answer, or `undefined` when authorised. */
  const authorise = (route: TrubricsEmulatorRoute, request: Request, projectId: string | undefined) => {
    if (projectId !== firebaseProjectId) {
      return answer(
        route,
        request,
        googleError(404, `The database (default) does not exist for project ${projectId}.`, "NOT_FOUND"),
        404,
      );
    }
    const header = request.headers.get("authorization");
    if (!header) {
      return answer(
        route,
        request,
        googleError(403, "Missing or insufficient permissions.", "PERMISSION_DENIED"),
        403,
      );
    }
    const session = tokens.get(header.replace(/^Bearer\s+/i, ""));
    if (!/^Bearer\s+/i.test(header) || !session || session.expiresAt <= Date.now()) {
      return answer(route, request, googleError(401, UNAUTHENTICATED_MESSAGE, "UNAUTHENTICATED"), 401);
    }
    return undefined;
  };

  const runQuery = async (request: Request): Promise<Response | undefined> => {
    const route = "runQuery";
    const [, projectId] = ROUTES.runQuery.exec(new URL(request.url).pathname) ?? [];
    const denied = authorise(route, request, projectId);
    if (denied) return denied;
    const body = (await readJson(request)) as
      | typeof INVALID_JSON
      | {
          structuredQuery?: {
            from?: Array<{ collectionId?: unknown }>;
            where?: {
              fieldFilter?: {
                field?: { fieldPath?: unknown };
                op?: unknown;
                value?: { stringValue?: unknown };
              };
            };
          };
        }
      | null;
    const query = body === INVALID_JSON ? undefined : body?.structuredQuery;
    const filter = query?.where?.fieldFilter;
    const email = filter?.value?.stringValue;
    if (
      query?.from?.[0]?.collectionId !== "organisations" ||
      filter?.field?.fieldPath !== "users" ||
      filter.op !== "ARRAY_CONTAINS" ||
      typeof email !== "string"
    ) {
      return answer(
        route,
        request,
        googleError(400, "Invalid JSON payload received: unsupported structuredQuery.", "INVALID_ARGUMENT"),
        400,
      );
    }
    const readTime = new Date().toISOString();
    const member = options.organisationMembers ? options.organisationMembers.includes(email) : true;
    if (!member) return answer(route, request, [{ readTime }]);
    return answer(route, request, [
      {
        document: {
          name: organisationName,
          fields: {
            name: { stringValue: "Emulator organisation" },
            users: { arrayValue: { values: [{ stringValue: email }] } },
          },
          createTime: "2023-09-01T00:00:00.000000Z",
          updateTime: "2023-09-01T00:00:00.000000Z",
        },
        readTime,
      },
    ]);
  };

  const listProjects = async (request: Request): Promise<Response | undefined> => {
    const route = "listProjects";
    const url = new URL(request.url);
    const [, projectId, organisation] = ROUTES.listProjects.exec(url.pathname) ?? [];
    const denied = authorise(route, request, projectId);
    if (denied) return denied;
    if (organisation !== organisationId) return answer(route, request, {});
    const pageSize = Math.max(1, Math.min(300, Number(url.searchParams.get("pageSize")) || 20));
    const offset = Number(url.searchParams.get("pageToken")) || 0;
    const page = projects.slice(offset, offset + pageSize);
    return answer(route, request, {
      documents: page.map((project) => ({
        name: `${organisationName}/projects/${project.name}`,
        fields: { name: { stringValue: project.name }, archived: { booleanValue: project.archived } },
        createTime: "2023-09-01T00:00:00.000000Z",
        updateTime: "2023-09-01T00:00:00.000000Z",
      })),
      ...(offset + pageSize < projects.length ? { nextPageToken: String(offset + pageSize) } : {}),
    });
  };

  const createPrompt = async (request: Request): Promise<Response | undefined> => {
    const route = "createPrompt";
    const [, projectId, organisation, encodedProject] =
      ROUTES.createPrompt.exec(new URL(request.url).pathname) ?? [];
    const denied = authorise(route, request, projectId);
    if (denied) return denied;
    const project = decodeURIComponent(encodedProject ?? "");
    if (organisation !== organisationId || !projects.some((known) => known.name === project)) {
      return answer(
        route,
        request,
        googleError(403, "Missing or insufficient permissions.", "PERMISSION_DENIED"),
        403,
      );
    }
    const body = await readJson(request);
    const requestedId = new URL(request.url).searchParams.get("documentId");
    const problem =
      body === INVALID_JSON
        ? "Invalid JSON payload received."
        : (validateFirestoreDocument(body) ??
          (requestedId === null ? undefined : validateDocumentId(requestedId)));
    if (problem) return answer(route, request, googleError(400, problem, "INVALID_ARGUMENT"), 400);
    if (requestedId === null) promptSequence++;
    const documentId = requestedId ?? `emulatorPrompt${String(promptSequence).padStart(8, "0")}`;
    const documentName = `${organisationName}/projects/${project}/prompts/${documentId}`;
    if (promptNames.has(documentName)) {
      // Firestore's createDocument never overwrites: the same id a second time is refused.
      return answer(
        route,
        request,
        googleError(409, `Document already exists: ${documentName}`, "ALREADY_EXISTS"),
        409,
      );
    }
    promptNames.add(documentName);
    const fields = ((body as { fields?: Record<string, FirestoreValue> }).fields ?? {}) as Record<
      string,
      FirestoreValue
    >;
    receivedPrompts.push({ organisationId: organisation, project, documentId, fields });
    const now = new Date().toISOString();
    return answer(route, request, {
      name: documentName,
      fields,
      createTime: now,
      updateTime: now,
    });
  };

  const handlers: RequestHandler[] = [
    http.post(
      ROUTES.publishLlmEvents,
      serve("publish_llm_events", (request) => ingestion("publish_llm_events", request)),
    ),
    http.post(
      ROUTES.publishEvents,
      serve("publish_events", (request) => ingestion("publish_events", request)),
    ),
    http.post(ROUTES.signIn, serve("signInWithPassword", signIn)),
    http.post(ROUTES.runQuery, serve("runQuery", runQuery)),
    http.get(ROUTES.listProjects, serve("listProjects", listProjects)),
    http.post(ROUTES.createPrompt, serve("createPrompt", createPrompt)),
  ];

  return {
    handlers,
    receivedLlmEvents,
    receivedLlmEventBatches,
    receivedEvents,
    receivedPrompts,
    requests,
    get signIns() {
      return signIns;
    },
    failNext(route, fault, times = 1) {
      const queue = faults.get(route) ?? [];
      for (let count = 0; count < times; count++) queue.push(fault);
      faults.set(route, queue);
    },
    injectFaults(next) {
      injector = next;
    },
    revokeTokens() {
      tokens.clear();
    },
    reset() {
      receivedLlmEvents.length = 0;
      receivedLlmEventBatches.length = 0;
      receivedEvents.length = 0;
      receivedPrompts.length = 0;
      promptNames.clear();
      requests.length = 0;
      faults.clear();
      injector = undefined;
      tokens.clear();
      signIns = 0;
      promptSequence = 0;
    },
  };
}

const INVALID_JSON = Symbol("invalid-json");

async function readJson(request: Request): Promise<unknown> {
  try {
    return JSON.parse(await request.text());
  } catch {
    return INVALID_JSON;
  }
}

/** Firestore's rules for a document id, as its error message; `undefined` when it is valid. */
function validateDocumentId(documentId: string): string | undefined {
  if (documentId === "") return "Document id must not be empty.";
  if (documentId.includes("/")) return `Document id "${documentId}" must not contain "/".`;
  if (documentId === "." || documentId === "..") return `Document id "${documentId}" is invalid.`;
  if (/^__.*__$/s.test(documentId)) return `Resource id "${documentId}" is invalid because it is reserved.`;
  if (new TextEncoder().encode(documentId).length > 1500) return "Document id is longer than 1500 bytes.";
  return undefined;
}

function googleError(code: number, message: string, status: string): GoogleApiErrorBody {
  return { error: { code, message, status } };
}

/** The answer to a body over `maxRequestBytes`, in each service's error shape. */
function tooLargeBody(route: TrubricsEmulatorRoute, maxRequestBytes: number): unknown {
  const message = `Request payload size exceeds the limit: ${maxRequestBytes} bytes.`;
  return route === "publish_llm_events" || route === "publish_events"
    ? { detail: message }
    : googleError(413, message, "INVALID_ARGUMENT");
}

/** The body a real service would send with an injected status. */
function defaultFaultBody(route: TrubricsEmulatorRoute, status: number): unknown {
  if (route === "publish_llm_events" || route === "publish_events") {
    const detail: Record<number, string> = {
      401: "Invalid API key.",
      413: "Request entity too large.",
      422: "Unprocessable entity.",
      429: "Too many requests.",
      500: "Internal server error.",
      503: "Service unavailable.",
    };
    return { detail: detail[status] ?? `Error ${status}.` };
  }
  const statusName: Record<number, string> = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    413: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
  };
  return googleError(status, `Injected failure ${status}.`, statusName[status] ?? "UNKNOWN");
}
