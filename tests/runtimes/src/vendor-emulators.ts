import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createArthurEmulator } from "@langchain-observability/arthur/testing";
import { startMockServer } from "@langchain-observability/core/testing";
import { createPromptLayerEmulator } from "@langchain-observability/promptlayer/testing";
import { startTrubricsEmulator } from "@langchain-observability/trubrics/testing";

export type VendorName = "trubrics" | "arthur" | "promptlayer";
export const VENDOR_NAMES: VendorName[] = ["trubrics", "arthur", "promptlayer"];

/** The Arthur model the emulator serves (the emulator's default token-sequence model). */
export const ARTHUR_MODEL_ID = "arthur-llm-model";

const KEYS = {
  trubrics: "runtime-trubrics-key",
  arthur: "runtime-arthur-key",
  promptlayer: "pl_runtime_key",
};

/** One request a vendor's emulator got: what the runtime sent, seen by the front in Node. */
export interface SeenRequest {
  method: string;
  path: string;
  userAgent: string;
}

/** One record a vendor stored, as the vendor's own payload (event, inference, request log). */
export interface StoredRecord {
  vendor: VendorName;
  payload: unknown;
}

/** Where the handlers of an app send, as option values; `environment` holds the same as the vendors' env vars. */
export interface VendorConnection {
  trubrics: { apiKey: string; baseUrl: string };
  arthur: { apiKey: string; arthurUrl: string; modelId: string };
  promptlayer: { apiKey: string; baseUrl: string };
}

export interface VendorEmulators {
  connection: VendorConnection;
  /** The vendors' env vars pointing at the emulators. */
  environment: Record<string, string>;
  /** Requests as each emulator received them (method, path, user agent). */
  seen: Record<VendorName, SeenRequest[]>;
  /** Records each vendor stored, in arrival order. */
  stored(): StoredRecord[];
  /** Resolves once `count` records are stored (each store is a signal; only a hang hits `timeoutMs`). */
  waitForStored(count: number, timeoutMs?: number): Promise<StoredRecord[]>;
  close(): Promise<void>;
}

/**
 * Starts the three vendors' emulators (their `./testing` packages) on 127.0.0.1, each behind a
 * front that notes every request's user agent before passing it on: the user agent names the
 * runtime and the transport that sent it.
 */
export async function startVendorEmulators(): Promise<VendorEmulators> {
  const trubrics = await startTrubricsEmulator({ apiKeys: [KEYS.trubrics] });
  const arthur = createArthurEmulator({ apiKeys: [KEYS.arthur] });
  const promptlayer = createPromptLayerEmulator({ apiKeys: [KEYS.promptlayer] });
  const servers = [
    trubrics,
    await startMockServer(arthur.handlers),
    await startMockServer(promptlayer.handlers),
  ];
  const seen: Record<VendorName, SeenRequest[]> = { trubrics: [], arthur: [], promptlayer: [] };
  const waiters = new Set<() => void>();
  const fronts = await Promise.all(
    VENDOR_NAMES.map((vendor, index) =>
      startFront(
        servers[index]!.url,
        (request) => seen[vendor].push(request),
        () => {
          for (const waiter of waiters) waiter();
        },
      ),
    ),
  );
  const [trubricsUrl, arthurUrl, promptlayerUrl] = fronts.map((front) => front.url) as [
    string,
    string,
    string,
  ];

  const stored = (): StoredRecord[] => [
    ...trubrics.receivedLlmEvents.map((payload) => ({ vendor: "trubrics" as const, payload })),
    ...arthur.received.inferences.map(({ inference }) => ({ vendor: "arthur" as const, payload: inference })),
    ...promptlayer.trackRequests.map(({ body }) => ({ vendor: "promptlayer" as const, payload: body })),
  ];

  return {
    connection: {
      trubrics: { apiKey: KEYS.trubrics, baseUrl: trubricsUrl },
      arthur: { apiKey: KEYS.arthur, arthurUrl, modelId: ARTHUR_MODEL_ID },
      promptlayer: { apiKey: KEYS.promptlayer, baseUrl: promptlayerUrl },
    },
    environment: {
      TRUBRICS_API_KEY: KEYS.trubrics,
      TRUBRICS_HOST: trubricsUrl,
      ARTHUR_API_KEY: KEYS.arthur,
      ARTHUR_ENDPOINT_URL: arthurUrl,
      PROMPTLAYER_API_KEY: KEYS.promptlayer,
      PROMPTLAYER_BASE_URL: promptlayerUrl,
    },
    seen,
    stored,
    waitForStored(count, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const records = stored();
          if (records.length < count) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(records);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`the emulators stored ${stored().length} of ${count} records (hang?)`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async close() {
      await Promise.all([...fronts, ...servers].map((server) => server.close()));
    },
  };
}

/** A pass-through HTTP server on 127.0.0.1 that notes each request and signals after each answer. */
async function startFront(
  targetUrl: string,
  onRequest: (request: SeenRequest) => void,
  onAnswered: () => void,
): Promise<{ url: string; close(): Promise<void> }> {
  const target = new URL(targetUrl);
  const server: Server = createServer((incoming: IncomingMessage, outgoing) => {
    onRequest({
      method: incoming.method ?? "GET",
      path: (incoming.url ?? "/").split("?")[0] ?? "/",
      userAgent: incoming.headers["user-agent"] ?? "",
    });
    const forwarded = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, host: target.host },
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
        // The emulator stored what it accepts before answering: an answer is the signal to look.
        answer.on("end", onAnswered);
      },
    );
    forwarded.on("error", () => outgoing.destroy());
    incoming.pipe(forwarded);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
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
