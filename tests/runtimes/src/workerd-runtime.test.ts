import { Miniflare } from "miniflare";
import { afterEach, describe, it } from "vitest";
import type { MatrixAppReport } from "./apps/matrix-app.ts";
import { bundleApp } from "./bundle-app.ts";
import { expectMatrixDelivered } from "./expect-matrix-delivered.ts";
import { WORKER_APP } from "./runtime-paths.ts";
import { startVendorEmulators, type VendorEmulators } from "./vendor-emulators.ts";

let emulators: VendorEmulators | undefined;
let worker: Miniflare | undefined;
afterEach(async () => {
  await worker?.dispose();
  worker = undefined;
  await emulators?.close();
  emulators = undefined;
});

describe("Cloudflare Workers (workerd, through miniflare)", () => {
  it("bundles for workerd without Node's modules or nodejs_compat, and delivers with fetch", async () => {
    emulators = await startVendorEmulators();
    const code = await bundleApp(WORKER_APP, "workerd");
    // No compatibility flags: not even nodejs_compat. The options come from the env bindings.
    worker = new Miniflare({
      modules: true,
      script: code,
      compatibilityDate: "2025-01-01",
      bindings: { ...emulators.environment, ARTHUR_MODEL_ID: emulators.connection.arthur.modelId },
    });
    const response = await worker.dispatchFetch("http://localhost/", { method: "POST" });
    const report = (await response.json()) as MatrixAppReport;
    expectMatrixDelivered(emulators, report, "workerd", "fetch");
  });

  it("with nodejs_compat, reads the vendors' env vars that workerd copies from the bindings", async () => {
    emulators = await startVendorEmulators();
    const code = await bundleApp(WORKER_APP, "workerd");
    worker = new Miniflare({
      modules: true,
      script: code,
      // From this date on, nodejs_compat fills process.env with the bindings.
      compatibilityDate: "2025-04-01",
      compatibilityFlags: ["nodejs_compat"],
      bindings: {
        ...emulators.environment,
        ARTHUR_MODEL_ID: emulators.connection.arthur.modelId,
        MATRIX_SETTINGS_FROM: "process-env",
      },
    });
    const response = await worker.dispatchFetch("http://localhost/", { method: "POST" });
    const report = (await response.json()) as MatrixAppReport;
    expectMatrixDelivered(emulators, report, "workerd", "fetch");
  });
});
