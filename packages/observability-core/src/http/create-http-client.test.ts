import { delay, HttpResponse, http } from "msw";
import { afterEach, describe, expect, it } from "vitest";
import { ExportTimeoutError, VendorApiError } from "../index";
import { type MockServer, startMockServer } from "../testing/index";
import { createHttpClient } from "./create-http-client";

let server: MockServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function sequence(...responses: Array<() => Response | Promise<Response>>) {
  let call = 0;
  const seen: Request[] = [];
  return {
    seen,
    resolver: async ({ request }: { request: Request }) => {
      seen.push(request.clone());
      const respond = responses[Math.min(call, responses.length - 1)]!;
      call++;
      return respond();
    },
  };
}

async function serve(resolver: (info: { request: Request }) => Promise<Response>) {
  server = await startMockServer([http.post("*/ingest", resolver)]);
  return server.url;
}

describe("createHttpClient", () => {
  it("sends JSON with the user agent and headers, and parses the answer", async () => {
    const { seen, resolver } = sequence(() => HttpResponse.json({ ok: true }));
    const url = await serve(resolver);
    const client = createHttpClient({
      vendor: "Acme",
      baseUrl: url,
      headers: { "x-api-key": "k" },
      userAgent: "acme-pkg/1.0.0",
    });
    const response = await client.request({ method: "POST", path: "/ingest", json: { a: 1 } });
    expect(response).toMatchObject({ status: 200, body: { ok: true } });
    expect(seen[0]!.headers.get("user-agent")).toMatch(/^acme-pkg\/1\.0\.0 langchain-observability-core\//);
    expect(seen[0]!.headers.get("x-api-key")).toBe("k");
    expect(await seen[0]!.json()).toEqual({ a: 1 });
  });

  it("uses a custom fetch when one is given, body and headers included", async () => {
    const { seen, resolver } = sequence(() => HttpResponse.json({ ok: 1 }));
    const url = await serve(resolver);
    const calls: Request[] = [];
    const customFetch = async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      calls.push(request.clone());
      return globalThis.fetch(request);
    };
    const client = createHttpClient({
      vendor: "Acme",
      baseUrl: url,
      fetch: customFetch,
      headers: { "x-api-key": "k" },
    });
    await expect(client.request({ method: "POST", path: "ingest", json: { b: 2 } })).resolves.toMatchObject({
      body: { ok: 1 },
    });
    expect(calls).toHaveLength(1);
    expect(await calls[0]!.json()).toEqual({ b: 2 });
    expect(seen[0]!.headers.get("content-type")).toBe("application/json");
    expect(seen[0]!.headers.get("x-api-key")).toBe("k");
  });

  it("retries a 500 and a 503 and then succeeds, counting the retries", async () => {
    const { seen, resolver } = sequence(
      () => new HttpResponse("boom", { status: 500 }),
      () => new HttpResponse("busy", { status: 503 }),
      () => HttpResponse.json({ ok: true }),
    );
    const url = await serve(resolver);
    const retries: number[] = [];
    const client = createHttpClient({
      vendor: "Acme",
      baseUrl: url,
      maxRetries: 3,
      backoffLimitMs: 20,
      onRetry: ({ attempt }) => retries.push(attempt),
    });
    await expect(client.request({ method: "POST", path: "ingest", json: {} })).resolves.toMatchObject({
      status: 200,
    });
    expect(seen).toHaveLength(3);
    expect(retries).toEqual([1, 2]);
  });

  it("honours Retry-After on a 429", async () => {
    const { seen, resolver } = sequence(
      () => new HttpResponse("slow down", { status: 429, headers: { "Retry-After": "1" } }),
      () => HttpResponse.json({ ok: true }),
    );
    const url = await serve(resolver);
    const client = createHttpClient({ vendor: "Acme", baseUrl: url, backoffLimitMs: 10 });
    const started = Date.now();
    await client.request({ method: "POST", path: "ingest", json: {} });
    // backoffLimitMs alone would retry after ≤ 10 ms: waiting ~1 s proves Retry-After was read.
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(seen).toHaveLength(2);
  });

  it.each([400, 401, 403, 413, 422])(
    "never retries a %i and reports it without the credentials",
    async (status) => {
      const { seen, resolver } = sequence(() => HttpResponse.json({ detail: "rejected" }, { status }));
      const url = await serve(resolver);
      const client = createHttpClient({
        vendor: "Acme",
        baseUrl: url,
        headers: { authorization: "secret-key-123" },
      });
      const error = await client
        .request({ method: "POST", path: "ingest", json: {} })
        .catch((caught) => caught);
      expect(seen).toHaveLength(1);
      expect(VendorApiError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ vendor: "Acme", method: "POST", status, isRetryable: false });
      expect(error.message).toBe(`Acme: POST ${url}/ingest answered ${status}: {"detail":"rejected"}`);
      expect(JSON.stringify({ ...error, message: error.message })).not.toContain("secret-key-123");
    },
  );

  it("keeps no credential or body anywhere in the error, even under util.inspect", async () => {
    const { inspect } = await import("node:util");
    for (const answer of [
      () => HttpResponse.json({ detail: "no" }, { status: 401 }),
      () => HttpResponse.error(),
      async () => {
        await delay("infinite");
        return HttpResponse.json({});
      },
    ]) {
      const { resolver } = sequence(answer);
      const url = await serve(resolver);
      const client = createHttpClient({
        vendor: "Acme",
        baseUrl: url,
        timeoutMs: 100,
        maxRetries: 0,
        headers: { authorization: "header-secret-1" },
      });
      const error = await client
        .request({ method: "POST", path: "ingest", json: { api_key: "body-secret-2" } })
        .catch((caught) => caught);
      const shown = `${inspect(error, { depth: 20, showHidden: true })} ${JSON.stringify(error)} ${String(error)}`;
      expect(shown).not.toContain("header-secret-1");
      expect(shown).not.toContain("body-secret-2");
      await server?.close();
      server = undefined;
    }
  });

  it("redacts the secrets it was given from error bodies and messages", async () => {
    const { resolver } = sequence(() =>
      HttpResponse.json({ detail: "bad key pl_secret_123" }, { status: 400 }),
    );
    const url = await serve(resolver);
    const client = createHttpClient({ vendor: "Acme", baseUrl: url, secrets: ["pl_secret_123", undefined] });
    const error = await client
      .request({ method: "POST", path: "ingest", json: {} })
      .catch((caught) => caught);
    expect(error.responseBody).toBe('{"detail":"bad key [redacted]"}');
    expect(error.message).not.toContain("pl_secret_123");
  });

  it("keeps query strings and secrets out of the sanitized cause too", async () => {
    const { inspect } = await import("node:util");
    const { resolver } = sequence(() => new HttpResponse("no", { status: 500 }));
    const url = await serve(resolver);
    const client = createHttpClient({
      vendor: "Acme",
      baseUrl: url,
      maxRetries: 0,
      secrets: ["path-secret-42"],
    });
    const error = await client
      .request({ method: "POST", path: "ingest/path-secret-42?key=query-secret-7", json: {} })
      .catch((caught) => caught);
    const shown = inspect(error, { depth: 20, showHidden: true });
    expect(shown).not.toContain("query-secret-7");
    expect(shown).not.toContain("path-secret-42");
  });

  it("gives up after maxRetries with a retryable VendorApiError", async () => {
    const { seen, resolver } = sequence(() => new HttpResponse("down", { status: 502 }));
    const url = await serve(resolver);
    const client = createHttpClient({ vendor: "Acme", baseUrl: url, maxRetries: 2, backoffLimitMs: 5 });
    const error = await client
      .request({ method: "POST", path: "ingest", json: {} })
      .catch((caught) => caught);
    expect(seen).toHaveLength(3);
    expect(error).toMatchObject({ status: 502, isRetryable: true });
  });

  it("times out a hanging vendor with an ExportTimeoutError", async () => {
    const { resolver } = sequence(async () => {
      await delay("infinite");
      return HttpResponse.json({});
    });
    const url = await serve(resolver);
    const client = createHttpClient({
      vendor: "Acme",
      baseUrl: url,
      timeoutMs: 100,
      maxRetries: 1,
      backoffLimitMs: 5,
    });
    const error = await client
      .request({ method: "POST", path: "ingest", json: {} })
      .catch((caught) => caught);
    expect(ExportTimeoutError.isInstance(error)).toBe(true);
    expect(error.message).toBe(`Acme: POST ${url}/ingest timed out after 100 ms`);
  });

  it("retries a reset connection and reports a network failure as retryable", async () => {
    const { seen, resolver } = sequence(() => HttpResponse.error());
    const url = await serve(resolver);
    const client = createHttpClient({ vendor: "Acme", baseUrl: url, maxRetries: 2, backoffLimitMs: 5 });
    const error = await client
      .request({ method: "POST", path: "ingest", json: {} })
      .catch((caught) => caught);
    expect(seen).toHaveLength(3);
    expect(VendorApiError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ status: undefined, isRetryable: true });
    expect(error.message).toContain(`Acme: POST ${url}/ingest failed`);
  });

  it("returns an unparseable body as text with body undefined, rather than throwing", async () => {
    const { resolver } = sequence(() => new HttpResponse("{not json", { status: 200 }));
    const url = await serve(resolver);
    const client = createHttpClient({ vendor: "Acme", baseUrl: url });
    await expect(client.request({ method: "POST", path: "ingest", json: {} })).resolves.toMatchObject({
      status: 200,
      text: "{not json",
      body: undefined,
    });
  });

  it("stops at once when the caller aborts", async () => {
    const { resolver } = sequence(async () => {
      await delay("infinite");
      return HttpResponse.json({});
    });
    const url = await serve(resolver);
    const client = createHttpClient({ vendor: "Acme", baseUrl: url, timeoutMs: 10_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await client
      .request({ method: "POST", path: "ingest", json: {}, signal: controller.signal })
      .catch((caught) => caught);
    expect(ExportTimeoutError.isInstance(error)).toBe(true);
    expect(error.message).toContain("aborted");
  });
});
