const MARKER_PREFIX = "langchain-observability.error";

/** Fields every error of this package accepts. */
export interface ObservabilityErrorOptions {
  message: string;
  cause?: unknown;
}

/**
 * The base of every error this project throws or reports.
 *
 * `isInstance` works across duplicated copies of this package (where `instanceof` lies),
 * because it checks a `Symbol.for` marker rather than the class identity.
 */
export class ObservabilityError extends Error {
  constructor({ message, cause }: ObservabilityErrorOptions) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "ObservabilityError";
    mark(this, Symbol.for(MARKER_PREFIX));
  }

  static isInstance(error: unknown): error is ObservabilityError {
    return hasMarker(error, MARKER_PREFIX);
  }
}

/** Gives a subclass its own marker, so `Sub.isInstance` checks that subclass only. */
export function markerFor(name: string): symbol {
  return Symbol.for(`${MARKER_PREFIX}.${name}`);
}

export function mark(error: Error, marker: symbol): void {
  Object.defineProperty(error, marker, { value: true, enumerable: false });
}

export function hasMarker(error: unknown, marker: string | symbol): boolean {
  const symbol = typeof marker === "symbol" ? marker : Symbol.for(marker);
  return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[symbol] === true;
}
