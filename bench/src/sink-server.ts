import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** How the sink answers: normally, by refusing connections, or by never answering. */
export type SinkMode = "ok" | "refuse" | "hang";

export interface Sink {
  url: string;
  requests: number;
  bytes: number;
  setMode(mode: SinkMode): Promise<void>;
  close(): Promise<void>;
}

/**
 * A loopback HTTP server that accepts anything and answers like each vendor would on success
 * (enough for the exporters to count a delivery). Only 127.0.0.1 is used.
 */
export async function startSink(
  answer: (
    request: IncomingMessage,
    body: string,
  ) => { status: number; body: unknown; headers?: Record<string, string> },
): Promise<Sink> {
  let mode: SinkMode = "ok";
  const sockets = new Set<Socket>();
  const hanging = new Set<ServerResponse>();
  let server: Server;
  let port = 0;
  const sink: Sink = {
    url: "",
    requests: 0,
    bytes: 0,
    async setMode(next) {
      if (next === mode) return;
      if (mode === "refuse") await listen();
      if (next === "refuse") await stop();
      if (mode === "hang") {
        for (const response of hanging) response.destroy();
        hanging.clear();
      }
      mode = next;
    },
    close: stop,
  };

  function handle(request: IncomingMessage, response: ServerResponse) {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      if (mode === "hang") {
        hanging.add(response);
        return;
      }
      const body = Buffer.concat(chunks).toString("utf8");
      sink.requests++;
      sink.bytes += body.length;
      const answered = answer(request, body);
      response.writeHead(answered.status, { "content-type": "application/json", ...answered.headers });
      response.end(JSON.stringify(answered.body));
    });
  }

  async function listen() {
    server = createServer(handle);
    server.keepAliveTimeout = 5000;
    server.on("connection", (socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", () => resolve()));
    port = (server.address() as AddressInfo).port;
    sink.url = `http://127.0.0.1:${port}`;
  }

  async function stop() {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  await listen();
  return sink;
}
