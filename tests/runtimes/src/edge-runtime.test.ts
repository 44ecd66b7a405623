import { EdgeRuntime } from "edge-runtime";
import { afterEach, describe, it } from "vitest";
import type { MatrixAppOptions, MatrixAppReport } from "./apps/matrix-app.ts";
import { bundleApp } from "./bundle-app.ts";
import { expectMatrixDelivered } from "./expect-matrix-delivered.ts";
import { EDGE_APP } from "./runtime-paths.ts";
import { startVendorEmulators, type VendorEmulators } from "./vendor-emulators.ts";

let emulators: VendorEmulators | undefined;
afterEach(async () => {
  await emulators?.close();
  emulators = undefined;
});

describe("Vercel Edge Runtime (edge-light)", () => {
  it("bundles for the edge without Node's modules and delivers with fetch", async () => {
    emulators = await startVendorEmulators();
    const code = await bundleApp(EDGE_APP, "edge-light");
    const runtime = new EdgeRuntime({ initialCode: code });
    const { trubrics, arthur, arthurEngine, promptlayer } = emulators.connection;
    const options: MatrixAppOptions = {
      runtime: "edge-light",
      arthurModelId: arthur.modelId,
      trubrics: { apiKey: trubrics.apiKey, baseUrl: trubrics.baseUrl },
      arthur: { apiKey: arthur.apiKey, baseUrl: arthur.baseUrl },
      arthurEngine,
      promptlayer: { apiKey: promptlayer.apiKey, baseUrl: promptlayer.baseUrl },
    };
    const response = await runtime.dispatchFetch("http://localhost/", {
      method: "POST",
      body: JSON.stringify(options),
    });
    const report = (await response.json()) as MatrixAppReport;
    await response.waitUntil();
    expectMatrixDelivered(emulators, report, "edge-light", "fetch");
  });
});
