import { describe, expect, it } from "vitest";
import { ObservabilityError } from "../errors/observability-error";
import { decodeOtlpTraceRequest } from "./decode-otlp-protobuf";
import { encodeOtlpTraceRequestProtobuf } from "./encode-otlp-protobuf";
import type { OtlpTraceRequest } from "./otlp-types";

const request: OtlpTraceRequest = {
  resourceSpans: [
    {
      resource: { attributes: [{ key: "service.name", value: { stringValue: "app" } }] },
      scopeSpans: [
        {
          scope: { name: "scope" },
          spans: [
            {
              traceId: "0af7651916cd43dd8448eb211c80319c",
              spanId: "b7ad6b7169203331",
              name: "root",
              kind: 1,
              startTimeUnixNano: "1",
              endTimeUnixNano: "2",
              attributes: [],
              events: [],
              status: { code: 1 },
            },
          ],
        },
      ],
    },
  ],
};

function decodeError(bytes: Uint8Array): unknown {
  try {
    decodeOtlpTraceRequest(bytes);
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("decodeOtlpTraceRequest", () => {
  it("skips fields it does not know (a newer OTLP version), of every wire type", () => {
    const known = encodeOtlpTraceRequestProtobuf(request);
    // field 99 varint 5, field 98 fixed64, field 97 bytes "ab", field 96 fixed32
    const unknown = [
      0x98, 0x06, 0x05, 0x91, 0x06, 1, 2, 3, 4, 5, 6, 7, 8, 0x8a, 0x06, 0x02, 0x61, 0x62, 0x85, 0x06, 1, 2, 3,
      4,
    ];
    expect(decodeOtlpTraceRequest(new Uint8Array([...unknown, ...known]))).toEqual(request);
  });

  it("throws an ObservabilityError on a truncated body", () => {
    const bytes = encodeOtlpTraceRequestProtobuf(request);
    const error = decodeError(bytes.subarray(0, bytes.length - 3));
    expect(ObservabilityError.isInstance(error)).toBe(true);
    expect((error as Error).message).toBe("Invalid OTLP protobuf: truncated message");
  });

  it("throws on bytes that are not protobuf (JSON text sent as protobuf)", () => {
    const error = decodeError(new TextEncoder().encode('{"resourceSpans":[]}'));
    expect(ObservabilityError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/^Invalid OTLP protobuf: /);
  });

  it("throws when a known field has the wrong wire type", () => {
    // field 1 (resource_spans) as a varint
    expect((decodeError(new Uint8Array([0x08, 0x01])) as Error).message).toBe(
      "Invalid OTLP protobuf: resource_spans has wire type 0, not 2",
    );
  });

  it("decodes an empty body as a request without spans", () => {
    expect(decodeOtlpTraceRequest(new Uint8Array())).toEqual({ resourceSpans: [] });
  });
});
