import type { OtlpTraceRequest } from "./otlp-types";

/**
 * Encodes an OTLP `ExportTraceServiceRequest` as OTLP/JSON (`application/json`): the request shape is
 * already the official JSON mapping (hex ids, nanosecond strings, integer enums, typed values);
 * non-finite doubles become `"NaN"` / `"Infinity"` / `"-Infinity"` as proto3 JSON says.
 */
export function encodeOtlpTraceRequestJson(request: OtlpTraceRequest): string {
  return JSON.stringify(request, replaceNonFiniteDouble);
}

function replaceNonFiniteDouble(key: string, value: unknown): unknown {
  return key === "doubleValue" && typeof value === "number" && !Number.isFinite(value)
    ? String(value)
    : value;
}
