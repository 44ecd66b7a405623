import { describe, expect, it } from "vitest";
import { contentText, normalizeMessage } from "./normalize-message";
import { toJsonSafe, truncateText } from "./to-json-safe";

describe("normalizeMessage", () => {
  it.each([
    [
      { type: "human", content: "hi" },
      { role: "user", content: "hi" },
    ],
    [
      { type: "ai", content: "yo" },
      { role: "assistant", content: "yo" },
    ],
    [
      { type: "system", content: "s" },
      { role: "system", content: "s" },
    ],
    [
      { type: "system", content: "d", additional_kwargs: { __openai_role__: "developer" } },
      { role: "system", content: "d" },
    ],
    [
      { type: "tool", content: "r", tool_call_id: "c1" },
      { role: "tool", content: "r", toolCallId: "c1" },
    ],
    [
      { type: "function", content: "42", name: "calc" },
      { role: "function", content: "42", name: "calc" },
    ],
    [
      { type: "generic", role: "critic", content: "c" },
      { role: "critic", content: "c" },
    ],
    [
      { type: "mystery", content: "m" },
      { role: "mystery", content: "m" },
    ],
    [
      { type: "ai", content: "", additional_kwargs: { function_call: { name: "f", arguments: '{"a":1}' } } },
      { role: "assistant", content: "", functionCall: { name: "f", arguments: '{"a":1}' } },
    ],
    [
      { type: "human", content: 12 },
      { role: "user", content: "12" },
    ],
    [
      { type: "human", content: null },
      { role: "user", content: "" },
    ],
  ])("%j", (message, expected) => {
    expect(normalizeMessage(message, 1000)).toEqual(expected);
  });

  it("never throws on non-objects", () => {
    expect(normalizeMessage(undefined, 10)).toEqual({ role: "user", content: "" });
    expect(normalizeMessage("plain", 10)).toEqual({ role: "user", content: "plain" });
  });
});

describe("contentText", () => {
  it("joins text parts and keeps the parts only when something besides text is there", () => {
    expect(contentText([{ type: "text", text: "a" }, "b"], 100)).toEqual({ text: "ab" });
    expect(
      contentText(
        [
          { type: "text", text: "a" },
          { type: "image", url: "u" },
        ],
        100,
      ),
    ).toEqual({
      text: "a",
      parts: [
        { type: "text", text: "a" },
        { type: "image", url: "u" },
      ],
    });
  });
});

describe("toJsonSafe and truncateText", () => {
  it("copes with what JSON.stringify cannot", () => {
    const shared = { n: 1 };
    const value: Record<string, unknown> = {
      big: 2n,
      when: new Date(0),
      error: new RangeError("bad"),
      fn: () => 1,
      nan: Number.NaN,
      list: [undefined, shared, shared],
    };
    value.self = value;
    expect(toJsonSafe(value, 1000)).toEqual({
      big: "2",
      when: "1970-01-01T00:00:00.000Z",
      error: { name: "RangeError", message: "bad" },
      nan: "NaN",
      list: [null, { n: 1 }, { n: 1 }],
      self: "[Circular]",
    });
  });

  it("cuts long text to exactly maxChars, ending with the marker", () => {
    const cut = truncateText("a".repeat(100), 20);
    expect(cut).toHaveLength(20);
    expect(cut).toBe("aaaaaaaa…[truncated]");
    expect(truncateText("short", 20)).toBe("short");
  });
});
