import type {
  OtlpAnyValue,
  OtlpInstrumentationScope,
  OtlpKeyValue,
  OtlpResource,
  OtlpResourceSpans,
  OtlpScopeSpans,
  OtlpSpan,
  OtlpSpanEvent,
  OtlpSpanKind,
  OtlpSpanLink,
  OtlpStatus,
  OtlpStatusCode,
  OtlpTraceRequest,
} from "./otlp-types";
import { ProtobufReader, WireType } from "./protobuf-wire";

const { VARINT, FIXED64, LENGTH_DELIMITED, FIXED32 } = WireType;

/**
 * Decodes a protobuf OTLP `ExportTraceServiceRequest` into the OTLP/JSON shape (hex ids, nanosecond
 * strings). For emulators and tests: it runs without a protobuf runtime. Unknown fields are skipped;
 * a malformed body throws an `ObservabilityError` ("Invalid OTLP protobuf: …").
 */
export function decodeOtlpTraceRequest(body: Uint8Array): OtlpTraceRequest {
  const reader = new ProtobufReader(body);
  const request: OtlpTraceRequest = { resourceSpans: [] };
  while (!reader.done) {
    const { field, wireType } = reader.tag();
    if (field === 1) {
      reader.expect(LENGTH_DELIMITED, wireType, "resource_spans");
      request.resourceSpans.push(readResourceSpans(reader.nested()));
    } else reader.skip(wireType);
  }
  return request;
}

function readResourceSpans(reader: ProtobufReader): OtlpResourceSpans {
  const result: OtlpResourceSpans = { scopeSpans: [] };
  while (!reader.done) {
    const { field, wireType } = reader.tag();
    if (field === 1 && wireType === LENGTH_DELIMITED) result.resource = readResource(reader.nested());
    else if (field === 2 && wireType === LENGTH_DELIMITED)
      result.scopeSpans.push(readScopeSpans(reader.nested()));
    else if (field === 3 && wireType === LENGTH_DELIMITED) result.schemaUrl = reader.string();
    else reader.skip(wireType);
  }
  return result;
}

function readResource(reader: ProtobufReader): OtlpResource {
  const result: OtlpResource = { attributes: [] };
  while (!reader.done) {
    const { field, wireType } = reader.tag();
    if (field === 1 && wireType === LENGTH_DELIMITED) result.attributes.push(readKeyValue(reader.nested()));
    else if (field === 2 && wireType === VARINT) result.droppedAttributesCount = reader.varint();
    else reader.skip(wireType);
  }
  return result;
}

function readScopeSpans(reader: ProtobufReader): OtlpScopeSpans {
  const result: OtlpScopeSpans = { spans: [] };
  while (!reader.done) {
    const { field, wireType } = reader.tag();
    if (field === 1 && wireType === LENGTH_DELIMITED) result.scope = readScope(reader.nested());
    else if (field === 2 && wireType === LENGTH_DELIMITED) result.spans.push(readSpan(reader.nested()));
    else if (field === 3 && wireType === LENGTH_DELIMITED) result.schemaUrl = reader.string();
    else reader.skip(wireType);
  }
  return result;
}

function readScope(reader: ProtobufReader): OtlpInstrumentationScope {
  const result: OtlpInstrumentationScope = { name: "" };
  while (!reader.done) {
    const { field, wireType } = reader.tag();
    if (field === 1 && wireType === LENGTH_DELIMITED) result.name = reader.string();
    else if (field === 2 && wireType === LENGTH_DELIMITED) result.version = reader.string();
    else if (field === 3 && wireType === LENGTH_DELIMITED) {
      result.attributes ??= [];
      result.attributes.push(readKeyValue(reader.nested()));
    } else if (field === 4 && wireType === VARINT) result.droppedAttributesCount = reader.varint();
    else reader.skip(wireType);
  }
  return result;
}

function readSpan(reader: ProtobufReader): OtlpSpan {
  const span: OtlpSpan = {
    traceId: "",
    spanId: "",
    name: "",
    kind: 0,
    startTimeUnixNano: "0",
    endTimeUnixNano: "0",
    attributes: [],
    events: [],
  };
  while (!reader.done) {
    const { field, wireType } = reader.tag();
    switch (field) {
      case 1:
        reader.expect(LENGTH_DELIMITED, wireType, "trace_id");
        span.traceId = bytesToHex(reader.bytesField());
        break;
      case 2:
        reader.expect(LENGTH_DELIMITED, wireType, "span_id");
        span.spanId = bytesToHex(reader.bytesField());
        break;
      case 3:
        reader.expect(LENGTH_DELIMITED, wireType, "trace_state");
        span.traceState = reader.string();
        break;
      case 4: {
        reader.expect(LENGTH_DELIMITED, wireType, "parent_span_id");
        const parent = reader.bytesField();
        if (parent.length > 0) span.parentSpanId = bytesToHex(parent);
        break;
      }
      case 5:
        reader.expect(LENGTH_DELIMITED, wireType, "name");
        span.name = reader.string();
        break;
      case 6:
        reader.expect(VARINT, wireType, "kind");
        span.kind = reader.varint() as OtlpSpanKind;
        break;
      case 7:
        reader.expect(FIXED64, wireType, "start_time_unix_nano");
        span.startTimeUnixNano = reader.fixed64().toString();
        break;
      case 8:
        reader.expect(FIXED64, wireType, "end_time_unix_nano");
        span.endTimeUnixNano = reader.fixed64().toString();
        break;
      case 9:
        reader.expect(LENGTH_DELIMITED, wireType, "attributes");
        span.attributes.push(readKeyValue(reader.nested()));
        break;
      case 10:
        reader.expect(VARINT, wireType, "dropped_attributes_count");
        span.droppedAttributesCount = reader.varint();
        break;
      case 11:
        reader.expect(LENGTH_DELIMITED, wireType, "events");
        span.events.push(readEvent(reader.nested()));
        break;
      case 12:
        reader.expect(VARINT, wireType, "dropped_events_count");
        span.droppedEventsCount = reader.varint();
        break;
      case 13:
        reader.expect(LENGTH_DELIMITED, wireType, "links");
        span.links ??= [];
        span.links.push(readLink(reader.nested()));
        break;
      case 14:
        reader.expect(VARINT, wireType, "dropped_links_count");
        span.droppedLinksCount = reader.varint();
        break;
      case 15:
        reader.expect(LENGTH_DELIMITED, wireType, "status");
        span.status = readStatus(reader.nested());
        break;
      default:
        if (field === 16 && wireType === FIXED32) span.flags = reader.fixed32();
        else reader.skip(wireType);
    }
  }
  return span;
}

function readEvent(reader: ProtobufReader): OtlpSpanEvent {
  const event: OtlpSpanEvent = { timeUnixNano: "0", name: "", attributes: [] };
  while (!reader.done) {
    const { field, wireType } = reader.tag();
    if (field === 1 && wireType === FIXED64) event.timeUnixNano = reader.fixed64().toString();
    else if (field === 2 && wireType === LENGTH_DELIMITED) event.name = reader.string();
    else if (field === 3 && wireType === LENGTH_DELIMITED)
      event.attributes.push(readKeyValue(reader.nested()));
    else if (field === 4 && wireType === VARINT) event.droppedAttributesCount = reader.varint();
    else reader.skip(wireType);
  }
  return event;
}

function readLink(reader: ProtobufReader): OtlpSpanLink {
  const link: OtlpSpanLink = { traceId: "", spanId: "", attributes: [] };
  while (!reader.done) {
    const { field, wireType } = reader.tag();
    if (field === 1 && wireType === LENGTH_DELIMITED) link.traceId = bytesToHex(reader.bytesField());
    else if (field === 2 && wireType === LENGTH_DELIMITED) link.spanId = bytesToHex(reader.bytesField());
    else if (field === 3 && wireType === LENGTH_DELIMITED) link.traceState = reader.string();
    else if (field === 4 && wireType === LENGTH_DELIMITED)
      link.attributes.push(readKeyValue(reader.nested()));
    else if (field === 5 && wireType === VARINT) link.droppedAttributesCount = reader.varint();
    else if (field === 6 && wireType === FIXED32) link.flags = reader.fixed32();
    else reader.skip(wireType);
  }
  return link;
}

function readStatus(reader: ProtobufReader): OtlpStatus {
  const status: OtlpStatus = { code: 0 };
  while (!reader.done) {
    const { field, wireType } = reader.tag();
    if (field === 2 && wireType === LENGTH_DELIMITED) status.message = reader.string();
    else if (field === 3 && wireType === VARINT) status.code = reader.varint() as OtlpStatusCode;
    else reader.skip(wireType);
  }
  return status;
}

function readKeyValue(reader: ProtobufReader): OtlpKeyValue {
  const result: OtlpKeyValue = { key: "", value: {} };
  while (!reader.done) {
    const { field, wireType } = reader.tag();
    if (field === 1 && wireType === LENGTH_DELIMITED) result.key = reader.string();
    else if (field === 2 && wireType === LENGTH_DELIMITED) result.value = readAnyValue(reader.nested());
    else reader.skip(wireType);
  }
  return result;
}

function readAnyValue(reader: ProtobufReader): OtlpAnyValue {
  let value: OtlpAnyValue = {};
  while (!reader.done) {
    const { field, wireType } = reader.tag();
    if (field === 1 && wireType === LENGTH_DELIMITED) value = { stringValue: reader.string() };
    else if (field === 2 && wireType === VARINT) value = { boolValue: reader.varint64() !== 0n };
    else if (field === 3 && wireType === VARINT)
      value = { intValue: BigInt.asIntN(64, reader.varint64()).toString() };
    else if (field === 4 && wireType === FIXED64) value = { doubleValue: reader.double() };
    else if (field === 5 && wireType === LENGTH_DELIMITED)
      value = { arrayValue: { values: readValues(reader.nested()) } };
    else if (field === 6 && wireType === LENGTH_DELIMITED)
      value = { kvlistValue: { values: readKeyValues(reader.nested()) } };
    else if (field === 7 && wireType === LENGTH_DELIMITED)
      value = { bytesValue: bytesToBase64(reader.bytesField()) };
    else reader.skip(wireType);
  }
  return value;
}

function readValues(reader: ProtobufReader): OtlpAnyValue[] {
  const values: OtlpAnyValue[] = [];
  while (!reader.done) {
    const { field, wireType } = reader.tag();
    if (field === 1 && wireType === LENGTH_DELIMITED) values.push(readAnyValue(reader.nested()));
    else reader.skip(wireType);
  }
  return values;
}

function readKeyValues(reader: ProtobufReader): OtlpKeyValue[] {
  const values: OtlpKeyValue[] = [];
  while (!reader.done) {
    const { field, wireType } = reader.tag();
    if (field === 1 && wireType === LENGTH_DELIMITED) values.push(readKeyValue(reader.nested()));
    else reader.skip(wireType);
  }
  return values;
}

function bytesToHex(bytes: Uint8Array): string {
  let hex = "";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
