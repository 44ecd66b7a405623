/**
 * The rules that make one LangChain run give one record, the same for every vendor and outcome.
 * Core decides them once, here; vendor mappers read the record and never re-decide them.
 */

/** Run metadata keys that give the user id, in order of precedence. */
export const USER_ID_KEYS = ["user_id", "userId"] as const;
/** Run metadata keys that give the session id, in order of precedence. */
export const SESSION_ID_KEYS = ["session_id", "sessionId", "thread_id"] as const;

/**
 * The model name of a record: the most specific name known when the run starts (invocation params
 * `model` / `model_name` / `modelName`, then the run metadata's `ls_model_name`), so that success, error and eviction
 * of one run carry the same name; the name the provider's answer gives is `responseName` when it
 * differs (`gpt-4o-mini` asked, `gpt-4o-mini-2024-07-18` answered). When nothing names the model at
 * start, the answer's name is the name.
 */
export function readModelName(
  params: Record<string, unknown>,
  lsModelName: unknown,
  answered: string | undefined,
): { name?: string; responseName?: string } {
  const requested = mostSpecific([params.model, params.model_name, params.modelName, lsModelName]);
  if (requested === undefined) return answered === undefined ? {} : { name: answered };
  return answered === undefined || answered === requested
    ? { name: requested }
    : { name: requested, responseName: answered };
}

/** The first name, unless a later one extends it (`gpt-4o` then `gpt-4o-2024-08-06`): the longer wins. */
function mostSpecific(candidates: unknown[]): string | undefined {
  let best: string | undefined;
  for (const candidate of candidates) {
    if (typeof candidate !== "string" || candidate === "") continue;
    if (best === undefined || (candidate.length > best.length && candidate.startsWith(best)))
      best = candidate;
  }
  return best;
}

/**
 * Tags LangChain adds by itself to runs inside sequences, maps and graphs (`seq:step:2`,
 * `map:key:context`, `graph:step:3`) and LangSmith's own markers (`langsmith:hidden`): they say
 * where a run sat in the runnable, not what the user tagged, so no record carries them.
 */
export function isLangChainInternalTag(tag: string): boolean {
  return /^(seq:step|map:key|graph:step):/.test(tag) || tag.startsWith("langsmith:");
}

/** `ls_*` keys (read into `model`) and the `versions` map LangChain adds to every model's metadata. */
export function isLangChainInternalKey(key: string, value: unknown): boolean {
  if (key.startsWith("ls_")) return true;
  return key === "versions" && typeof value === "object" && value !== null && "@langchain/core" in value;
}

/**
 * What `copyRunMetadata` read from a run's metadata while copying it: the user and session keys and
 * the `ls_*` keys core reads, so that nothing reads them again by name. LangChain gives the run
 * metadata a new hidden class on many calls, so every named read of it misses V8's caches
 * (~1,000 instructions each); one `for … in` pass reads every key once.
 */
export interface RunMetadataFacts {
  userIdSnake: unknown;
  userIdCamel: unknown;
  sessionIdSnake: unknown;
  sessionIdCamel: unknown;
  threadId: unknown;
  lsProvider: unknown;
  lsModelName: unknown;
  /** A user or session key (`user_id`, `userId`, `session_id`, `sessionId`, `thread_id`) was copied. */
  copiedIdKey: boolean;
}

/**
 * Copies the handler's metadata, then the run's own keys that `skip` does not leave out, into
 * `target`, and returns the facts core reads from the run's metadata (see `RunMetadataFacts`).
 */
export function copyRunMetadata(
  target: Record<string, unknown>,
  handlerMetadata: Record<string, unknown>,
  runMetadata: Record<string, unknown>,
  skip: (key: string, value: unknown) => boolean,
): RunMetadataFacts {
  const facts: RunMetadataFacts = {
    userIdSnake: undefined,
    userIdCamel: undefined,
    sessionIdSnake: undefined,
    sessionIdCamel: undefined,
    threadId: undefined,
    lsProvider: undefined,
    lsModelName: undefined,
    copiedIdKey: false,
  };
  // Loops rather than a spread and Object.entries: 3x cheaper, and this runs for every record.
  for (const key in handlerMetadata) {
    if (!Object.hasOwn(handlerMetadata, key)) continue;
    target[key] = handlerMetadata[key];
    if (isIdKey(key)) facts.copiedIdKey = true;
  }
  for (const key in runMetadata) {
    if (!Object.hasOwn(runMetadata, key)) continue;
    const value = runMetadata[key];
    switch (key) {
      case "ls_provider":
        facts.lsProvider = value;
        break;
      case "ls_model_name":
        facts.lsModelName = value;
        break;
      case "user_id":
        facts.userIdSnake = value;
        break;
      case "userId":
        facts.userIdCamel = value;
        break;
      case "session_id":
        facts.sessionIdSnake = value;
        break;
      case "sessionId":
        facts.sessionIdCamel = value;
        break;
      case "thread_id":
        facts.threadId = value;
        break;
    }
    if (!skip(key, value)) target[key] = value;
  }
  // A run key holding `undefined` needs no delete either: `takeUserAndSession` deletes strings only.
  facts.copiedIdKey ||=
    facts.userIdSnake !== undefined ||
    facts.userIdCamel !== undefined ||
    facts.sessionIdSnake !== undefined ||
    facts.sessionIdCamel !== undefined ||
    facts.threadId !== undefined;
  return facts;
}

/** The handler's metadata is small and keeps its hidden class: a lookup in the key lists is cheap. */
function isIdKey(key: string): boolean {
  return (
    (USER_ID_KEYS as readonly string[]).includes(key) || (SESSION_ID_KEYS as readonly string[]).includes(key)
  );
}

/**
 * User and session of a record: the run's metadata (`user_id`/`userId`, `session_id`/`sessionId`/
 * `thread_id`), else the handler's `userId`/`sessionId` options, else the handler's `metadata`.
 * These keys are dropped from `metadata` (the ids live in `userId`/`sessionId`): `user_id`, `userId`,
 * `session_id` and `sessionId` whenever they hold a string, `thread_id` when it gave the session
 * (a LangGraph `thread_id` beside another `session_id` is its own fact and stays). `metadata` is the
 * copy `copyRunMetadata` made, `facts` what it read.
 */
export function takeUserAndSession(
  metadata: Record<string, unknown>,
  facts: RunMetadataFacts,
  handlerMetadata: Record<string, unknown>,
  defaults: { userId: string | undefined; sessionId: string | undefined },
): { userId?: string; sessionId?: string } {
  // Named reads, not a loop over USER_ID_KEYS / SESSION_ID_KEYS: this runs for every record, and a
  // keyed read with changing keys is a slow (megamorphic) one. The handler's metadata keeps its
  // hidden class, so reading it by name is cheap.
  const userId =
    nonEmptyString(facts.userIdSnake) ??
    nonEmptyString(facts.userIdCamel) ??
    defaults.userId ??
    readUserId(handlerMetadata);
  const sessionId =
    nonEmptyString(facts.sessionIdSnake) ??
    nonEmptyString(facts.sessionIdCamel) ??
    nonEmptyString(facts.threadId) ??
    defaults.sessionId ??
    readSessionId(handlerMetadata);
  // Only when such a key was copied: `delete` turns the object into a slow (dictionary) one.
  if (facts.copiedIdKey) {
    if (typeof metadata.user_id === "string") delete metadata.user_id;
    if (typeof metadata.userId === "string") delete metadata.userId;
    if (typeof metadata.session_id === "string") delete metadata.session_id;
    if (typeof metadata.sessionId === "string") delete metadata.sessionId;
    if (sessionId !== undefined && metadata.thread_id === sessionId) delete metadata.thread_id;
  }
  const result: { userId?: string; sessionId?: string } = {};
  if (userId) result.userId = userId;
  if (sessionId) result.sessionId = sessionId;
  return result;
}

/** The user id of metadata, by `USER_ID_KEYS`. */
function readUserId(source: Record<string, unknown>): string | undefined {
  return nonEmptyString(source.user_id) ?? nonEmptyString(source.userId);
}

/** The session id of metadata, by `SESSION_ID_KEYS`. */
function readSessionId(source: Record<string, unknown>): string | undefined {
  return (
    nonEmptyString(source.session_id) ?? nonEmptyString(source.sessionId) ?? nonEmptyString(source.thread_id)
  );
}

/**
 * Whether a run streamed: LangChain said so in the invocation params (`stream` / `streaming`), or
 * the run received tokens or stream events. `.stream()` on a model built without `streaming: true`
 * passes `stream: false` in its params, so the params alone are not enough.
 */
export function isStreamedRun(params: Record<string, unknown>, receivedStream: boolean): boolean {
  return receivedStream || params.stream === true || params.streaming === true;
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}
