import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { buildOtlpTraceRequest, createOtlpResource, OTLP_SCOPE } from "./build-otlp-trace-request";
import { encodeOtlpTraceRequestJson } from "./encode-otlp-json";
import { encodeOtlpTraceRequestProtobuf } from "./encode-otlp-protobuf";
import { mapRunSpanToOtlp } from "./map-span-to-otlp";
import { decodeWithOfficialProto } from "./official-otlp-proto.test-support";
import { chatSpan, plainAttributes, rootChainSpan, toolSpan } from "./otlp-test-records.test-support";
import type { OtlpKeyValue, OtlpSpan, OtlpTraceRequest } from "./otlp-types";

const require = createRequire(import.meta.url);
// The official OTLP/JSON serializer of OpenTelemetry JS (dev dependency), fed the same spans.
const { JsonTraceSerializer } = require("@opentelemetry/otlp-transformer") as {
  JsonTraceSerializer: { serializeRequest(spans: unknown[]): Uint8Array };
};

function sampleRequest(): OtlpTraceRequest {
  const spans = [rootChainSpan(), chatSpan(), toolSpan()].map((record) => mapRunSpanToOtlp(record));
  return buildOtlpTraceRequest(
    spans,
    createOtlpResource({
      serviceName: "checkout",
      resourceAttributes: { "deployment.environment.name": "test" },
    }),
  );
}

/** Our span as the `ReadableSpan` the OpenTelemetry SDK would hand its exporter. */
function toReadableSpan(span: OtlpSpan, resource: { attributes: Record<string, unknown> }) {
  return {
    name: span.name,
    kind: span.kind - 1, // the API's SpanKind has no UNSPECIFIED
    spanContext: () => ({ traceId: span.traceId, spanId: span.spanId, traceFlags: 1 }),
    parentSpanContext: span.parentSpanId
      ? { traceId: span.traceId, spanId: span.parentSpanId, traceFlags: 1, isRemote: false }
      : undefined,
    startTime: toHrTime(span.startTimeUnixNano),
    endTime: toHrTime(span.endTimeUnixNano),
    status: span.status,
    attributes: toSdkAttributes(span.attributes),
    links: [],
    events: span.events.map((event) => ({
      name: event.name,
      time: toHrTime(event.timeUnixNano),
      attributes: toSdkAttributes(event.attributes),
    })),
    resource,
    instrumentationScope: OTLP_SCOPE,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

function toHrTime(nanos: string): [number, number] {
  const value = BigInt(nanos);
  return [Number(value / 1_000_000_000n), Number(value % 1_000_000_000n)];
}

function toSdkAttributes(attributes: OtlpKeyValue[]): Record<string, unknown> {
  const plain = plainAttributes(attributes);
  return JSON.parse(
    JSON.stringify(plain, (_key, value) => (typeof value === "bigint" ? Number(value) : value)),
  );
}

/** Leaves out what the JSON mapping lets a sender omit (zero counts, no links) and reads int64 strings as numbers. */
function comparable(json: string): unknown {
  return JSON.parse(json, (key, value) => {
    if (/^dropped\w+Count$/.test(key) && value === 0) return undefined;
    if (key === "intValue" && typeof value === "string") return Number(value);
    if (key === "links" && Array.isArray(value) && value.length === 0) return undefined;
    return value;
  });
}

describe("encodeOtlpTraceRequestJson", () => {
  it("matches what OpenTelemetry JS's official OTLP/JSON serializer writes for the same spans", () => {
    const request = sampleRequest();
    const resource = request.resourceSpans[0]!.resource!;
    const spans = request.resourceSpans[0]!.scopeSpans[0]!.spans;
    const sdkResource = { attributes: toSdkAttributes(resource.attributes) };
    const official = new TextDecoder().decode(
      JsonTraceSerializer.serializeRequest(spans.map((span) => toReadableSpan(span, sdkResource))),
    );
    expect(comparable(encodeOtlpTraceRequestJson(request))).toEqual(comparable(official));
  });

  it("writes ids as hex, times as nanosecond strings, enums as numbers and int64 values as strings", () => {
    const json = JSON.parse(encodeOtlpTraceRequestJson(sampleRequest()));
    const span = json.resourceSpans[0].scopeSpans[0].spans[1];
    expect(span).toMatchObject({
      traceId: "1f0c4a2e5b6d4c7e8f90a1b2c3d4e5f6",
      spanId: expect.stringMatching(/^[0-9a-f]{16}$/),
      parentSpanId: expect.stringMatching(/^[0-9a-f]{16}$/),
      kind: 3,
      startTimeUnixNano: "1767268800010000000",
      endTimeUnixNano: "1767268800410500000",
      status: { code: 1 },
    });
    expect(span.attributes).toContainEqual({ key: "gen_ai.usage.input_tokens", value: { intValue: "21" } });
    expect(span.attributes).toContainEqual({
      key: "gen_ai.request.temperature",
      value: { doubleValue: 0.2 },
    });
    expect(span.attributes).toContainEqual({
      key: "tag.tags",
      value: { arrayValue: { values: [{ stringValue: "weather" }] } },
    });
  });

  it("carries exactly the message the protobuf encoding carries", () => {
    const request = sampleRequest();
    expect(JSON.parse(encodeOtlpTraceRequestJson(request))).toEqual(
      JSON.parse(JSON.stringify(decodeWithOfficialProto(encodeOtlpTraceRequestProtobuf(request)))),
    );
  });

  it("writes non-finite doubles as the strings proto3 JSON uses", () => {
    const request: OtlpTraceRequest = {
      resourceSpans: [
        {
          resource: {
            attributes: [
              { key: "nan", value: { doubleValue: Number.NaN } },
              { key: "inf", value: { doubleValue: Number.NEGATIVE_INFINITY } },
            ],
          },
          scopeSpans: [],
        },
      ],
    };
    expect(encodeOtlpTraceRequestJson(request)).toBe(
      '{"resourceSpans":[{"resource":{"attributes":[{"key":"nan","value":{"doubleValue":"NaN"}},{"key":"inf","value":{"doubleValue":"-Infinity"}}]},"scopeSpans":[]}]}',
    );
  });
});
