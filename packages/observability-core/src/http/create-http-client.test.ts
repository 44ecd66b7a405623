import { createServer } from "node:net";
import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigurationError, ExportTimeoutError, VendorApiError } from "../index";
import { type Emulator, type EmulatorAnswer, startEmulator } from "../testing/index";
import { createHttpClient, type HttpClientOptions } from "./create-http-client";

const emulators: Array<Emulator<unknown>> = [];
afterEach(async () => {
  await Promise.all(emulators.splice(0).map((emulator) => emulator.close()));
});

/** A vendor that stores every body it gets on `/ingest` and answers `answer` (200 `{ ok: true }`). */
async function startSink(answer?: (body: unknown) => EmulatorAnswer): Promise<Emulator<unknown>> {
  const emulator = await startEmulator<unknown>({
    respond(request, { store }) {
      if (!request.path.startsWith("/ingest")) return undefined;
      store(request.body ?? request.text);
      return answer ? answer(request.body) : { body: { ok: true } };
    },
  });
  emulators.push(emulator);
  return emulator;
}

function client(url: string, options: Partial<HttpClientOptions> = {}) {
  return createHttpClient({ vendor: "Acme", baseUrl: url, backoffLimitMs: 1, ...options });
}

async function failure(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error("expected the request to fail");
}

/** A port where nothing listens (connection refused). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("createHttpClient", () => {
  it("sends JSON with the user agent and headers, and parses the answer", async () => {
    const sink = await startSink();
    const http = client(sink.url, { headers: { "x-api-key": "k" }, userAgent: "acme-pkg/1.0.0" });
    const response = await http.request({ method: "POST", path: "/ingest", json: { a: 1 } });
    expect(response).toMatchObject({ status: 200, body: { ok: true }, truncated: false });
    expect(sink.requests[0]!.headers["user-agent"]).toMatch(
      /^acme-pkg\/1\.0\.0 langchain-observability-core\//,
    );
    expect(sink.requests[0]!.headers["x-api-key"]).toBe("k");
    expect(sink.requests[0]!.headers["content-type"]).toBe("application/json");
    expect(sink.received).toEqual([{ a: 1 }]);
  });

  it("sends a pre-serialized body as is, with query parameters", async () => {
    const sink = await startSink();
    await client(sink.url).request({
      method: "PUT",
      path: "ingest",
      body: '[{"id":1},{"id":2}]',
      searchParams: { documentId: "r-1" },
    });
    expect(sink.received).toEqual([[{ id: 1 }, { id: 2 }]]);
  });

  it("uses a custom fetch when one is given, body and headers included", async () => {
    const sink = await startSink();
    const calls: Request[] = [];
    const customFetch = async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      calls.push(request.clone());
      return globalThis.fetch(request);
    };
    const http = client(sink.url, { fetch: customFetch, headers: { "x-api-key": "k" } });
    await expect(http.request({ method: "POST", path: "ingest", json: { b: 2 } })).resolves.toMatchObject({
      body: { ok: true },
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.redirect).toBe("manual");
    expect(sink.received).toEqual([{ b: 2 }]);
    expect(sink.requests[0]!.headers["x-api-key"]).toBe("k");
  });

  describe("resends only what is safe (contract 4)", () => {
    it("resends an idempotent request after 500 and 503, counting each resend", async () => {
      const sink = await startSink();
      sink.failNext({ status: 500 });
      sink.failNext({ status: 503 });
      const clientRetries: number[] = [];
      let requestRetries = 0;
      const http = client(sink.url, { maxRetries: 3, onRetry: ({ attempt }) => clientRetries.push(attempt) });
      await expect(
        http.request({ method: "PUT", path: "ingest", json: {}, onRetry: () => requestRetries++ }),
      ).resolves.toMatchObject({ status: 200 });
      expect(sink.requests.map((request) => request.status)).toEqual([500, 503, 200]);
      expect(clientRetries).toEqual([1, 2]);
      expect(requestRetries).toBe(2);
    });

    it("never resends a POST after a 500 (the error stays retryable for the queue)", async () => {
      const sink = await startSink();
      sink.failNext({ status: 500, times: 5 });
      const error = await failure(client(sink.url).request({ method: "POST", path: "ingest", json: {} }));
      expect(sink.requests).toHaveLength(1);
      expect(error).toMatchObject({ status: 500, isRetryable: true, outcome: "failed" });
    });

    it("resends a POST after 429 and 503 (the vendor surely did not store it)", async () => {
      const sink = await startSink();
      sink.failNext({ status: 429, headers: { "retry-after": "0" } });
      sink.failNext({ status: 503 });
      await client(sink.url).request({ method: "POST", path: "ingest", json: { n: 1 } });
      expect(sink.requests.map((request) => request.status)).toEqual([429, 503, 200]);
      expect(sink.received).toEqual([{ n: 1 }]);
    });

    it("resends a POST marked idempotent after a 500", async () => {
      const sink = await startSink();
      sink.failNext({ status: 500 });
      await client(sink.url).request({ method: "POST", path: "ingest", json: {}, idempotent: true });
      expect(sink.requests.map((request) => request.status)).toEqual([500, 200]);
    });

    it("a POST whose connection is lost after the vendor stored it: not resent, outcome unknown", async () => {
      const sink = await startSink();
      sink.failNext({ reset: "after-store", times: 5 });
      const error = await failure(
        client(sink.url).request({ method: "POST", path: "ingest", json: { n: 1 } }),
      );
      expect(VendorApiError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ status: undefined, outcome: "unknown" });
      expect(error.message).toMatch(/failed: .*the vendor may have stored it, so it is not sent again$/);
      expect(sink.received).toEqual([{ n: 1 }]);
      expect(sink.requests).toHaveLength(1);
    });

    it("an idempotent request whose connection is lost is resent (the key makes it one record)", async () => {
      const sink = await startSink();
      sink.failNext({ reset: "after-store" });
      const response = await client(sink.url).request({ method: "PUT", path: "ingest", json: { n: 1 } });
      expect(response.status).toBe(200);
      expect(sink.requests.map((request) => request.status)).toEqual(["reset", 200]);
    });

    it("resends any request after a connection refused, then reports a retryable failure", async () => {
      const port = await closedPort();
      let retries = 0;
      const http = client(`http://127.0.0.1:${port}`, { maxRetries: 2, onRetry: () => retries++ });
      const error = await failure(http.request({ method: "POST", path: "ingest", json: {} }));
      expect(VendorApiError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ isRetryable: true, outcome: "failed" });
      expect(error.message).toContain("ECONNREFUSED");
      expect(retries).toBe(2);
    });

    it("a POST that hangs times out once, outcome unknown, never resent", async () => {
      const sink = await startSink();
      sink.failNext({ hangMs: Number.POSITIVE_INFINITY, times: 5 });
      const error = await failure(
        client(sink.url, { timeoutMs: 5000, maxRetries: 3 }).request({
          method: "POST",
          path: "ingest",
          json: {},
        }),
      );
      expect(ExportTimeoutError.isInstance(error)).toBe(true);
      expect(error.outcome).toBe("unknown");
      expect(error.message).toBe(
        `Acme: POST ${sink.url}/ingest timed out after 5000 ms; the vendor may have stored it, so it is not sent again`,
      );
      expect(sink.requests).toHaveLength(1);
    });

    it("an idempotent request that hangs is resent after each timeout, up to maxRetries", async () => {
      const sink = await startSink();
      sink.failNext({ hangMs: Number.POSITIVE_INFINITY, times: 5 });
      const error = await failure(
        client(sink.url, { timeoutMs: 5000, maxRetries: 2 }).request({ method: "GET", path: "ingest" }),
      );
      expect(error).toMatchObject({ outcome: "failed", isRetryable: true });
      expect(error.message).toBe(`Acme: GET ${sink.url}/ingest timed out after 5000 ms`);
      expect(sink.requests).toHaveLength(3);
    });

    it("retry: false never resends", async () => {
      const sink = await startSink();
      sink.failNext({ status: 503, times: 5 });
      await failure(client(sink.url).request({ method: "GET", path: "ingest", retry: false }));
      expect(sink.requests).toHaveLength(1);
    });

    it.each([400, 401, 403, 413, 422])(
      "never resends a %i and reports it without the credentials",
      async (status) => {
        const sink = await startSink();
        sink.failNext({ status, body: { detail: "rejected" } });
        const http = client(sink.url, { headers: { authorization: "secret-key-123" } });
        const error = await failure(http.request({ method: "PUT", path: "ingest", json: {} }));
        expect(sink.requests).toHaveLength(1);
        expect(VendorApiError.isInstance(error)).toBe(true);
        expect(error).toMatchObject({ vendor: "Acme", method: "PUT", status, isRetryable: false });
        expect(error.message).toBe(`Acme: PUT ${sink.url}/ingest answered ${status}: {"detail":"rejected"}`);
        expect(JSON.stringify({ ...error, message: error.message })).not.toContain("secret-key-123");
      },
    );
  });

  describe("Retry-After", () => {
    it("waits the Retry-After the vendor asks for before resending", async () => {
      const sink = await startSink();
      sink.failNext({ status: 429, headers: { "retry-after": "1" } });
      const http = client(sink.url);
      const started = Date.now();
      await http.request({ method: "POST", path: "ingest", json: {} });
      // backoffLimitMs alone would resend after ≤ 1 ms: waiting ~1 s proves Retry-After was read.
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(sink.requests).toHaveLength(2);
    });

    it("a Retry-After beyond maxRetryAfterMs fails the attempt at once, with the wait in the error", async () => {
      const sink = await startSink();
      sink.failNext({ status: 429, headers: { "retry-after": "3600" }, times: 5 });
      const error = await failure(
        client(sink.url, { maxRetryAfterMs: 60_000 }).request({ method: "POST", path: "ingest", json: {} }),
      );
      expect(sink.requests).toHaveLength(1);
      expect(error).toMatchObject({
        status: 429,
        isRetryable: true,
        retryAfterMs: 3_600_000,
        outcome: "failed",
      });
      expect(error.message).toBe(
        `Acme: POST ${sink.url}/ingest answered 429 with Retry-After 3600 s, longer than maxRetryAfterMs (60000 ms): not resent now`,
      );
    });
  });

  describe("redirects are never followed", () => {
    it("a 3xx to another origin is a failed request naming only the Location origin", async () => {
      const elsewhere = await startSink();
      const sink = await startSink();
      sink.failNext({
        status: 307,
        headers: { location: `${elsewhere.url}/steal?token=abc123456` },
        body: "",
      });
      const error = await failure(
        client(sink.url, { headers: { "x-api-key": "sk-live-key-1" } }).request({
          method: "POST",
          path: "ingest",
          json: { api_key: "sk-live-key-1" },
        }),
      );
      expect(error).toMatchObject({ status: 307, isRetryable: false });
      expect(error.message).toBe(
        `Acme: POST ${sink.url}/ingest answered 307 to ${elsewhere.url}; redirects are not followed (credentials only go to the configured URL): check the base URL`,
      );
      expect(elsewhere.requests).toEqual([]);
      expect(sink.requests).toHaveLength(1);
    });

    it("with a custom fetch too; a fetch that follows redirects anyway is a failure, not a delivery", async () => {
      const elsewhere = await startSink();
      const sink = await startSink();
      sink.failNext({ status: 302, headers: { location: `${elsewhere.url}/ingest` }, body: "", times: 2 });
      const polite = client(sink.url, { fetch: (input, init) => globalThis.fetch(input, init) });
      const first = await failure(polite.request({ method: "POST", path: "ingest", json: {} }));
      expect(first.message).toContain(`answered 302 to ${elsewhere.url}; redirects are not followed`);
      expect(elsewhere.requests).toEqual([]);
      const follower = client(sink.url, {
        fetch: (input, init) =>
          globalThis.fetch(new Request(input as Request, { ...init, redirect: "follow" })),
      });
      const second = await failure(follower.request({ method: "GET", path: "ingest" }));
      expect(second.message).toContain(`was redirected to ${elsewhere.url} by the custom fetch`);
      expect(second).toMatchObject({ isRetryable: false });
    });
  });

  describe("answers", () => {
    it("reads at most maxResponseBytes of an answer and drops the rest", async () => {
      const sink = await startSink(() => ({ body: `[${'"x",'.repeat(1_500_000)}"x"]` }));
      const response = await client(sink.url).request({ method: "POST", path: "ingest", json: {} });
      expect(response.truncated).toBe(true);
      expect(response.text).toHaveLength(1_000_000);
      expect(response.body).toBeUndefined();
      const small = await client(sink.url, { maxResponseBytes: 1024 }).request({
        method: "GET",
        path: "ingest",
      });
      expect([small.truncated, small.text.length]).toEqual([true, 1024]);
    });

    it("caps an error body too", async () => {
      const sink = await startSink();
      sink.failNext({ status: 400, body: "e".repeat(5_000_000) });
      const error = await failure(client(sink.url).request({ method: "POST", path: "ingest", json: {} }));
      expect(error.responseBody).toHaveLength(1001);
    });

    it("returns an unparseable body as text with body undefined, rather than throwing", async () => {
      const sink = await startSink(() => ({ body: "{not json" }));
      await expect(
        client(sink.url).request({ method: "POST", path: "ingest", json: {} }),
      ).resolves.toMatchObject({
        status: 200,
        text: "{not json",
        body: undefined,
      });
    });

    it("stops at once when the caller aborts", async () => {
      const sink = await startSink();
      sink.failNext({ hangMs: Number.POSITIVE_INFINITY });
      const controller = new AbortController();
      const pending = failure(
        client(sink.url, { timeoutMs: 60_000 }).request({
          method: "POST",
          path: "ingest",
          json: {},
          signal: controller.signal,
        }),
      );
      await sink.waitForRequests(1);
      controller.abort();
      const error = await pending;
      expect(ExportTimeoutError.isInstance(error)).toBe(true);
      expect(error.message).toContain("aborted");
      expect(error.outcome).toBe("unknown");
    });
  });

  describe("secrets", () => {
    it("keeps no credential or body anywhere in the error, even under util.inspect", async () => {
      for (const fault of [
        { status: 401, body: { detail: "no" } },
        { reset: true as const },
        { hangMs: Number.POSITIVE_INFINITY },
      ]) {
        const sink = await startSink();
        sink.failNext(fault);
        const http = client(sink.url, {
          timeoutMs: 5000,
          maxRetries: 0,
          headers: { authorization: "header-secret-1" },
        });
        const error = await failure(
          http.request({ method: "POST", path: "ingest", json: { api_key: "body-secret-2" } }),
        );
        const shown = `${inspect(error, { depth: 20, showHidden: true })} ${JSON.stringify(error)} ${String(error)}`;
        expect(shown).not.toContain("header-secret-1");
        expect(shown).not.toContain("body-secret-2");
      }
    });

    it("redacts every credential it holds, in the encodings a server may echo it in", async () => {
      const key = 'pl_"key/é 9+x';
      const token = "id-token-obtained-later-42";
      const bearer = "bearer-per-request-77";
      const echoes = [
        key,
        JSON.stringify(key).slice(1, -1),
        JSON.stringify(JSON.stringify(key).slice(1, -1)).slice(1, -1),
        [...key].map((character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`).join(""),
        JSON.stringify(key).slice(1, -1).replace("é", "\\u00E9"),
        encodeURIComponent(key),
        encodeURIComponent(key).toLowerCase(),
        new URLSearchParams({ k: key }).toString().slice(2),
        token,
        encodeURIComponent(token),
        bearer,
      ];
      const sink = await startSink();
      sink.failNext({ status: 400, body: `{"echo": "${echoes.join(" | ")}"}` });
      const http = client(sink.url, { secrets: [key, undefined] });
      http.addSecret(token);
      const error = await failure(
        http.request({
          method: "POST",
          path: `ingest/${encodeURIComponent(token)}?key=${encodeURIComponent(key)}`,
          json: {},
          headers: { authorization: `Bearer ${bearer}` },
        }),
      );
      const shown = `${inspect(error, { depth: 20, showHidden: true })} ${error.message}`;
      for (const echo of echoes) expect(shown, echo).not.toContain(echo);
      expect(error.responseBody).toBe(`{"echo": "${Array(echoes.length).fill("[redacted]").join(" | ")}"}`);
      expect(error.url).toBe(`${sink.url}/ingest/[redacted]`);
    });
  });

  describe("options", () => {
    it.each([
      ["timeoutMs", 2 ** 31],
      ["timeoutMs", 0],
      ["maxRetryAfterMs", Number.POSITIVE_INFINITY],
      ["backoffLimitMs", 2 ** 31],
      ["maxRetries", 1.5],
      ["maxResponseBytes", 0],
    ])("rejects %s = %s with a ConfigurationError naming it", (option, value) => {
      let caught: unknown;
      try {
        createHttpClient({ vendor: "Acme", baseUrl: "https://acme.example", [option]: value });
      } catch (error) {
        caught = error;
      }
      expect(ConfigurationError.isInstance(caught)).toBe(true);
      expect(caught).toMatchObject({ option });
    });

    it("never prints the value of a baseUrl that is not a URL (it may be a key pasted there)", () => {
      let caught: unknown;
      try {
        createHttpClient({ vendor: "Acme", baseUrl: "sk-live-0123456789abcdef" });
      } catch (error) {
        caught = error;
      }
      expect((caught as Error).message).toBe(
        "createHttpClient: `baseUrl` must be an absolute http(s) URL, got a string of 24 characters.",
      );
    });
  });
});
