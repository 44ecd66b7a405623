import { afterEach, describe, expect, it } from "vitest";
import { runScript, sourceEntries } from "../../test/run-script";
import { type Emulator, type EmulatorFault, startEmulator } from "../testing/index";

// Each script would be held for 100 s or more by what it tests (a socket waiting on a 120 s timeout,
// a 100 s Retry-After, a 3600 s Retry-After); exiting within this generous bound proves nothing
// held it. The bound is never raced: a script either exits in a few seconds or hangs for minutes.
const EXITS_BY_ITSELF_WITHIN_MS = 90_000;

let sink: Emulator<unknown> | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

async function startSink(fault: EmulatorFault): Promise<Emulator<unknown>> {
  sink = await startEmulator<unknown>({
    respond(request, { store }) {
      store(request.body);
      return { body: { ok: true } };
    },
  });
  sink.failNext({ ...fault, times: 1_000 });
  return sink;
}

/** A script that makes one call through a kit exporter, flushes with a short deadline, and ends. */
function flushThenEndScript(clientOptions: string): string {
  return `
    import { FakeListChatModel } from "@langchain/core/utils/testing";
    import { createHttpClient, createVendorExporter, ObservabilityCallbackHandler } from ${JSON.stringify(sourceEntries.core)};

    const client = createHttpClient({ vendor: "Sink", baseUrl: process.env.SINK_URL, ${clientOptions} });
    const exporter = createVendorExporter({
      name: "sink",
      vendor: "Sink",
      maxBatchSize: 10,
      map: (record) => ({ id: record.recordId }),
      async send(items, context) {
        await client.request({ method: "PUT", path: "events", json: items.map((item) => item.wire), signal: context.signal });
      },
    });
    const handler = new ObservabilityCallbackHandler({
      exporters: [exporter],
      flushIntervalMs: 10,
      flushTimeoutMs: 1000,
      onError: () => {},
    });
    await new FakeListChatModel({ responses: ["x"] }).invoke("hi", { callbacks: [handler] });
    // Long enough for the request to be in flight on a loaded machine (the scenario needs it), far
    // shorter than what each fault would hold the process for.
    const result = await handler.flush({ timeoutMs: 5000 });
    console.log(JSON.stringify({ timedOut: result.timedOut, pending: result.pending }));
  `;
}

describe("nothing the library holds keeps the process alive after flush() returns", () => {
  it.each([
    [
      "a vendor that never answers (socket in flight, 120 s timeout)",
      { hangMs: Number.POSITIVE_INFINITY },
      "timeoutMs: 120_000, maxRetries: 0",
    ],
    [
      "a 503 with Retry-After 100 s (the client's retry delay)",
      { status: 503, headers: { "retry-after": "100" } },
      "timeoutMs: 120_000, maxRetries: 3, maxRetryAfterMs: 120_000",
    ],
    [
      "a 429 with Retry-After 3600 s beyond maxRetryAfterMs (fails at once, records stay queued)",
      { status: 429, headers: { "retry-after": "3600" } },
      "timeoutMs: 120_000, maxRetries: 3",
    ],
  ] as const)(
    "%s: the script exits by itself",
    async (_name, fault, clientOptions) => {
      const emulator = await startSink(fault);
      const result = await runScript(flushThenEndScript(clientOptions), {
        env: { SINK_URL: emulator.url },
        hangBoundMs: EXITS_BY_ITSELF_WITHIN_MS,
      });
      expect(result.killed).toBe(false);
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({ timedOut: true, pending: 1 });
      expect(emulator.requests.length).toBeGreaterThanOrEqual(1);
    },
    300_000,
  );
});
