import { ConfigurationError } from "../errors/configuration-error";

/** The longest delay a timer takes (2^31 − 1 ms, about 24.8 days): longer ones fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/** Where a setting comes from: the option the user passes and the env var that can stand in for it. */
export interface SettingSource<T> {
  /** The option's name as the user spells it, e.g. `apiKey`. */
  option: string;
  /** The explicit value passed in options (wins over everything). */
  value: T | undefined | null;
  /** The vendor's environment variable, e.g. `TRUBRICS_API_KEY`. */
  envVar?: string;
}

/** Reads an environment variable; the one place this project touches `process.env`. */
export function readEnv(name: string): string | undefined {
  let value: unknown;
  try {
    // No `process` on Workers (without nodejs_compat) and in browsers; Deno throws without --allow-env.
    value = typeof process === "undefined" ? undefined : process.env?.[name];
  } catch {
    return undefined;
  }
  return typeof value !== "string" || value.trim() === "" ? undefined : value.trim();
}

function describe(source: { option: string; envVar?: string | undefined }): string {
  return source.envVar ? `\`${source.option}\` (or env ${source.envVar})` : `\`${source.option}\``;
}

/** Explicit option > env var > default, for a string. */
export function loadString(source: SettingSource<string>): string | undefined;
export function loadString(source: SettingSource<string> & { default: string }): string;
export function loadString(source: SettingSource<string> & { default?: string }): string | undefined {
  if (source.value !== undefined && source.value !== null) {
    if (typeof source.value !== "string") {
      throw new ConfigurationError({
        message: `${describe(source)} must be a string, got ${typeof source.value}.`,
        option: source.option,
        envVar: source.envVar,
      });
    }
    return source.value;
  }
  return (source.envVar ? readEnv(source.envVar) : undefined) ?? source.default;
}

/** Like `loadString`, but a missing value is a `ConfigurationError` naming the option and env var. */
export function requireString(source: SettingSource<string> & { description?: string }): string {
  const value = loadString(source);
  if (value === undefined || value === "") {
    throw new ConfigurationError({
      message: `Missing ${source.description ?? "setting"}: pass ${describe(source)}.`,
      option: source.option,
      envVar: source.envVar,
    });
  }
  return value;
}

export interface NumberSettingSource extends SettingSource<number> {
  default: number;
  min?: number;
  max?: number;
  integer?: boolean;
}

/**
 * Explicit option > env var > default, for a number. A wrong explicit value throws; an env var that
 * does not parse only warns and falls back to the default (a bad deployment variable must not crash the app).
 */
export function loadNumber(source: NumberSettingSource): number {
  const { min = Number.NEGATIVE_INFINITY, max = Number.POSITIVE_INFINITY, integer = false } = source;
  const valid = (value: number) =>
    Number.isFinite(value) && value >= min && value <= max && (!integer || Number.isInteger(value));
  const range = `${integer ? "an integer" : "a number"}${
    Number.isFinite(min) && Number.isFinite(max)
      ? ` from ${min} to ${max}`
      : Number.isFinite(min)
        ? ` >= ${min}`
        : Number.isFinite(max)
          ? ` <= ${max}`
          : ""
  }`;
  if (source.value !== undefined && source.value !== null) {
    if (typeof source.value !== "number" || !valid(source.value)) {
      throw new ConfigurationError({
        message: `${describe(source)} must be ${range}, got ${formatValue(source.value)}.`,
        option: source.option,
        envVar: source.envVar,
      });
    }
    return source.value;
  }
  const fromEnv = source.envVar ? readEnv(source.envVar) : undefined;
  if (fromEnv !== undefined) {
    const parsed = Number(fromEnv);
    if (valid(parsed)) return parsed;
    console.warn(
      `[langchain-observability] ignoring env ${source.envVar}=${JSON.stringify(fromEnv)}: it must be ${range}; using ${source.default}.`,
    );
  }
  return source.default;
}

export interface UrlSettingSource extends SettingSource<string> {
  default?: string;
  /** Allow plain `http:` to hosts other than loopback. @default false */
  allowInsecure?: boolean;
}

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/** Whether a URL's host is on this machine (127.0.0.0/8, ::1, localhost). */
export function isLoopbackUrl(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname) || /^127(\.\d{1,3}){3}$/.test(url.hostname);
}

/**
 * Explicit option > env var > default, for a base URL. Only `https:` is accepted, except to loopback
 * addresses (tests, local emulators), because these URLs receive credentials. Trailing slashes are removed.
 */
export function loadUrl(source: UrlSettingSource & { default: string }): string;
export function loadUrl(source: UrlSettingSource): string | undefined;
export function loadUrl(source: UrlSettingSource): string | undefined {
  const raw = loadString(source);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // No cause: Node's URL error keeps the input. The value may be a credential pasted into the
    // wrong option, so the message says its shape, never the value.
    throw new ConfigurationError({
      message: `${describe(source)} must be an absolute URL (https://…), got ${describeShape(raw)}.`,
      option: source.option,
      envVar: source.envVar,
    });
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ConfigurationError({
      message: `${describe(source)} must use https, got ${url.protocol}.`,
      option: source.option,
      envVar: source.envVar,
    });
  }
  if (url.protocol === "http:" && !isLoopbackUrl(url) && !source.allowInsecure) {
    throw new ConfigurationError({
      message: `${describe(source)} must use https (plain http is only allowed to loopback addresses), got ${url.origin}.`,
      option: source.option,
      envVar: source.envVar,
    });
  }
  if (url.username || url.password) {
    throw new ConfigurationError({
      message: `${describe(source)} must not carry credentials in the URL.`,
      option: source.option,
      envVar: source.envVar,
    });
  }
  return url.href.replace(/\/+$/, "");
}

/** What a string looks like, without any of its characters (it may be a secret). */
function describeShape(value: string): string {
  return `a ${value.length}-character value that is not a URL (not shown: it may be a credential)`;
}

function formatValue(value: unknown): string {
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return typeof value;
}
