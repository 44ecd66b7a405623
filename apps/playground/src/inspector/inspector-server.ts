import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { InspectorSession } from "./inspector-session";

/** The page's files, served from `page/` next to this module; nothing comes from elsewhere. */
const PAGE_FILES: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/inspector.js": { file: "inspector.js", type: "text/javascript; charset=utf-8" },
  "/inspector.css": { file: "inspector.css", type: "text/css; charset=utf-8" },
};

const LOOPBACK_HOST = /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/;

export interface InspectorServer {
  /** e.g. `http://127.0.0.1:5178/` */
  readonly url: string;
  close(): Promise<void>;
}

export interface StartInspectorServerOptions {
  /** @default 0 (any free port) */
  port?: number;
}

/**
 * Serves the inspector page and its JSON API on 127.0.0.1 only, over `node:http`:
 *
 * - `GET /` (and `/inspector.js`, `/inspector.css`): the page;
 * - `GET /api/state`: everything the page shows ({@link InspectorSession.state});
 * - `GET /api/events`: server-sent events, one `state` event with the version after each change;
 * - `GET /api/exchanges/:id`: one recorded request with its bodies (redacted);
 * - `POST /api/scenarios/:name/run`, `POST /api/run-all`: queue runs.
 *
 * Everything served goes through the session's redaction once more, so a secret the recorder
 * learned late never leaves the process.
 */
export async function startInspectorServer(
  session: InspectorSession,
  options: StartInspectorServerOptions = {},
): Promise<InspectorServer> {
  const pageDirectory = new URL("./page/", import.meta.url);
  const page = new Map<string, string>();
  for (const [path, entry] of Object.entries(PAGE_FILES)) {
    page.set(path, await readFile(new URL(entry.file, pageDirectory), "utf8"));
  }
  const streams = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  let pendingEvent: NodeJS.Timeout | undefined;
  const unsubscribe = session.subscribe(() => {
    // Coalesce bursts of changes into one event per 100 ms.
    pendingEvent ??= setTimeout(() => {
      pendingEvent = undefined;
      const data = `event: state\ndata: ${JSON.stringify({ version: session.state().version })}\n\n`;
      for (const stream of streams) stream.write(data);
    }, 100);
    pendingEvent.unref();
  });

  const sendJson = (response: ServerResponse, status: number, value: unknown) => {
    const body = session.redact(JSON.stringify(value));
    response.writeHead(status, {
      "content-type": "application/json; charset=utf-8",
      "cache-control": "no-store",
      "content-length": Buffer.byteLength(body),
    });
    response.end(body);
  };

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const method = request.method ?? "GET";
    // Only this machine's names: a page whose DNS name was rebound to 127.0.0.1 gets nothing.
    if (!LOOPBACK_HOST.test(request.headers.host ?? "")) {
      sendJson(response, 421, { error: "the inspector answers on 127.0.0.1 or localhost only" });
      return;
    }
    // A page on another origin must not drive the playground (the server only listens on loopback).
    if (method === "POST" && !sameOrigin(request)) {
      sendJson(response, 403, { error: "cross-origin request refused" });
      return;
    }
    const file = PAGE_FILES[url.pathname];
    if (method === "GET" && file) {
      const body = page.get(url.pathname)!;
      response.writeHead(200, {
        "content-type": file.type,
        "cache-control": "no-store",
        "content-security-policy":
          "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'",
      });
      response.end(body);
      return;
    }
    if (method === "GET" && url.pathname === "/api/state") {
      sendJson(response, 200, session.state());
      return;
    }
    if (method === "GET" && url.pathname === "/api/events") {
      response.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-store",
        connection: "keep-alive",
      });
      response.write(`event: state\ndata: ${JSON.stringify({ version: session.state().version })}\n\n`);
      streams.add(response);
      request.on("close", () => streams.delete(response));
      return;
    }
    const exchangeMatch = /^\/api\/exchanges\/(\d+)$/.exec(url.pathname);
    if (method === "GET" && exchangeMatch) {
      const exchange = session.exchange(Number(exchangeMatch[1]));
      if (exchange) sendJson(response, 200, exchange);
      else sendJson(response, 404, { error: "no such request (runs older than the latest are forgotten)" });
      return;
    }
    const runMatch = /^\/api\/scenarios\/([^/]+)\/run$/.exec(url.pathname);
    if (method === "POST" && runMatch) {
      try {
        const runId = session.runScenario(decodeURIComponent(runMatch[1]!));
        sendJson(response, 202, { runId });
      } catch (error) {
        sendJson(response, 404, { error: error instanceof Error ? error.message : String(error) });
      }
      return;
    }
    if (method === "POST" && url.pathname === "/api/run-all") {
      sendJson(response, 202, { runIds: session.runAll() });
      return;
    }
    sendJson(response, 404, { error: `no such route: ${method} ${url.pathname}` });
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { error: String(error) });
      else response.destroy();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/`,
    close() {
      unsubscribe();
      if (pendingEvent) clearTimeout(pendingEvent);
      for (const stream of streams) stream.end();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}

/** Whether a state-changing request comes from the page itself (or from a tool that sends no Origin). */
function sameOrigin(request: IncomingMessage): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  return origin === `http://${request.headers.host}`;
}
