import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

/** ky forwards options it does not know to `fetch`: the body travels there, already serialized. */
export interface NodeTransportInit {
  observabilityBody?: string | Uint8Array;
}

// Shared by every client: keep-alive connections are what make one request per record affordable.
const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 32, maxFreeSockets: 8, timeout: 30_000 });
const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 32, maxFreeSockets: 8, timeout: 30_000 });

const NULL_BODY_STATUS = new Set([101, 204, 205, 304]);

/**
 * A `fetch` for ky built on `node:http`/`node:https` with keep-alive agents. Node's global fetch
 * costs several times more CPU per request, which telemetry pays on every export; this path
 * sends the body ky never copied (it is passed as `observabilityBody`), and answers with a
 * standard `Response`, so ky's timeouts, retries and hooks work unchanged.
 */
export function nodeTransport(request: Request, init?: NodeTransportInit): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    const url = new URL(request.url);
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const body = init?.observabilityBody;
    if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));
    const signal = request.signal;
    if (signal?.aborted) {
      reject(signal.reason ?? new DOMException("This operation was aborted", "AbortError"));
      return;
    }
    const isHttps = url.protocol === "https:";
    const outgoing = (isHttps ? httpsRequest : httpRequest)(
      url,
      { method: request.method, headers, agent: isHttps ? httpsAgent : httpAgent },
      (incoming: IncomingMessage) => {
        const chunks: Buffer[] = [];
        incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
        incoming.on("error", (error) => fail(error));
        incoming.on("end", () => {
          signal?.removeEventListener("abort", onAbort);
          const responseHeaders = new Headers();
          for (let index = 0; index < incoming.rawHeaders.length; index += 2) {
            responseHeaders.append(incoming.rawHeaders[index]!, incoming.rawHeaders[index + 1]!);
          }
          const status = incoming.statusCode ?? 0;
          resolve(
            new Response(NULL_BODY_STATUS.has(status) ? null : Buffer.concat(chunks), {
              status,
              statusText: incoming.statusMessage ?? "",
              headers: responseHeaders,
            }),
          );
        });
      },
    );
    let settled = false;
    function fail(error: unknown) {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      // The shape of undici's network errors, so ky and our error mapping treat both alike.
      reject(error instanceof DOMException ? error : new TypeError("fetch failed", { cause: error }));
    }
    function onAbort() {
      const reason = signal.reason ?? new DOMException("This operation was aborted", "AbortError");
      outgoing.destroy();
      if (!settled) {
        settled = true;
        reject(reason);
      }
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    outgoing.on("error", fail);
    outgoing.end(body);
  });
}
