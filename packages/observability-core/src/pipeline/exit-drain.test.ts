import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { afterEach, describe, expect, it } from "vitest";
import { runScript, sourceEntries } from "../../test/run-script";
import { ObservabilityCallbackHandler } from "../index";
import { createMemoryExporter } from "../testing/index";

/** A loopback sink that stores every POSTed JSON body; `answer: false` never answers (a hung vendor). */
async function startSink(options: { answer: boolean }) {
  const received: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => {
      body += chunk;
    });
    request.on("end", () => {
      received.push(...(JSON.parse(body) as string[]));
      if (options.answer) response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

let sink: Awaited<ReturnType<typeof startSink>> | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

/** A script that makes calls with handlers created inline (as READMEs show) and never flushes. */
function inlineHandlerScript(handlerOptions: string): string {
  return `
    import { FakeListChatModel } from "@langchain/core/utils/testing";
    import { createHttpClient, ObservabilityCallbackHandler } from ${JSON.stringify(sourceEntries.core)};

    function createSinkExporter() {
      const client = createHttpClient({ vendor: "Sink", baseUrl: process.env.SINK_URL, timeoutMs: 120_000, maxRetries: 0 });
      return {
        name: "sink",
        maxBatchSize: 100,
        async export(records, signal) {
          await client.request({ method: "POST", path: "records", json: records.map((record) => record.runId), signal });
          return {};
        },
      };
    }
    const runIds = [];
    const collector = { name: "collector", handleChatModelStart: (_llm, _messages, runId) => { runIds.push(runId); } };
    const newHandler = () => new ObservabilityCallbackHandler({ exporters: [createSinkExporter()], ${handlerOptions} });

    const model = new FakeListChatModel({ responses: ["a", "b", "c", "d"] });
    await model.invoke("one", { callbacks: [newHandler(), collector] });
    await model.invoke("two", { callbacks: [newHandler(), collector] });
    const shared = newHandler();
    await model.invoke("three", { callbacks: [shared, collector] });
    await model.invoke("four", { callbacks: [shared, collector] });
    console.log(JSON.stringify(runIds));
  `;
}

describe("drain when the process is about to exit (beforeExit)", () => {
  it("a script with inline handlers that never flushes exits by itself, and the vendor received every record", async () => {
    sink = await startSink({ answer: true });
    // An hour between sends: only the exit drain can deliver these records.
    const result = await runScript(inlineHandlerScript("flushIntervalMs: 3_600_000"), {
      env: { SINK_URL: sink.url },
    });
    expect(result.stderr).toBe("");
    expect(result.killed).toBe(false);
    expect(result.status).toBe(0);
    const runIds = JSON.parse(result.stdout) as string[];
    expect(runIds).toHaveLength(4);
    expect([...sink.received].sort()).toEqual([...runIds].sort());
  }, 300_000);

  it("gives up at flushTimeoutMs when the vendor hangs, instead of holding the process open", async () => {
    sink = await startSink({ answer: false });
    // The request timeout (120 s) is beyond the outer bound (90 s): only the drain deadline can end it.
    const result = await runScript(inlineHandlerScript("flushIntervalMs: 3_600_000, flushTimeoutMs: 1000"), {
      env: { SINK_URL: sink.url },
    });
    expect(result.killed).toBe(false);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toHaveLength(4);
    // The vendor did receive the requests; they were aborted unanswered at the deadline.
    expect(sink.received).toHaveLength(4);
  }, 300_000);

  it("does nothing after shutdown(): the handler is deregistered", async () => {
    sink = await startSink({ answer: true });
    const result = await runScript(
      `
      import { FakeListChatModel } from "@langchain/core/utils/testing";
      import { ObservabilityCallbackHandler } from ${JSON.stringify(sourceEntries.core)};
      let exports = 0;
      const handler = new ObservabilityCallbackHandler({
        flushIntervalMs: 3_600_000,
        exporters: [{ name: "counting", maxBatchSize: 10, async export() { exports++; return {}; } }],
      });
      await new FakeListChatModel({ responses: ["x"] }).invoke("hi", { callbacks: [handler] });
      await handler.shutdown();
      const before = exports;
      process.on("exit", () => console.log(JSON.stringify({ before, after: exports, listeners: process.listenerCount("beforeExit") })));
      `,
    );
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ before: 1, after: 1, listeners: 0 });
  }, 300_000);
});

describe("an awaited flush()", () => {
  it("holds the process until it settles, even while a failing vendor pauses the queue", async () => {
    const result = await runScript(`
      import { FakeListChatModel } from "@langchain/core/utils/testing";
      import { ObservabilityCallbackHandler } from ${JSON.stringify(sourceEntries.core)};
      const handler = new ObservabilityCallbackHandler({
        onError: () => {},
        exporters: [{ name: "failing", maxBatchSize: 10, async export() { throw new Error("vendor down"); } }],
      });
      const model = new FakeListChatModel({ responses: ["x"] });
      for (let index = 0; index < 3; index++) {
        await model.invoke("hi", { callbacks: [handler] });
        const { timedOut } = await handler.flush({ timeoutMs: 60_000 });
        console.log(JSON.stringify({ flushed: index, timedOut }));
      }
    `);
    // Without the hold, the second flush waits on the queue's unref'd pause timer, the event loop
    // empties and Node ends the script with exit code 13 (unsettled top-level await).
    expect(result.status).toBe(0);
    expect(
      result.stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line)),
    ).toEqual([
      { flushed: 0, timedOut: false },
      { flushed: 1, timedOut: false },
      { flushed: 2, timedOut: false },
    ]);
  }, 300_000);
});

describe("exit drain registry", () => {
  it("installs one beforeExit listener however many handlers capture, and none once all are shut down", async () => {
    const before = process.listenerCount("beforeExit");
    const handlers = Array.from(
      { length: 30 },
      () =>
        new ObservabilityCallbackHandler({ exporters: [createMemoryExporter()], flushIntervalMs: 3_600_000 }),
    );
    const model = new FakeListChatModel({ responses: ["x"] });
    for (const handler of handlers) await model.invoke("hi", { callbacks: [handler] });
    expect(process.listenerCount("beforeExit")).toBe(before + 1);
    for (const handler of handlers) await handler.shutdown();
    expect(process.listenerCount("beforeExit")).toBe(before);
  });
});
