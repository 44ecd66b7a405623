import { ObservabilityError } from "../errors/observability-error";
import type {
  OtlpAnyValue,
  OtlpInstrumentationScope,
  OtlpKeyValue,
  OtlpResource,
  OtlpSpan,
  OtlpSpanEvent,
  OtlpSpanLink,
  OtlpTraceRequest,
} from "./otlp-types";
import { ProtobufWriter, WireType } from "./protobuf-wire";

// Field numbers of opentelemetry-proto v1 (collector/trace/v1, trace/v1, common/v1, resource/v1).

/**
 * Encodes an OTLP `ExportTraceServiceRequest` as protobuf (`application/x-protobuf`), without a
 * protobuf runtime. Ids are written as raw bytes (16 and 8), times as `fixed64` nanoseconds.
 */
export function encodeOtlpTraceRequestProtobuf(request: OtlpTraceRequest): Uint8Array<ArrayBuffer> {
  const writer = new ProtobufWriter();
  for (const resourceSpans of request.resourceSpans) {
    writer.fork(1);
    if (resourceSpans.resource) writeResource(writer, 1, resourceSpans.resource);
    for (const scopeSpans of resourceSpans.scopeSpans) {
      writer.fork(2);
      if (scopeSpans.scope) writeScope(writer, 1, scopeSpans.scope);
      for (const span of scopeSpans.spans) writeSpan(writer, 2, span);
      writeString(writer, 3, scopeSpans.schemaUrl);
      writer.join();
    }
    writeString(writer, 3, resourceSpans.schemaUrl);
    writer.join();
  }
  return writer.finish();
}

function writeResource(writer: ProtobufWriter, field: number, resource: OtlpResource): void {
  writer.fork(field);
  writeAttributes(writer, 1, resource.attributes);
  writeUint32(writer, 2, resource.droppedAttributesCount);
  writer.join();
}

function writeScope(writer: ProtobufWriter, field: number, scope: OtlpInstrumentationScope): void {
  writer.fork(field);
  writeString(writer, 1, scope.name);
  writeString(writer, 2, scope.version);
  if (scope.attributes) writeAttributes(writer, 3, scope.attributes);
  writeUint32(writer, 4, scope.droppedAttributesCount);
  writer.join();
}

function writeSpan(writer: ProtobufWriter, field: number, span: OtlpSpan): void {
  writer.fork(field);
  writeId(writer, 1, span.traceId, 16, "traceId");
  writeId(writer, 2, span.spanId, 8, "spanId");
  writeString(writer, 3, span.traceState);
  if (span.parentSpanId) writeId(writer, 4, span.parentSpanId, 8, "parentSpanId");
  writeString(writer, 5, span.name);
  if (span.kind) {
    writer.tag(6, WireType.VARINT);
    writer.varint(span.kind);
  }
  writeNanos(writer, 7, span.startTimeUnixNano);
  writeNanos(writer, 8, span.endTimeUnixNano);
  writeAttributes(writer, 9, span.attributes);
  writeUint32(writer, 10, span.droppedAttributesCount);
  for (const event of span.events) writeEvent(writer, 11, event);
  writeUint32(writer, 12, span.droppedEventsCount);
  for (const link of span.links ?? []) writeLink(writer, 13, link);
  writeUint32(writer, 14, span.droppedLinksCount);
  if (span.status) {
    writer.fork(15);
    writeString(writer, 2, span.status.message);
    if (span.status.code) {
      writer.tag(3, WireType.VARINT);
      writer.varint(span.status.code);
    }
    writer.join();
  }
  if (span.flags) {
    writer.tag(16, WireType.FIXED32);
    writer.fixed32(span.flags);
  }
  writer.join();
}

function writeEvent(writer: ProtobufWriter, field: number, event: OtlpSpanEvent): void {
  writer.fork(field);
  writeNanos(writer, 1, event.timeUnixNano);
  writeString(writer, 2, event.name);
  writeAttributes(writer, 3, event.attributes);
  writeUint32(writer, 4, event.droppedAttributesCount);
  writer.join();
}

function writeLink(writer: ProtobufWriter, field: number, link: OtlpSpanLink): void {
  writer.fork(field);
  writeId(writer, 1, link.traceId, 16, "link traceId");
  writeId(writer, 2, link.spanId, 8, "link spanId");
  writeString(writer, 3, link.traceState);
  writeAttributes(writer, 4, link.attributes);
  writeUint32(writer, 5, link.droppedAttributesCount);
  if (link.flags) {
    writer.tag(6, WireType.FIXED32);
    writer.fixed32(link.flags);
  }
  writer.join();
}

function writeAttributes(writer: ProtobufWriter, field: number, attributes: OtlpKeyValue[]): void {
  for (const attribute of attributes) writeKeyValue(writer, field, attribute);
}

function writeKeyValue(writer: ProtobufWriter, field: number, attribute: OtlpKeyValue): void {
  writer.fork(field);
  writer.tag(1, WireType.LENGTH_DELIMITED);
  writer.string(attribute.key);
  writeAnyValue(writer, 2, attribute.value);
  writer.join();
}

function writeAnyValue(writer: ProtobufWriter, field: number, value: OtlpAnyValue): void {
  writer.fork(field);
  // A oneof: the field is written even when it holds its type's default ("", 0, false).
  if ("stringValue" in value) {
    writer.tag(1, WireType.LENGTH_DELIMITED);
    writer.string(value.stringValue);
  } else if ("boolValue" in value) {
    writer.tag(2, WireType.VARINT);
    writer.varint(value.boolValue ? 1 : 0);
  } else if ("intValue" in value) {
    writer.tag(3, WireType.VARINT);
    writer.int64(BigInt(value.intValue));
  } else if ("doubleValue" in value) {
    writer.tag(4, WireType.FIXED64);
    writer.double(value.doubleValue);
  } else if ("arrayValue" in value) {
    writer.fork(5);
    for (const item of value.arrayValue.values) writeAnyValue(writer, 1, item);
    writer.join();
  } else if ("kvlistValue" in value) {
    writer.fork(6);
    for (const item of value.kvlistValue.values) writeKeyValue(writer, 1, item);
    writer.join();
  } else if ("bytesValue" in value) {
    writer.tag(7, WireType.LENGTH_DELIMITED);
    writer.bytes(base64ToBytes(value.bytesValue));
  }
  writer.join();
}

function writeString(writer: ProtobufWriter, field: number, value: string | undefined): void {
  if (!value) return;
  writer.tag(field, WireType.LENGTH_DELIMITED);
  writer.string(value);
}

function writeUint32(writer: ProtobufWriter, field: number, value: number | undefined): void {
  if (!value) return;
  writer.tag(field, WireType.VARINT);
  writer.varint(value);
}

function writeNanos(writer: ProtobufWriter, field: number, nanos: string): void {
  writer.tag(field, WireType.FIXED64);
  writer.fixed64(BigInt(nanos));
}

const HEX_ID = /^[0-9a-f]*$/i;

function writeId(writer: ProtobufWriter, field: number, hex: string, bytes: number, name: string): void {
  if (hex.length !== bytes * 2 || !HEX_ID.test(hex)) {
    throw new ObservabilityError({
      message: `OTLP ${name} must be ${bytes * 2} hex characters, got ${JSON.stringify(hex)}`,
    });
  }
  writer.tag(field, WireType.LENGTH_DELIMITED);
  writer.bytes(hexToBytes(hex));
}

export function hexToBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let index = 0; index < bytes.length; index++) {
    bytes[index] = Number.parseInt(hex.slice(index * 2, index * 2 + 2), 16);
  }
  return bytes;
}

function base64ToBytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  return bytes;
}
