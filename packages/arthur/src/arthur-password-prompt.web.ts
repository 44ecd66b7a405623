import { ConfigurationError } from "@langchain-observability/core";
import type { ArthurPasswordPrompt, TerminalPasswordPromptOptions } from "./arthur-password-prompt";

export type { ArthurPasswordPrompt, TerminalPasswordPromptOptions } from "./arthur-password-prompt";

/**
 * The prompt for Workers, edge functions and browsers (`#arthur-password-prompt` in package.json): there is no terminal to ask on, so it
 * is never interactive, and `fromCredentials` asks for `arthurPassword` instead. This file replaces
 * `arthur-password-prompt.ts` there, keeping `node:readline` out of those bundles.
 */
export function createTerminalPasswordPrompt(
  _options: TerminalPasswordPromptOptions = {},
): ArthurPasswordPrompt {
  return {
    isInteractive: () => false,
    ask: () =>
      Promise.reject(
        new ConfigurationError({
          message:
            "There is no terminal to ask for the Arthur password in this runtime: pass `arthurPassword` (or env ARTHUR_PASSWORD).",
          option: "arthurPassword",
          envVar: "ARTHUR_PASSWORD",
        }),
      ),
  };
}
