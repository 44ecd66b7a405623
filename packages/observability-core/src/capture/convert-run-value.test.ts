import { Document } from "@langchain/core/documents";
import { AIMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";
import { ChatPromptValue, StringPromptValue } from "@langchain/core/prompt_values";
import { describe, expect, it } from "vitest";
import { coerceToObject, convertDocuments, convertRunValue, parseToolInput } from "./convert-run-value";

const convert = (value: unknown, maxChars = 1000) => convertRunValue(value, maxChars, { chars: 0 });

describe("convertRunValue", () => {
  it("role-maps LangChain messages wherever they sit, and leaves other values as JSON", () => {
    const state = {
      messages: [
        new HumanMessage("What is 1 + 2?"),
        new AIMessage({ content: "", tool_calls: [{ id: "call_1", name: "add", args: { a: 1, b: 2 } }] }),
        new ToolMessage({ content: "3", tool_call_id: "call_1", name: "add" }),
      ],
      step: 2,
      when: new Date(0),
    };
    expect(convert(state)).toEqual({
      messages: [
        { role: "user", content: "What is 1 + 2?" },
        { role: "assistant", content: "", toolCalls: [{ id: "call_1", name: "add", args: { a: 1, b: 2 } }] },
        { role: "tool", content: "3", name: "add", toolCallId: "call_1" },
      ],
      step: 2,
      when: "1970-01-01T00:00:00.000Z",
    });
    // The input itself is never modified.
    expect(state.messages[0]).toBeInstanceOf(HumanMessage);
  });

  it("turns prompt values into their messages or text, and documents into page content and metadata", () => {
    expect(convert(new ChatPromptValue([new HumanMessage("hi")]))).toEqual({
      messages: [{ role: "user", content: "hi" }],
    });
    expect(convert({ prompt: new StringPromptValue("Tell me a joke") })).toEqual({
      prompt: "Tell me a joke",
    });
    expect(
      convert([new Document({ pageContent: "Paris", metadata: { source: "a.txt" }, id: "d1" })]),
    ).toEqual([{ pageContent: "Paris", metadata: { source: "a.txt" }, id: "d1" }]);
  });

  it("truncates long strings, survives cycles, BigInt and throwing getters", () => {
    const cyclic: Record<string, unknown> = { count: 10n, text: "short" };
    cyclic.self = cyclic;
    Object.defineProperty(cyclic, "broken", {
      enumerable: true,
      get() {
        throw new Error("no");
      },
    });
    expect(convert(cyclic, 1000)).toEqual({
      count: "10",
      text: "short",
      self: "[Circular]",
      broken: "[Unserializable]",
    });
    // Past the field limit the text is cut, and so is the rest of the object (core's field limits).
    expect(convert({ text: "x".repeat(200), after: 1 }, 64)).toEqual({
      text: `${"x".repeat(52)}…[truncated]`,
      "…": "[1 more keys]",
    });
  });
});

describe("convertDocuments", () => {
  it("keeps metadata, cuts page content, and tolerates non-documents", () => {
    const size = { chars: 0 };
    expect(
      convertDocuments(
        [
          new Document({ pageContent: "y".repeat(100), metadata: { page: 3, nested: { ok: true } } }),
          "loose text",
        ],
        64,
        size,
      ),
    ).toEqual([
      { pageContent: `${"y".repeat(52)}…[truncated]`, metadata: { page: 3, nested: { ok: true } } },
      { pageContent: "loose text", metadata: {} },
    ]);
    expect(size.chars).toBeGreaterThan(64);
    expect(convertDocuments(undefined, 64, size)).toEqual([]);
  });
});

describe("coerceToObject and parseToolInput", () => {
  it("wraps lone values as LangChain does on invoke(), and parses JSON tool input only", () => {
    expect(coerceToObject("Paris.", "output")).toEqual({ output: "Paris." });
    expect(coerceToObject([1], "input")).toEqual({ input: [1] });
    expect(coerceToObject({ value: 1 }, "output")).toEqual({ value: 1 });
    expect(parseToolInput('{"a":1}')).toEqual({ a: 1 });
    expect(parseToolInput("[1, 2]")).toEqual([1, 2]);
    expect(parseToolInput("{not json")).toBe("{not json");
    expect(parseToolInput("plain")).toBe("plain");
  });
});
