import {
  ConfigurationError,
  type ExporterHttpOptions,
  type HttpSettings,
  loadHttpSettings,
  loadString,
  loadUrl,
} from "@langchain-observability/core";

/** The ingestion API the official SDKs use. */
export const TRUBRICS_DEFAULT_BASE_URL = "https://app.trubrics.com/api/ingestion";
/** The public Firebase Web API key hard-coded in the legacy SDK (its source says it is not a secret). */
export const TRUBRICS_DEFAULT_FIREBASE_API_KEY = "AIzaSyB6WPIVzMaRCnlL1ZmRosrQsbQYYagZARQ";
/** The Firebase project of the legacy Trubrics platform. */
export const TRUBRICS_DEFAULT_FIREBASE_PROJECT_ID = "trubrics-streamlit";
/** Firebase Identity Toolkit, where the legacy platform signs in. */
export const TRUBRICS_DEFAULT_IDENTITY_TOOLKIT_URL = "https://identitytoolkit.googleapis.com";
/** The Firestore REST API, where the legacy platform keeps prompts. */
export const TRUBRICS_DEFAULT_FIRESTORE_URL = "https://firestore.googleapis.com";

/** Options of `createTrubricsExporter` (the handler accepts them too). */
export interface TrubricsExporterOptions extends ExporterHttpOptions {
  /**
   * Project API key of the current ingestion API (Trubrics app settings). When set (here or in the
   * environment), records go to the ingestion API and `email`/`password` are not used.
   * @default process.env.TRUBRICS_API_KEY
   */
  apiKey?: string;
  /**
   * Base URL of the ingestion API, for self-hosted Trubrics or a local emulator.
   * @default process.env.TRUBRICS_HOST ?? "https://app.trubrics.com/api/ingestion"
   */
  baseUrl?: string;
  /**
   * Alias of `baseUrl`, spelled as the Trubrics SDKs' `host`.
   * @default process.env.TRUBRICS_HOST ?? "https://app.trubrics.com/api/ingestion"
   */
  host?: string;
  /**
   * Trubrics project the legacy platform API writes prompts to; it must exist in your organisation.
   * @default "default"
   */
  project?: string;
  /**
   * Account email of the legacy platform API (used only without `apiKey`).
   * @default process.env.TRUBRICS_EMAIL
   */
  email?: string;
  /**
   * Account password of the legacy platform API (used only without `apiKey`).
   * @default process.env.TRUBRICS_PASSWORD
   */
  password?: string;
  /**
   * Firebase Web API key of the legacy platform; give it together with `firebaseProjectId`.
   * @default "AIzaSyB6WPIVzMaRCnlL1ZmRosrQsbQYYagZARQ" (the public key of the Trubrics SDK)
   */
  firebaseApiKey?: string;
  /**
   * Firebase project of the legacy platform; give it together with `firebaseApiKey`.
   * @default "trubrics-streamlit"
   */
  firebaseProjectId?: string;
  /**
   * Base URL of Firebase Identity Toolkit (email/password sign-in), e.g. a local emulator.
   * @default process.env.TRUBRICS_IDENTITY_TOOLKIT_URL ?? "https://identitytoolkit.googleapis.com"
   */
  identityToolkitUrl?: string;
  /**
   * Base URL of the Firestore REST API, e.g. a local emulator.
   * @default process.env.TRUBRICS_FIRESTORE_URL ?? "https://firestore.googleapis.com"
   */
  firestoreUrl?: string;
}

/**
 * Every key of `TrubricsExporterOptions`, as a complete record: an option added to the type fails the
 * type check here, so the handler never mistakes it for metadata.
 */
export const TRUBRICS_EXPORTER_OPTION_KEYS: Readonly<Record<keyof TrubricsExporterOptions, true>> =
  Object.freeze({
    apiKey: true,
    baseUrl: true,
    host: true,
    project: true,
    email: true,
    password: true,
    firebaseApiKey: true,
    firebaseProjectId: true,
    identityToolkitUrl: true,
    firestoreUrl: true,
    timeoutMs: true,
    maxRetries: true,
    fetch: true,
  });

/**
 * Spellings that are not options and too far from one for core's `checkOptions` to see it (it
 * knows `url`, `endpoint`, `baseURL`, `timeoutMS` … and keys one or two letters off): a key like
 * this is a mistake, never metadata.
 */
export const TRUBRICS_NEAR_MISS_SPELLINGS: Readonly<Record<string, string>> = Object.freeze({
  hostUrl: "baseUrl",
  host_url: "baseUrl",
  apiHost: "baseUrl",
  ingestionUrl: "baseUrl",
  ingestion_url: "baseUrl",
  trubricsHost: "baseUrl",
  trubrics_host: "baseUrl",
  firebaseKey: "firebaseApiKey",
  firebase_api_key: "firebaseApiKey",
  firebaseProject: "firebaseProjectId",
  firestoreHost: "firestoreUrl",
  identityToolkitHost: "identityToolkitUrl",
});

export interface TrubricsIngestionSettings {
  transport: "ingestion";
  apiKey: string;
  baseUrl: string;
  http: HttpSettings;
}

export interface TrubricsLegacySettings {
  transport: "legacy";
  email: string;
  password: string;
  project: string;
  firebaseApiKey: string;
  firebaseProjectId: string;
  identityToolkitUrl: string;
  firestoreUrl: string;
  http: HttpSettings;
}

export type TrubricsSettings = TrubricsIngestionSettings | TrubricsLegacySettings;

/** Options must be a plain object (or nothing): a string or an array is a mistake, not a key list. */
export function requireOptionsObject(options: unknown, owner: string): void {
  if (options === undefined || options === null) return;
  if (typeof options !== "object" || Array.isArray(options)) {
    throw new ConfigurationError({
      message: `The \`options\` of ${owner} must be an object, got ${Array.isArray(options) ? "an array" : typeof options}.`,
      option: "options",
    });
  }
}

/**
 * Resolves the exporter's settings (option > env var > default) and picks the API: the ingestion API
 * with an API key, else the legacy platform with email and password. No I/O.
 */
export function loadTrubricsSettings(options: TrubricsExporterOptions): TrubricsSettings {
  const http: HttpSettings = loadHttpSettings(options);
  const apiKey = loadString({ option: "apiKey", value: options.apiKey, envVar: "TRUBRICS_API_KEY" });
  if (apiKey) return { transport: "ingestion", apiKey, baseUrl: loadBaseUrl(options), http };

  const email = loadString({ option: "email", value: options.email, envVar: "TRUBRICS_EMAIL" });
  const password = loadString({ option: "password", value: options.password, envVar: "TRUBRICS_PASSWORD" });
  if (!email && !password) {
    throw new ConfigurationError({
      message:
        "Missing Trubrics credentials: pass `apiKey` (or env TRUBRICS_API_KEY) for the ingestion API, " +
        "or `email` (or env TRUBRICS_EMAIL) and `password` (or env TRUBRICS_PASSWORD) for the legacy platform API.",
      option: "apiKey",
      envVar: "TRUBRICS_API_KEY",
    });
  }
  if (!email || !password) {
    const [option, envVar] = email ? ["password", "TRUBRICS_PASSWORD"] : ["email", "TRUBRICS_EMAIL"];
    throw new ConfigurationError({
      message: `Missing Trubrics \`${option}\` (or env ${envVar}): the legacy platform API signs in with email and password (or pass \`apiKey\` / env TRUBRICS_API_KEY for the ingestion API).`,
      option,
      envVar,
    });
  }
  const project = loadString({ option: "project", value: options.project, default: "default" });
  if (project === "" || project.includes("/")) {
    throw new ConfigurationError({
      message: "`project` must be a non-empty Trubrics project name without `/`.",
      option: "project",
    });
  }
  const firebaseApiKey = loadString({ option: "firebaseApiKey", value: options.firebaseApiKey });
  const firebaseProjectId = loadString({ option: "firebaseProjectId", value: options.firebaseProjectId });
  if (Boolean(firebaseApiKey) !== Boolean(firebaseProjectId)) {
    // As the legacy SDK: one without the other would sign in to one Firebase project and write to another.
    throw new ConfigurationError({
      message: "Pass both `firebaseApiKey` and `firebaseProjectId`, or neither.",
      option: firebaseApiKey ? "firebaseProjectId" : "firebaseApiKey",
    });
  }
  return {
    transport: "legacy",
    email,
    password,
    project,
    firebaseApiKey: firebaseApiKey || TRUBRICS_DEFAULT_FIREBASE_API_KEY,
    firebaseProjectId: firebaseProjectId || TRUBRICS_DEFAULT_FIREBASE_PROJECT_ID,
    identityToolkitUrl: loadUrl({
      option: "identityToolkitUrl",
      value: options.identityToolkitUrl,
      envVar: "TRUBRICS_IDENTITY_TOOLKIT_URL",
      default: TRUBRICS_DEFAULT_IDENTITY_TOOLKIT_URL,
    }),
    firestoreUrl: loadUrl({
      option: "firestoreUrl",
      value: options.firestoreUrl,
      envVar: "TRUBRICS_FIRESTORE_URL",
      default: TRUBRICS_DEFAULT_FIRESTORE_URL,
    }),
    http,
  };
}

/** `baseUrl`, or its alias `host` (the same value if both are given), or env TRUBRICS_HOST. */
function loadBaseUrl(options: TrubricsExporterOptions): string {
  const given = (value: unknown) => value !== undefined && value !== null;
  if (given(options.baseUrl) && given(options.host) && options.baseUrl !== options.host) {
    throw new ConfigurationError({
      message: "`baseUrl` and its alias `host` have different values; pass one of them.",
      option: "baseUrl",
    });
  }
  const option = given(options.baseUrl) || !given(options.host) ? "baseUrl" : "host";
  return loadUrl({
    option,
    value: option === "baseUrl" ? options.baseUrl : options.host,
    envVar: "TRUBRICS_HOST",
    default: TRUBRICS_DEFAULT_BASE_URL,
  });
}
