import { spawn } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const packageDir = join(import.meta.dirname, "..");

/** The package's `src/index.ts` and `src/testing/index.ts`, as import specifiers for a script. */
export const sourceEntries = {
  core: join(packageDir, "src", "index.ts").replaceAll("\\", "/"),
  testing: join(packageDir, "src", "testing", "index.ts").replaceAll("\\", "/"),
};

export interface ScriptResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The outer bound killed the script: it did not exit by itself. */
  killed: boolean;
}

/**
 * Runs a TypeScript module in its own Node process (through tsx) and resolves when it exits. The
 * parent's event loop stays free meanwhile, so a loopback server in the test can answer it.
 * `hangBoundMs` is only a guard against a script that never exits; tests never race it.
 */
export async function runScript(
  source: string,
  options: { env?: Record<string, string>; hangBoundMs?: number } = {},
): Promise<ScriptResult> {
  // Inside the package so the script resolves @langchain/core like the package does.
  const directory = join(packageDir, "node_modules", ".cache");
  mkdirSync(directory, { recursive: true });
  const script = join(directory, `script-${process.pid}-${Math.random().toString(36).slice(2)}.mts`);
  writeFileSync(script, source);
  try {
    return await new Promise<ScriptResult>((resolve, reject) => {
      const child = spawn(process.execPath, ["--import", "tsx", script], {
        cwd: packageDir,
        env: { ...process.env, ...options.env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      let killed = false;
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        stdout += chunk;
      });
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
        stderr += chunk;
      });
      const guard = setTimeout(() => {
        killed = true;
        child.kill("SIGKILL");
      }, options.hangBoundMs ?? 90_000);
      child.on("error", (error) => {
        clearTimeout(guard);
        reject(error);
      });
      child.on("close", (status, signal) => {
        clearTimeout(guard);
        resolve({ status, signal, stdout, stderr, killed });
      });
    });
  } finally {
    rmSync(script, { force: true });
  }
}
