import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** This package's folder: the runtimes run from here, so imports resolve through its node_modules. */
export const PACKAGE_DIRECTORY = fileURLToPath(new URL("..", import.meta.url));

/** A runtime's executable, installed from npm as a dev dependency of this package. */
export function runtimeBinary(name: "bun" | "deno"): string {
  return join(PACKAGE_DIRECTORY, "node_modules", ".bin", name);
}

export const SCRIPT_APP = join(PACKAGE_DIRECTORY, "src", "apps", "script-app.ts");
export const EDGE_APP = join(PACKAGE_DIRECTORY, "src", "apps", "edge-app.ts");
export const WORKER_APP = join(PACKAGE_DIRECTORY, "src", "apps", "worker-app.ts");

const created: string[] = [];

/** A fresh folder for a runtime's own caches, so a run never depends on (or writes to) the user's. */
export function temporaryDirectory(prefix: string): string {
  const directory = mkdtempSync(join(tmpdir(), `langchain-observability-${prefix}-`));
  created.push(directory);
  return directory;
}

/** Removes every folder `temporaryDirectory` made. */
export function removeTemporaryDirectories(): void {
  for (const directory of created.splice(0)) rmSync(directory, { recursive: true, force: true });
}
