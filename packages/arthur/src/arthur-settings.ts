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

/** Arthur's hosted platform, the Python handler's default. */
export const DEFAULT_ARTHUR_URL = "https://app.arthur.ai";

/** Where and how to reach Arthur: shared by `exportArthur`, the handler and `fromCredentials`. */
export interface ArthurConnectionOptions extends ExporterHttpOptions {
  /**
   * Arthur's address: scheme and host only (no path, query or fragment); `https://` is added when the
   * scheme is missing. Env `ARTHUR_ENDPOINT_URL`.
   * @default "https://app.arthur.ai"
   */
  arthurUrl?: string;
  /**
   * Allow plain `http:` to a host that is not loopback (credentials then travel unencrypted), like the
   * SDK's `allow_insecure`. Loopback addresses may always use `http:`.
   * @default false
   */
  allowInsecure?: boolean;
  /**
   * Arthur API key (access key), sent as the raw `Authorization` header value. Env `ARTHUR_API_KEY`.
   * Takes precedence over env `ARTHUR_LOGIN`; an explicit `arthurLogin` takes precedence over env `ARTHUR_API_KEY`.
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

/** How the exporter authenticates. */
export type ArthurCredentials =
  | { kind: "apiKey"; apiKey: string }
  | { kind: "login"; login: string; password: string };

/** The credentials as configured, before a possibly missing password is asked for. */
export type ArthurCredentialSource =
  | { kind: "apiKey"; apiKey: string }
  | { kind: "login"; login: string; password: string | undefined };

/** The Arthur-specific settings, resolved and validated. */
export interface ArthurConnectionSettings {
  /** `scheme://host[:port]`, no trailing slash. */
  arthurUrl: string;
  credentials: ArthurCredentials;
  organizationId: string | undefined;
}

/** Everything the Arthur client needs, with the HTTP settings core resolved. */
export type ArthurSettings = ArthurConnectionSettings & HttpSettings;

const MISSING_CREDENTIALS =
  "Missing Arthur credentials: pass `apiKey` (or env ARTHUR_API_KEY), or `arthurLogin` (or env ARTHUR_LOGIN) with `arthurPassword` (or env ARTHUR_PASSWORD).";

/**
 * Resolves Arthur's address the way the SDK validates it: scheme and host only, `https://` added when
 * no scheme is given, and `http:` only to loopback unless `allowInsecure` is set.
 */
export function loadArthurUrl(options: Pick<ArthurConnectionOptions, "arthurUrl" | "allowInsecure">): string {
  const source = { option: "arthurUrl", envVar: "ARTHUR_ENDPOINT_URL" } as const;
  const raw = loadString({ ...source, value: options.arthurUrl, default: DEFAULT_ARTHUR_URL }).trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`;
  if (options.allowInsecure !== undefined && typeof options.allowInsecure !== "boolean") {
    throw new ConfigurationError({ message: "`allowInsecure` must be a boolean.", option: "allowInsecure" });
  }
  const href = loadUrl({
    ...source,
    value: withScheme,
    default: DEFAULT_ARTHUR_URL,
    allowInsecure: options.allowInsecure === true,
  });
  const url = new URL(href);
  if ((url.pathname !== "/" && url.pathname !== "") || url.search !== "" || url.hash !== "") {
    throw new ConfigurationError({
      message: `\`arthurUrl\` (or env ARTHUR_ENDPOINT_URL) must be a scheme and host only, like ${DEFAULT_ARTHUR_URL}, got ${url.origin}${url.pathname}${url.search ? "?…" : ""}.`,
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

/** Resolves and validates every connection setting (synchronously: no prompt, no network). */
export function loadArthurSettings(
  options: ArthurConnectionOptions,
  credentialSource: ArthurCredentialSource = loadArthurCredentialSource(options),
): ArthurSettings {
  const arthurUrl = loadArthurUrl(options);
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
    arthurUrl,
    credentials,
    organizationId: nonEmpty(organizationId) ? organizationId.trim() : undefined,
    ...loadHttpSettings(options),
  };
}

function nonEmpty(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== "";
}
