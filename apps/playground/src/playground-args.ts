import { parseArgs } from "node:util";

/** The command line of `pnpm playground`, parsed. */
export interface PlaygroundArgs {
  scenarios: string[];
  list: boolean;
  json: boolean;
  showPayloads: boolean;
  help: boolean;
  /** Serve the inspector page instead of printing a summary. */
  ui: boolean;
  /** Port of the inspector page (0: any free port). */
  port: number;
  /** Run every scenario once when the inspector starts. */
  runAll: boolean;
}

/**
 * Parses the playground's options. Bare `--` separators are ignored: `pnpm playground -- --scenario x`
 * passes the `--` through to the script, and the playground takes no positional arguments.
 */
export function parsePlaygroundArgs(argv: string[]): PlaygroundArgs {
  const { values } = parseArgs({
    args: argv.filter((argument) => argument !== "--"),
    options: {
      scenario: { type: "string", multiple: true },
      list: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      "show-payloads": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
      ui: { type: "boolean", default: false },
      port: { type: "string" },
      "run-all": { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  let port = 0;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      throw new Error(`--port must be an integer from 0 to 65535, got "${values.port}".`);
    }
  }
  return {
    scenarios: values.scenario ?? [],
    list: values.list,
    json: values.json,
    showPayloads: values["show-payloads"],
    help: values.help,
    ui: values.ui,
    port,
    runAll: values["run-all"],
  };
}
