import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

/** What one attempt learns from the transport: whether the whole request left this process. */
export interface TransportAttempt {
  /** True once the request (headers and body) was handed to the network. */
  sent: boolean;
}

/** ky forwards options it does not know to `fetch`: the body travels there, already serialized. */
export interface NodeTransportInit {
  observabilityBody?: string | Uint8Array;
  observabilityAttempt?: TransportAttempt;
}

// Shared by every client: keep-alive connections are what make one request per record affordable.
// Idle sockets are closed after 30 s, well before the vendors' own keep-alive limits in practice.
const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 32, maxFreeSockets: 8, timeout: 30_000 });
const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 32, maxFreeSockets: 8, timeout: 30_000 });

const NULL_BODY_STATUS = new Set([101, 204, 205, 304]);

/**
 * A `fetch` for ky built on `node:http`/`node:https` with keep-alive agents. Node's global fetch
 * costs several times more CPU per request, which telemetry pays on every export; this path
 * sends the body ky never copied (it is passed as `observabilityBody`), and answers with a
 * standard streaming `Response`, so the client can stop reading a body that is too large.
 *
 * It never follows redirects, and its sockets are unref'd: a request in flight never keeps the
 * process alive (a pending `flush()` holds its own deadline timer instead). It records in
 * `observabilityAttempt.sent` whether the request was fully sent, which tells a connection refused
 * (safe to resend) from one lost after the vendor may have read the request.
 */
export function nodeTransport(request: Request, init?: NodeTransportInit): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    const url = new URL(request.url);
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const body = init?.observabilityBody;
    const attempt = init?.observabilityAttempt;
    if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));
    const signal = request.signal;
    const abortReason = () => signal.reason ?? new DOMException("This operation was aborted", "AbortError");
    if (signal?.aborted) {
      reject(abortReason());
      return;
    }
    let settled = false;
    let responseStream: ReadableStreamDefaultController<Uint8Array> | undefined;
    const isHttps = url.protocol === "https:";
    const outgoing = (isHttps ? httpsRequest : httpRequest)(
      url,
      { method: request.method, headers, agent: isHttps ? httpsAgent : httpAgent },
      (incoming: IncomingMessage) => {
        const status = incoming.statusCode ?? 0;
        const responseHeaders = new Headers();
        for (let index = 0; index < incoming.rawHeaders.length; index += 2) {
          responseHeaders.append(incoming.rawHeaders[index]!, incoming.rawHeaders[index + 1]!);
        }
        settled = true;
        if (NULL_BODY_STATUS.has(status)) {
          incoming.resume();
          incoming.on("end", () => signal?.removeEventListener("abort", onAbort));
          resolve(
            new Response(null, {
              status,
              statusText: incoming.statusMessage ?? "",
              headers: responseHeaders,
            }),
          );
          return;
        }
        const stream = new ReadableStream<Uint8Array>({
          start(controller) {
            responseStream = controller;
            incoming.on("data", (chunk: Buffer) => {
              controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
              if ((controller.desiredSize ?? 1) <= 0) incoming.pause();
            });
            incoming.on("end", () => {
              signal?.removeEventListener("abort", onAbort);
              if (responseStream !== controller) return;
              responseStream = undefined;
              controller.close();
            });
            const failBody = (error: unknown) => {
              signal?.removeEventListener("abort", onAbort);
              if (responseStream !== controller) return;
              responseStream = undefined;
              controller.error(error);
            };
            incoming.on("error", failBody);
            incoming.on("aborted", () => failBody(new TypeError("terminated: the connection was lost")));
          },
          pull() {
            incoming.resume();
          },
          cancel() {
            // The reader stopped (a body over the size cap): drop the connection, read no more.
            signal?.removeEventListener("abort", onAbort);
            responseStream = undefined;
            incoming.destroy();
            outgoing.destroy();
          },
        });
        resolve(
          new Response(stream, {
            status,
            statusText: incoming.statusMessage ?? "",
            headers: responseHeaders,
          }),
        );
      },
    );
    function fail(error: unknown) {
      signal?.removeEventListener("abort", onAbort);
      if (settled) return;
      settled = true;
      // The shape of undici's network errors, so our error mapping treats both alike.
      reject(error instanceof DOMException ? error : new TypeError("fetch failed", { cause: error }));
    }
    function onAbort() {
      const reason = abortReason();
      outgoing.destroy();
      if (responseStream) {
        responseStream.error(reason);
        responseStream = undefined;
      }
      if (!settled) {
        settled = true;
        reject(reason);
      }
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    // A request in flight must not keep the process alive (the agent refs a reused socket again).
    outgoing.on("socket", (socket) => socket.unref());
    outgoing.on("finish", () => {
      if (attempt) attempt.sent = true;
    });
    outgoing.on("error", fail);
    outgoing.end(body);
  });
}
