import { ConfigurationError } from "../errors/configuration-error";

/** What `checkOptions` checks an options object against. */
export interface CheckOptionsSpec {
  /**
   * Every key the owner accepts, documented aliases included (an alias is not a typo): an array,
   * a set, or a record whose keys are the options (such as `COMMON_HANDLER_OPTION_KEYS`).
   */
  known: Iterable<string> | Readonly<Record<string, unknown>>;
  /**
   * Spellings users reach for that the owner does NOT accept, each mapped to the option meant; only
   * used to say "did you mean". Common ones (`baseURL`, `url`, `endpoint` → `baseUrl`, `timeoutMS` →
   * `timeoutMs`, `sessionID` → `sessionId` …) are built in, for the options listed in `known`.
   * @default {}
   */
  aliases?: Readonly<Record<string, string>>;
  /** Who takes the options, named in the error: `PromptLayerCallbackHandler`, `createTrubricsExporter`. */
  owner: string;
  /**
   * What an unknown key with no close option is: `"error"`, or `"allow"` for an owner that takes
   * any other key as metadata (the Trubrics handler, like the Python handler's `**kwargs`). Even
   * with `"allow"`, a key close to an option, or a key that looks like a secret (`apikey`,
   * `api_key`, `password`, `token`, `secret`, any case), is an error: it would reach the vendor as
   * metadata. @default "error"
   */
  unknownKeys?: "error" | "allow";
}

/**
 * Other libraries' and languages' spellings of options this project spells one way. Applied only
 * when the option they point to is one the owner knows.
 */
const COMMON_MISSPELLINGS: Readonly<Record<string, string>> = Object.freeze({
  baseURL: "baseUrl",
  baseurl: "baseUrl",
  base_url: "baseUrl",
  url: "baseUrl",
  endpoint: "baseUrl",
  endpointUrl: "baseUrl",
  apiUrl: "baseUrl",
  apiBase: "baseUrl",
  host: "baseUrl",
  timeout: "timeoutMs",
  timeoutMS: "timeoutMs",
  timeout_ms: "timeoutMs",
  sessionID: "sessionId",
  session: "sessionId",
  threadId: "sessionId",
  thread_id: "sessionId",
  userID: "userId",
  user: "userId",
  apikey: "apiKey",
  api_key: "apiKey",
  apiKEY: "apiKey",
  key: "apiKey",
  retries: "maxRetries",
  max_retries: "maxRetries",
  sample_rate: "sampleRate",
  batchSize: "maxBatchSize",
  flushInterval: "flushIntervalMs",
});

const SECRET_WORDS = new Set([
  "password",
  "passwd",
  "pwd",
  "secret",
  "token",
  "apikey",
  "credential",
  "credentials",
  "bearer",
]);

/**
 * Whether an option name looks like it holds a secret: one of its words (split at case changes,
 * `_`, `-`, `.`) is `password`, `secret`, `token` …, or two words make `api key` / `private key` /
 * `access key`. `max_tokens` is not one; `apikey`, `api_key`, `idToken`, `PASSWORD` are.
 */
export function isSecretLikeKey(key: string): boolean {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== "");
  for (let index = 0; index < words.length; index++) {
    const word = words[index]!;
    if (SECRET_WORDS.has(word) || /^(api|private|access)key$/.test(word)) return true;
    const next = words[index + 1];
    if (next === "key" && (word === "api" || word === "private" || word === "access")) return true;
  }
  return false;
}

/**
 * Rejects an unknown option with a `ConfigurationError` that names it, the owner and, when one is
 * close, the option meant: "Unknown option `baseURL` of PromptLayerCallbackHandler; did you mean
 * `baseUrl`?". Close means: the same up to case, `_` and `-`; a known misspelling; or one or two
 * letters off. Keys whose value is `undefined` are checked too (a typo is a typo).
 *
 * Returns the unknown keys that `unknownKeys: "allow"` let through (none otherwise). Never looks at
 * values, so no secret is ever printed.
 */
export function checkOptions(options: unknown, spec: CheckOptionsSpec): string[] {
  if (options === undefined || options === null) return [];
  if (typeof options !== "object" || Array.isArray(options)) {
    throw new ConfigurationError({
      message: `The options of ${spec.owner} must be an object, got ${Array.isArray(options) ? "an array" : typeof options}.`,
    });
  }
  const known = toKeySet(spec.known);
  const allowed: string[] = [];
  for (const key of Object.keys(options)) {
    if (known.has(key)) continue;
    const suggestion = suggestOption(key, known, spec.aliases);
    if (suggestion !== undefined) {
      throw new ConfigurationError({
        message: `Unknown option \`${key}\` of ${spec.owner}; did you mean \`${suggestion}\`?`,
        option: key,
      });
    }
    if (spec.unknownKeys === "allow") {
      if (isSecretLikeKey(key)) {
        throw new ConfigurationError({
          message: `Option \`${key}\` of ${spec.owner} looks like a secret; it is not sent as metadata. Pass credentials through the documented options.`,
          option: key,
        });
      }
      allowed.push(key);
      continue;
    }
    throw new ConfigurationError({
      message: `Unknown option \`${key}\` of ${spec.owner}. Known options: ${[...known].filter((name) => !name.startsWith("_")).join(", ")}.`,
      option: key,
    });
  }
  return allowed;
}

/** The known option an unknown key most likely meant, if one is close enough to say so. */
export function suggestOption(
  key: string,
  known: ReadonlySet<string>,
  aliases: Readonly<Record<string, string>> | undefined,
): string | undefined {
  const alias =
    (aliases && Object.hasOwn(aliases, key) ? aliases[key] : undefined) ?? builtInAlias(key, known);
  if (alias !== undefined && known.has(alias)) return alias;
  const folded = fold(key);
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const name of known) {
    const candidate = fold(name);
    if (candidate === folded) return name;
    const limit = Math.min(folded.length, candidate.length) <= 4 ? 1 : 2;
    const distance = editDistance(folded, candidate, limit);
    if (distance <= limit && distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  return best;
}

function builtInAlias(key: string, known: ReadonlySet<string>): string | undefined {
  const target = Object.hasOwn(COMMON_MISSPELLINGS, key) ? COMMON_MISSPELLINGS[key] : undefined;
  return target !== undefined && known.has(target) ? target : undefined;
}

function toKeySet(known: CheckOptionsSpec["known"]): ReadonlySet<string> {
  if (known instanceof Set) return known as ReadonlySet<string>;
  if (typeof (known as Iterable<string>)[Symbol.iterator] === "function") {
    return new Set(known as Iterable<string>);
  }
  return new Set(Object.keys(known));
}

/** Lower case without `_` and `-`: `base_url`, `baseURL` and `BaseUrl` fold to the same key. */
function fold(name: string): string {
  return name.toLowerCase().replace(/[_-]/g, "");
}

/** Optimal string alignment distance (a swap of two letters counts one), giving up beyond `limit`. */
function editDistance(left: string, right: string, limit: number): number {
  if (Math.abs(left.length - right.length) > limit) return limit + 1;
  let before: number[] = [];
  let previous = Array.from({ length: right.length + 1 }, (_, index) => index);
  for (let row = 1; row <= left.length; row++) {
    const current = [row];
    let rowMinimum = row;
    for (let column = 1; column <= right.length; column++) {
      const cost = left[row - 1] === right[column - 1] ? 0 : 1;
      let value = Math.min(previous[column]! + 1, current[column - 1]! + 1, previous[column - 1]! + cost);
      if (
        row > 1 &&
        column > 1 &&
        left[row - 1] === right[column - 2] &&
        left[row - 2] === right[column - 1]
      ) {
        value = Math.min(value, before[column - 2]! + 1);
      }
      current.push(value);
      rowMinimum = Math.min(rowMinimum, value);
    }
    if (rowMinimum > limit) return limit + 1;
    before = previous;
    previous = current;
  }
  return previous[right.length]!;
}
