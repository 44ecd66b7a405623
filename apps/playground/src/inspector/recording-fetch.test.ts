import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRecordingFetch, createSecretList, type RecordedExchange } from "./recording-fetch";

const API_KEY = "sk-live-0123456789abcdef";
const PASSWORD = "correct horse battery staple";
const ISSUED_TOKEN = "session-token-issued-by-the-vendor-42";

/** A loopback vendor: a login that issues a token, and an endpoint that echoes what it got. */
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      response.setHeader("content-type", "application/json");
      if (new URL(request.url ?? "/", "http://127.0.0.1").pathname === "/login") {
        response.end(JSON.stringify({ token: ISSUED_TOKEN, user: "me" }));
        return;
      }
      response.statusCode = request.headers.authorization === `Bearer ${ISSUED_TOKEN}` ? 200 : 401;
      response.end(JSON.stringify({ echoed: Buffer.concat(chunks).toString("utf8") }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function recorder() {
  const exchanges: RecordedExchange[] = [];
  let sequence = 0;
  const answered: Array<Promise<void>> = [];
  const waiters = new Map<number, () => void>();
  const fetch = createRecordingFetch({
    column: "vendor",
    secrets: createSecretList([API_KEY]),
    nextId: () => ++sequence,
    onExchange(exchange, phase) {
      if (phase === "sent") {
        exchanges.push(exchange);
        answered.push(new Promise<void>((resolve) => waiters.set(exchange.id, resolve)));
      } else waiters.get(exchange.id)?.();
    },
  });
  return { fetch, exchanges, allAnswered: () => Promise.all(answered) };
}

describe("the recording fetch", () => {
  it("records requests and answers with every credential redacted, and sends them unchanged", async () => {
    const { fetch, exchanges, allAnswered } = recorder();
    const login = await fetch(`${baseUrl}/login?key=${API_KEY}&page=2`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": API_KEY },
      body: JSON.stringify({ username: "me", password: PASSWORD, nested: { api_key: API_KEY } }),
    });
    expect(await login.json()).toEqual({ token: ISSUED_TOKEN, user: "me" });
    await allAnswered();
    // The issued token is a secret from now on, wherever it appears.
    const call = await fetch(`${baseUrl}/data`, {
      method: "POST",
      headers: { authorization: `Bearer ${ISSUED_TOKEN}` },
      body: `note: my token is ${ISSUED_TOKEN}`,
    });
    expect(call.status).toBe(200);
    expect(((await call.json()) as { echoed: string }).echoed).toBe(`note: my token is ${ISSUED_TOKEN}`);
    await allAnswered();

    const recorded = JSON.stringify(exchanges);
    for (const secret of [API_KEY, PASSWORD, ISSUED_TOKEN]) expect(recorded).not.toContain(secret);
    const shown = exchanges.map(({ time, durationMs, url, ...rest }) => ({
      ...rest,
      url: url.replace(baseUrl, "http://vendor"),
      time: typeof time,
      durationMs: typeof durationMs,
    }));
    expect(shown).toMatchInlineSnapshot(`
      [
        {
          "column": "vendor",
          "durationMs": "number",
          "id": 1,
          "method": "POST",
          "path": "/login",
          "requestBody": {
            "nested": {
              "api_key": "[redacted]",
            },
            "password": "[redacted]",
            "username": "me",
          },
          "requestBodyKind": "json",
          "requestBytes": 107,
          "requestHeaders": {
            "content-type": "application/json",
            "x-api-key": "[redacted]",
          },
          "responseBody": {
            "token": "[redacted]",
            "user": "me",
          },
          "status": 200,
          "time": "number",
          "url": "http://vendor/login?key=[redacted]&page=2",
        },
        {
          "column": "vendor",
          "durationMs": "number",
          "id": 2,
          "method": "POST",
          "path": "/data",
          "requestBody": "note: my token is [redacted]",
          "requestBodyKind": "text",
          "requestBytes": 55,
          "requestHeaders": {
            "authorization": "[redacted]",
            "content-type": "text/plain;charset=UTF-8",
          },
          "responseBody": {
            "echoed": "note: my token is [redacted]",
          },
          "status": 200,
          "time": "number",
          "url": "http://vendor/data",
        },
      ]
    `);
  });

  it("decodes OTLP protobuf bodies and records a network failure", async () => {
    const { fetch, exchanges } = recorder();
    // ExportTraceServiceRequest { resource_spans { scope_spans { spans { trace_id, span_id, name } } } }
    const traceId = new Uint8Array(16).fill(1);
    const spanId = new Uint8Array(8).fill(2);
    const name = new TextEncoder().encode("chat");
    const span = [0x0a, 16, ...traceId, 0x12, 8, ...spanId, 0x2a, name.length, ...name];
    const scope = [0x12, span.length, ...span];
    const resource = [0x12, scope.length, ...scope];
    const body = new Uint8Array([0x0a, resource.length, ...resource]);
    await fetch(`${baseUrl}/v1/traces`, {
      method: "POST",
      headers: { "content-type": "application/x-protobuf" },
      body,
    });
    expect(exchanges[0]).toMatchObject({
      requestBodyKind: "otlp-protobuf",
      requestBody: {
        resourceSpans: [
          {
            scopeSpans: [
              {
                spans: [
                  expect.objectContaining({
                    traceId: "01010101010101010101010101010101",
                    spanId: "0202020202020202",
                    name: "chat",
                  }),
                ],
              },
            ],
          },
        ],
      },
    });

    // A port that was just closed: the connection is refused.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(fetch(`http://127.0.0.1:${closedPort}/nothing`, { method: "GET" })).rejects.toThrow();
    expect(exchanges[1]).toMatchObject({ method: "GET", path: "/nothing", error: expect.any(String) });
    expect(exchanges[1]?.status).toBeUndefined();
  });
});
