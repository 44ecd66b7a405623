/** Reports a background failure to the user; never throws and never leaves a promise unhandled. */
export type ErrorReporter = (error: unknown) => void;

const MAX_WARNED_ERRORS = 256;

/**
 * The one way background failures reach the user: their `onError`, or by default one
 * `console.warn` per distinct error (at most 256 distinct ones, so a flood cannot grow memory).
 *
 * `onError` may be async: a rejection is caught, never unhandled. An `onError` that throws or
 * rejects is not called about its own failure (that could loop); the error it was given is warned
 * instead, through the default path, and one more warning says once that `onError` failed.
 */
export function createErrorReporter(onError: ((error: unknown) => unknown) | undefined): ErrorReporter {
  const warned = new Set<string>();
  let onErrorFailed = false;

  const warn = (error: unknown): void => {
    try {
      const { name, message } = describeError(error);
      const key = `${name}: ${message}`;
      if (warned.has(key) || warned.size >= MAX_WARNED_ERRORS) return;
      warned.add(key);
      console.warn(`[langchain-observability] ${key}`);
    } catch {
      // Nothing is left to tell; capture goes on.
    }
  };

  const onErrorFailure = (failure: unknown, original: unknown): void => {
    if (!onErrorFailed) {
      onErrorFailed = true;
      const { name, message } = describeError(failure);
      warn(new Error(`onError failed (${name}: ${message}); errors it could not report are warned here`));
    }
    warn(original);
  };

  return (error) => {
    if (!onError) {
      warn(error);
      return;
    }
    try {
      const result = onError(error);
      if (isThenable(result)) {
        Promise.resolve(result).then(undefined, (failure: unknown) => onErrorFailure(failure, error));
      }
    } catch (failure) {
      onErrorFailure(failure, error);
    }
  };
}

/** Whether a value is a promise or promise-like (reading `then` may itself throw: then it is not). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  if (value === null || (typeof value !== "object" && typeof value !== "function")) return false;
  try {
    return typeof (value as { then?: unknown }).then === "function";
  } catch {
    return false;
  }
}

/** Name and message of anything thrown, without ever throwing itself (hostile objects included). */
export function describeError(error: unknown): { name: string; message: string } {
  try {
    if (error instanceof Error)
      return { name: String(error.name || "Error"), message: String(error.message ?? "") };
    if (error && typeof error === "object") {
      const { name, message } = error as { name?: unknown; message?: unknown };
      return {
        name: typeof name === "string" ? name : "Error",
        message: typeof message === "string" ? message : safeString(error),
      };
    }
    return { name: "Error", message: safeString(error) };
  } catch {
    return { name: "Error", message: "[Unserializable]" };
  }
}

function safeString(value: unknown): string {
  try {
    return typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    try {
      return String(value);
    } catch {
      return "[Unserializable]";
    }
  }
}
