import { VERSION } from "../version";
import { type OtlpAttributeValue, toKeyValues } from "./otlp-attributes";
import type { OtlpInstrumentationScope, OtlpResource, OtlpSpan, OtlpTraceRequest } from "./otlp-types";

export interface OtlpResourceOptions {
  /** `service.name` of the resource. @default "unknown_service" */
  serviceName?: string;
  /** More resource attributes (`deployment.environment.name`, `arthur.task` …); `service.name` here wins. */
  resourceAttributes?: Record<string, OtlpAttributeValue>;
}

/** The instrumentation scope of every span this package sends. */
export const OTLP_SCOPE: OtlpInstrumentationScope = {
  name: "@langchain-observability/core",
  version: VERSION,
};

/** The OTLP resource: `service.name`, the SDK's name and version, and the caller's attributes. */
export function createOtlpResource(options: OtlpResourceOptions = {}): OtlpResource {
  return {
    attributes: toKeyValues({
      "service.name": options.serviceName ?? "unknown_service",
      "telemetry.sdk.name": "langchain-observability",
      "telemetry.sdk.version": VERSION,
      ...options.resourceAttributes,
    }),
  };
}

/** One `ExportTraceServiceRequest` with the spans under one resource and one scope. */
export function buildOtlpTraceRequest(spans: OtlpSpan[], resource: OtlpResource): OtlpTraceRequest {
  return { resourceSpans: [{ resource, scopeSpans: [{ scope: OTLP_SCOPE, spans }] }] };
}
