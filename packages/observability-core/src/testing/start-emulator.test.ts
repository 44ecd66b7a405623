import { describe, expect, it } from "vitest";
import { runScript, sourceEntries } from "../../test/run-script";
import { createSeededFaults, type Emulator, normalizeForSnapshot, startEmulator } from "./index";

/** A vendor that stores the JSON body of `POST /items` and answers 201 with its id. */
async function startItems(options: { maxRequestBytes?: number } = {}): Promise<Emulator<unknown>> {
  let nextId = 1;
  return startEmulator<unknown>({
    ...options,
    respond(request, { store }) {
      if (request.method === "POST" && request.path === "/items") {
        store(request.body);
        return { status: 201, body: { id: nextId++ } };
      }
      if (request.method === "GET" && request.path === "/web") {
        return new Response("<p>hi</p>", { status: 200, headers: { "content-type": "text/html" } });
      }
      return undefined;
    },
    onReset() {
      nextId = 1;
    },
  });
}

async function post(emulator: Emulator<unknown>, body: unknown, init: RequestInit = {}) {
  return fetch(`${emulator.url}/items`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    ...init,
  });
}

async function outcome(promise: Promise<Response>): Promise<string> {
  try {
    const response = await promise;
    return `${response.status} ${await response.text()}`;
  } catch (error) {
    return `error ${(error as Error).name}`;
  }
}

describe("startEmulator", () => {
  it("serves the vendor on 127.0.0.1, stores what it accepts, logs every request", async () => {
    const emulator = await startItems();
    try {
      expect(emulator.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await outcome(post(emulator, { a: 1 }))).toBe('201 {"id":1}');
      expect(await outcome(fetch(`${emulator.url}/web`))).toBe("200 <p>hi</p>");
      expect(await outcome(fetch(`${emulator.url}/nowhere`))).toBe(
        '404 {"error":"no such endpoint in the emulator"}',
      );
      expect(emulator.received).toEqual([{ a: 1 }]);
      expect(
        emulator.requests.map(({ method, path, status, stored }) => ({ method, path, status, stored })),
      ).toMatchInlineSnapshot(`
          [
            {
              "method": "POST",
              "path": "/items",
              "status": 201,
              "stored": 1,
            },
            {
              "method": "GET",
              "path": "/web",
              "status": 200,
              "stored": 0,
            },
            {
              "method": "GET",
              "path": "/nowhere",
              "status": 404,
              "stored": 0,
            },
          ]
        `);
    } finally {
      await emulator.close();
    }
  });

  it("failNext: status, body and headers answer instead of the vendor, by route and times", async () => {
    const emulator = await startItems();
    try {
      emulator.failNext({ route: "POST /items", status: 429, headers: { "Retry-After": "7" }, times: 2 });
      emulator.failNext({ route: "/other", status: 500 });
      const first = await post(emulator, { n: 1 });
      expect([first.status, first.headers.get("retry-after"), await first.json()]).toEqual([
        429,
        "7",
        { error: "injected failure (429)" },
      ]);
      expect(await outcome(post(emulator, { n: 2 }))).toBe('429 {"error":"injected failure (429)"}');
      expect(await outcome(post(emulator, { n: 3 }))).toBe('201 {"id":1}');
      emulator.failNext({ status: 503, body: "busy" });
      expect(await outcome(post(emulator, { n: 4 }))).toBe("503 busy");
      expect(emulator.received).toEqual([{ n: 3 }]);
      expect(emulator.requests.map((request) => request.fault?.status)).toEqual([429, 429, undefined, 503]);
    } finally {
      await emulator.close();
    }
  });

  it("reset before-store drops the connection and stores nothing; after-store stores, then drops", async () => {
    const emulator = await startItems();
    try {
      emulator.failNext({ reset: "before-store" });
      expect(await outcome(post(emulator, { n: 1 }))).toBe("error TypeError");
      emulator.failNext({ reset: true });
      expect(await outcome(post(emulator, { n: 2 }))).toBe("error TypeError");
      emulator.failNext({ reset: "after-store" });
      expect(await outcome(post(emulator, { n: 3 }))).toBe("error TypeError");
      expect(emulator.received).toEqual([{ n: 3 }]);
      expect(emulator.requests.map((request) => request.status)).toEqual(["reset", "reset", "reset"]);
    } finally {
      await emulator.close();
    }
  });

  it("hangMs Infinity never answers; releaseHangs stores it after the client gave up", async () => {
    const emulator = await startItems();
    try {
      emulator.failNext({ hangMs: Number.POSITIVE_INFINITY });
      const controller = new AbortController();
      const pending = outcome(post(emulator, { n: 1 }, { signal: controller.signal }));
      // The emulator's own signal, not a timer: the request has arrived and hangs.
      await emulator.waitForRequests(1);
      expect(emulator.requests[0]!.status).toBe("hang");
      controller.abort();
      expect(await pending).toBe("error AbortError");
      expect(emulator.received).toEqual([]);
      emulator.releaseHangs();
      await emulator.waitForReceived(1);
      expect(emulator.received).toEqual([{ n: 1 }]);
    } finally {
      await emulator.close();
    }
  });

  it("a finite hangMs answers late; close() drops a request that still hangs, unstored", async () => {
    const emulator = await startItems();
    emulator.failNext({ hangMs: 20 });
    expect(await outcome(post(emulator, { n: 1 }))).toBe('201 {"id":1}');
    emulator.failNext({ hangMs: Number.POSITIVE_INFINITY });
    const pending = outcome(post(emulator, { n: 2 }));
    await emulator.waitForRequests(2);
    await emulator.close();
    expect(await pending).toBe("error TypeError");
    expect(emulator.received).toEqual([{ n: 1 }]);
  });

  it("malformed: the vendor stores, and its answer is not JSON; with a status, nothing is stored", async () => {
    const emulator = await startItems();
    try {
      emulator.failNext({ malformed: true });
      const response = await post(emulator, { n: 1 });
      expect(response.status).toBe(201);
      expect(response.headers.get("content-type")).toBe("application/json");
      const text = await response.text();
      expect(() => JSON.parse(text)).toThrow();
      emulator.failNext({ malformed: true, status: 502 });
      const failed = await post(emulator, { n: 2 });
      expect(failed.status).toBe(502);
      const failedText = await failed.text();
      expect(() => JSON.parse(failedText)).toThrow();
      expect(emulator.received).toEqual([{ n: 1 }]);
    } finally {
      await emulator.close();
    }
  });

  it("adds a fault's headers to the vendor's own answer (e.g. a redirect Location)", async () => {
    const emulator = await startItems();
    try {
      emulator.failNext({ status: 307, headers: { location: "https://elsewhere.example/items" }, body: "" });
      const response = await post(emulator, { n: 1 }, { redirect: "manual" });
      expect([response.status, response.headers.get("location")]).toEqual([
        307,
        "https://elsewhere.example/items",
      ]);
      emulator.failNext({ headers: { "x-extra": "yes" } });
      const stored = await post(emulator, { n: 2 });
      expect([stored.status, stored.headers.get("x-extra")]).toEqual([201, "yes"]);
      expect(emulator.received).toEqual([{ n: 2 }]);
    } finally {
      await emulator.close();
    }
  });

  it("answers 413 above maxRequestBytes, without storing", async () => {
    const emulator = await startItems({ maxRequestBytes: 64 });
    try {
      expect(await outcome(post(emulator, { text: "x".repeat(100) }))).toBe(
        '413 {"error":"request body larger than 64 bytes"}',
      );
      expect(await outcome(post(emulator, { text: "short" }))).toBe('201 {"id":1}');
      expect(emulator.received).toEqual([{ text: "short" }]);
    } finally {
      await emulator.close();
    }
  });

  it("injectFaults draws from a generator; failNext comes first; reset() forgets everything", async () => {
    const emulator = await startItems();
    try {
      emulator.injectFaults(createSeededFaults({ seed: 1, rate: 1, faults: [{ status: 500 }] }));
      emulator.failNext({ status: 401 });
      expect(await outcome(post(emulator, {}))).toBe('401 {"error":"injected failure (401)"}');
      expect(await outcome(post(emulator, {}))).toBe('500 {"error":"injected failure (500)"}');
      emulator.injectFaults(undefined);
      expect(await outcome(post(emulator, { n: 1 }))).toBe('201 {"id":1}');
      emulator.failNext({ status: 500 });
      emulator.injectFaults(createSeededFaults({ seed: 1, rate: 1, faults: [{ status: 500 }] }));
      emulator.reset();
      expect(emulator.received).toEqual([]);
      expect(emulator.requests).toEqual([]);
      expect(await outcome(post(emulator, { n: 2 }))).toBe('201 {"id":1}');
    } finally {
      await emulator.close();
    }
  });

  it("a drawn fault with times > 1 is a burst: the next matching requests get it too", async () => {
    const emulator = await startItems();
    try {
      let draws = 0;
      emulator.injectFaults(() => (draws++ === 0 ? { status: 429, times: 3 } : undefined));
      const statuses = [];
      for (let index = 0; index < 5; index++) statuses.push((await post(emulator, {})).status);
      expect(statuses).toEqual([429, 429, 429, 201, 201]);
    } finally {
      await emulator.close();
    }
  });
});

describe("createSeededFaults", () => {
  const request = { method: "POST", path: "/v1/events" };
  const draw = (generator: ReturnType<typeof createSeededFaults>, count: number) =>
    Array.from({ length: count }, () => generator(request)?.status ?? 0);

  it("draws the same sequence for the same seed, a different one for another seed", () => {
    const faults = [{ status: 500 }, { status: 503 }, { status: 429 }];
    const first = draw(createSeededFaults({ seed: 42, rate: 0.5, faults }), 200);
    expect(draw(createSeededFaults({ seed: 42, rate: 0.5, faults }), 200)).toEqual(first);
    expect(draw(createSeededFaults({ seed: 43, rate: 0.5, faults }), 200)).not.toEqual(first);
    const hits = first.filter((status) => status !== 0).length;
    // 200 draws at rate 0.5: far from 0 and from 200 for this fixed seed.
    expect(hits).toBeGreaterThan(60);
    expect(hits).toBeLessThan(140);
    expect(new Set(first)).toEqual(new Set([0, 500, 503, 429]));
  });

  it("rate 0 never faults, rate 1 always does; route limits which requests draw", () => {
    expect(draw(createSeededFaults({ seed: 1, rate: 0, faults: [{ status: 500 }] }), 50)).toEqual(
      Array(50).fill(0),
    );
    expect(draw(createSeededFaults({ seed: 1, rate: 1, faults: [{ status: 500 }] }), 50)).toEqual(
      Array(50).fill(500),
    );
    const routed = createSeededFaults({ seed: 1, rate: 1, faults: [{ status: 500 }], route: "POST /v1/*" });
    expect(routed({ method: "POST", path: "/v1/events" })?.status).toBe(500);
    expect(routed({ method: "GET", path: "/v1/events" })).toBeUndefined();
    expect(routed({ method: "POST", path: "/v2/events" })).toBeUndefined();
    const perFault = createSeededFaults({ seed: 1, rate: 1, faults: [{ status: 500, route: "/auth" }] });
    expect(perFault({ method: "POST", path: "/v1/events" })).toBeUndefined();
    expect(perFault({ method: "POST", path: "/auth" })?.status).toBe(500);
  });

  it("rejects a rate outside 0..1 and an empty fault list", () => {
    expect(() => createSeededFaults({ seed: 1, rate: 1.5, faults: [{}] })).toThrow(RangeError);
    expect(() => createSeededFaults({ seed: 1, rate: 0.5, faults: [] })).toThrow(RangeError);
  });
});

describe("normalizeForSnapshot", () => {
  it("replaces ids, hex ids, times, ports, volatile keys and secrets; keeps equal ids equal", () => {
    const runId = "0b9c7a52-3f1e-4d2a-9c55-1e2f3a4b5c6d";
    const otherId = "1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b";
    const value = {
      recordId: runId,
      parentRunId: otherId,
      traceId: `${runId}:0`,
      spanId: "a1b2c3d4e5f60718",
      otlpTraceId: "a1b2c3d4e5f60718293a4b5c6d7e8f90",
      sameSpan: "a1b2c3d4e5f60718",
      createdAt: "2025-01-02T03:04:05.678Z",
      url: "http://127.0.0.1:49152/v1/events",
      timing: { startTime: 1_700_000_000_000, endTime: 1_700_000_000_500, latencyMs: 500 },
      request_start_time: 1_700_000_000,
      headers: { authorization: "Bearer sk-live-123456" },
      bytes: new Uint8Array(3),
      text: "plain text stays",
    };
    expect(
      normalizeForSnapshot(value, { volatileKeys: ["request_start_time"], secrets: ["sk-live-123456"] }),
    ).toMatchInlineSnapshot(`
      {
        "bytes": "<3 bytes>",
        "createdAt": "<time>",
        "headers": {
          "authorization": "Bearer <secret>",
        },
        "otlpTraceId": "<hex32-1>",
        "parentRunId": "<id-2>",
        "recordId": "<id-1>",
        "request_start_time": "<request_start_time>",
        "sameSpan": "<hex16-1>",
        "spanId": "<hex16-1>",
        "text": "plain text stays",
        "timing": {
          "endTime": "<endTime>",
          "latencyMs": "<latencyMs>",
          "startTime": "<startTime>",
        },
        "traceId": "<id-1>:0",
        "url": "http://127.0.0.1:<port>/v1/events",
      }
    `);
  });

  it("does not modify its input and survives cycles", () => {
    const input: Record<string, unknown> = { id: "0b9c7a52-3f1e-4d2a-9c55-1e2f3a4b5c6d" };
    input.self = input;
    const output = normalizeForSnapshot(input) as Record<string, unknown>;
    expect(output).toEqual({ id: "<id-1>", self: "<cycle>" });
    expect(input.id).toBe("0b9c7a52-3f1e-4d2a-9c55-1e2f3a4b5c6d");
  });
});

describe("the testing entry without msw installed", () => {
  it("serves an emulator; only startMockServer needs msw, and says so when called", async () => {
    // A resolve hook that refuses "msw", as in a project that never installed it.
    const hook = `export async function resolve(specifier, context, next) {
      if (specifier === "msw" || specifier.startsWith("msw/")) {
        const error = new Error("Cannot find package 'msw'");
        error.code = "ERR_MODULE_NOT_FOUND";
        throw error;
      }
      return next(specifier, context);
    }`;
    const result = await runScript(`
      import { register } from "node:module";
      register("data:text/javascript," + encodeURIComponent(${JSON.stringify(hook)}));
      const testing = await import(${JSON.stringify(sourceEntries.testing)});
      const emulator = await testing.startEmulator({
        respond: (request, { store }) => (store(request.body), { status: 201, body: {} }),
      });
      const response = await fetch(emulator.url + "/items", { method: "POST", body: "{}" });
      console.log("emulator", response.status, emulator.received.length);
      await emulator.close();
      console.log(await testing.startMockServer([]).then(() => "served", (error) => error.message));
    `);
    expect(result.stderr).toBe("");
    expect(result.stdout.trim().split("\n")).toEqual(["emulator 201 1", "Cannot find package 'msw'"]);
  }, 300_000);
});
