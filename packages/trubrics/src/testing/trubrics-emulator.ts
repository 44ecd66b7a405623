import {
  type Emulator,
  type EmulatorAnswer,
  type EmulatorFault,
  type EmulatorRequest,
  type EmulatorRespondContext,
  startEmulator,
} from "@langchain-observability/core/testing";
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
   * Largest request body accepted, in bytes; a larger one is answered 413 (in the service's error
   * shape) and not handled, as the proxy in front of a real service would. @default no limit
   */
  maxRequestBytes?: number;
  /** Port on 127.0.0.1. @default any free port */
  port?: number;
}

/** A prompt document written to Firestore by the legacy transport. */
export interface TrubricsEmulatorPrompt {
  organisationId: string;
  project: string;
  documentId: string;
  fields: Record<string, FirestoreValue>;
}

/** One item the emulator stored, from either API. */
export type TrubricsEmulatorStored =
  | { kind: "llm-event"; event: TrubricsLlmEvent }
  | { kind: "event"; event: TrubricsEvent }
  | { kind: "prompt"; prompt: TrubricsEmulatorPrompt };

/** Routes of the emulated endpoints, for `EmulatorFault.route` (`failNext({ route, … })`). */
export interface TrubricsEmulatorRoutes {
  /** `POST /publish_llm_events` (at the emulator's root; a base path in front is not matched). */
  publishLlmEvents: string;
  publishEvents: string;
  signIn: string;
  runQuery: string;
  listProjects: string;
  createPrompt: string;
}

/**
 * The Trubrics emulator: the testing dialect of `@langchain-observability/core/testing`
 * (`url`, `received`, `failNext`, `injectFaults`, `reset`, `close` …) plus typed views of what it
 * stored and the legacy platform's session controls.
 */
export interface TrubricsEmulator extends Emulator<TrubricsEmulatorStored> {
  readonly routes: TrubricsEmulatorRoutes;
  /** Every LLM event stored by `publish_llm_events`, in order. */
  readonly receivedLlmEvents: TrubricsLlmEvent[];
  /** The LLM events of each stored `publish_llm_events` request. */
  readonly receivedLlmEventBatches: TrubricsLlmEvent[][];
  /** Every event stored by `publish_events`. */
  readonly receivedEvents: TrubricsEvent[];
  /** Every prompt document the legacy API created. */
  readonly receivedPrompts: TrubricsEmulatorPrompt[];
  /** Successful sign-ins so far. */
  readonly signIns: number;
  /** Invalidates every id token issued so far (Firestore then answers 401). */
  revokeTokens(): void;
}

const MAX_INGESTION_ITEMS = 100;
const DATABASE = "\\(default\\)";
const UNAUTHENTICATED_MESSAGE =
  "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.";

/**
 * Starts the emulator of both Trubrics APIs on 127.0.0.1: the ingestion API (`publish_llm_events`,
 * `publish_events`, `x-api-key`) and the legacy platform (Firebase email/password sign-in and the
 * Firestore REST calls of the legacy SDK, `createDocument` with `documentId` refusing a second copy
 * with 409). Requests are validated as the real services do and answered in their error shapes;
 * `received` lists what was stored, including what was stored after the client gave up.
 */
export async function startTrubricsEmulator(
  options: TrubricsEmulatorOptions = {},
): Promise<TrubricsEmulator> {
  const firebaseApiKey = options.firebaseApiKey ?? TRUBRICS_DEFAULT_FIREBASE_API_KEY;
  const firebaseProjectId = options.firebaseProjectId ?? TRUBRICS_DEFAULT_FIREBASE_PROJECT_ID;
  const organisationId = options.organisationId ?? "emulator-organisation";
  const projects = (options.projects ?? ["default"]).map((project) =>
    typeof project === "string" ? { name: project, archived: false } : { archived: false, ...project },
  );
  const tokenLifetimeSeconds = options.tokenLifetimeSeconds ?? 3600;
  const documentsPath = `projects/${firebaseProjectId}/databases/(default)/documents`;
  const organisationName = `${documentsPath}/organisations/${organisationId}`;
  const documentsRoute = `/v1/projects/${firebaseProjectId}/databases/(default)/documents`;
  const routes: TrubricsEmulatorRoutes = {
    publishLlmEvents: "POST /publish_llm_events",
    publishEvents: "POST /publish_events",
    signIn: "POST /v1/accounts:signInWithPassword",
    runQuery: `POST ${documentsRoute}:runQuery`,
    listProjects: `GET ${documentsRoute}/organisations/*`,
    createPrompt: `POST ${documentsRoute}/organisations/*`,
  };

  const llmEventBatches: TrubricsLlmEvent[][] = [];
  const promptNames = new Set<string>();
  const tokens = new Map<string, { email: string; expiresAt: number }>();
  let signIns = 0;
  let promptSequence = 0;
  // Never reset, so a token issued before `reset()` never becomes valid again.
  let tokenSequence = 0;

  type Context = EmulatorRespondContext<TrubricsEmulatorStored>;

  // ---- Ingestion API -------------------------------------------------------------------------

  const ingestion = (kind: "llm" | "event", request: EmulatorRequest, context: Context): EmulatorAnswer => {
    const reject = (status: number, detail: TrubricsIngestionErrorBody["detail"]) => ({
      status,
      body: { detail },
    });
    const apiKey = request.headers["x-api-key"];
    if (!apiKey) return reject(401, "Missing API key: send the project API key in the x-api-key header.");
    if (options.apiKeys && !options.apiKeys.includes(apiKey)) return reject(401, "Invalid API key.");
    const body = request.body;
    if (body === undefined) {
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
    const issues: ValidationIssue[] = body.flatMap((item, index) => validateIngestionItem(item, index, kind));
    if (issues.length > 0) return reject(422, issues);
    if (kind === "llm") {
      llmEventBatches.push(body as TrubricsLlmEvent[]);
      for (const event of body as TrubricsLlmEvent[]) context.store({ kind: "llm-event", event });
    } else {
      for (const event of body as TrubricsEvent[]) context.store({ kind: "event", event });
    }
    return { body: { status: "success" } };
  };

  // ---- Firebase Identity Toolkit -----------------------------------------------------------------

  const signIn = (request: EmulatorRequest): EmulatorAnswer => {
    const key = request.url.searchParams.get("key");
    if (!key) {
      return googleAnswer(
        403,
        "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
        "PERMISSION_DENIED",
      );
    }
    if (key !== firebaseApiKey) {
      const message = "API key not valid. Please pass a valid API key.";
      return {
        status: 400,
        body: {
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
      };
    }
    const body = request.body;
    if (body === undefined || body === null || typeof body !== "object" || Array.isArray(body)) {
      return googleAnswer(400, "Invalid JSON payload received.", "INVALID_ARGUMENT");
    }
    const { email, password } = body as { email?: unknown; password?: unknown };
    const refuse = (code: string) => ({
      status: 400,
      body: {
        error: { code: 400, message: code, errors: [{ message: code, domain: "global", reason: "invalid" }] },
      },
    });
    if (typeof email !== "string" || email === "") return refuse("MISSING_EMAIL");
    if (!/^[^@\s]+@[^@\s]+$/.test(email)) return refuse("INVALID_EMAIL");
    if (typeof password !== "string" || password === "") return refuse("MISSING_PASSWORD");
    const known = options.users
      ? options.users.some((user) => user.email === email && user.password === password)
      : true;
    if (!known) return refuse("INVALID_LOGIN_CREDENTIALS");
    signIns++;
    tokenSequence++;
    // `+`, `/` and `=` change under URL and JSON encoding, as in a real token's base64 parts.
    const idToken = `emulator-id-token-${tokenSequence}+a/b=`;
    tokens.set(idToken, { email, expiresAt: Date.now() + tokenLifetimeSeconds * 1000 });
    return {
      body: {
        kind: "identitytoolkit#VerifyPasswordResponse",
        localId: `emulator-user-${email.split("@")[0]}`,
        email,
        displayName: "",
        idToken,
        registered: true,
        refreshToken: `emulator-refresh-token-${tokenSequence}`,
        expiresIn: String(tokenLifetimeSeconds),
      },
    };
  };

  // ---- Firestore ---------------------------------------------------------------------------------

  /** The Bearer check every Firestore call gets; an error answer, or `undefined` when authorised. */
  const authorise = (request: EmulatorRequest, projectId: string | undefined): EmulatorAnswer | undefined => {
    if (projectId !== firebaseProjectId) {
      return googleAnswer(
        404,
        `The database (default) does not exist for project ${projectId}.`,
        "NOT_FOUND",
      );
    }
    const header = request.headers.authorization;
    if (!header) return googleAnswer(403, "Missing or insufficient permissions.", "PERMISSION_DENIED");
    const session = tokens.get(header.replace(/^Bearer\s+/i, ""));
    if (!/^Bearer\s+/i.test(header) || !session || session.expiresAt <= Date.now()) {
      return googleAnswer(401, UNAUTHENTICATED_MESSAGE, "UNAUTHENTICATED");
    }
    return undefined;
  };

  const runQuery = (request: EmulatorRequest, projectId: string | undefined): EmulatorAnswer => {
    const denied = authorise(request, projectId);
    if (denied) return denied;
    const query = (
      request.body as
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
        | undefined
    )?.structuredQuery;
    const filter = query?.where?.fieldFilter;
    const email = filter?.value?.stringValue;
    if (
      query?.from?.[0]?.collectionId !== "organisations" ||
      filter?.field?.fieldPath !== "users" ||
      filter.op !== "ARRAY_CONTAINS" ||
      typeof email !== "string"
    ) {
      return googleAnswer(
        400,
        "Invalid JSON payload received: unsupported structuredQuery.",
        "INVALID_ARGUMENT",
      );
    }
    const readTime = new Date().toISOString();
    const member = options.organisationMembers ? options.organisationMembers.includes(email) : true;
    if (!member) return { body: [{ readTime }] };
    return {
      body: [
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
      ],
    };
  };

  const listProjects = (
    request: EmulatorRequest,
    projectId: string | undefined,
    organisation: string | undefined,
  ): EmulatorAnswer => {
    const denied = authorise(request, projectId);
    if (denied) return denied;
    if (organisation !== organisationId) return { body: {} };
    const pageSize = Math.max(1, Math.min(300, Number(request.url.searchParams.get("pageSize")) || 20));
    const offset = Number(request.url.searchParams.get("pageToken")) || 0;
    const page = projects.slice(offset, offset + pageSize);
    return {
      body: {
        documents: page.map((project) => ({
          name: `${organisationName}/projects/${project.name}`,
          fields: { name: { stringValue: project.name }, archived: { booleanValue: project.archived } },
          createTime: "2023-09-01T00:00:00.000000Z",
          updateTime: "2023-09-01T00:00:00.000000Z",
        })),
        ...(offset + pageSize < projects.length ? { nextPageToken: String(offset + pageSize) } : {}),
      },
    };
  };

  const createPrompt = (
    request: EmulatorRequest,
    context: Context,
    [projectId, organisation, project]: Array<string | undefined>,
  ): EmulatorAnswer => {
    const denied = authorise(request, projectId);
    if (denied) return denied;
    if (organisation !== organisationId || !projects.some((known) => known.name === project)) {
      return googleAnswer(403, "Missing or insufficient permissions.", "PERMISSION_DENIED");
    }
    const requestedId = request.url.searchParams.get("documentId");
    const problem =
      request.body === undefined
        ? "Invalid JSON payload received."
        : (validateFirestoreDocument(request.body) ??
          (requestedId === null ? undefined : validateDocumentId(requestedId)));
    if (problem) return googleAnswer(400, problem, "INVALID_ARGUMENT");
    if (requestedId === null) promptSequence++;
    const documentId = requestedId ?? `emulatorPrompt${String(promptSequence).padStart(8, "0")}`;
    const name = `${organisationName}/projects/${project}/prompts/${documentId}`;
    // Firestore's createDocument never overwrites: the same id a second time is refused.
    if (promptNames.has(name)) return googleAnswer(409, `Document already exists: ${name}`, "ALREADY_EXISTS");
    promptNames.add(name);
    const fields = ((request.body as { fields?: Record<string, FirestoreValue> }).fields ?? {}) as Record<
      string,
      FirestoreValue
    >;
    context.store({ kind: "prompt", prompt: { organisationId, project: project!, documentId, fields } });
    const now = new Date().toISOString();
    return { body: { name, fields, createTime: now, updateTime: now } };
  };

  // ---- Routing -----------------------------------------------------------------------------------

  const firestorePath = (suffix: string) =>
    new RegExp(`/v1/projects/([^/]+)/databases/${DATABASE}/documents${suffix}$`);
  const paths = {
    runQuery: firestorePath(":runQuery"),
    listProjects: firestorePath("/organisations/([^/]+)/projects"),
    createPrompt: firestorePath("/organisations/([^/]+)/projects/([^/]+)/prompts"),
  };

  // The vendor's part: faults and the emulator's bookkeeping are core's `startEmulator`.
  const respond = (request: EmulatorRequest, context: Context): EmulatorAnswer | undefined => {
    const { method, path } = request;
    if (options.maxRequestBytes !== undefined && request.rawBody.byteLength > options.maxRequestBytes) {
      return { status: 413, body: tooLargeBody(path, options.maxRequestBytes) };
    }
    if (method === "POST" && path.endsWith("/publish_llm_events")) return ingestion("llm", request, context);
    if (method === "POST" && path.endsWith("/publish_events")) return ingestion("event", request, context);
    if (method === "POST" && path.endsWith("/v1/accounts:signInWithPassword")) return signIn(request);
    let match = paths.runQuery.exec(path);
    if (method === "POST" && match) return runQuery(request, match[1]);
    match = paths.listProjects.exec(path);
    if (method === "GET" && match) return listProjects(request, match[1], match[2]);
    match = paths.createPrompt.exec(path);
    if (method === "POST" && match) return createPrompt(request, context, match.slice(1));
    return undefined;
  };

  const emulator = await startEmulator<TrubricsEmulatorStored>({
    respond,
    onReset() {
      llmEventBatches.length = 0;
      promptNames.clear();
      tokens.clear();
      signIns = 0;
      promptSequence = 0;
    },
    ...(options.port === undefined ? {} : { port: options.port }),
  });

  const stored = <TKind extends TrubricsEmulatorStored["kind"]>(kind: TKind) =>
    emulator.received.filter(
      (item): item is Extract<TrubricsEmulatorStored, { kind: TKind }> => item.kind === kind,
    );

  return {
    url: emulator.url,
    received: emulator.received,
    requests: emulator.requests,
    routes,
    failNext: (fault) => emulator.failNext(withServiceBody(fault)),
    injectFaults: (generator) =>
      emulator.injectFaults(generator && ((request) => withServiceBody(generator(request), request.path))),
    waitForRequests: (count) => emulator.waitForRequests(count),
    waitForReceived: (count) => emulator.waitForReceived(count),
    releaseHangs: () => emulator.releaseHangs(),
    reset: () => emulator.reset(),
    close: () => emulator.close(),
    get receivedLlmEvents() {
      return stored("llm-event").map((item) => item.event);
    },
    get receivedLlmEventBatches() {
      return [...llmEventBatches];
    },
    get receivedEvents() {
      return stored("event").map((item) => item.event);
    },
    get receivedPrompts() {
      return stored("prompt").map((item) => item.prompt);
    },
    get signIns() {
      return signIns;
    },
    revokeTokens() {
      tokens.clear();
    },
  };
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

function googleAnswer(code: number, message: string, status: string): EmulatorAnswer {
  const body: GoogleApiErrorBody = { error: { code, message, status } };
  return { status: code, body };
}

/** Whether a path (or a fault's route) is one of the Google APIs rather than the ingestion API. */
function isGooglePath(pathOrRoute: string | undefined): boolean {
  return pathOrRoute?.includes("/v1/") === true;
}

/** The answer to a body over `maxRequestBytes`, in each service's error shape. */
function tooLargeBody(path: string, maxRequestBytes: number): unknown {
  const message = `Request payload size exceeds the limit: ${maxRequestBytes} bytes.`;
  return isGooglePath(path) ? googleAnswer(413, message, "INVALID_ARGUMENT").body : { detail: message };
}

const INGESTION_DETAIL: Record<number, string> = {
  401: "Invalid API key.",
  413: "Request entity too large.",
  422: "Unprocessable entity.",
  429: "Too many requests.",
  500: "Internal server error.",
  503: "Service unavailable.",
};

const GOOGLE_STATUS: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  409: "ALREADY_EXISTS",
  413: "INVALID_ARGUMENT",
  429: "RESOURCE_EXHAUSTED",
  500: "INTERNAL",
  503: "UNAVAILABLE",
};

/**
 * An injected status without a body gets the body the real service would send with it (FastAPI's
 * `detail` on the ingestion API, Google's error shape on Firebase and Firestore).
 */
function withServiceBody(fault: EmulatorFault, path?: string): EmulatorFault;
function withServiceBody(fault: EmulatorFault | undefined, path?: string): EmulatorFault | undefined;
function withServiceBody(fault: EmulatorFault | undefined, path?: string): EmulatorFault | undefined {
  if (fault?.status === undefined || fault.body !== undefined || fault.malformed) return fault;
  const body = isGooglePath(path ?? fault.route)
    ? googleAnswer(
        fault.status,
        `Injected failure ${fault.status}.`,
        GOOGLE_STATUS[fault.status] ?? "UNKNOWN",
      ).body
    : { detail: INGESTION_DETAIL[fault.status] ?? `Error ${fault.status}.` };
  return { ...fault, body };
}
