import { VERSION as ARTHUR_VERSION } from "@langchain-observability/arthur";
import { VERSION as CORE_VERSION } from "@langchain-observability/core";
import { VERSION as PROMPTLAYER_VERSION } from "@langchain-observability/promptlayer";
import { VERSION as TRUBRICS_VERSION } from "@langchain-observability/trubrics";
import { expect } from "vitest";
import { type MatrixAppReport, matrixPrompt } from "./apps/matrix-app.ts";
import {
  type StoredRecord,
  VENDOR_NAMES,
  type VendorEmulators,
  type VendorName,
} from "./vendor-emulators.ts";

const HANDLERS = ["trubrics", "arthur", "arthur-engine", "promptlayer", "fan-out"] as const;

/**
 * What every runtime of the matrix must show: each handler's call answered and flushed, each
 * vendor storing exactly its own handler's record and the fan-out's (found by the prompt and the
 * answer in the vendor's own payload), and every request sent by `transport` from `runtime`.
 */
export function expectMatrixDelivered(
  emulators: VendorEmulators,
  report: MatrixAppReport,
  runtime: string,
  transport: "node-http" | "fetch",
  options: { flushed?: boolean } = {},
): void {
  const flushed = options.flushed ?? true;
  expect(report).toEqual({
    answers: Object.fromEntries(HANDLERS.map((name) => [name, `${runtime} answer for ${name}`])),
    flush: flushed
      ? {
          trubrics: { ok: true, timedOut: false, exported: 1, failed: 0, dropped: 0, pending: 0 },
          arthur: { ok: true, timedOut: false, exported: 1, failed: 0, dropped: 0, pending: 0 },
          "arthur-engine": { ok: true, timedOut: false, exported: 1, failed: 0, dropped: 0, pending: 0 },
          promptlayer: { ok: true, timedOut: false, exported: 1, failed: 0, dropped: 0, pending: 0 },
          "fan-out": { ok: true, timedOut: false, exported: 3, failed: 0, dropped: 0, pending: 0 },
        }
      : {},
    // Without a flush, the report may be printed before or after PromptLayer answered.
    promptLayerIds: flushed ? 1 : expect.any(Number),
    errors: [],
    arthurLoginWithoutPassword: { configurationError: true, namesOption: true },
  });

  const delivered = emulators
    .stored()
    .map(({ vendor, payload }) => {
      const text = JSON.stringify(payload);
      const handler = HANDLERS.find((name) => text.includes(matrixPrompt(runtime, name)));
      return {
        vendor,
        handler,
        answered: handler !== undefined && text.includes(`${runtime} answer for ${handler}`),
      };
    })
    // Arrival order between a vendor's own handler and the fan-out is not part of the contract.
    .sort((a, b) => order(a) - order(b));
  expect(delivered).toEqual([
    { vendor: "trubrics", handler: "trubrics", answered: true },
    { vendor: "trubrics", handler: "fan-out", answered: true },
    { vendor: "arthur", handler: "arthur", answered: true },
    { vendor: "arthur", handler: "fan-out", answered: true },
    { vendor: "arthur-engine", handler: "arthur-engine", answered: true },
    { vendor: "promptlayer", handler: "promptlayer", answered: true },
    { vendor: "promptlayer", handler: "fan-out", answered: true },
  ]);

  for (const vendor of VENDOR_NAMES) expectSentBy(emulators, vendor, runtime, transport);
}

const STORED_ORDER: Array<StoredRecord["vendor"]> = ["trubrics", "arthur", "arthur-engine", "promptlayer"];

function order(entry: { vendor: StoredRecord["vendor"]; handler: string | undefined }): number {
  return (
    STORED_ORDER.indexOf(entry.vendor) * 10 + HANDLERS.indexOf(entry.handler as (typeof HANDLERS)[number])
  );
}

const VENDOR_VERSIONS: Record<VendorName, string> = {
  trubrics: TRUBRICS_VERSION,
  arthur: ARTHUR_VERSION,
  promptlayer: PROMPTLAYER_VERSION,
};

/** Every request a vendor's emulator received names this runtime and transport in its user agent. */
export function expectSentBy(
  emulators: VendorEmulators,
  vendor: VendorName,
  runtime: string,
  transport: "node-http" | "fetch",
): void {
  const agents = new Set(emulators.seen(vendor).map((request) => request.userAgent));
  expect([...agents]).toEqual([
    `@langchain-observability/${vendor}/${VENDOR_VERSIONS[vendor]} langchain-observability-core/${CORE_VERSION} (${runtime}; ${transport})`,
  ]);
}
