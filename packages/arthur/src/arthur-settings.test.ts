import { PassThrough } from "node:stream";
import { ConfigurationError } from "@langchain-observability/core";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { createTerminalPasswordPrompt } from "./arthur-password-prompt";
import { loadArthurBaseUrl, loadArthurCredentialSource, loadArthurSettings } from "./arthur-settings";
import { clearArthurEnv } from "./arthur-test-helpers";

beforeEach(() => {
  clearArthurEnv();
});

function errorOf(action: () => unknown): ConfigurationError {
  try {
    action();
  } catch (error) {
    if (ConfigurationError.isInstance(error)) return error;
    throw error;
  }
  throw new Error("expected a ConfigurationError");
}

describe("loadArthurBaseUrl", () => {
  it.each([
    [undefined, "https://app.arthur.ai"],
    ["https://arthur.example.com", "https://arthur.example.com"],
    ["https://arthur.example.com/", "https://arthur.example.com"],
    ["arthur.example.com", "https://arthur.example.com"],
    ["arthur.example.com:8443", "https://arthur.example.com:8443"],
    ["http://127.0.0.1:8000", "http://127.0.0.1:8000"],
    ["http://localhost:3000/", "http://localhost:3000"],
  ])("accepts %s as %s", (arthurUrl, expected) => {
    expect(loadArthurBaseUrl(arthurUrl === undefined ? {} : { arthurUrl })).toBe(expected);
  });

  it("reads ARTHUR_ENDPOINT_URL when the option is absent, and the option wins", () => {
    vi.stubEnv("ARTHUR_ENDPOINT_URL", "https://env.example.com");
    expect(loadArthurBaseUrl({})).toBe("https://env.example.com");
    expect(loadArthurBaseUrl({ arthurUrl: "https://option.example.com" })).toBe("https://option.example.com");
  });

  it.each([
    ["https://arthur.example.com/api/v3", /must be a scheme and host only/],
    ["https://arthur.example.com?x=1", /must be a scheme and host only/],
    ["https://arthur.example.com/#top", /must be a scheme and host only/],
    [
      "http://arthur.example.com",
      /must use https \(plain http is only allowed to loopback addresses, or with `allowInsecure: true`\)/,
    ],
    ["ftp://arthur.example.com", /must use https/],
    ["https://user:secret@arthur.example.com", /must not carry credentials/],
  ])("refuses %s", (arthurUrl, message) => {
    const error = errorOf(() => loadArthurBaseUrl({ arthurUrl }));
    expect(error.message).toMatch(message);
    expect(error.message).toContain("`arthurUrl` (or env ARTHUR_ENDPOINT_URL)");
    expect(error.message).not.toContain("secret");
  });

  it("allows plain http to another host only with allowInsecure", () => {
    expect(loadArthurBaseUrl({ arthurUrl: "http://arthur.internal:8080", allowInsecure: true })).toBe(
      "http://arthur.internal:8080",
    );
  });
});

describe("loadArthurCredentialSource", () => {
  it("prefers explicit options, then ARTHUR_API_KEY, then ARTHUR_LOGIN", () => {
    vi.stubEnv("ARTHUR_API_KEY", "env-key");
    vi.stubEnv("ARTHUR_LOGIN", "env-login");
    vi.stubEnv("ARTHUR_PASSWORD", "env-password");
    expect(loadArthurCredentialSource({ apiKey: "option-key" })).toEqual({
      kind: "apiKey",
      apiKey: "option-key",
    });
    expect(loadArthurCredentialSource({ arthurLogin: "me" })).toEqual({
      kind: "login",
      login: "me",
      password: "env-password",
    });
    expect(loadArthurCredentialSource({ arthurLogin: "me", arthurPassword: "pw" })).toEqual({
      kind: "login",
      login: "me",
      password: "pw",
    });
    expect(loadArthurCredentialSource({})).toEqual({ kind: "apiKey", apiKey: "env-key" });
    vi.stubEnv("ARTHUR_API_KEY", "");
    expect(loadArthurCredentialSource({})).toEqual({
      kind: "login",
      login: "env-login",
      password: "env-password",
    });
  });

  it("refuses nothing at all, naming every option and env var", () => {
    const error = errorOf(() => loadArthurCredentialSource({}));
    expect(error.message).toMatchInlineSnapshot(
      `"Missing Arthur credentials: pass \`apiKey\` (or env ARTHUR_API_KEY), or \`arthurLogin\` (or env ARTHUR_LOGIN) with \`arthurPassword\` (or env ARTHUR_PASSWORD)."`,
    );
    expect(error).toMatchObject({ option: "apiKey", envVar: "ARTHUR_API_KEY" });
  });

  it("refuses both an API key and a login", () => {
    expect(errorOf(() => loadArthurCredentialSource({ apiKey: "k", arthurLogin: "me" })).message).toMatch(
      /either `apiKey` or `arthurLogin`/,
    );
  });
});

describe("loadArthurSettings", () => {
  it("resolves everything, with the organization from ARTHUR_ORGANIZATION_ID", () => {
    vi.stubEnv("ARTHUR_ORGANIZATION_ID", "org-7");
    expect(loadArthurSettings({ apiKey: "k", timeoutMs: 500, maxRetries: 0 })).toEqual({
      baseUrl: "https://app.arthur.ai",
      credentials: { kind: "apiKey", apiKey: "k" },
      organizationId: "org-7",
      timeoutMs: 500,
      maxRetries: 0,
      fetch: undefined,
    });
  });

  it("refuses a login without a password, naming arthurPassword and ARTHUR_PASSWORD, never the other secrets", () => {
    const error = errorOf(() => loadArthurSettings({ arthurLogin: "me" }));
    expect(error).toMatchObject({ option: "arthurPassword", envVar: "ARTHUR_PASSWORD" });
    expect(error.message).toMatchInlineSnapshot(
      `"Missing the Arthur password of login "me": pass \`arthurPassword\` (or env ARTHUR_PASSWORD)."`,
    );
  });

  it.each([
    [{ apiKey: 42 }, /`apiKey` must be a string/],
    [{ apiKey: "k", timeoutMs: 0 }, /`timeoutMs` must be/],
    [{ apiKey: "k", maxRetries: 1.5 }, /`maxRetries` must be an integer/],
    [{ apiKey: "k", allowInsecure: "yes" }, /`allowInsecure` must be a boolean/],
    [{ apiKey: "k", fetch: "nope" }, /`fetch` must be a function/],
  ])("refuses %o", (options, message) => {
    expect(() => loadArthurSettings(options as never)).toThrow(message);
  });
});

describe("createTerminalPasswordPrompt", () => {
  function terminal(isTTY: boolean) {
    const input = Object.assign(new PassThrough(), { isTTY });
    const output = new PassThrough();
    let written = "";
    output.on("data", (chunk: Buffer) => {
      written += chunk.toString();
    });
    return { input, output, written: () => written };
  }

  it("is interactive only when its input is a terminal", () => {
    expect(createTerminalPasswordPrompt({ input: terminal(true).input }).isInteractive()).toBe(true);
    expect(createTerminalPasswordPrompt({ input: terminal(false).input }).isInteractive()).toBe(false);
  });

  it("asks the question and reads the answer without echoing it", async () => {
    const { input, output, written } = terminal(true);
    const prompt = createTerminalPasswordPrompt({ input, output });
    const answer = prompt.ask("Arthur password: ");
    input.write("s3cret-typed\r");
    await expect(answer).resolves.toBe("s3cret-typed");
    expect(written()).toContain("Arthur password: ");
    expect(written()).not.toContain("s3cret");
  });

  it("rejects with a ConfigurationError when the input closes before an answer", async () => {
    const { input, output } = terminal(true);
    const answer = createTerminalPasswordPrompt({ input, output }).ask("Arthur password: ");
    input.end();
    await expect(answer).rejects.toThrow(
      /prompt was cancelled: pass `arthurPassword` \(or env ARTHUR_PASSWORD\)/,
    );
  });
});
