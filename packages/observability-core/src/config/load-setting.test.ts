import { inspect } from "node:util";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ConfigurationError } from "../errors/configuration-error";
import { loadNumber, loadString, loadUrl, requireString } from "./load-setting";

afterEach(() => {
  vi.unstubAllEnvs();
});

function caught(action: () => unknown): ConfigurationError {
  try {
    action();
  } catch (error) {
    if (ConfigurationError.isInstance(error)) return error;
    throw error;
  }
  throw new Error("expected a ConfigurationError");
}

describe("loadString / requireString", () => {
  it("resolves explicit option > env var > default", () => {
    vi.stubEnv("ACME_API_KEY", "from-env");
    expect(loadString({ option: "apiKey", value: "explicit", envVar: "ACME_API_KEY" })).toBe("explicit");
    expect(loadString({ option: "apiKey", value: undefined, envVar: "ACME_API_KEY" })).toBe("from-env");
    vi.stubEnv("ACME_API_KEY", "  ");
    expect(
      loadString({ option: "apiKey", value: undefined, envVar: "ACME_API_KEY", default: "fallback" }),
    ).toBe("fallback");
  });

  it("names the option and the env var when a required value is missing, never a value", () => {
    const error = caught(() =>
      requireString({
        option: "apiKey",
        value: undefined,
        envVar: "ACME_API_KEY",
        description: "Acme API key",
      }),
    );
    expect(error.message).toBe("Missing Acme API key: pass `apiKey` (or env ACME_API_KEY).");
    expect(error).toMatchObject({ option: "apiKey", envVar: "ACME_API_KEY" });
  });

  it("rejects a value of the wrong type", () => {
    expect(caught(() => loadString({ option: "apiKey", value: 42 as never })).message).toBe(
      "`apiKey` must be a string, got number.",
    );
  });
});

describe("loadNumber", () => {
  it.each([
    [{ value: -1, min: 0 }, "`maxQueueSize` must be an integer >= 0, got -1."],
    [{ value: 2, min: 0, max: 1 }, "`maxQueueSize` must be an integer from 0 to 1, got 2."],
    [{ value: 1.5, min: 0 }, "`maxQueueSize` must be an integer >= 0, got 1.5."],
    [{ value: Number.NaN, min: 0 }, "`maxQueueSize` must be an integer >= 0, got NaN."],
    [{ value: "10" as never, min: 0 }, '`maxQueueSize` must be an integer >= 0, got "10".'],
  ])("rejects %j", (source, message) => {
    expect(
      caught(() => loadNumber({ option: "maxQueueSize", default: 5, integer: true, ...source })).message,
    ).toBe(message);
  });

  it("reads the env var, and only warns about an unparseable one", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    vi.stubEnv("ACME_TIMEOUT", "250");
    expect(
      loadNumber({ option: "timeoutMs", value: undefined, envVar: "ACME_TIMEOUT", default: 10, min: 1 }),
    ).toBe(250);
    vi.stubEnv("ACME_TIMEOUT", "soon");
    expect(
      loadNumber({ option: "timeoutMs", value: undefined, envVar: "ACME_TIMEOUT", default: 10, min: 1 }),
    ).toBe(10);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining("ACME_TIMEOUT"));
  });
});

describe("loadUrl", () => {
  it("accepts https, and plain http only to loopback", () => {
    expect(loadUrl({ option: "host", value: "https://api.example.com/v1/", default: "https://x" })).toBe(
      "https://api.example.com/v1",
    );
    expect(loadUrl({ option: "host", value: "http://127.0.0.1:4010" })).toBe("http://127.0.0.1:4010");
    expect(loadUrl({ option: "host", value: "http://localhost:4010/api" })).toBe("http://localhost:4010/api");
    expect(loadUrl({ option: "host", value: "http://[::1]:4010" })).toBe("http://[::1]:4010");
    expect(loadUrl({ option: "host", value: "http://intranet:80", allowInsecure: true })).toBe(
      "http://intranet",
    );
  });

  it.each([
    ["http://api.example.com", "must use https"],
    ["ftp://api.example.com", "must use https"],
    ["not a url", "must be an absolute URL"],
    ["https://user:pw@api.example.com", "must not carry credentials"],
  ])("rejects %s", (value, message) => {
    vi.stubEnv("ACME_HOST", value);
    const error = caught(() => loadUrl({ option: "host", value: undefined, envVar: "ACME_HOST" }));
    expect(error.message).toContain("`host` (or env ACME_HOST)");
    expect(error.message).toContain(message);
    expect(error.message).not.toContain("pw@");
  });

  it("never prints a value that is not a URL: it may be a key passed as the URL by mistake", () => {
    const key = "sk-live-0123456789abcdefghij";
    const error = caught(() => loadUrl({ option: "baseUrl", value: key, envVar: "ACME_BASE_URL" }));
    expect(error.message).toBe(
      "`baseUrl` (or env ACME_BASE_URL) must be an absolute URL (https://…), got a 28-character value that is not a URL (not shown: it may be a credential).",
    );
    expect(inspect(error)).not.toContain(key);
  });
});
