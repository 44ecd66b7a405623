import { describe, expect, it } from "vitest";
import { formatIsoTime } from "./format-iso-time";

describe("formatIsoTime", () => {
  it("writes what Date#toISOString writes, for edge times and a sweep of 1970–9999", () => {
    const times = [
      0, 1, 999, 1000, 59_999, 86_399_999, 86_400_000, 951_782_400_000, 951_868_799_999, 4_107_542_400_000,
      1_767_225_599_999, 253_402_300_799_999, 253_402_300_800_000, -1, -86_400_001, 1.5, 8.64e15,
    ];
    // A fixed pseudo-random sweep (no Math.random: the same times on every run).
    let seed = 12345;
    for (let index = 0; index < 20_000; index++) {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      times.push(Math.floor((seed / 2 ** 32) * 253_402_300_800_000));
    }
    const mismatches = times.filter((time) => formatIsoTime(time) !== new Date(time).toISOString());
    expect(mismatches).toEqual([]);
  });
});
