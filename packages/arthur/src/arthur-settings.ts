import {
  ConfigurationError,
  type ExporterHttpOptions,
  type HttpSettings,
  loadHttpSettings,
  loadString,
  loadUrl,
} from "@langchain-observability/core";

/** An environment variable, through core's settings loader (the one place env is read). */
function readEnv(name: string): string | undefined {
  return loadString({ option: name, value: undefined, envVar: name });
}

/** Whether a URL's host is this machine (plain http is fine there: tests, local emulators, a local engine). */
function isLoopbackUrl(url: URL): boolean {
  return ["localhost", "[::1]", "::1"].includes(url.hostname) || /^127(\.\d{1,3}){3}$/.test(url.hostname);
}

/** Arthur's hosted platform, the Python handler's default for the legacy inferences API. */
export const ARTHUR_DEFAULT_BASE_URL = "https://app.arthur.ai";

/**
 * The previous name of `ARTHUR_DEFAULT_BASE_URL`, kept as an alias.
 * @deprecated Use `ARTHUR_DEFAULT_BASE_URL`.
 */
export const DEFAULT_ARTHUR_URL = ARTHUR_DEFAULT_BASE_URL;

/**
 * Where and how to reach the legacy Arthur Scope REST API v3 (`{baseUrl}/api/v3`): shared by
 * `createArthurExporter`, the handler, `fromCredentials` and `ArthurClient`.
 */
export interface ArthurConnectionOptions extends ExporterHttpOptions {
  /**
   * Arthur's address: scheme and host only (no path, query or fragment); `https://` is added when the
   * scheme is missing. Env `ARTHUR_ENDPOINT_URL`. Also accepted as `arthurUrl` (previous releases)
   * and `arthur_url` (the Python handler's spelling).
   * @default "https://app.arthur.ai"
   */
  baseUrl?: string;
  /**
   * Alias of `baseUrl`.
   * @deprecated Use `baseUrl`.
   * @default undefined
   */
  arthurUrl?: string;
  /**
   * Alias of `baseUrl`: the Python handler's `arthur_url`.
   * @default undefined
   */
  arthur_url?: string;
  /**
   * Allow plain `http:` to a host that is not loopback (credentials then travel unencrypted), like the
   * SDK's `allow_insecure`. Loopback addresses may always use `http:`.
   * @default false
   */
  allowInsecure?: boolean;
  /**
   * Arthur API key. Env `ARTHUR_API_KEY`. Legacy API: the access key, sent as the raw `Authorization`
   * header value (it takes precedence over env `ARTHUR_LOGIN`; an explicit `arthurLogin` takes
   * precedence over env `ARTHUR_API_KEY`). Engine: the engine key, sent as `Authorization: Bearer <key>`.
   * @default undefined
   */
  apiKey?: string;
  /** Arthur login (username or email) for password authentication. Env `ARTHUR_LOGIN`. @default undefined */
  arthurLogin?: string;
  /**
   * Password of `arthurLogin`. Env `ARTHUR_PASSWORD`. `fromCredentials` asks for it on the terminal
   * (without echo) when neither is set and standard input is a terminal.
   * @default undefined
   */
  arthurPassword?: string;
  /**
   * Organization sent in the `Arthur-Organization-ID` header. Env `ARTHUR_ORGANIZATION_ID`.
   * @default resolved from the current user (`GET /api/v3/users/me`, then `/users/me/auth_info`)
   */
  organizationId?: string;
}

/** Where and how to reach an Arthur GenAI Engine (OTLP traces at `{engineUrl}/api/v1/traces`). */
export interface ArthurEngineConnectionOptions extends ExporterHttpOptions {
  /**
   * The engine's address (self-hosted, or the `api_host` the platform gives for a model), e.g.
   * `https://engine.example.com`; traces go to `{engineUrl}/api/v1/traces`. Env `ARTHUR_ENGINE_URL`.
   * @default undefined
   */
  engineUrl?: string;
  /** The engine task (UUID) the traces belong to, sent as the resource attribute `arthur.task`. Env `ARTHUR_TASK_ID`. @default undefined */
  taskId?: string;
  /** The engine API key, sent as `Authorization: Bearer <key>`. Env `ARTHUR_API_KEY`. @default undefined */
  apiKey?: string;
  /**
   * Allow plain `http:` to an engine that is not on loopback (the key then travels unencrypted).
   * @default false
   */
  allowInsecure?: boolean;
  /** The resource attribute `service.name` of the traces. @default the task id (as Arthur's SDK) */
  serviceName?: string;
}

/** Where and how to reach the Arthur platform to look up a model's engine connection. */
export interface ArthurPlatformOptions extends ExporterHttpOptions {
  /** The Arthur platform's address, e.g. `https://platform.arthur.ai`. Env `ARTHUR_PLATFORM_URL`. @default undefined */
  platformUrl?: string;
  /** A platform access token, sent as `Authorization: Bearer <token>`. Env `ARTHUR_PLATFORM_TOKEN`. @default undefined */
  platformToken?: string;
  /** Allow plain `http:` to a platform that is not on loopback. @default false */
  allowInsecure?: boolean;
}

/** How the legacy client authenticates. */
export type ArthurCredentials =
  | { kind: "apiKey"; apiKey: string }
  | { kind: "login"; login: string; password: string };

/** The credentials as configured, before a possibly missing password is asked for. */
export type ArthurCredentialSource =
  | { kind: "apiKey"; apiKey: string }
  | { kind: "login"; login: string; password: string | undefined };

/** The legacy connection settings, resolved and validated. */
export interface ArthurConnectionSettings {
  /** `scheme://host[:port]`, no trailing slash. */
  baseUrl: string;
  credentials: ArthurCredentials;
  organizationId: string | undefined;
}

/** Everything the legacy client needs, with the HTTP settings core resolved. */
export type ArthurSettings = ArthurConnectionSettings & HttpSettings;

/** The engine settings, resolved and validated. */
export interface ArthurEngineSettings extends HttpSettings {
  /** The engine's base URL, no trailing slash. */
  engineUrl: string;
  taskId: string;
  apiKey: string;
  serviceName: string;
}

/** The platform settings, resolved and validated. */
export interface ArthurPlatformSettings extends HttpSettings {
  platformUrl: string;
  platformToken: string;
  /** Whether the engine URL the platform gives may be plain `http:` to a host that is not loopback. */
  allowInsecure: boolean;
}

/** Which Arthur API a handler or exporter speaks. */
export type ArthurMode = "engine" | "inferences";

/** The keys of the legacy options that name the URL: the option and its aliases. */
const BASE_URL_KEYS = ["baseUrl", "arthurUrl", "arthur_url"] as const;

/** Option keys of the legacy inferences API (besides the common and HTTP ones). */
export const ARTHUR_CONNECTION_OPTION_KEYS = [
  "baseUrl",
  "arthurUrl",
  "arthur_url",
  "allowInsecure",
  "apiKey",
  "arthurLogin",
  "arthurPassword",
  "organizationId",
  "timeoutMs",
  "maxRetries",
  "fetch",
] as const;

/** Option keys of the engine (besides the common and HTTP ones). */
export const ARTHUR_ENGINE_OPTION_KEYS = [
  "engineUrl",
  "taskId",
  "apiKey",
  "allowInsecure",
  "serviceName",
  "timeoutMs",
  "maxRetries",
  "fetch",
] as const;

/** Option keys of the platform lookup. */
export const ARTHUR_PLATFORM_OPTION_KEYS = [
  "platformUrl",
  "platformToken",
  "allowInsecure",
  "timeoutMs",
  "maxRetries",
  "fetch",
] as const;

/**
 * Spellings users reach for that are not options, mapped to the option meant (for "did you mean").
 * Case, `_` and `-` differences (`engineURL`, `task_id`) are recognised by core's `checkOptions`.
 */
export const ARTHUR_OPTION_MISSPELLINGS: Readonly<Record<string, string>> = Object.freeze({
  endpoint: "engineUrl",
  arthurEngineUrl: "engineUrl",
  task: "taskId",
  arthurTask: "taskId",
  model_id: "modelId",
  login: "arthurLogin",
  password: "arthurPassword",
  arthur_login: "arthurLogin",
  arthur_password: "arthurPassword",
  organizationID: "organizationId",
  platformURL: "platformUrl",
});

const MISSING_CREDENTIALS =
  "Missing Arthur credentials: pass `apiKey` (or env ARTHUR_API_KEY), or `arthurLogin` (or env ARTHUR_LOGIN) with `arthurPassword` (or env ARTHUR_PASSWORD).";

/**
 * Resolves the legacy API's address the way the SDK validates it: scheme and host only, `https://`
 * added when no scheme is given, and `http:` only to loopback unless `allowInsecure` is set. The URL
 * is `baseUrl`, or one of its aliases `arthurUrl` / `arthur_url` (two that differ are a mistake).
 */
export function loadArthurBaseUrl(
  options: Pick<ArthurConnectionOptions, "baseUrl" | "arthurUrl" | "arthur_url" | "allowInsecure">,
): string {
  const given = BASE_URL_KEYS.filter((key) => options[key] !== undefined && options[key] !== null);
  const distinct = new Set(given.map((key) => options[key]));
  if (distinct.size > 1) {
    throw new ConfigurationError({
      message: `${given.map((key) => `\`${key}\``).join(" and ")} are the same option (the Arthur URL) with different values; pass only \`baseUrl\`.`,
      option: "baseUrl",
    });
  }
  const option = given[0] ?? "baseUrl";
  const source = { option, envVar: "ARTHUR_ENDPOINT_URL" } as const;
  const allowInsecure = loadAllowInsecure(options);
  const raw = loadString({
    ...source,
    value: given[0] === undefined ? undefined : options[given[0]],
    default: ARTHUR_DEFAULT_BASE_URL,
  }).trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`;
  const url = new URL(loadSecureUrl({ ...source, value: withScheme, allowInsecure }));
  if ((url.pathname !== "/" && url.pathname !== "") || url.search !== "" || url.hash !== "") {
    throw new ConfigurationError({
      message: `\`${option}\` (or env ARTHUR_ENDPOINT_URL) must be a scheme and host only, like ${ARTHUR_DEFAULT_BASE_URL}, got ${url.origin}${url.pathname}${url.search ? "?…" : ""}.`,
      ...source,
    });
  }
  return url.origin;
}

/**
 * Which credentials are configured: an explicit `apiKey` or `arthurLogin` first (both is a mistake),
 * then env `ARTHUR_API_KEY`, then env `ARTHUR_LOGIN`. Nothing at all is a `ConfigurationError`.
 */
export function loadArthurCredentialSource(options: ArthurConnectionOptions): ArthurCredentialSource {
  const apiKeyOption = loadString({ option: "apiKey", value: options.apiKey });
  const loginOption = loadString({ option: "arthurLogin", value: options.arthurLogin });
  const passwordOption = loadString({ option: "arthurPassword", value: options.arthurPassword });
  if (nonEmpty(apiKeyOption) && nonEmpty(loginOption)) {
    throw new ConfigurationError({
      message: "Pass either `apiKey` or `arthurLogin` (with `arthurPassword`), not both.",
      option: "apiKey",
    });
  }
  const password = nonEmpty(passwordOption) ? passwordOption : readEnv("ARTHUR_PASSWORD");
  if (nonEmpty(apiKeyOption)) return { kind: "apiKey", apiKey: apiKeyOption };
  if (nonEmpty(loginOption)) return { kind: "login", login: loginOption, password };
  const apiKeyEnv = readEnv("ARTHUR_API_KEY");
  if (apiKeyEnv) return { kind: "apiKey", apiKey: apiKeyEnv };
  const loginEnv = readEnv("ARTHUR_LOGIN");
  if (loginEnv) return { kind: "login", login: loginEnv, password };
  throw new ConfigurationError({ message: MISSING_CREDENTIALS, option: "apiKey", envVar: "ARTHUR_API_KEY" });
}

/** The `ConfigurationError` of a login without a password. */
export function missingPasswordError(login: string, reason?: string): ConfigurationError {
  return new ConfigurationError({
    message: `Missing the Arthur password of login "${login}": pass \`arthurPassword\` (or env ARTHUR_PASSWORD)${reason ? `; ${reason}` : ""}.`,
    option: "arthurPassword",
    envVar: "ARTHUR_PASSWORD",
  });
}

/** Resolves and validates every legacy connection setting (synchronously: no prompt, no network). */
export function loadArthurSettings(
  options: ArthurConnectionOptions,
  credentialSource: ArthurCredentialSource = loadArthurCredentialSource(options),
): ArthurSettings {
  const baseUrl = loadArthurBaseUrl(options);
  let credentials: ArthurCredentials;
  if (credentialSource.kind === "login") {
    if (!nonEmpty(credentialSource.password)) throw missingPasswordError(credentialSource.login);
    credentials = { kind: "login", login: credentialSource.login, password: credentialSource.password };
  } else {
    credentials = credentialSource;
  }
  const organizationId = loadString({
    option: "organizationId",
    value: options.organizationId,
    envVar: "ARTHUR_ORGANIZATION_ID",
  });
  return {
    baseUrl,
    credentials,
    organizationId: nonEmpty(organizationId) ? organizationId.trim() : undefined,
    ...loadHttpSettings(options),
  };
}

/** The path the engine serves traces at; stripped when a user passes the whole endpoint as `engineUrl`. */
export const ARTHUR_ENGINE_TRACES_PATH = "/api/v1/traces";

/** Resolves and validates the engine settings: URL, task and key, each from its option or env var. */
export function loadArthurEngineSettings(options: ArthurEngineConnectionOptions): ArthurEngineSettings {
  const allowInsecure = loadAllowInsecure(options);
  const engineSource = { option: "engineUrl", envVar: "ARTHUR_ENGINE_URL" } as const;
  const rawEngineUrl = loadString({ ...engineSource, value: options.engineUrl })?.trim();
  if (!nonEmpty(rawEngineUrl)) {
    throw new ConfigurationError({
      message:
        "Missing the Arthur engine URL: pass `engineUrl` (or env ARTHUR_ENGINE_URL), e.g. https://engine.example.com — or `ArthurCallbackHandler.fromPlatform(modelId, …)` to look it up.",
      ...engineSource,
    });
  }
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(rawEngineUrl) ? rawEngineUrl : `https://${rawEngineUrl}`;
  const url = new URL(loadSecureUrl({ ...engineSource, value: withScheme, allowInsecure }));
  if (url.search !== "" || url.hash !== "") {
    throw new ConfigurationError({
      message: `\`engineUrl\` (or env ARTHUR_ENGINE_URL) must have no query or fragment, got ${url.origin}${url.pathname}?…`,
      ...engineSource,
    });
  }
  const path = url.pathname.replace(/\/+$/, "");
  const engineUrl = `${url.origin}${path.endsWith(ARTHUR_ENGINE_TRACES_PATH) ? path.slice(0, -ARTHUR_ENGINE_TRACES_PATH.length) : path}`;
  const taskId = loadString({ option: "taskId", value: options.taskId, envVar: "ARTHUR_TASK_ID" })?.trim();
  if (!nonEmpty(taskId)) {
    throw new ConfigurationError({
      // Without `arthur.task` the engine files traces under a task named after `service.name`.
      message:
        "Missing the Arthur engine task: pass `taskId` (or env ARTHUR_TASK_ID), the id of the task the traces belong to.",
      option: "taskId",
      envVar: "ARTHUR_TASK_ID",
    });
  }
  const apiKey = loadString({ option: "apiKey", value: options.apiKey, envVar: "ARTHUR_API_KEY" })?.trim();
  if (!nonEmpty(apiKey)) {
    throw new ConfigurationError({
      message: "Missing the Arthur engine API key: pass `apiKey` (or env ARTHUR_API_KEY).",
      option: "apiKey",
      envVar: "ARTHUR_API_KEY",
    });
  }
  const serviceName = loadString({ option: "serviceName", value: options.serviceName })?.trim();
  return {
    engineUrl,
    taskId,
    apiKey,
    serviceName: nonEmpty(serviceName) ? serviceName : taskId,
    ...loadHttpSettings(options),
  };
}

/** Resolves and validates the platform settings. */
export function loadArthurPlatformSettings(options: ArthurPlatformOptions): ArthurPlatformSettings {
  const allowInsecure = loadAllowInsecure(options);
  const source = { option: "platformUrl", envVar: "ARTHUR_PLATFORM_URL" } as const;
  const raw = loadString({ ...source, value: options.platformUrl })?.trim();
  if (!nonEmpty(raw)) {
    throw new ConfigurationError({
      message: "Missing the Arthur platform URL: pass `platformUrl` (or env ARTHUR_PLATFORM_URL).",
      ...source,
    });
  }
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`;
  const url = new URL(loadSecureUrl({ ...source, value: withScheme, allowInsecure }));
  const platformToken = loadString({
    option: "platformToken",
    value: options.platformToken,
    envVar: "ARTHUR_PLATFORM_TOKEN",
  })?.trim();
  if (!nonEmpty(platformToken)) {
    throw new ConfigurationError({
      message: "Missing the Arthur platform token: pass `platformToken` (or env ARTHUR_PLATFORM_TOKEN).",
      option: "platformToken",
      envVar: "ARTHUR_PLATFORM_TOKEN",
    });
  }
  return {
    platformUrl: `${url.origin}${url.pathname.replace(/\/+$/, "")}`,
    platformToken,
    allowInsecure,
    ...loadHttpSettings(options),
  };
}

/** Engine keys that choose engine mode when given as options. */
const ENGINE_KEYS = ["engineUrl", "taskId"] as const;
/** Keys only the legacy inferences API has. */
const INFERENCES_KEYS = [
  "model",
  "modelId",
  "baseUrl",
  "arthurUrl",
  "arthur_url",
  "arthurLogin",
  "arthurPassword",
  "organizationId",
] as const;

/**
 * Which API the options are for: the engine when `engineUrl` or `taskId` is given (or, with neither
 * engine nor legacy options, env ARTHUR_ENGINE_URL / ARTHUR_TASK_ID is set); the legacy inferences
 * API when `modelId` or `model` is given. Options of both is a `ConfigurationError`.
 */
export function resolveArthurMode(options: Record<string, unknown>): ArthurMode {
  const engineGiven = ENGINE_KEYS.filter((key) => options[key] !== undefined);
  const inferencesGiven = INFERENCES_KEYS.filter((key) => options[key] !== undefined);
  if (engineGiven.length > 0 && inferencesGiven.length > 0) {
    throw new ConfigurationError({
      message: `${[...engineGiven, ...inferencesGiven].map((key) => `\`${key}\``).join(", ")}: ${engineGiven.map((key) => `\`${key}\``).join(" and ")} are for the Arthur GenAI Engine (traces), ${inferencesGiven.map((key) => `\`${key}\``).join(" and ")} for the legacy inferences API; pass the options of one of them.`,
      option: engineGiven[0] ?? "engineUrl",
    });
  }
  if (engineGiven.length > 0) return "engine";
  if (options.model !== undefined || options.modelId !== undefined) return "inferences";
  if (inferencesGiven.length === 0 && (readEnv("ARTHUR_ENGINE_URL") || readEnv("ARTHUR_TASK_ID"))) {
    return "engine";
  }
  throw new ConfigurationError({
    message:
      "Say where Arthur receives the runs: `engineUrl` and `taskId` (or env ARTHUR_ENGINE_URL and ARTHUR_TASK_ID) for the Arthur GenAI Engine, or `modelId` / `model` for a model of the legacy Arthur Scope inferences API.",
    option: "engineUrl",
    envVar: "ARTHUR_ENGINE_URL",
  });
}

function loadAllowInsecure(options: { allowInsecure?: unknown }): boolean {
  if (options.allowInsecure !== undefined && typeof options.allowInsecure !== "boolean") {
    throw new ConfigurationError({ message: "`allowInsecure` must be a boolean.", option: "allowInsecure" });
  }
  return options.allowInsecure === true;
}

/**
 * Core's `loadUrl`, with a refusal of plain `http:` that says how to allow it: `allowInsecure`
 * exists only in this package.
 */
function loadSecureUrl(source: {
  option: string;
  envVar: string;
  value: string;
  allowInsecure: boolean;
}): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(source.value);
  } catch {
    parsed = undefined;
  }
  if (parsed && parsed.protocol === "http:" && !isLoopbackUrl(parsed) && !source.allowInsecure) {
    throw new ConfigurationError({
      message: `\`${source.option}\` (or env ${source.envVar}) must use https (plain http is only allowed to loopback addresses, or with \`allowInsecure: true\`), got ${parsed.origin}.`,
      option: source.option,
      envVar: source.envVar,
    });
  }
  return loadUrl({ ...source, default: source.value });
}

function nonEmpty(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== "";
}
