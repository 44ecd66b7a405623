import { describe, expect, it } from "vitest";
import { toOtlpSpanId, toOtlpTraceId, toUnixNanos } from "./otlp-ids";

describe("OTLP ids", () => {
  it("uses a UUID trace id as the 32 hex characters of the OTLP trace id", () => {
    expect(toOtlpTraceId("1F0C4A2E-5B6D-4C7E-8F90-A1B2C3D4E5F6")).toBe("1f0c4a2e5b6d4c7e8f90a1b2c3d4e5f6");
  });

  it("folds a run id's two halves into a 16-hex span id, the same on every call", () => {
    const runId = "2a1b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
    // 2a1b3c4d ^ 8c9d0e1f = a6863252, 5e6f4a7b ^ 2a3b4c5d = 74540626
    expect(toOtlpSpanId(runId)).toBe("a686325274540626");
    expect(toOtlpSpanId(runId)).toBe(toOtlpSpanId(runId.toUpperCase()));
  });

  it("gives distinct span ids to UUID v7 run ids made in the same millisecond", () => {
    const ids = new Set<string>();
    for (let index = 0; index < 1000; index++) {
      const random = index.toString(16).padStart(12, "0");
      ids.add(toOtlpSpanId(`01890a5d-ac96-7000-8000-${random}`));
    }
    expect(ids.size).toBe(1000);
  });

  it("hashes an id that is not a UUID, and never gives the all-zero (invalid) id", () => {
    expect(toOtlpSpanId("run-1")).toMatch(/^[0-9a-f]{16}$/);
    expect(toOtlpSpanId("run-1")).not.toBe(toOtlpSpanId("run-2"));
    expect(toOtlpTraceId("trace-1")).toMatch(/^[0-9a-f]{32}$/);
    expect(toOtlpSpanId("00000000-0000-4000-8000-000000000000")).not.toBe("0000000000000000");
    expect(toOtlpSpanId("12345678-0000-0000-1234-567800000000")).toBe("0000000000000001");
    expect(toOtlpTraceId("00000000-0000-0000-0000-000000000000")).toBe("00000000000000000000000000000001");
  });

  it("turns epoch milliseconds (with fractions) into exact nanosecond strings", () => {
    expect(toUnixNanos(1767268800123)).toBe("1767268800123000000");
    expect(toUnixNanos(1767268800123.456)).toBe("1767268800123456000");
    expect(toUnixNanos(Number.NaN)).toBe("0");
  });
});
