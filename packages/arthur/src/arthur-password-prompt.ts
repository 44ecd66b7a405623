import { ConfigurationError } from "@langchain-observability/core";

/** Asks for the Arthur password when none is configured (only `fromCredentials` uses it). */
export interface ArthurPasswordPrompt {
  /** Whether someone can answer: by default, whether standard input is a terminal. */
  isInteractive(): boolean;
  /** Asks `question` and resolves with the answer, which must not be echoed. */
  ask(question: string): Promise<string>;
}

export interface TerminalPasswordPromptOptions {
  /** Where the answer is typed. @default process.stdin */
  input?: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Where the question is written (stderr keeps stdout clean for the app's own output). @default process.stderr */
  output?: NodeJS.WritableStream;
}

/** The standard streams, when this runtime has a `process` with them (not on edge runtimes). */
function standardStreams(): {
  stdin?: TerminalPasswordPromptOptions["input"];
  stderr?: NodeJS.WritableStream;
} {
  return typeof process === "undefined" ? {} : { stdin: process.stdin, stderr: process.stderr };
}

/**
 * A no-echo password prompt on the terminal (like Python's `getpass`, which the Python handler used).
 * The question is written, then everything readline would echo is swallowed until Enter.
 */
export function createTerminalPasswordPrompt(
  options: TerminalPasswordPromptOptions = {},
): ArthurPasswordPrompt {
  // Read lazily: on runtimes without `process` (edge, workers) the prompt is simply not interactive.
  const streams = () => {
    const standard = standardStreams();
    return { input: options.input ?? standard.stdin, output: options.output ?? standard.stderr };
  };
  return {
    isInteractive: () => streams().input?.isTTY === true,
    ask: async (question) => {
      const { input, output } = streams();
      if (!input || !output) {
        throw new ConfigurationError({
          message:
            "No terminal to ask the Arthur password on: pass `arthurPassword` (or env ARTHUR_PASSWORD).",
          option: "arthurPassword",
          envVar: "ARTHUR_PASSWORD",
        });
      }
      // Loaded only when a prompt really happens; the specifiers are not literals, so bundlers for
      // edge runtimes (esbuild --platform=browser) leave them alone instead of failing to resolve them.
      const [{ createInterface }, { Writable }] = (await Promise.all([
        importNodeModule("node:readline"),
        importNodeModule("node:stream"),
      ])) as [typeof import("node:readline"), typeof import("node:stream")];
      return new Promise<string>((resolve, reject) => {
        let muted = false;
        let answered = false;
        const sink = new Writable({
          write(chunk, encoding, callback) {
            if (!muted) output.write(chunk, encoding);
            callback();
          },
        });
        const readline = createInterface({ input, output: sink, terminal: true });
        readline.on("SIGINT", () => readline.close());
        readline.on("close", () => {
          if (answered) return;
          output.write("\n");
          reject(
            new ConfigurationError({
              message:
                "The Arthur password prompt was cancelled: pass `arthurPassword` (or env ARTHUR_PASSWORD).",
              option: "arthurPassword",
              envVar: "ARTHUR_PASSWORD",
            }),
          );
        });
        readline.question(question, (answer) => {
          answered = true;
          muted = false;
          output.write("\n");
          readline.close();
          resolve(answer);
        });
        // The question is out; from here on, typed characters must not be echoed.
        muted = true;
      });
    },
  };
}

function importNodeModule(specifier: string): Promise<unknown> {
  return import(/* @vite-ignore */ /* webpackIgnore: true */ specifier);
}
