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

async function runInDeno(mode?: "exit-without-flush") {
  emulators = await startVendorEmulators();
  // The README's permissions: the vendors' hosts (here the emulators), env vars, and the home
  // directory, which LangChain's LangSmith client reads when `flush()` awaits its callbacks.
  const permissions = ["--allow-net=127.0.0.1", "--allow-env", "--allow-sys=homedir"];
  const args = ["run", ...permissions, SCRIPT_APP, "deno", ARTHUR_MODEL_ID, ...(mode ? [mode] : [])];
  return runProcess(runtimeBinary("deno"), args, {
    cwd: PACKAGE_DIRECTORY,
    env: {
      ...emulators.environment,
      DENO_DIR: temporaryDirectory("deno-dir"),
      DENO_NO_UPDATE_CHECK: "1",
      NO_COLOR: "1",
    },
  });
}

describe("Deno", () => {
  it("loads the Node build and delivers over node:http, with the permissions the README lists", async () => {
    const run = await runInDeno();
    expectMatrixDelivered(emulators!, readReport<MatrixAppReport>(run), "deno", "node-http");
    expect(run.stderr).toBe("");
  });

  it("delivers from a script that never flushes: Deno emits beforeExit, where core drains", async () => {
    const run = await runInDeno("exit-without-flush");
    expectMatrixDelivered(emulators!, readReport<MatrixAppReport>(run), "deno", "node-http", {
      flushed: false,
    });
    expect(run.stderr).toBe("");
  });
});
