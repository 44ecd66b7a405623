import { hasMarker, mark, markerFor, ObservabilityError } from "./observability-error";

const marker = markerFor("ConfigurationError");

export interface ConfigurationErrorOptions {
  message: string;
  /** The option at fault (as the user spells it). */
  option?: string;
  /** The environment variable that can also provide it. */
  envVar?: string;
  cause?: unknown;
}

/** A missing or invalid option. Its message names the option and its environment variable. */
export class ConfigurationError extends ObservabilityError {
  readonly option: string | undefined;
  readonly envVar: string | undefined;

  constructor({ message, option, envVar, cause }: ConfigurationErrorOptions) {
    super({ message, cause });
    this.name = "ConfigurationError";
    mark(this, marker);
    this.option = option;
    this.envVar = envVar;
  }

  static override isInstance(error: unknown): error is ConfigurationError {
    return hasMarker(error, marker);
  }
}
