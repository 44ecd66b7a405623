import { loadString } from "@langchain-observability/core";

/** An environment variable, through core's settings loader (the one place env is read). */
export function readEnv(name: string): string | undefined {
  return loadString({ option: name, value: undefined, envVar: name });
}
