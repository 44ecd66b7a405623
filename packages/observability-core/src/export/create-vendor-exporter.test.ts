import { FakeListChatModel } from "@langchain/core/utils/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  ConfigurationError,
  createHttpClient,
  createVendorExporter,
  type LLMRunRecord,
  ObservabilityCallbackHandler,
  ObservabilityError,
  toRecordFailure,
  VendorApiError,
  type VendorExporterOptions,
} from "../index";
import { type Emulator, normalizeForSnapshot, startEmulator } from "../testing/index";

interface AcmeEvent {
  id: string;
  prompt: string;
  output: string;
  model: string | undefined;
  extra?: unknown;
}

let emulator: Emulator<AcmeEvent> | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

/** A tiny vendor: `PUT /events` takes a JSON array of events and stores each one. */
async function startAcme(): Promise<Emulator<AcmeEvent>> {
  emulator = await startEmulator<AcmeEvent>({
    respond(request, { store }) {
      if (request.method !== "PUT" || request.path !== "/events") return undefined;
      if (!Array.isArray(request.body)) return { status: 400, body: { error: "expected an array" } };
      for (const event of request.body as AcmeEvent[]) store(event);
      return { status: 200, body: { accepted: (request.body as unknown[]).length } };
    },
  });
  return emulator;
}

function mapRecordToAcme(record: LLMRunRecord): AcmeEvent {
  return {
    id: record.recordId,
    prompt: record.input.prompt,
    output: record.output.text,
    model: record.model.name,
    ...(record.metadata.extra === undefined ? {} : { extra: record.metadata.extra }),
  };
}

function createAcmeExporter(
  url: string,
  overrides: Partial<VendorExporterOptions<LLMRunRecord, AcmeEvent>> = {},
) {
  const client = createHttpClient({ vendor: "Acme", baseUrl: url, maxRetries: 0 });
  return createVendorExporter<LLMRunRecord, AcmeEvent>({
    name: "acme",
    vendor: "Acme",
    maxBatchSize: 50,
    map: mapRecordToAcme,
    async send(items, context) {
      await client.request({
        method: "PUT",
        path: "events",
        body: `[${items.map((item) => item.json).join(",")}]`,
        signal: context.signal,
        onRetry: context.onRetry,
      });
    },
    ...overrides,
  });
}

async function invoke(handler: ObservabilityCallbackHandler, prompts: string[], metadata = {}) {
  const chat = new FakeListChatModel({ responses: prompts.map((prompt) => `answer to ${prompt}`) });
  for (const prompt of prompts) {
    await expect(chat.invoke(prompt, { callbacks: [handler], metadata })).resolves.toBeDefined();
  }
}

describe("createVendorExporter", () => {
  it("maps each record, sends the batch through send, and counts every record delivered", async () => {
    const acme = await startAcme();
    const handler = new ObservabilityCallbackHandler({
      exporters: [createAcmeExporter(acme.url)],
      flushIntervalMs: 60_000,
    });
    await invoke(handler, ["q1", "q2"]);
    const result = await handler.flush();
    expect(result).toMatchObject({ ok: true, exported: 2, failed: 0, pending: 0 });
    expect(normalizeForSnapshot(acme.received)).toMatchInlineSnapshot(`
      [
        {
          "id": "<id-1>",
          "output": "answer to q1",
          "prompt": "q1",
        },
        {
          "id": "<id-2>",
          "output": "answer to q2",
          "prompt": "q2",
        },
      ]
    `);
    expect(acme.requests.map((request) => `${request.method} ${request.path} ${request.status}`)).toEqual([
      "PUT /events 200",
    ]);
  });

  it("isolates a record whose map throws or whose payload cannot be serialized: only it fails", async () => {
    const acme = await startAcme();
    const onError = vi.fn();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const exporter = createAcmeExporter(acme.url, {
      map(record) {
        if (record.input.prompt === "throws") throw new TypeError("cannot map this one");
        const event = mapRecordToAcme(record);
        if (record.input.prompt === "bigint") return { ...event, extra: 10n };
        if (record.input.prompt === "cycle") return { ...event, extra: cyclic };
        if (record.input.prompt === "nothing") return undefined as unknown as AcmeEvent;
        return event;
      },
    });
    const handler = new ObservabilityCallbackHandler({
      exporters: [exporter],
      flushIntervalMs: 60_000,
      onError,
    });
    await invoke(handler, ["ok1", "throws", "bigint", "ok2", "cycle", "nothing", "ok3"]);
    const result = await handler.flush();
    expect(acme.received.map((event) => event.prompt)).toEqual(["ok1", "ok2", "ok3"]);
    expect(result).toMatchObject({ ok: false, exported: 3, failed: 4, pending: 0 });
    const messages = onError.mock.calls.map(([error]) =>
      (error as Error).message.replace(/[0-9a-f-]{36}/, "<id>"),
    );
    expect(messages).toEqual([
      "Acme: record <id> was not sent: could not map it: TypeError: cannot map this one",
      "Acme: record <id> was not sent: its payload cannot be serialized as JSON: TypeError: Do not know how to serialize a BigInt",
      expect.stringMatching(
        /^Acme: record <id> was not sent: its payload cannot be serialized as JSON: TypeError: Converting circular structure to JSON/,
      ),
      "Acme: record <id> was not sent: its payload cannot be serialized as JSON (nothing to send)",
    ]);
    for (const [error] of onError.mock.calls) expect(ObservabilityError.isInstance(error)).toBe(true);
  });

  it("reports per-record outcomes from send: delivered, failed, retryable (sent again) and unknown", async () => {
    const acme = await startAcme();
    const attempts = new Map<string, number>();
    const client = createHttpClient({ vendor: "Acme", baseUrl: acme.url, maxRetries: 0 });
    const exporter = createAcmeExporter(acme.url, {
      async send(items, context) {
        const failures = [];
        const delivered = [];
        for (const item of items) {
          const count = (attempts.get(item.record.input.prompt) ?? 0) + 1;
          attempts.set(item.record.input.prompt, count);
          const error = new VendorApiError({ vendor: "Acme", method: "PUT", url: "u", status: 422 });
          if (item.record.input.prompt === "refused") {
            failures.push({ recordId: item.record.recordId, error, retryable: false });
          } else if (item.record.input.prompt === "later" && count === 1) {
            failures.push({ recordId: item.record.recordId, error, retryable: true });
          } else if (item.record.input.prompt === "lost") {
            failures.push({
              recordId: item.record.recordId,
              error,
              retryable: true,
              outcome: "unknown" as const,
            });
          } else {
            delivered.push(item.json);
          }
        }
        // A failure for a record that was not in this call is ignored.
        failures.push({
          recordId: "not-in-this-batch",
          error: new ObservabilityError({ message: "x" }),
          retryable: false,
        });
        await client.request({
          method: "PUT",
          path: "events",
          body: `[${delivered.join(",")}]`,
          signal: context.signal,
        });
        return failures;
      },
    });
    const handler = new ObservabilityCallbackHandler({
      exporters: [exporter],
      flushIntervalMs: 60_000,
      onError: () => {},
    });
    await invoke(handler, ["fine", "refused", "later", "lost"]);
    // The queue pauses after a retryable failure: let the flush wait for the second batch.
    await handler.flush({ timeoutMs: 15_000 });
    expect(acme.received.map((event) => event.prompt).sort()).toEqual(["fine", "later"]);
    expect(Object.fromEntries(attempts)).toEqual({ fine: 1, refused: 1, later: 2, lost: 1 });
    expect(handler.stats()).toMatchObject({ exported: 2, pending: 0 });
  });

  it("fails every record of a call when send throws, with that one error", async () => {
    const onError = vi.fn();
    const exporter = createVendorExporter<LLMRunRecord, AcmeEvent>({
      name: "acme",
      vendor: "Acme",
      maxBatchSize: 10,
      map: mapRecordToAcme,
      async send() {
        throw new VendorApiError({
          vendor: "Acme",
          method: "PUT",
          url: "https://acme.example/events",
          status: 400,
        });
      },
    });
    const handler = new ObservabilityCallbackHandler({
      exporters: [exporter],
      flushIntervalMs: 60_000,
      onError,
    });
    await invoke(handler, ["a", "b", "c"]);
    const result = await handler.flush();
    expect(result).toMatchObject({ exported: 0, failed: 3, pending: 0 });
    const result2 = await exporter.export([], new AbortController().signal);
    expect(result2).toEqual({});
  });

  it("gives the event loop a turn between slices of about 16 KB of JSON while it maps a large batch", async () => {
    // What the callers' timers and I/O would see: an immediate queued by the first map call runs
    // before the batch is sent, and no slice maps more than 16 KB of JSON without a turn.
    const events: string[] = [];
    const exporter = createVendorExporter<LLMRunRecord, AcmeEvent>({
      name: "acme",
      vendor: "Acme",
      maxBatchSize: 100,
      map(record) {
        events.push("map");
        setImmediate(() => events.push("turn"));
        return { ...mapRecordToAcme(record), extra: "x".repeat(2000) };
      },
      async send() {
        events.push("send");
      },
    });
    const records = Array.from(
      { length: 40 },
      (_, index) =>
        ({
          recordId: `r${index}`,
          input: { prompt: "p" },
          output: { text: "o" },
          model: {},
          metadata: {},
        }) as unknown as LLMRunRecord,
    );
    expect(await exporter.export(records, new AbortController().signal)).toEqual({});
    const sendAt = events.indexOf("send");
    expect(events.slice(0, sendAt).filter((event) => event === "map")).toHaveLength(40);
    // Each record is ~2.1 KB of JSON: at most 8 maps (16 KB) run between two turns.
    const runs = events
      .slice(0, sendAt)
      .join(" ")
      .split(/(?:turn ?)+/)
      .map((slice) => slice.trim().split(" ").filter(Boolean).length)
      .filter((length) => length > 0);
    expect(runs.length).toBeGreaterThanOrEqual(5);
    expect(Math.max(...runs)).toBeLessThanOrEqual(8);
    expect(events.slice(0, sendAt)).toContain("turn");
  });

  it("wraps a non-ObservabilityError thrown by send (a transport bug) as a failure that is not retryable", async () => {
    const exporter = createVendorExporter<LLMRunRecord, AcmeEvent>({
      name: "acme",
      vendor: "Acme",
      maxBatchSize: 10,
      map: mapRecordToAcme,
      async send() {
        throw new TypeError("undefined is not a function");
      },
    });
    const records = [{ recordId: "r1" }, { recordId: "r2" }].map((partial) => ({
      ...partial,
      input: { prompt: "p" },
      output: { text: "t" },
      model: { params: {} },
      metadata: {},
    })) as unknown as LLMRunRecord[];
    const result = await exporter.export(records, new AbortController().signal);
    expect(
      result.failed?.map((failure) => [failure.recordId, failure.retryable, failure.error.message]),
    ).toEqual([
      ["r1", false, "Acme: export failed: TypeError: undefined is not a function"],
      ["r2", false, "Acme: export failed: TypeError: undefined is not a function"],
    ]);
  });

  it("runs user callbacks outside the export slot: one that never settles cannot stall export", async () => {
    const acme = await startAcme();
    const onError = vi.fn();
    const calls: string[] = [];
    const client = createHttpClient({ vendor: "Acme", baseUrl: acme.url, maxRetries: 0 });
    const exporter = createAcmeExporter(acme.url, {
      maxBatchSize: 1,
      concurrency: 1,
      userCallbackTimeoutMs: 50,
      async send(items, context) {
        await client.request({
          method: "PUT",
          path: "events",
          body: `[${items[0]!.json}]`,
          signal: context.signal,
        });
        const prompt = items[0]!.record.input.prompt;
        context.runUserCallback("plIdCallback", () => {
          calls.push(prompt);
          if (prompt === "hangs") return new Promise(() => {});
          if (prompt === "rejects") return Promise.reject(new Error("callback is down"));
          if (prompt === "throws") throw new RangeError("callback threw");
          return undefined;
        });
      },
    });
    const handler = new ObservabilityCallbackHandler({ exporters: [exporter], onError });
    const prompts = ["hangs", "rejects", "throws", ...Array.from({ length: 20 }, (_, index) => `ok${index}`)];
    await invoke(handler, prompts);
    const result = await handler.flush({ timeoutMs: 15_000 });
    expect(result).toMatchObject({ ok: true, exported: prompts.length, pending: 0 });
    expect(acme.received).toHaveLength(prompts.length);
    expect(calls).toHaveLength(prompts.length);
    expect(onError.mock.calls.map(([error]) => (error as Error).message).sort()).toEqual([
      "Acme: plIdCallback did not settle within 50 ms; export went on without it.",
      "Acme: plIdCallback failed: Error: callback is down",
      "Acme: plIdCallback failed: RangeError: callback threw",
    ]);
  });

  it("flush waits for pending user callbacks, within its deadline", async () => {
    const acme = await startAcme();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let finished = 0;
    const client = createHttpClient({ vendor: "Acme", baseUrl: acme.url, maxRetries: 0 });
    const exporter = createAcmeExporter(acme.url, {
      async send(items, context) {
        await client.request({
          method: "PUT",
          path: "events",
          body: `[${items.map((i) => i.json).join(",")}]`,
          signal: context.signal,
        });
        context.runUserCallback("plIdCallback", async () => {
          await gate;
          finished++;
        });
      },
    });
    const handler = new ObservabilityCallbackHandler({ exporters: [exporter], flushIntervalMs: 60_000 });
    await invoke(handler, ["q"]);
    // Only the callback is left (it waits on the gate), so the flush's deadline passes first
    // whatever the machine's speed: the record's export itself is waited for without a deadline.
    void handler.flush({ timeoutMs: 60_000 });
    await vi.waitFor(() => expect(handler.stats().exported).toBe(1), { timeout: 60_000 });
    const first = await handler.flush({ timeoutMs: 200 });
    expect(first).toMatchObject({ timedOut: true, exported: 1 });
    expect(finished).toBe(0);
    release();
    const second = await handler.flush({ timeoutMs: 15_000 });
    expect(second).toMatchObject({ ok: true, timedOut: false });
    expect(finished).toBe(1);
  });

  it("skips user callbacks beyond maxPendingUserCallbacks and says so", async () => {
    const onError = vi.fn();
    const exporter = createVendorExporter<LLMRunRecord, AcmeEvent>({
      name: "acme",
      vendor: "Acme",
      maxBatchSize: 10,
      maxPendingUserCallbacks: 2,
      map: mapRecordToAcme,
      async send(items, context) {
        for (const _item of items) context.runUserCallback("plIdCallback", () => new Promise(() => {}));
      },
    });
    exporter.bind?.({ onRetry: () => {}, onError });
    const records = ["r1", "r2", "r3", "r4"].map((recordId) => ({
      recordId,
      input: { prompt: "p" },
      output: { text: "t" },
      model: { params: {} },
      metadata: {},
    })) as unknown as LLMRunRecord[];
    await exporter.export(records, new AbortController().signal);
    expect(onError).toHaveBeenCalledTimes(1);
    expect((onError.mock.calls[0]![0] as Error).message).toBe(
      "Acme: plIdCallback was not called (1 so far): 2 earlier calls have not settled yet.",
    );
  });

  it("plumbs bind(): onRetry counts the HTTP client's resends, reportError reaches onError", async () => {
    const acme = await startAcme();
    acme.failNext({ route: "PUT /events", status: 503, headers: { "retry-after": "0" }, times: 2 });
    const onError = vi.fn();
    const client = createHttpClient({ vendor: "Acme", baseUrl: acme.url, maxRetries: 3, backoffLimitMs: 1 });
    const exporter = createAcmeExporter(acme.url, {
      async send(items, context) {
        await client.request({
          method: "PUT",
          path: "events",
          body: `[${items.map((item) => item.json).join(",")}]`,
          signal: context.signal,
          onRetry: context.onRetry,
        });
        context.reportError(new ObservabilityError({ message: "Acme: a warning from the transport" }));
      },
    });
    const handler = new ObservabilityCallbackHandler({
      exporters: [exporter],
      flushIntervalMs: 60_000,
      onError,
    });
    await invoke(handler, ["q"]);
    await handler.flush({ timeoutMs: 15_000 });
    expect(acme.received).toHaveLength(1);
    expect(handler.stats()).toMatchObject({ exported: 1, retried: 2 });
    expect(onError.mock.calls.map(([error]) => (error as Error).message)).toEqual([
      "Acme: a warning from the transport",
    ]);
  });

  it("warns once per distinct problem when not attached to a handler, without the secrets", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const exporter = createVendorExporter<LLMRunRecord, AcmeEvent>({
      name: "acme",
      vendor: "Acme",
      maxBatchSize: 10,
      secrets: () => ["sk-secret-123"],
      map: mapRecordToAcme,
      async send(items, context) {
        for (const _item of items) context.reportError(new Error("Acme: key sk-secret-123 rejected"));
        context.runUserCallback("plIdCallback", () => {
          throw new Error("echo sk-secret-123");
        });
      },
    });
    const records = ["r1", "r2"].map((recordId) => ({
      recordId,
      input: { prompt: "p" },
      output: { text: "t" },
      model: { params: {} },
      metadata: {},
    })) as unknown as LLMRunRecord[];
    expect(await exporter.export(records, new AbortController().signal)).toEqual({});
    await exporter.settle();
    expect(warn.mock.calls).toEqual([
      ["[langchain-observability] Error: Acme: key [redacted] rejected"],
      ["[langchain-observability] ObservabilityError: Acme: plIdCallback failed: Error: echo [redacted]"],
    ]);
  });

  it("rejects wrong options with a ConfigurationError naming the option", () => {
    const base = {
      name: "acme",
      vendor: "Acme",
      maxBatchSize: 10,
      map: mapRecordToAcme,
      send: async () => {},
    };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: "" }, "name"],
      [{ vendor: 1 }, "vendor"],
      [{ maxBatchSize: 0 }, "maxBatchSize"],
      [{ concurrency: 1.5 }, "concurrency"],
      [{ map: "no" }, "map"],
      [{ send: undefined }, "send"],
      [{ consumes: "everything" }, "consumes"],
      [{ userCallbackTimeoutMs: 2 ** 31 }, "userCallbackTimeoutMs"],
      [{ maxPendingUserCallbacks: 0 }, "maxPendingUserCallbacks"],
    ];
    for (const [override, option] of cases) {
      let caught: unknown;
      try {
        createVendorExporter({ ...base, ...override } as never);
      } catch (error) {
        caught = error;
      }
      expect(ConfigurationError.isInstance(caught), option).toBe(true);
      expect((caught as ConfigurationError).option).toBe(option);
    }
  });

  it("toRecordFailure: retryable from the error, unknown outcomes never retryable", () => {
    const busy = new VendorApiError({ vendor: "V", method: "POST", url: "u", status: 503 });
    const lost = new VendorApiError({ vendor: "V", method: "POST", url: "u", outcome: "unknown" });
    const refused = new VendorApiError({ vendor: "V", method: "POST", url: "u", status: 400 });
    expect(toRecordFailure("a", busy)).toEqual({ recordId: "a", error: busy, retryable: true });
    expect(toRecordFailure("b", lost)).toEqual({
      recordId: "b",
      error: lost,
      retryable: false,
      outcome: "unknown",
    });
    expect(toRecordFailure("c", refused)).toEqual({ recordId: "c", error: refused, retryable: false });
    expect(toRecordFailure("d", "boom", "V")).toMatchObject({ recordId: "d", retryable: false });
  });
});
