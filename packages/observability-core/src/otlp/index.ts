export {
  buildOtlpTraceRequest,
  createOtlpResource,
  OTLP_SCOPE,
  type OtlpResourceOptions,
} from "./build-otlp-trace-request";
export { createOtlpExporter, exportOtlp } from "./create-otlp-exporter";
export { encodeOtlpTraceRequestJson } from "./encode-otlp-json";
export { encodeOtlpTraceRequestProtobuf } from "./encode-otlp-protobuf";
export {
  type MapRunSpanToOtlpOptions,
  mapRunSpanToOtlp,
  type OtlpSemanticConventions,
} from "./map-span-to-otlp";
export type { OtlpAttributeValue } from "./otlp-attributes";
export { toOtlpSpanId, toOtlpTraceId } from "./otlp-ids";
export { OTLP_DEFAULT_URL, type OtlpExporterOptions } from "./otlp-settings";
export {
  type OtlpAnyValue,
  type OtlpInstrumentationScope,
  type OtlpKeyValue,
  type OtlpResource,
  type OtlpResourceSpans,
  type OtlpScopeSpans,
  type OtlpSpan,
  type OtlpSpanEvent,
  OtlpSpanKind,
  type OtlpSpanLink,
  type OtlpStatus,
  OtlpStatusCode,
  type OtlpTraceRequest,
} from "./otlp-types";
