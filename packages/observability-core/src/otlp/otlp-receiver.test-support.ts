// Test support: an OTLP/HTTP trace receiver on 127.0.0.1 (what a Collector does on :4318), on core's
// emulator helper. It decodes protobuf with our decoder and JSON as is, and stores spans by span id,
// as receivers that key spans by id do (a resent request stores nothing twice).
import { type Emulator, startEmulator } from "../testing/start-emulator";
import { decodeOtlpTraceRequest } from "./decode-otlp-protobuf";
import type { OtlpSpan, OtlpTraceRequest } from "./otlp-types";

export interface ReceivedOtlpRequest {
  contentType: string;
  headers: Record<string, string>;
  rawBody: Uint8Array;
  request: OtlpTraceRequest;
}

export interface OtlpReceiver extends Emulator<OtlpSpan> {
  /** The traces endpoint (`{url}/v1/traces` unless another `path` was given). */
  readonly tracesUrl: string;
  /** Every request the receiver could decode, in order. */
  readonly decoded: ReceivedOtlpRequest[];
  /** Distinct span ids stored (a resend of a stored span is not counted twice). */
  storedSpanIds(): Set<string>;
  /** Answers the next request(s) with this partial success (protobuf or JSON, as the request). */
  answerPartialSuccess(rejectedSpans: number, errorMessage: string): void;
}

export async function startOtlpReceiver(options: { path?: string } = {}): Promise<OtlpReceiver> {
  const path = options.path ?? "/v1/traces";
  const decoded: ReceivedOtlpRequest[] = [];
  let partial: { rejectedSpans: number; errorMessage: string } | undefined;
  const emulator = await startEmulator<OtlpSpan>({
    respond(request, context) {
      if (request.method !== "POST" || request.path !== path) return undefined;
      const contentType = request.headers["content-type"] ?? "";
      const isJson = contentType.startsWith("application/json");
      let body: OtlpTraceRequest;
      try {
        body = isJson
          ? (JSON.parse(request.text) as OtlpTraceRequest)
          : decodeOtlpTraceRequest(request.rawBody);
      } catch (error) {
        return { status: 400, body: { error: String(error) } };
      }
      decoded.push({ contentType, headers: request.headers, rawBody: request.rawBody, request: body });
      for (const resourceSpans of body.resourceSpans) {
        for (const scopeSpans of resourceSpans.scopeSpans)
          for (const span of scopeSpans.spans) context.store(span);
      }
      const answer = partial;
      partial = undefined;
      if (isJson) return { status: 200, body: answer ? { partialSuccess: answer } : {} };
      return {
        status: 200,
        headers: { "content-type": "application/x-protobuf" },
        body: answer ? encodePartialSuccess(answer) : new Uint8Array(),
      };
    },
    onReset() {
      decoded.length = 0;
      partial = undefined;
    },
  });
  return Object.assign(emulator, {
    tracesUrl: `${emulator.url}${path}`,
    decoded,
    storedSpanIds: () => new Set(emulator.received.map((span) => span.spanId)),
    answerPartialSuccess(rejectedSpans: number, errorMessage: string) {
      partial = { rejectedSpans, errorMessage };
    },
  });
}

/** `ExportTraceServiceResponse { partial_success { rejected_spans, error_message } }` (small values only). */
function encodePartialSuccess(answer: { rejectedSpans: number; errorMessage: string }): Uint8Array {
  const message = new TextEncoder().encode(answer.errorMessage);
  const inner = [0x08, answer.rejectedSpans, 0x12, message.length, ...message];
  return new Uint8Array([0x0a, inner.length, ...inner]);
}
