/**
 * The OTLP trace export request, in the shape of the official OTLP/JSON mapping: ids as lowercase
 * hex, times as decimal nanosecond strings, 64-bit integers as decimal strings, enums as numbers,
 * bytes as base64. The protobuf encoder and decoder use the same shape, so a request decodes to
 * exactly what the JSON encoding sends.
 */
export interface OtlpTraceRequest {
  resourceSpans: OtlpResourceSpans[];
}

export interface OtlpResourceSpans {
  resource?: OtlpResource;
  scopeSpans: OtlpScopeSpans[];
  schemaUrl?: string;
}

export interface OtlpResource {
  attributes: OtlpKeyValue[];
  droppedAttributesCount?: number;
}

export interface OtlpScopeSpans {
  scope?: OtlpInstrumentationScope;
  spans: OtlpSpan[];
  schemaUrl?: string;
}

export interface OtlpInstrumentationScope {
  name: string;
  version?: string;
  attributes?: OtlpKeyValue[];
  droppedAttributesCount?: number;
}

/** `Span.SpanKind` of opentelemetry-proto. */
export const OtlpSpanKind = {
  UNSPECIFIED: 0,
  INTERNAL: 1,
  SERVER: 2,
  CLIENT: 3,
  PRODUCER: 4,
  CONSUMER: 5,
} as const;
export type OtlpSpanKind = (typeof OtlpSpanKind)[keyof typeof OtlpSpanKind];

/** `Status.StatusCode` of opentelemetry-proto. */
export const OtlpStatusCode = { UNSET: 0, OK: 1, ERROR: 2 } as const;
export type OtlpStatusCode = (typeof OtlpStatusCode)[keyof typeof OtlpStatusCode];

export interface OtlpSpan {
  /** 32 lowercase hex characters (16 bytes). */
  traceId: string;
  /** 16 lowercase hex characters (8 bytes). */
  spanId: string;
  traceState?: string;
  /** 16 lowercase hex characters; absent for a root span. */
  parentSpanId?: string;
  flags?: number;
  name: string;
  kind: OtlpSpanKind;
  /** Nanoseconds since the Unix epoch, as a decimal string. */
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: OtlpKeyValue[];
  droppedAttributesCount?: number;
  events: OtlpSpanEvent[];
  droppedEventsCount?: number;
  links?: OtlpSpanLink[];
  droppedLinksCount?: number;
  status?: OtlpStatus;
}

export interface OtlpSpanEvent {
  timeUnixNano: string;
  name: string;
  attributes: OtlpKeyValue[];
  droppedAttributesCount?: number;
}

export interface OtlpSpanLink {
  traceId: string;
  spanId: string;
  traceState?: string;
  attributes: OtlpKeyValue[];
  droppedAttributesCount?: number;
  flags?: number;
}

export interface OtlpStatus {
  message?: string;
  code: OtlpStatusCode;
}

export interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}

/** One typed attribute value (`AnyValue`); an empty object is an empty value. */
export type OtlpAnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  /** A 64-bit integer as a decimal string. */
  | { intValue: string }
  | { doubleValue: number }
  | { arrayValue: { values: OtlpAnyValue[] } }
  | { kvlistValue: { values: OtlpKeyValue[] } }
  /** Base64. */
  | { bytesValue: string }
  | Record<string, never>;
