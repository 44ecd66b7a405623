import { describe, expect, it } from "vitest";
import { ConfigurationError } from "./errors/configuration-error";
import {
  isCommonHandlerOption,
  loadHttpSettings,
  pickCommonHandlerOptions,
} from "./observability-handler-options";

describe("common handler options", () => {
  it("picks the common options out of a vendor's options, leaving vendor keys and undefined values behind", () => {
    const onError = () => {};
    expect(
      pickCommonHandlerOptions({
        apiKey: "k",
        host: "h",
        userId: "u",
        tags: ["t"],
        onError,
        maxRetries: undefined,
        raiseError: true,
      }),
    ).toEqual({ userId: "u", tags: ["t"], onError, raiseError: true });
    expect(isCommonHandlerOption("sampleRate")).toBe(true);
    expect(isCommonHandlerOption("apiKey")).toBe(false);
    expect(isCommonHandlerOption("toString")).toBe(false);
  });

  it("resolves the HTTP options with their defaults and rejects wrong ones naming the option", () => {
    expect(loadHttpSettings({})).toEqual({ timeoutMs: 10_000, maxRetries: 3 });
    const fetch = globalThis.fetch;
    expect(loadHttpSettings({ timeoutMs: 50, maxRetries: 0, fetch })).toEqual({
      timeoutMs: 50,
      maxRetries: 0,
      fetch,
    });
    for (const [options, option] of [
      [{ timeoutMs: 0 }, "timeoutMs"],
      [{ maxRetries: -1 }, "maxRetries"],
      [{ maxRetries: 2.5 }, "maxRetries"],
      [{ fetch: "nope" }, "fetch"],
    ] as const) {
      let caught: unknown;
      try {
        loadHttpSettings(options as never);
      } catch (error) {
        caught = error;
      }
      expect(ConfigurationError.isInstance(caught) && caught.option).toBe(option);
    }
  });
});
