import { afterEach, describe, expect, it } from "vitest";
import type { MatrixAppReport } from "./apps/matrix-app.ts";
import { expectMatrixDelivered } from "./expect-matrix-delivered.ts";
import { readReport, runProcess } from "./run-process.ts";
import {
  PACKAGE_DIRECTORY,
  removeTemporaryDirectories,
  runtimeBinary,
  SCRIPT_APP,
  temporaryDirectory,
} from "./runtime-paths.ts";
import { ARTHUR_MODEL_ID, startVendorEmulators, type VendorEmulators } from "./vendor-emulators.ts";

let emulators: VendorEmulators | undefined;
afterEach(async () => {
  await emulators?.close();
  emulators = undefined;
  removeTemporaryDirectories();
});

async function runInBun(mode?: "exit-without-flush") {
  emulators = await startVendorEmulators();
  // --no-install: resolve from node_modules only, never from the registry.
  const args = ["--no-install", "run", SCRIPT_APP, "bun", ARTHUR_MODEL_ID, ...(mode ? [mode] : [])];
  return runProcess(runtimeBinary("bun"), args, {
    cwd: PACKAGE_DIRECTORY,
    env: { ...emulators.environment, BUN_INSTALL_CACHE_DIR: temporaryDirectory("bun-cache"), NO_COLOR: "1" },
  });
}

describe("Bun", () => {
  it("loads the Node build and delivers over node:http (Bun's own implementation of it)", async () => {
    const run = await runInBun();
    expectMatrixDelivered(emulators!, readReport<MatrixAppReport>(run), "bun", "node-http");
    expect(run.stderr).toBe("");
  });

  it("delivers from a script that never flushes: Bun emits beforeExit, where core drains", async () => {
    const run = await runInBun("exit-without-flush");
    expectMatrixDelivered(emulators!, readReport<MatrixAppReport>(run), "bun", "node-http", {
      flushed: false,
    });
    expect(run.stderr).toBe("");
  });
});
