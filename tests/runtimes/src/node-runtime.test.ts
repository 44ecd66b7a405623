import { afterEach, describe, expect, it } from "vitest";
import type { MatrixAppReport } from "./apps/matrix-app.ts";
import { expectMatrixDelivered } from "./expect-matrix-delivered.ts";
import { readReport, runProcess } from "./run-process.ts";
import { PACKAGE_DIRECTORY, SCRIPT_APP } from "./runtime-paths.ts";
import { ARTHUR_MODEL_ID, startVendorEmulators, type VendorEmulators } from "./vendor-emulators.ts";

let emulators: VendorEmulators | undefined;
afterEach(async () => {
  await emulators?.close();
  emulators = undefined;
});

async function runInNode(mode?: "exit-without-flush") {
  emulators = await startVendorEmulators();
  const args = ["--import", "tsx", SCRIPT_APP, "node", ARTHUR_MODEL_ID, ...(mode ? [mode] : [])];
  return runProcess(process.execPath, args, { cwd: PACKAGE_DIRECTORY, env: emulators.environment });
}

describe("Node", () => {
  it("delivers every vendor's records and the fan-out's over the keep-alive node:http transport", async () => {
    const run = await runInNode();
    expectMatrixDelivered(emulators!, readReport<MatrixAppReport>(run), "node", "node-http");
    expect(run.stderr).toBe("");
  });

  it("delivers them from a script that never flushes (the drain at beforeExit), then exits", async () => {
    const run = await runInNode("exit-without-flush");
    expectMatrixDelivered(emulators!, readReport<MatrixAppReport>(run), "node", "node-http", {
      flushed: false,
    });
    expect(run.stderr).toBe("");
  });
});
