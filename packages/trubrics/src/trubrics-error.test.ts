import { ConfigurationError, ExportTimeoutError, VendorApiError } from "@langchain-observability/core";
import { describe, expect, it } from "vitest";
import {
  describeIngestionError,
  ingestionFailureOutcome,
  legacyFailureOutcome,
  rejectedIngestionItems,
} from "./trubrics-error";

const url = "https://app.trubrics.com/api/ingestion/publish_llm_events";

function answered(status: number, responseBody?: string): VendorApiError {
  return new VendorApiError({
    vendor: "Trubrics",
    method: "POST",
    url,
    status,
    ...(responseBody ? { responseBody } : {}),
  });
}

function networkError(code: string, outcome?: "unknown"): VendorApiError {
  const cause = Object.assign(new Error("fetch failed"), { code });
  return new VendorApiError({
    vendor: "Trubrics",
    method: "POST",
    url,
    cause,
    ...(outcome ? { outcome } : {}),
  });
}

describe("ingestionFailureOutcome (no idempotency key: resent only when surely not stored)", () => {
  it.each([
    { case: "429", error: answered(429), expected: { retryable: true, outcome: "failed" } },
    { case: "503", error: answered(503), expected: { retryable: true, outcome: "failed" } },
    { case: "408", error: answered(408), expected: { retryable: true, outcome: "failed" } },
    {
      case: "a refused connection",
      error: networkError("ECONNREFUSED"),
      expected: { retryable: true, outcome: "failed" },
    },
    { case: "500", error: answered(500), expected: { retryable: false, outcome: "unknown" } },
    { case: "504", error: answered(504), expected: { retryable: false, outcome: "unknown" } },
    {
      case: "a reset connection",
      error: networkError("ECONNRESET"),
      expected: { retryable: false, outcome: "unknown" },
    },
    {
      case: "an error the HTTP client marked unknown",
      error: networkError("ECONNREFUSED", "unknown"),
      expected: { retryable: false, outcome: "unknown" },
    },
    {
      case: "a timeout",
      error: new ExportTimeoutError({ vendor: "Trubrics", method: "POST", url, timeoutMs: 10 }),
      expected: { retryable: false, outcome: "unknown" },
    },
    { case: "400", error: answered(400), expected: { retryable: false, outcome: "failed" } },
    { case: "401", error: answered(401), expected: { retryable: false, outcome: "failed" } },
  ])("$case → $expected", ({ error, expected }) => {
    expect(ingestionFailureOutcome(error)).toEqual(expected);
  });
});

describe("legacyFailureOutcome (the create is idempotent: whatever may pass is retried)", () => {
  it.each([
    { case: "503", error: answered(503), retryable: true },
    { case: "500", error: answered(500), retryable: true },
    { case: "a reset connection", error: networkError("ECONNRESET", "unknown"), retryable: true },
    {
      case: "a timeout",
      error: new ExportTimeoutError({
        vendor: "Trubrics",
        method: "POST",
        url,
        timeoutMs: 10,
        outcome: "unknown",
      }),
      retryable: true,
    },
    { case: "400", error: answered(400), retryable: false },
    { case: "403", error: answered(403), retryable: false },
    {
      case: "a bad option",
      error: new ConfigurationError({ message: "bad", option: "project" }),
      retryable: false,
    },
  ])("$case → retryable $retryable, never unknown", ({ error, retryable }) => {
    expect(legacyFailureOutcome(error)).toEqual({ retryable, outcome: "failed" });
  });
});

describe("rejectedIngestionItems", () => {
  it("reads the items a FastAPI 422 names, and nothing when one entry names none", () => {
    const body = (loc: unknown[][]) =>
      JSON.stringify({
        detail: loc.map((entry) => ({ type: "missing", loc: entry, msg: "Field required" })),
      });
    expect(
      rejectedIngestionItems(
        answered(
          422,
          body([
            ["body", 1, "prompt"],
            ["body", 3],
          ]),
        ),
        4,
      ),
    ).toEqual(new Set([1, 3]));
    expect(rejectedIngestionItems(answered(422, body([["body", 1], ["body"]])), 4)).toBeUndefined();
    expect(rejectedIngestionItems(answered(422, body([["body", 9]])), 4)).toBeUndefined();
    expect(rejectedIngestionItems(answered(400, body([["body", 1]])), 4)).toBeUndefined();
  });
});

describe("describeIngestionError", () => {
  it("points a 401 at apiKey and TRUBRICS_API_KEY", () => {
    const error = describeIngestionError(answered(401, '{"detail":"Invalid API key."}'));
    expect(error.message).toBe(
      `Trubrics: POST ${url} answered 401: {"detail":"Invalid API key."} (the API key was refused: check \`apiKey\` or env TRUBRICS_API_KEY)`,
    );
    expect(VendorApiError.isInstance(error) && error.isRetryable).toBe(false);
  });
});
