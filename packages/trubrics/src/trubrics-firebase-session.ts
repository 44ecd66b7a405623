import {
  ConfigurationError,
  type HttpClient,
  type HttpResponse,
  type VendorSendContext,
} from "@langchain-observability/core";
import type {
  FirebaseSignInRequest,
  FirebaseSignInResponse,
  FirestoreListDocumentsResponse,
  FirestoreRunQueryRequest,
} from "./trubrics-api";
import { describeSignInError, unusableAnswer } from "./trubrics-error";
import type { TrubricsLegacySettings } from "./trubrics-settings";

/** Sign in again when less than this is left of the token's lifetime. */
const TOKEN_RENEW_MARGIN_MS = 5 * 60_000;
const DEFAULT_TOKEN_LIFETIME_SECONDS = 3600;
const PROJECTS_PAGE_SIZE = 50;
const MAX_PROJECT_PAGES = 20;
const SIGN_IN_PATH = "v1/accounts:signInWithPassword";

/** What the session's requests need of the export call they run in. */
export type TrubricsRequestContext = Pick<VendorSendContext, "signal" | "onRetry">;

/** The signed-in state of the legacy platform: an id token and the project's Firestore URL. */
export interface TrubricsFirebaseSession {
  /** The cached id token, or a new one when it is missing or close to expiry (one sign-in at a time). */
  getIdToken(context: TrubricsRequestContext): Promise<string>;
  /** Forgets `idToken` after Firestore refused it, so the next `getIdToken` signs in again. */
  invalidate(idToken: string): void;
  /** `…/organisations/{id}/projects/{project}`, looked up once (again after a failure). */
  getProjectUrl(idToken: string, context: TrubricsRequestContext): Promise<string>;
}

/**
 * The legacy SDK's session: email/password sign-in on Identity Toolkit, then the organisation lookup
 * and project check on Firestore. Each token obtained is pushed onto `secrets`, the list the HTTP
 * clients redact from every error they report. Sign-in and lookups store nothing, so the clients may
 * resend them.
 */
export function createTrubricsFirebaseSession(
  settings: TrubricsLegacySettings,
  clients: { identityToolkit: HttpClient; firestore: HttpClient },
  secrets: string[],
): TrubricsFirebaseSession {
  const { identityToolkit, firestore } = clients;
  const signInUrl = `${settings.identityToolkitUrl}/${SIGN_IN_PATH}`;
  let token: { idToken: string; renewAt: number } | undefined;
  let signingIn: Promise<string> | undefined;
  let projectUrl: string | undefined;
  let resolvingProject: Promise<string> | undefined;

  const remember = (idToken: string) => {
    // The password stays first; only the two newest tokens are kept (an older one is never sent again).
    secrets.push(idToken);
    if (secrets.length > 3) secrets.splice(1, secrets.length - 3);
  };

  const signIn = async ({ signal, onRetry }: TrubricsRequestContext): Promise<string> => {
    const request: FirebaseSignInRequest = {
      email: settings.email,
      password: settings.password,
      returnSecureToken: true,
    };
    let response: HttpResponse;
    try {
      response = await identityToolkit.request({
        method: "POST",
        path: SIGN_IN_PATH,
        searchParams: { key: settings.firebaseApiKey },
        json: request,
        signal,
        onRetry,
        // A sign-in stores nothing: safe to resend.
        idempotent: true,
      });
    } catch (error) {
      throw describeSignInError(error);
    }
    const body = response.body as Partial<FirebaseSignInResponse> | undefined;
    if (!body || typeof body.idToken !== "string" || body.idToken === "") {
      // The body is left out of the error: it may hold a token.
      throw unusableAnswer("POST", signInUrl, response.status, "without an idToken");
    }
    remember(body.idToken);
    const lifetimeSeconds = Number(body.expiresIn);
    const lifetimeMs =
      (Number.isFinite(lifetimeSeconds) && lifetimeSeconds > 0
        ? lifetimeSeconds
        : DEFAULT_TOKEN_LIFETIME_SECONDS) * 1000;
    token = { idToken: body.idToken, renewAt: Date.now() + lifetimeMs - TOKEN_RENEW_MARGIN_MS };
    return body.idToken;
  };

  const resolveProject = async (idToken: string, context: TrubricsRequestContext): Promise<string> => {
    const query: FirestoreRunQueryRequest = {
      structuredQuery: {
        from: [{ collectionId: "organisations" }],
        where: {
          fieldFilter: {
            field: { fieldPath: "users" },
            op: "ARRAY_CONTAINS",
            value: { stringValue: settings.email },
          },
        },
      },
    };
    const queryPath = `v1/projects/${encodeURIComponent(settings.firebaseProjectId)}/databases/(default)/documents:runQuery`;
    // A query reads only: safe to resend although it is a POST.
    const response = await firestore.request({
      method: "POST",
      path: queryPath,
      headers: bearer(idToken),
      json: query,
      signal: context.signal,
      onRetry: context.onRetry,
      idempotent: true,
    });
    const queryUrl = `${settings.firestoreUrl}/${queryPath}`;
    if (!Array.isArray(response.body)) {
      throw unusableAnswer("POST", queryUrl, response.status, "with not a list of results");
    }
    const organisation = (response.body as Array<{ document?: { name?: unknown } } | null>)
      .map((entry) => entry?.document?.name)
      .find((name) => typeof name === "string");
    if (typeof organisation !== "string") {
      throw new ConfigurationError({
        message:
          "Trubrics: no organisation lists the signed-in account (`email` or env TRUBRICS_EMAIL); ask your organisation's owner to add it.",
        option: "email",
        envVar: "TRUBRICS_EMAIL",
      });
    }
    if (
      !/^projects\/[^/]+\/databases\/[^/]+\/documents\/[^?#]+$/.test(organisation) ||
      organisation.includes("..")
    ) {
      throw unusableAnswer("POST", queryUrl, response.status, "with an invalid document name");
    }
    const organisationUrl = `${settings.firestoreUrl}/v1/${organisation}`;
    const projects = await listProjects(organisationUrl, idToken, context);
    if (!projects.includes(settings.project)) {
      throw new ConfigurationError({
        message: `Trubrics project ${JSON.stringify(settings.project)} not found. Please select one of [${projects
          .map((name) => JSON.stringify(name))
          .join(", ")}] (option \`project\`).`,
        option: "project",
      });
    }
    return `${organisationUrl}/projects/${encodeURIComponent(settings.project)}`;
  };

  /** Names of the organisation's projects that are not archived (every page). */
  const listProjects = async (
    organisationUrl: string,
    idToken: string,
    context: TrubricsRequestContext,
  ): Promise<string[]> => {
    const names: string[] = [];
    let pageToken: string | undefined;
    for (let page = 0; page < MAX_PROJECT_PAGES; page++) {
      const response = await firestore.request({
        method: "GET",
        path: `${organisationUrl}/projects`,
        headers: bearer(idToken),
        searchParams: pageToken
          ? { pageSize: PROJECTS_PAGE_SIZE, pageToken }
          : { pageSize: PROJECTS_PAGE_SIZE },
        signal: context.signal,
        onRetry: context.onRetry,
      });
      const body = response.body as FirestoreListDocumentsResponse | undefined;
      if (!body || typeof body !== "object" || Array.isArray(body)) {
        throw unusableAnswer(
          "GET",
          `${organisationUrl}/projects`,
          response.status,
          "with not a document list",
        );
      }
      for (const document of Array.isArray(body.documents) ? body.documents : []) {
        const name = typeof document?.name === "string" ? document.name.split("/").pop() : undefined;
        const archived = (document?.fields?.archived as { booleanValue?: unknown } | undefined)?.booleanValue;
        if (name && archived !== true) names.push(name);
      }
      pageToken =
        typeof body.nextPageToken === "string" && body.nextPageToken !== "" ? body.nextPageToken : undefined;
      if (!pageToken) break;
    }
    return names;
  };

  return {
    getIdToken(context) {
      if (token && Date.now() < token.renewAt) return Promise.resolve(token.idToken);
      signingIn ??= signIn(context).finally(() => {
        signingIn = undefined;
      });
      return signingIn;
    },
    invalidate(idToken) {
      if (token?.idToken === idToken) token = undefined;
    },
    getProjectUrl(idToken, context) {
      if (projectUrl) return Promise.resolve(projectUrl);
      resolvingProject ??= resolveProject(idToken, context)
        .then((url) => {
          projectUrl = url;
          return url;
        })
        .finally(() => {
          resolvingProject = undefined;
        });
      return resolvingProject;
    },
  };
}

/** The header Firestore authenticates with. */
export function bearer(idToken: string): Record<string, string> {
  return { authorization: `Bearer ${idToken}` };
}
