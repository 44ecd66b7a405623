// Test support: the official opentelemetry-proto definitions, as compiled by the OpenTelemetry JS
// project (`@opentelemetry/otlp-transformer`'s protobufjs root, a dev dependency only).
import { createRequire } from "node:module";
import type { OtlpAnyValue, OtlpKeyValue, OtlpTraceRequest } from "./otlp-types";

const require = createRequire(import.meta.url);

interface ProtobufType {
  decode(bytes: Uint8Array): unknown;
  encode(message: unknown): { finish(): Uint8Array };
  fromObject(object: unknown): unknown;
  toObject(message: unknown, options: Record<string, unknown>): Record<string, unknown>;
  verify(message: unknown): string | null;
}

const root = require("@opentelemetry/otlp-transformer/build/src/generated/root") as {
  opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: ProtobufType } } } } };
};

export const OfficialExportTraceServiceRequest =
  root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

/** Decodes protobuf bytes with the official definitions, into the OTLP/JSON shape our types use. */
export function decodeWithOfficialProto(bytes: Uint8Array): OtlpTraceRequest {
  const message = OfficialExportTraceServiceRequest.decode(bytes);
  const verifyError = OfficialExportTraceServiceRequest.verify(message);
  if (verifyError) throw new Error(`official proto verify: ${verifyError}`);
  const object = OfficialExportTraceServiceRequest.toObject(message, {
    longs: String,
    enums: Number,
    bytes: String,
    arrays: true,
  });
  return normalize(object) as OtlpTraceRequest;
}

/** Encodes an OTLP/JSON-shaped request with the official definitions (ids hex → bytes). */
export function encodeWithOfficialProto(request: OtlpTraceRequest): Uint8Array {
  const object = JSON.parse(JSON.stringify(request), (key, value) =>
    (key === "traceId" || key === "spanId" || key === "parentSpanId") && typeof value === "string"
      ? Buffer.from(value, "hex").toString("base64")
      : value,
  );
  return OfficialExportTraceServiceRequest.encode(
    OfficialExportTraceServiceRequest.fromObject(object),
  ).finish();
}

const ID_KEYS = new Set(["traceId", "spanId", "parentSpanId"]);
const EMPTY_WHEN_ABSENT = new Set(["links", "entityRefs"]);

/** protobufjs gives ids in base64 and leaves out empty repeated fields of some messages: align with ours. */
function normalize(value: unknown, key?: string): unknown {
  if (Array.isArray(value)) return value.map((item) => normalize(item));
  if (value === null || typeof value !== "object") {
    if (key && ID_KEYS.has(key) && typeof value === "string")
      return Buffer.from(value, "base64").toString("hex");
    return value;
  }
  const result: Record<string, unknown> = {};
  for (const [entryKey, entryValue] of Object.entries(value)) {
    if (entryKey === "parentSpanId" && entryValue === "") continue;
    // `links` is optional in our types (most spans have none); the official decoder gives [].
    // Likewise the resource's `entityRefs` (which we never send) and a scope's `attributes`.
    const empty = Array.isArray(entryValue) && entryValue.length === 0;
    if (empty && (EMPTY_WHEN_ABSENT.has(entryKey) || (key === "scope" && entryKey === "attributes")))
      continue;
    result[entryKey] = normalize(entryValue, entryKey);
  }
  return result;
}

export function stringAttribute(attributes: OtlpKeyValue[], key: string): string | undefined {
  const value = attributes.find((attribute) => attribute.key === key)?.value as OtlpAnyValue | undefined;
  return value && "stringValue" in value ? value.stringValue : undefined;
}
