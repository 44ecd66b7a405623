/** Reports a background failure to the user; never throws. */
export type ErrorReporter = (error: unknown) => void;

const MAX_WARNED_ERRORS = 256;

/**
 * The one way background failures reach the user: their `onError`, or by default one
 * `console.warn` per distinct error (at most 256 distinct ones, so a flood cannot grow memory).
 */
export function createErrorReporter(onError: ((error: unknown) => void) | undefined): ErrorReporter {
  const warned = new Set<string>();
  return (error) => {
    try {
      if (onError) {
        onError(error);
        return;
      }
      const { name, message } = describeError(error);
      const key = `${name}: ${message}`;
      if (warned.has(key) || warned.size >= MAX_WARNED_ERRORS) return;
      warned.add(key);
      console.warn(`[langchain-observability] ${key}`);
    } catch {
      // A failing error callback must not break capture either.
    }
  };
}

/** Name and message of anything thrown, without ever throwing itself. */
export function describeError(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name || "Error", message: String(error.message ?? "") };
  if (error && typeof error === "object") {
    const { name, message } = error as { name?: unknown; message?: unknown };
    return {
      name: typeof name === "string" ? name : "Error",
      message: typeof message === "string" ? message : safeString(error),
    };
  }
  return { name: "Error", message: safeString(error) };
}

function safeString(value: unknown): string {
  try {
    return typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}
