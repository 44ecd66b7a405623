import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { type EmulatorFault, type FaultGenerator, matchesRoute } from "./emulator-fault";

/** One request, as a vendor emulator's `respond` sees it. */
export interface EmulatorRequest {
  method: string;
  /** The decoded path, without the query string (e.g. `/v1/events`). */
  path: string;
  url: URL;
  /** Request headers, names in lower case. */
  headers: Record<string, string>;
  /** The body as received (protobuf and other binary bodies are here). */
  rawBody: Uint8Array;
  /** The body as UTF-8 text. */
  text: string;
  /** The body parsed as JSON, or `undefined` when it is empty or not JSON. */
  body: unknown;
}

/** An answer of a vendor emulator (`respond` may also return a web `Response`). */
export interface EmulatorAnswer {
  /** @default 200 */
  status?: number;
  /** A string or bytes are sent as they are; anything else as JSON. @default no body */
  body?: unknown;
  headers?: Record<string, string>;
}

/** What `respond` gets besides the request. */
export interface EmulatorRespondContext<TStored> {
  /** Keep an item as stored by the vendor: it appears in `received`. */
  store(item: TStored): void;
}

/** One request the emulator got, stored or not, with what was done to it. */
export interface EmulatorRequestLog {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** The body parsed as JSON, else its text. */
  body: unknown;
  /** The status answered, `"reset"` for a dropped connection, `"hang"` while it hangs. */
  status: number | "reset" | "hang";
  /** The fault applied to it, if any. */
  fault?: EmulatorFault;
  /** Items this request stored (by `store`). */
  stored: number;
}

/** Options of `startEmulator`. */
export interface StartEmulatorOptions<TStored> {
  /**
   * The vendor: answers a request the faults left to it, calling `context.store` for what the real
   * service would keep. `undefined` answers 404.
   */
  respond(
    request: EmulatorRequest,
    context: EmulatorRespondContext<TStored>,
  ): EmulatorAnswer | Response | undefined | Promise<EmulatorAnswer | Response | undefined>;
  /** Clears the vendor's own state when `reset()` is called. */
  onReset?(): void;
  /** Largest request body, in bytes; a larger one is answered 413 and not stored. @default no limit */
  maxRequestBytes?: number;
  /** Port to listen on (always on 127.0.0.1). @default 0 (any free port) */
  port?: number;
}

/** The surface every vendor emulator offers (vendor emulators add their own fields). */
export interface Emulator<TStored> {
  /** Base URL, e.g. `http://127.0.0.1:49152`. */
  readonly url: string;
  /**
   * What the emulator stored, in order — including what it stored after the client gave up (a
   * finite `hangMs`, a `reset: "after-store"`). Count deliveries here.
   */
  readonly received: TStored[];
  /** Every request, in order of arrival, stored or not. */
  readonly requests: EmulatorRequestLog[];
  /** Applies `fault` to the next matching request(s) (`fault.times`), before any generator. */
  failNext(fault: EmulatorFault): void;
  /** Draws a fault for each later request from `generator` (e.g. `createSeededFaults`); `undefined` stops. */
  injectFaults(generator: FaultGenerator | undefined): void;
  /** Resolves once at least `count` requests have arrived (a signal to act on, instead of a timer). */
  waitForRequests(count: number): Promise<void>;
  /** Resolves once at least `count` items have been stored. */
  waitForReceived(count: number): Promise<void>;
  /** Ends every hang now: those requests go on as if their `hangMs` had passed. */
  releaseHangs(): void;
  /** Forgets what was received and every pending fault and generator (and the vendor's state). */
  reset(): void;
  /** Drops every connection (hung ones without storing) and stops the server. */
  close(): Promise<void>;
}

interface Hang {
  release: () => void;
  abandon: () => void;
}

/**
 * Starts a vendor emulator on 127.0.0.1 over plain `node:http`, with the faults of the testing
 * dialect applied once, here, for every vendor: hangs, resets before or after the vendor stored the
 * request, malformed answers, injected statuses, bodies and headers, by route and count, or drawn by
 * a seeded generator. The vendor supplies only `respond`.
 */
export async function startEmulator<TStored>(
  options: StartEmulatorOptions<TStored>,
): Promise<Emulator<TStored>> {
  const received: TStored[] = [];
  const requests: EmulatorRequestLog[] = [];
  let queued: Array<EmulatorFault & { remaining: number }> = [];
  let generator: FaultGenerator | undefined;
  const hangs = new Set<Hang>();
  const sockets = new Set<Socket>();
  let waiters: Array<{ ready: () => boolean; resolve: () => void }> = [];
  let closed = false;

  const notify = () => {
    if (waiters.length === 0) return;
    const ready = waiters.filter((waiter) => waiter.ready());
    if (ready.length === 0) return;
    waiters = waiters.filter((waiter) => !ready.includes(waiter));
    for (const waiter of ready) waiter.resolve();
  };
  const waitFor = (ready: () => boolean) =>
    ready() ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ ready, resolve }));

  const takeFault = (method: string, path: string): EmulatorFault | undefined => {
    const index = queued.findIndex((fault) => matchesRoute(fault.route, method, path));
    if (index >= 0) {
      const fault = queued[index]!;
      fault.remaining--;
      if (fault.remaining <= 0) queued.splice(index, 1);
      return fault;
    }
    const drawn = generator?.({ method, path });
    if (drawn && (drawn.times ?? 1) > 1) queued.push({ ...drawn, remaining: (drawn.times ?? 1) - 1 });
    return drawn;
  };

  const hang = (hangMs: number) =>
    new Promise<boolean>((resolve) => {
      const entry: Hang = {
        release: () => finish(true),
        abandon: () => finish(false),
      };
      const timer = Number.isFinite(hangMs) ? setTimeout(() => finish(true), Math.max(0, hangMs)) : undefined;
      timer?.unref();
      function finish(proceed: boolean) {
        if (!hangs.delete(entry)) return;
        if (timer) clearTimeout(timer);
        resolve(proceed);
      }
      hangs.add(entry);
    });

  async function handle(incoming: IncomingMessage, outgoing: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const rawBody = new Uint8Array(Buffer.concat(chunks));
    const text = Buffer.from(rawBody).toString("utf8");
    const url = new URL(incoming.url ?? "/", "http://127.0.0.1");
    let path = url.pathname;
    try {
      path = decodeURIComponent(path);
    } catch {
      // keep the raw path
    }
    const method = (incoming.method ?? "GET").toUpperCase();
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(incoming.headers)) {
      if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
    }
    const body = parseJson(text);
    const log: EmulatorRequestLog = {
      method,
      path,
      headers,
      body: body ?? (text === "" ? undefined : text),
      status: "hang",
      stored: 0,
    };
    requests.push(log);
    const fault = takeFault(method, path);
    if (fault) log.fault = stripState(fault);
    notify();
    const socket = incoming.socket;
    const drop = () => {
      log.status = "reset";
      // RST rather than FIN: what a crashed vendor or a cut network looks like to the client.
      if (typeof socket.resetAndDestroy === "function") socket.resetAndDestroy();
      else socket.destroy();
    };

    if (fault?.hangMs !== undefined && fault.hangMs > 0) {
      const proceed = await hang(fault.hangMs);
      if (!proceed) {
        drop();
        return;
      }
    }
    if (fault && (fault.reset === true || fault.reset === "before-store")) {
      drop();
      return;
    }
    if (fault?.status !== undefined) {
      const faultBody = fault.malformed
        ? `{"error": "injected failure ${fault.status}"`
        : (fault.body ?? { error: `injected failure (${fault.status})` });
      send(outgoing, log, fault.status, faultBody, {
        ...(fault.malformed ? { "content-type": "application/json" } : {}),
        ...fault.headers,
      });
      return;
    }
    if (options.maxRequestBytes !== undefined && rawBody.byteLength > options.maxRequestBytes) {
      send(outgoing, log, 413, { error: `request body larger than ${options.maxRequestBytes} bytes` });
      return;
    }

    const request: EmulatorRequest = { method, path, url, headers, rawBody, text, body };
    const answer = await options.respond(request, {
      store(item) {
        received.push(item);
        log.stored++;
        notify();
      },
    });
    if (fault?.reset === "after-store") {
      drop();
      return;
    }
    const { status, payload, answerHeaders } = await readAnswer(answer);
    const finalPayload = fault?.malformed ? malform(payload) : payload;
    send(outgoing, log, status, finalPayload, {
      ...(fault?.malformed ? { "content-type": "application/json" } : {}),
      ...answerHeaders,
      ...fault?.headers,
    });
  }

  const server = createServer((incoming, outgoing) => {
    handle(incoming, outgoing).catch((error: unknown) => {
      if (!outgoing.headersSent && !outgoing.destroyed) {
        outgoing.writeHead(500, { "content-type": "application/json" });
        outgoing.end(JSON.stringify({ error: "emulator failure", message: String(error) }));
      } else {
        outgoing.destroy();
      }
    });
  });
  // Longer than any test: a client must never meet a connection the server closes as idle.
  server.keepAliveTimeout = 65_000;
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
    url: `http://127.0.0.1:${port}`,
    received,
    requests,
    failNext(fault) {
      queued.push({ ...fault, remaining: fault.times ?? 1 });
    },
    injectFaults(next) {
      generator = next;
    },
    waitForRequests(count) {
      return waitFor(() => requests.length >= count);
    },
    waitForReceived(count) {
      return waitFor(() => received.length >= count);
    },
    releaseHangs() {
      for (const entry of [...hangs]) entry.release();
    },
    reset() {
      received.length = 0;
      requests.length = 0;
      queued = [];
      generator = undefined;
      options.onReset?.();
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      for (const entry of [...hangs]) entry.abandon();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}

function stripState(fault: EmulatorFault & { remaining?: number }): EmulatorFault {
  const { remaining: _remaining, ...rest } = fault;
  return rest;
}

async function readAnswer(
  answer: EmulatorAnswer | Response | undefined,
): Promise<{ status: number; payload: unknown; answerHeaders: Record<string, string> }> {
  if (answer === undefined) {
    return { status: 404, payload: { error: "no such endpoint in the emulator" }, answerHeaders: {} };
  }
  if (answer instanceof Response) {
    const answerHeaders: Record<string, string> = {};
    answer.headers.forEach((value, name) => {
      answerHeaders[name] = value;
    });
    const bytes = new Uint8Array(await answer.arrayBuffer());
    return { status: answer.status, payload: bytes.byteLength === 0 ? undefined : bytes, answerHeaders };
  }
  return { status: answer.status ?? 200, payload: answer.body, answerHeaders: answer.headers ?? {} };
}

/** The first half of the answer, so it is never valid JSON. */
function malform(payload: unknown): string {
  const text =
    payload === undefined
      ? ""
      : typeof payload === "string"
        ? payload
        : payload instanceof Uint8Array
          ? Buffer.from(payload).toString("utf8")
          : JSON.stringify(payload);
  return text.length > 2 ? `${text.slice(0, Math.ceil(text.length / 2))}\u0000` : "<html>not json";
}

function send(
  outgoing: ServerResponse,
  log: EmulatorRequestLog,
  status: number,
  payload: unknown,
  headers: Record<string, string> = {},
): void {
  log.status = status;
  if (outgoing.destroyed) return;
  const lowerHeaders: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) lowerHeaders[name.toLowerCase()] = value;
  let bytes: Buffer | undefined;
  if (payload === undefined || status === 204 || status === 304) {
    bytes = undefined;
  } else if (typeof payload === "string") {
    bytes = Buffer.from(payload);
    lowerHeaders["content-type"] ??= "text/plain; charset=utf-8";
  } else if (payload instanceof Uint8Array) {
    bytes = Buffer.from(payload);
  } else {
    bytes = Buffer.from(JSON.stringify(payload));
    lowerHeaders["content-type"] ??= "application/json";
  }
  if (bytes) lowerHeaders["content-length"] = String(bytes.byteLength);
  outgoing.writeHead(status, lowerHeaders);
  outgoing.end(bytes);
}

function parseJson(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
