import type { RunSpanRecord } from "../capture/run-span-record";
import { VendorApiError } from "../errors/vendor-api-error";
import { createVendorExporter, type VendorExporter } from "../export/create-vendor-exporter";
import { createHttpClient, type HttpResponse } from "../http/create-http-client";
import { buildOtlpTraceRequest, createOtlpResource, OTLP_SCOPE } from "./build-otlp-trace-request";
import { encodeOtlpTraceRequestProtobuf } from "./encode-otlp-protobuf";
import { mapRunSpanToOtlp } from "./map-span-to-otlp";
import { loadOtlpSettings, type OtlpExporterOptions } from "./otlp-settings";
import type { OtlpSpan } from "./otlp-types";
import { ProtobufReader, WireType } from "./protobuf-wire";

/**
 * An exporter that sends the whole run tree (`consumes: "spans"`) as OTLP/HTTP traces to any OTLP
 * receiver: an OpenTelemetry Collector, Arize Phoenix, Jaeger, Arthur's engine … One request per
 * batch, protobuf or JSON. Span ids derive from run ids, so a resent request stores nothing twice
 * (requests are idempotent: timeouts, 429 and 5xx are resent by the HTTP client; other 4xx are not).
 * A receiver's partial success (`rejectedSpans`) is reported through `onError`.
 *
 * @example
 * ```ts
 * const handler = new ObservabilityCallbackHandler({
 *   exporters: [createOtlpExporter({ url: "http://localhost:4318/v1/traces" })],
 * });
 * ```
 */
export function createOtlpExporter(options: OtlpExporterOptions = {}): VendorExporter<RunSpanRecord> {
  const settings = loadOtlpSettings(options);
  const resource = createOtlpResource({
    serviceName: settings.serviceName,
    resourceAttributes: settings.resourceAttributes,
  });
  const secrets = Object.values(settings.headers);
  const client = createHttpClient({
    vendor: settings.vendor,
    baseUrl: settings.url,
    headers: settings.headers,
    secrets,
    timeoutMs: settings.http.timeoutMs,
    maxRetries: settings.http.maxRetries,
    ...(settings.http.fetch ? { fetch: settings.http.fetch } : {}),
  });
  const contentType = settings.encoding === "json" ? "application/json" : "application/x-protobuf";
  // The JSON envelope around the spans: the resource and scope, serialized once.
  const jsonPrefix = `{"resourceSpans":[{"resource":${JSON.stringify(resource)},"scopeSpans":[{"scope":${JSON.stringify(OTLP_SCOPE)},"spans":[`;
  const jsonSuffix = "]}]}]}";

  return createVendorExporter<RunSpanRecord, OtlpSpan>({
    name: settings.name,
    vendor: settings.vendor,
    consumes: "spans",
    maxBatchSize: settings.maxBatchSize,
    concurrency: settings.concurrency,
    secrets,
    map: (record) => mapRunSpanToOtlp(record, { semanticConventions: settings.semanticConventions }),
    async send(items, context) {
      const body =
        settings.encoding === "json"
          ? `${jsonPrefix}${items.map((item) => item.json).join(",")}${jsonSuffix}`
          : encodeOtlpTraceRequestProtobuf(
              buildOtlpTraceRequest(
                items.map((item) => item.wire),
                resource,
              ),
            );
      const response = await client.request({
        method: "POST",
        path: settings.url,
        body,
        headers: { "content-type": contentType },
        signal: context.signal,
        idempotent: true,
        onRetry: context.onRetry,
      });
      const partial = readPartialSuccess(response);
      if (partial && (partial.rejectedSpans > 0 || partial.errorMessage)) {
        context.reportError(
          new VendorApiError({
            vendor: settings.vendor,
            method: "POST",
            url: settings.url.split("?")[0] ?? settings.url,
            status: response.status,
            isRetryable: false,
            message: `${settings.vendor}: the receiver rejected ${partial.rejectedSpans} of ${items.length} spans${
              partial.errorMessage ? `: ${partial.errorMessage}` : ""
            }`,
          }),
        );
      }
    },
  });
}

/** The documented name of `createOtlpExporter`. */
export const exportOtlp = createOtlpExporter;

/** OTLP's `ExportTraceServiceResponse.partial_success`, from a JSON or protobuf answer. */
export function readPartialSuccess(
  response: Pick<HttpResponse, "headers" | "text" | "body">,
): { rejectedSpans: number; errorMessage: string } | undefined {
  const contentType = response.headers.get("content-type") ?? "";
  if (contentType.includes("protobuf")) {
    try {
      return readProtobufPartialSuccess(new TextEncoder().encode(response.text));
    } catch {
      return undefined;
    }
  }
  const body = response.body as
    | { partialSuccess?: { rejectedSpans?: unknown; errorMessage?: unknown } }
    | undefined;
  const partial = body?.partialSuccess;
  if (!partial || typeof partial !== "object") return undefined;
  const rejected = Number(partial.rejectedSpans ?? 0);
  return {
    rejectedSpans: Number.isFinite(rejected) ? rejected : 0,
    errorMessage: typeof partial.errorMessage === "string" ? partial.errorMessage : "",
  };
}

function readProtobufPartialSuccess(
  bytes: Uint8Array,
): { rejectedSpans: number; errorMessage: string } | undefined {
  const reader = new ProtobufReader(bytes);
  let result: { rejectedSpans: number; errorMessage: string } | undefined;
  while (!reader.done) {
    const { field, wireType } = reader.tag();
    if (field !== 1 || wireType !== WireType.LENGTH_DELIMITED) {
      reader.skip(wireType);
      continue;
    }
    const partial = reader.nested();
    result = { rejectedSpans: 0, errorMessage: "" };
    while (!partial.done) {
      const inner = partial.tag();
      if (inner.field === 1 && inner.wireType === WireType.VARINT)
        result.rejectedSpans = Number(partial.varint64());
      else if (inner.field === 2 && inner.wireType === WireType.LENGTH_DELIMITED)
        result.errorMessage = partial.string();
      else partial.skip(inner.wireType);
    }
  }
  return result;
}
