import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { RequestHandler } from "msw";

export interface MockServer {
  /** Base URL of the server, e.g. `http://127.0.0.1:49152`. */
  url: string;
  /** Stops the server and closes open connections. */
  close(): Promise<void>;
}

export interface StartMockServerOptions {
  /** Port to listen on. @default 0 (any free port) */
  port?: number;
  /** Called for a request no handler answered (it gets a 404 with a JSON body). */
  onUnhandledRequest?: (request: Request) => void;
}

/**
 * Serves msw request handlers as a real HTTP server on 127.0.0.1, so code under test (or the
 * playground) talks to a vendor emulator over real sockets. Only loopback is ever used.
 */
export async function startMockServer(
  handlers: RequestHandler[],
  options: StartMockServerOptions = {},
): Promise<MockServer> {
  // Loaded here, not at the top: the vendor emulators share this entry and must not need msw.
  const { getResponse } = await import("msw");
  const server = createServer((incoming, outgoing) => {
    void respond(getResponse, handlers, incoming, outgoing, options).catch((error: unknown) => {
      if (!outgoing.headersSent) {
        outgoing.writeHead(500, { "content-type": "application/json" });
        outgoing.end(JSON.stringify({ error: "mock server failure", message: String(error) }));
      } else {
        outgoing.destroy();
      }
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function respond(
  getResponse: typeof import("msw").getResponse,
  handlers: RequestHandler[],
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  options: StartMockServerOptions,
): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else if (value !== undefined) headers.set(name, value);
  }
  const url = new URL(incoming.url ?? "/", `http://${incoming.headers.host ?? "127.0.0.1"}`);
  const method = incoming.method ?? "GET";
  const request = new Request(url, {
    method,
    headers,
    ...(method === "GET" || method === "HEAD" ? {} : { body }),
  });
  const response = await getResponse(handlers, request);
  if (!response) {
    options.onUnhandledRequest?.(request);
    outgoing.writeHead(404, { "content-type": "application/json" });
    outgoing.end(JSON.stringify({ error: "no mock handler", method, path: url.pathname }));
    return;
  }
  if (response.type === "error") {
    // msw's HttpResponse.error(): a network failure, so drop the connection.
    incoming.socket.destroy();
    return;
  }
  const responseHeaders: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name === "set-cookie") return;
    responseHeaders[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) responseHeaders["set-cookie"] = cookies;
  outgoing.writeHead(response.status, response.statusText, responseHeaders);
  if (response.body) {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      outgoing.write(value);
    }
  }
  outgoing.end();
}
