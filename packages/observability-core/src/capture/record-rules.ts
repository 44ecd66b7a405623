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
 * `model` / `model_name` / `modelName`, then `ls_model_name`), so that success, error and eviction
 * of one run carry the same name; the name the provider's answer gives is `responseName` when it
 * differs (`gpt-4o-mini` asked, `gpt-4o-mini-2024-07-18` answered). When nothing names the model at
 * start, the answer's name is the name.
 */
export function readModelName(
  params: Record<string, unknown>,
  runMetadata: Record<string, unknown>,
  answered: string | undefined,
): { name?: string; responseName?: string } {
  const requested = mostSpecific([
    params.model,
    params.model_name,
    params.modelName,
    runMetadata.ls_model_name,
  ]);
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
 * User and session of a record: the run's metadata (`user_id`/`userId`, `session_id`/`sessionId`/
 * `thread_id`), else the handler's `userId`/`sessionId` options, else the handler's `metadata`.
 * These keys are dropped from `metadata` (the ids live in `userId`/`sessionId`): `user_id`, `userId`,
 * `session_id` and `sessionId` whenever they hold a string, `thread_id` when it gave the session
 * (a LangGraph `thread_id` beside another `session_id` is its own fact and stays).
 */
export function takeUserAndSession(
  metadata: Record<string, unknown>,
  runMetadata: Record<string, unknown>,
  handlerMetadata: Record<string, unknown>,
  defaults: { userId: string | undefined; sessionId: string | undefined },
): { userId?: string; sessionId?: string } {
  // Named reads, not a loop over USER_ID_KEYS / SESSION_ID_KEYS: this runs for every record, and a
  // keyed read with changing keys is a slow (megamorphic) one.
  const userId = readUserId(runMetadata) ?? defaults.userId ?? readUserId(handlerMetadata);
  const sessionId = readSessionId(runMetadata) ?? defaults.sessionId ?? readSessionId(handlerMetadata);
  if (typeof metadata.user_id === "string") delete metadata.user_id;
  if (typeof metadata.userId === "string") delete metadata.userId;
  if (typeof metadata.session_id === "string") delete metadata.session_id;
  if (typeof metadata.sessionId === "string") delete metadata.sessionId;
  if (sessionId !== undefined && metadata.thread_id === sessionId) delete metadata.thread_id;
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
