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

describe("Node", () => {
  it("delivers every vendor's records and the fan-out's over the keep-alive node:http transport", async () => {
    emulators = await startVendorEmulators();
    const run = await runProcess(process.execPath, ["--import", "tsx", SCRIPT_APP, "node", ARTHUR_MODEL_ID], {
      cwd: PACKAGE_DIRECTORY,
      env: emulators.environment,
    });
    const report = readReport<MatrixAppReport>(run);
    expectMatrixDelivered(emulators, report, "node", "node-http");
    expect(run.stderr).toBe("");
  });
});
