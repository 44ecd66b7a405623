import { describe, expect, it } from "vitest";
import { ConfigurationError, ExportTimeoutError, ObservabilityError, VendorApiError } from "./index";

describe("errors", () => {
  it("isInstance follows the class hierarchy", () => {
    const configuration = new ConfigurationError({ message: "m", option: "apiKey", envVar: "X_API_KEY" });
    const vendor = new VendorApiError({ vendor: "V", method: "POST", url: "https://v/x", status: 503 });
    const timeout = new ExportTimeoutError({ vendor: "V", timeoutMs: 5 });
    expect(ObservabilityError.isInstance(configuration)).toBe(true);
    expect(ObservabilityError.isInstance(vendor)).toBe(true);
    expect(ObservabilityError.isInstance(timeout)).toBe(true);
    expect(ConfigurationError.isInstance(vendor)).toBe(false);
    expect(VendorApiError.isInstance(configuration)).toBe(false);
    expect(ExportTimeoutError.isInstance(vendor)).toBe(false);
    expect(ObservabilityError.isInstance(new Error("plain"))).toBe(false);
    expect(ObservabilityError.isInstance(null)).toBe(false);
  });

  it("isInstance recognises an error made by another copy of the package (same Symbol.for marker)", () => {
    const foreign = new Error("from a duplicated copy");
    Object.defineProperty(foreign, Symbol.for("langchain-observability.error"), { value: true });
    Object.defineProperty(foreign, Symbol.for("langchain-observability.error.VendorApiError"), {
      value: true,
    });
    expect(ObservabilityError.isInstance(foreign)).toBe(true);
    expect(VendorApiError.isInstance(foreign)).toBe(true);
    expect(ConfigurationError.isInstance(foreign)).toBe(false);
  });

  it("VendorApiError derives retryability from the status and truncates long bodies", () => {
    const retryable = [408, 425, 429, 500, 502, 503, 504, 599];
    const final = [400, 401, 403, 404, 413, 422];
    for (const status of retryable) {
      expect(
        new VendorApiError({ vendor: "V", method: "POST", url: "u", status }).isRetryable,
        String(status),
      ).toBe(true);
    }
    for (const status of final) {
      expect(
        new VendorApiError({ vendor: "V", method: "POST", url: "u", status }).isRetryable,
        String(status),
      ).toBe(false);
    }
    expect(new VendorApiError({ vendor: "V", method: "POST", url: "u" }).isRetryable).toBe(true);
    const long = new VendorApiError({
      vendor: "V",
      method: "POST",
      url: "u",
      status: 500,
      responseBody: "x".repeat(5000),
    });
    expect(long.responseBody).toHaveLength(1001);
    expect(long.message.length).toBeLessThan(1100);
  });
});
