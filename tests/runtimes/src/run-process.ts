import { spawn } from "node:child_process";

export interface ProcessRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to its end with only the given environment (plus PATH and HOME). The timeout is
 * there for a hang only: it kills the child and fails loudly.
 */
export function runProcess(
  command: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${command} ${args.join(" ")} hung; stderr:\n${stderr}`));
    }, options.timeoutMs ?? 180_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (exitCode) => {
      clearTimeout(timer);
      resolve({ exitCode, stdout, stderr });
    });
  });
}

/** The JSON report a matrix app printed (`MATRIX-REPORT {...}`), or an error showing the output. */
export function readReport<T>(run: ProcessRun): T {
  const line = run.stdout.split("\n").find((candidate) => candidate.startsWith("MATRIX-REPORT "));
  if (run.exitCode !== 0 || line === undefined) {
    throw new Error(
      `the app exited ${run.exitCode} without a report\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`,
    );
  }
  return JSON.parse(line.slice("MATRIX-REPORT ".length)) as T;
}
