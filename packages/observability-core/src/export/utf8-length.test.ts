import { describe, expect, test } from "vitest";
import { utf8Length } from "../index";
import { utf8LengthByLoop } from "./utf8-length";

describe("utf8Length", () => {
  test("counts the UTF-8 bytes TextEncoder writes, natively and by the loop of runtimes without Buffer", () => {
    const texts = [
      "",
      "plain ascii",
      "é",
      "€ 1,000",
      "😀 emoji",
      "mixed 日本語 and 😀😀",
      "lone \ud800 high",
      "lone \udc00 low",
      "ends with a lone high \ud800",
    ];
    const encoder = new TextEncoder();
    for (const text of texts) {
      const expected = encoder.encode(text).length;
      expect([text, utf8Length(text), utf8LengthByLoop(text)]).toEqual([text, expected, expected]);
    }
  });
});
