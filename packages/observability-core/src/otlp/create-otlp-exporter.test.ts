import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunSpanRecord } from "../capture/run-span-record";
import { ObservabilityError } from "../errors/observability-error";
import type { ExportResult } from "../export/exporter";
import { buildOtlpTraceRequest, createOtlpResource } from "./build-otlp-trace-request";
import { createOtlpExporter, exportOtlp } from "./create-otlp-exporter";
import { encodeOtlpTraceRequestJson } from "./encode-otlp-json";
import { mapRunSpanToOtlp } from "./map-span-to-otlp";
import { decodeWithOfficialProto } from "./official-otlp-proto.test-support";
import { type OtlpReceiver, startOtlpReceiver } from "./otlp-receiver.test-support";
import { chatSpan, plainAttributes, rootChainSpan, toolSpan } from "./otlp-test-records.test-support";

const SECRET = "otlp-secret-token-123";

function records(): RunSpanRecord[] {
  // Children end before their parent: the order spans reach an exporter.
  return [chatSpan(), toolSpan(), rootChainSpan()];
}

function bound(exporter: ReturnType<typeof createOtlpExporter>) {
  const errors: unknown[] = [];
  let retries = 0;
  exporter.bind?.({ onError: (error) => errors.push(error), onRetry: () => retries++ });
  return { errors, retries: () => retries };
}

async function send(
  exporter: ReturnType<typeof createOtlpExporter>,
  batch = records(),
): Promise<ExportResult> {
  return exporter.export(batch, new AbortController().signal);
}

describe("createOtlpExporter", () => {
  let receiver: OtlpReceiver;
  beforeEach(async () => {
    receiver = await startOtlpReceiver();
  });
  afterEach(async () => {
    await receiver.close();
  });

  it("sends one protobuf request per batch that the official proto definitions decode to the mapped spans", async () => {
    const exporter = createOtlpExporter({
      url: receiver.tracesUrl,
      headers: { authorization: `Bearer ${SECRET}` },
      serviceName: "checkout",
      resourceAttributes: { "arthur.task": "task-1" },
      semanticConventions: "openinference",
    });
    expect(exporter.consumes).toBe("spans");
    const { errors } = bound(exporter);
    expect(await send(exporter)).toEqual({});
    expect(errors).toEqual([]);
    expect(receiver.decoded).toHaveLength(1);
    const [request] = receiver.decoded;
    expect(request!.contentType).toBe("application/x-protobuf");
    expect(request!.headers.authorization).toBe(`Bearer ${SECRET}`);
    const expected = buildOtlpTraceRequest(
      records().map((record) => mapRunSpanToOtlp(record, { semanticConventions: "openinference" })),
      createOtlpResource({ serviceName: "checkout", resourceAttributes: { "arthur.task": "task-1" } }),
    );
    expect(decodeWithOfficialProto(request!.rawBody)).toEqual(expected);
    expect(plainAttributes(request!.request.resourceSpans[0]!.resource!.attributes)).toMatchInlineSnapshot(`
      {
        "arthur.task": "task-1",
        "service.name": "checkout",
        "telemetry.sdk.name": "langchain-observability",
        "telemetry.sdk.version": "0.0.0-test",
      }
    `);
    expect(receiver.storedSpanIds().size).toBe(3);
  });

  it("sends OTLP/JSON equal to the JSON encoder's output for the same request", async () => {
    const exporter = exportOtlp({ url: receiver.tracesUrl, encoding: "json", serviceName: "checkout" });
    bound(exporter);
    expect(await send(exporter)).toEqual({});
    const [request] = receiver.decoded;
    expect(request!.contentType).toBe("application/json");
    const expected = buildOtlpTraceRequest(
      records().map((record) => mapRunSpanToOtlp(record)),
      createOtlpResource({ serviceName: "checkout" }),
    );
    expect(new TextDecoder().decode(request!.rawBody)).toBe(encodeOtlpTraceRequestJson(expected));
  });

  it("resends after a 503 and after a connection lost once the receiver stored the spans: stored once by id", async () => {
    const exporter = createOtlpExporter({ url: receiver.tracesUrl });
    const { errors, retries } = bound(exporter);
    receiver.failNext({ status: 503 });
    expect(await send(exporter)).toEqual({});
    receiver.failNext({ reset: "after-store" });
    expect(
      await send(exporter, [
        chatSpan({
          runId: "4c3d5e6f-7081-4c9d-aebf-2a3b4c5d6e7f",
          recordId: "4c3d5e6f-7081-4c9d-aebf-2a3b4c5d6e7f",
        }),
      ]),
    ).toEqual({});
    expect(errors).toEqual([]);
    expect(retries()).toBe(2);
    expect(receiver.requests.map((request) => request.status)).toEqual([503, 200, "reset", 200]);
    expect(receiver.received).toHaveLength(5); // the lost answer's span was stored twice …
    expect(receiver.storedSpanIds().size).toBe(4); // … under one span id
  });

  it("fails a batch refused with 400 without resending it, and resends a 429", async () => {
    const exporter = createOtlpExporter({ url: receiver.tracesUrl, headers: { "x-api-key": SECRET } });
    bound(exporter);
    receiver.failNext({ status: 429, headers: { "retry-after": "0" } });
    expect(await send(exporter)).toEqual({});
    receiver.failNext({ status: 400, body: { error: `bad request for ${SECRET}` } });
    const result = await send(exporter);
    expect(result.failed?.map((failure) => [failure.recordId, failure.retryable])).toEqual(
      records().map((record) => [record.recordId, false]),
    );
    const error = result.failed![0]!.error;
    expect(ObservabilityError.isInstance(error)).toBe(true);
    expect(error.message).toContain("400");
    expect(error.message).not.toContain(SECRET);
    expect(receiver.requests.map((request) => request.status)).toEqual([429, 200, 400]);
  });

  it("keeps spans queued (retryable) when the receiver stays down", async () => {
    const exporter = createOtlpExporter({ url: receiver.tracesUrl, maxRetries: 1 });
    bound(exporter);
    receiver.failNext({ status: 502, times: 2 });
    const result = await send(exporter);
    expect(result.failed?.every((failure) => failure.retryable)).toBe(true);
    expect(receiver.received).toHaveLength(0);
  });

  it("reports an OTLP partial success once, naming the count and the receiver's message (protobuf and JSON)", async () => {
    for (const encoding of ["protobuf", "json"] as const) {
      const exporter = createOtlpExporter({ url: receiver.tracesUrl, encoding });
      const { errors } = bound(exporter);
      receiver.answerPartialSuccess(2, "spans too old");
      expect(await send(exporter)).toEqual({});
      expect(errors.map((error) => (error as Error).message)).toEqual([
        "OTLP: the receiver rejected 2 of 3 spans: spans too old",
      ]);
    }
  });

  it("fails only the record it cannot map", async () => {
    const exporter = createOtlpExporter({ url: receiver.tracesUrl });
    bound(exporter);
    const broken = toolSpan({ recordId: "broken", timing: undefined as unknown as RunSpanRecord["timing"] });
    const result = await send(exporter, [chatSpan(), broken]);
    expect(result.failed?.map((failure) => failure.recordId)).toEqual(["broken"]);
    expect(receiver.received.map((span) => span.name)).toEqual(["chat gpt-4o-mini"]);
  });
});
