// A loopback HTTP sink in its own process, so its CPU is not counted against the handlers measured.
// It answers each vendor's endpoint as the vendor does on success, counts requests, and keeps the
// record ids it accepted (to check exactly-once delivery). Controlled over IPC: mode and stats.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

type Mode = "ok" | "refuse" | "hang";
type Message =
  | { type: "mode"; mode: Mode; id: number }
  | { type: "stats"; id: number }
  | { type: "reset"; id: number };

let mode: Mode = "ok";
let server: Server | undefined;
let port = 0;
const sockets = new Set<Socket>();
const hanging = new Set<ServerResponse>();
const counts = { requests: 0, bytes: 0, records: 0, duplicates: 0 };
const seen = new Set<string>();
let promptLayerRequestId = 0;

function answer(path: string, body: string): { status: number; body: unknown } {
  if (path.endsWith("/publish_llm_events")) {
    const items = parse<Array<{ properties?: { langchain_run_id?: string } }>>(body, []);
    accept(items.map((item) => item.properties?.langchain_run_id));
    return { status: 200, body: {} };
  }
  if (path.includes("/inferences")) {
    const items = parse<Array<{ partner_inference_id?: string }>>(body, []);
    accept(items.map((item) => item.partner_inference_id));
    return {
      status: 207,
      body: {
        counts: { success: items.length, failure: 0, total: items.length },
        results: items.map(() => ({ status: 200, message: "success" })),
      },
    };
  }
  if (path.endsWith("/track-request")) {
    const request = parse<{ metadata?: { _langchain_run_id?: string } }>(body, {});
    accept([request.metadata?._langchain_run_id]);
    promptLayerRequestId++;
    return { status: 200, body: { success: true, request_id: promptLayerRequestId, prompt_blueprint: null } };
  }
  if (path.endsWith("/spans-bulk")) {
    // PromptLayer's default transport: the run tree as spans; a model call's span carries its log.
    const request = parse<{
      spans?: Array<{
        context?: { span_id?: string };
        log_request?: { metadata?: { _langchain_run_id?: string } };
      }>;
    }>(body, {});
    const spans = request.spans ?? [];
    const logged = spans.filter((span) => span.log_request);
    accept(logged.map((span) => span.log_request?.metadata?._langchain_run_id));
    return {
      status: 201,
      body: {
        success: true,
        spans: spans.map((span, index) => ({ id: index + 1, span_id: span.context?.span_id })),
        request_logs: logged.map((span) => ({ id: ++promptLayerRequestId, span_id: span.context?.span_id })),
      },
    };
  }
  if (path.endsWith("/info")) return { status: 200, body: { version: "0.0.0", batch_ingest_config: {} } };
  return { status: 200, body: {} };
}

function accept(ids: Array<string | undefined>) {
  for (const id of ids) {
    if (!id) continue;
    if (seen.has(id)) counts.duplicates++;
    else seen.add(id);
    counts.records++;
  }
}

function parse<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

function handle(request: IncomingMessage, response: ServerResponse) {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    if (mode === "hang") {
      hanging.add(response);
      return;
    }
    const body = Buffer.concat(chunks).toString("utf8");
    counts.requests++;
    counts.bytes += body.length;
    const result = answer(request.url?.split("?")[0] ?? "/", body);
    response.writeHead(result.status, { "content-type": "application/json" });
    response.end(JSON.stringify(result.body));
  });
}

async function listen() {
  server = createServer(handle);
  // Longer than any pause between requests under callgrind (~50x slower), so that a kept-alive
  // connection is never closed just as the client reuses it.
  server.keepAliveTimeout = 120_000;
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server!.listen(port, "127.0.0.1", () => resolve()));
  port = (server.address() as AddressInfo).port;
}

async function stop() {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
}

process.on("message", async (message: Message) => {
  if (message.type === "mode") {
    if (message.mode !== mode) {
      if (mode === "hang") {
        for (const response of hanging) response.destroy();
        hanging.clear();
      }
      if (mode === "refuse") await listen();
      if (message.mode === "refuse") await stop();
      mode = message.mode;
    }
    process.send?.({ id: message.id, ok: true });
  } else if (message.type === "stats") {
    process.send?.({ id: message.id, stats: { ...counts, unique: seen.size } });
  } else if (message.type === "reset") {
    counts.requests = counts.bytes = counts.records = counts.duplicates = 0;
    seen.clear();
    process.send?.({ id: message.id, ok: true });
  }
});

await listen();
process.send?.({ type: "ready", url: `http://127.0.0.1:${port}` });
