import { describe, expect, it } from "vitest";
import { ObservabilityError } from "../errors/observability-error";
import { decodeOtlpTraceRequest } from "./decode-otlp-protobuf";
import { encodeOtlpTraceRequestProtobuf } from "./encode-otlp-protobuf";
import { decodeWithOfficialProto, encodeWithOfficialProto } from "./official-otlp-proto.test-support";
import type { OtlpSpan, OtlpTraceRequest } from "./otlp-types";

/** Every message and field of the trace request, each set to a value that is not its default. */
function fullRequest(): OtlpTraceRequest {
  return {
    resourceSpans: [
      {
        resource: {
          attributes: [
            { key: "service.name", value: { stringValue: "checkout" } },
            { key: "arthur.task", value: { stringValue: "4f7c9a1e-0000-4000-8000-000000000001" } },
          ],
          droppedAttributesCount: 2,
        },
        scopeSpans: [
          {
            scope: {
              name: "@langchain-observability/core",
              version: "1.2.3",
              attributes: [{ key: "scope.flag", value: { boolValue: true } }],
              droppedAttributesCount: 1,
            },
            spans: [
              {
                traceId: "0af7651916cd43dd8448eb211c80319c",
                spanId: "b7ad6b7169203331",
                traceState: "vendor=value",
                parentSpanId: "00f067aa0ba902b7",
                flags: 257,
                name: "chat gpt-4o-mini — ünïcödé 🚀",
                kind: 3,
                startTimeUnixNano: "1767225600123456789",
                endTimeUnixNano: "1767225601123456789",
                attributes: [
                  { key: "text", value: { stringValue: "hello" } },
                  { key: "empty", value: { stringValue: "" } },
                  { key: "yes", value: { boolValue: true } },
                  { key: "no", value: { boolValue: false } },
                  { key: "int", value: { intValue: "42" } },
                  { key: "zero", value: { intValue: "0" } },
                  { key: "negative", value: { intValue: "-7" } },
                  { key: "huge", value: { intValue: "9007199254740993" } },
                  { key: "min", value: { intValue: "-9223372036854775808" } },
                  { key: "double", value: { doubleValue: 0.25 } },
                  { key: "double.negative", value: { doubleValue: -1.5e-300 } },
                  {
                    key: "array",
                    value: {
                      arrayValue: { values: [{ stringValue: "a" }, { intValue: "2" }, { doubleValue: 2.5 }] },
                    },
                  },
                  { key: "array.empty", value: { arrayValue: { values: [] } } },
                  {
                    key: "kvlist",
                    value: {
                      kvlistValue: {
                        values: [
                          {
                            key: "nested",
                            value: { kvlistValue: { values: [{ key: "x", value: { boolValue: true } }] } },
                          },
                        ],
                      },
                    },
                  },
                  { key: "bytes", value: { bytesValue: "AAECA/8=" } },
                  { key: "unset", value: {} },
                ],
                droppedAttributesCount: 3,
                events: [
                  {
                    timeUnixNano: "1767225600500000000",
                    name: "first-token",
                    attributes: [{ key: "token", value: { stringValue: "Hel" } }],
                    droppedAttributesCount: 4,
                  },
                ],
                droppedEventsCount: 5,
                links: [
                  {
                    traceId: "11111111111111111111111111111111",
                    spanId: "2222222222222222",
                    traceState: "k=v",
                    attributes: [{ key: "link.reason", value: { stringValue: "retry of" } }],
                    droppedAttributesCount: 6,
                    flags: 256,
                  },
                ],
                droppedLinksCount: 7,
                status: { message: "RateLimitError: slow down", code: 2 },
              },
            ],
            schemaUrl: "https://opentelemetry.io/schemas/1.30.0",
          },
        ],
        schemaUrl: "https://opentelemetry.io/schemas/1.29.0",
      },
    ],
  };
}

function span(overrides: Partial<OtlpSpan> = {}): OtlpSpan {
  return {
    traceId: "0af7651916cd43dd8448eb211c80319c",
    spanId: "b7ad6b7169203331",
    name: "RunnableSequence",
    kind: 1,
    startTimeUnixNano: "1767225600000000000",
    endTimeUnixNano: "1767225600250000000",
    attributes: [],
    events: [],
    status: { code: 1 },
    ...overrides,
  };
}

describe("encodeOtlpTraceRequestProtobuf", () => {
  it("writes every field so that the official opentelemetry-proto definitions decode it unchanged", () => {
    const request = fullRequest();
    expect(decodeWithOfficialProto(encodeOtlpTraceRequestProtobuf(request))).toEqual(request);
  });

  it("writes the same bytes as the official protobuf encoding (canonical field order, minimal varints)", () => {
    const request = fullRequest();
    const ours = encodeOtlpTraceRequestProtobuf(request);
    expect(Buffer.from(ours).toString("hex")).toBe(
      Buffer.from(encodeWithOfficialProto(request)).toString("hex"),
    );
  });

  it("round-trips through its own decoder, and decodes what the official encoder writes", () => {
    const request = fullRequest();
    expect(decodeOtlpTraceRequest(encodeOtlpTraceRequestProtobuf(request))).toEqual(request);
    expect(decodeOtlpTraceRequest(encodeWithOfficialProto(request))).toEqual(request);
  });

  it("handles messages longer than one-byte lengths and a buffer that has to grow many times", () => {
    const longText = "ö".repeat(40_000); // 80,000 UTF-8 bytes: a 3-byte length prefix
    const spans = Array.from({ length: 300 }, (_, index) =>
      span({
        spanId: index.toString(16).padStart(16, "0").replace(/^0/, "1"),
        attributes: [
          { key: "index", value: { intValue: String(index) } },
          { key: "text", value: { stringValue: index === 150 ? longText : `span ${index} ✓` } },
        ],
      }),
    );
    const request: OtlpTraceRequest = {
      resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: "s" }, spans }] }],
    };
    const bytes = encodeOtlpTraceRequestProtobuf(request);
    expect(bytes.length).toBeGreaterThan(90_000);
    const decoded = decodeWithOfficialProto(bytes);
    expect(decoded.resourceSpans[0]!.scopeSpans[0]!.spans).toHaveLength(300);
    expect(decoded).toEqual({
      resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: "s" }, spans }] }],
    });
  });

  it("writes a lone UTF-16 surrogate as U+FFFD with the byte length it announced", () => {
    const request: OtlpTraceRequest = {
      resourceSpans: [{ scopeSpans: [{ spans: [span({ name: "broken \ud800 pair" })] }] }],
    };
    const decoded = decodeWithOfficialProto(encodeOtlpTraceRequestProtobuf(request));
    expect(decoded.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.name).toBe("broken \ufffd pair");
  });

  it("refuses an id that is not hex of the right length, with an ObservabilityError", () => {
    const request: OtlpTraceRequest = {
      resourceSpans: [{ scopeSpans: [{ spans: [span({ spanId: "not-an-id" })] }] }],
    };
    let caught: unknown;
    try {
      encodeOtlpTraceRequestProtobuf(request);
    } catch (error) {
      caught = error;
    }
    expect(ObservabilityError.isInstance(caught)).toBe(true);
    expect((caught as Error).message).toBe('OTLP spanId must be 16 hex characters, got "not-an-id"');
  });

  it("encodes an empty request as zero bytes", () => {
    expect(encodeOtlpTraceRequestProtobuf({ resourceSpans: [] })).toEqual(new Uint8Array());
  });
});
