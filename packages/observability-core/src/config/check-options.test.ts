import { FakeListChatModel } from "@langchain/core/utils/testing";
import { describe, expect, it, vi } from "vitest";
import {
  COMMON_HANDLER_OPTION_ALIASES,
  COMMON_HANDLER_OPTION_KEYS,
  ConfigurationError,
  checkOptions,
  ObservabilityCallbackHandler,
} from "../index";
import { createMemoryExporter } from "../testing/index";
import { isSecretLikeKey } from "./check-options";

/** A vendor handler's spec, built the way vendor packages are meant to build theirs. */
const vendorSpec = {
  owner: "PromptLayerCallbackHandler",
  known: [...Object.keys(COMMON_HANDLER_OPTION_KEYS), "apiKey", "baseUrl", "plTags", "plIdCallback"],
};

function messageOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(ConfigurationError.isInstance(error)).toBe(true);
    return (error as Error).message;
  }
  throw new Error("expected a ConfigurationError");
}

describe("checkOptions", () => {
  it("names an unknown option and the option meant, for other libraries' spellings and case slips", () => {
    const cases = {
      baseURL: "baseUrl",
      url: "baseUrl",
      endpoint: "baseUrl",
      base_url: "baseUrl",
      timeoutMS: "timeoutMs",
      sessionID: "sessionId",
      userID: "userId",
      apikey: "apiKey",
      api_key: "apiKey",
      pltags: "plTags",
      maxRetires: "maxRetries",
      retries: "maxRetries",
      sampelRate: "sampleRate",
    };
    const messages = Object.keys(cases).map((key) => messageOf(() => checkOptions({ [key]: 1 }, vendorSpec)));
    expect(messages).toEqual(
      Object.entries(cases).map(
        ([key, meant]) =>
          `Unknown option \`${key}\` of PromptLayerCallbackHandler; did you mean \`${meant}\`?`,
      ),
    );
  });

  it("lists the known options when nothing is close, and checks keys whose value is undefined too", () => {
    const message = messageOf(() => checkOptions({ plTags: [], zebra: undefined }, vendorSpec));
    expect(message).toMatch(
      /^Unknown option `zebra` of PromptLayerCallbackHandler\. Known options: userId, /,
    );
    expect(message).toContain("baseUrl");
    expect(message).not.toContain("_awaitHandler");
  });

  it("suggests only options the owner has: a misspelling of an option it lacks is just unknown", () => {
    expect(messageOf(() => checkOptions({ baseURL: "x" }, { owner: "Core", known: ["tags"] }))).toBe(
      "Unknown option `baseURL` of Core. Known options: tags.",
    );
  });

  it("takes the owner's own aliases, and accepts known keys and documented aliases", () => {
    const spec = { ...vendorSpec, aliases: { plApiKey: "apiKey" } };
    expect(messageOf(() => checkOptions({ plApiKey: "x" }, spec))).toContain("did you mean `apiKey`?");
    expect(
      checkOptions({ user_id: "u", session_id: "s", baseUrl: "http://127.0.0.1", apiKey: "k" }, spec),
    ).toEqual([]);
    expect(checkOptions(undefined, spec)).toEqual([]);
  });

  it("with unknownKeys: allow, lets other keys through but refuses near-misses and secret-like keys", () => {
    const spec = {
      owner: "TrubricsCallbackHandler",
      known: ["project", "email", "host", "userId"],
      unknownKeys: "allow" as const,
    };
    expect(checkOptions({ project: "p", feature: "f", max_tokens: 5 }, spec)).toEqual([
      "feature",
      "max_tokens",
    ]);
    expect(messageOf(() => checkOptions({ emial: "x" }, spec))).toContain("did you mean `email`?");
    for (const key of [
      "apikey",
      "api_key",
      "API_KEY",
      "password",
      "Token",
      "secret",
      "idToken",
      "clientSecret",
    ]) {
      expect(messageOf(() => checkOptions({ [key]: "value-never-printed" }, spec))).toBe(
        `Option \`${key}\` of TrubricsCallbackHandler looks like a secret; it is not sent as metadata. Pass credentials through the documented options.`,
      );
    }
  });

  it("never prints a value", () => {
    const message = messageOf(() => checkOptions({ apikey: "sk-secret-value" }, vendorSpec));
    expect(message).not.toContain("sk-secret-value");
  });

  it("rejects options that are not an object", () => {
    expect(messageOf(() => checkOptions("x", vendorSpec))).toBe(
      "The options of PromptLayerCallbackHandler must be an object, got string.",
    );
  });

  it("tells secret-like names from ordinary ones", () => {
    expect(["max_tokens", "tokenizer", "keywords", "monkey", "passage"].filter(isSecretLikeKey)).toEqual([]);
    expect(["apiKey", "privateKey", "access_key", "PASSWORD", "bearer"].every(isSecretLikeKey)).toBe(true);
  });
});

describe("the core handler's options", () => {
  it("refuses an unknown option before anything is captured or sent", async () => {
    const exporter = createMemoryExporter();
    const construct = () =>
      new ObservabilityCallbackHandler({ exporters: [exporter], sessionID: "s-1" } as never);
    expect(messageOf(construct)).toBe(
      "Unknown option `sessionID` of ObservabilityCallbackHandler; did you mean `sessionId`?",
    );
    expect(exporter.records).toEqual([]);
  });

  it("names the subclass that was constructed", () => {
    class MyVendorHandler extends ObservabilityCallbackHandler {}
    expect(
      messageOf(() => new MyVendorHandler({ exporters: [createMemoryExporter()], timeoutMS: 5 } as never)),
    ).toBe("Unknown option `timeoutMS` of MyVendorHandler; did you mean `timeoutMs`?");
  });

  it("accepts user_id and session_id as aliases of userId and sessionId, and refuses two different values", async () => {
    expect(COMMON_HANDLER_OPTION_ALIASES).toEqual({ user_id: "userId", session_id: "sessionId" });
    const exporter = createMemoryExporter();
    const handler = new ObservabilityCallbackHandler({
      exporters: [exporter],
      user_id: "u-1",
      session_id: "s-1",
    });
    await new FakeListChatModel({ responses: ["x"] }).invoke("hi", { callbacks: [handler] });
    await handler.flush();
    expect(exporter.records.map(({ userId, sessionId }) => ({ userId, sessionId }))).toEqual([
      { userId: "u-1", sessionId: "s-1" },
    ]);
    expect(
      messageOf(() => new ObservabilityCallbackHandler({ exporters: [exporter], userId: "a", user_id: "b" })),
    ).toBe("`userId` and its alias `user_id` have different values; pass one of them.");
  });

  it("refuses timeoutMs, flushTimeoutMs and flushIntervalMs beyond the longest timer", () => {
    for (const option of ["timeoutMs", "flushTimeoutMs", "flushIntervalMs"]) {
      expect(
        messageOf(
          () => new ObservabilityCallbackHandler({ exporters: [createMemoryExporter()], [option]: 2 ** 31 }),
        ),
      ).toBe(
        `\`${option}\` must be a number ${option === "flushTimeoutMs" ? "from 0" : "from 1"} to 2147483647, got 2147483648.`,
      );
    }
  });
});

describe("flush({ timeoutMs })", () => {
  it("reports a negative, NaN or too large deadline as a ConfigurationError and still flushes", async () => {
    const onError = vi.fn();
    const exporter = createMemoryExporter();
    const handler = new ObservabilityCallbackHandler({ exporters: [exporter], onError });
    const model = new FakeListChatModel({ responses: ["x"] });
    for (const timeoutMs of [-1, Number.NaN, 2 ** 31, "5" as unknown as number]) {
      await model.invoke("hi", { callbacks: [handler] });
      const result = await handler.flush({ timeoutMs });
      expect(result).toMatchObject({ ok: true, exported: 1, pending: 0 });
    }
    expect(
      onError.mock.calls.map(([error]) => [ConfigurationError.isInstance(error), error.message]),
    ).toEqual([
      [
        true,
        "`timeoutMs` of flush() must be a number from 0 to 2147483647, got -1; using flushTimeoutMs (10000).",
      ],
      [
        true,
        "`timeoutMs` of flush() must be a number from 0 to 2147483647, got NaN; using flushTimeoutMs (10000).",
      ],
      [
        true,
        "`timeoutMs` of flush() must be at most 2147483647 (the longest timer), got 2147483648; using 2147483647.",
      ],
      [
        true,
        "`timeoutMs` of flush() must be a number from 0 to 2147483647, got string; using flushTimeoutMs (10000).",
      ],
    ]);
  });

  it("takes Infinity as the longest timer, without a report and without firing at once", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    try {
      const onError = vi.fn();
      let release: () => void = () => {};
      const exporter = createMemoryExporter({
        onExport: () => new Promise<undefined>((resolve) => (release = () => resolve(undefined))),
      });
      const handler = new ObservabilityCallbackHandler({ exporters: [exporter], onError });
      handler.handleLLMStart({ lc: 1, type: "not_implemented", id: ["x"] }, ["p"], "run-1");
      handler.handleLLMEnd({ generations: [[{ text: "t" }]] }, "run-1");
      let settled = false;
      const flushing = handler.flush({ timeoutMs: Number.POSITIVE_INFINITY }).then((result) => {
        settled = true;
        return result;
      });
      // A day later the export is still awaited: the deadline did not overflow into "now".
      await vi.advanceTimersByTimeAsync(86_400_000);
      expect(settled).toBe(false);
      release();
      const result = await flushing;
      expect(result).toMatchObject({ ok: true, timedOut: false, exported: 1 });
      expect(onError).not.toHaveBeenCalled();
    } finally {
      vi.useRealTimers();
    }
  });
});
