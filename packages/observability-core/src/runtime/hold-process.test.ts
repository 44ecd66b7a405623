import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { runScript, sourceEntries } from "../../test/run-script";

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A loopback server that answers `ok` `answerAfterMs` after each request, or never (`undefined`). */
async function startServer(answerAfterMs: number | undefined): Promise<string> {
  server = createServer((_request, response) => {
    if (answerAfterMs === undefined) return;
    setTimeout(() => response.end("ok"), answerAfterMs);
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

// Child processes (Node + tsx): the bounds only catch a hang, and a loaded machine starts them slowly.
describe("requests and the process lifetime (node:http transport)", { timeout: 300_000 }, () => {
  it("holds the process for a request someone awaits, so a script gets its answer", async () => {
    // Without the hold, the script would exit (code 13, unsettled top-level await) while the server
    // waits: the transport's sockets are unref'd. With it, the answer's timing does not matter.
    const url = await startServer(300);
    const result = await runScript(
      `
      import { createHttpClient } from ${JSON.stringify(sourceEntries.core)};
      const client = createHttpClient({ vendor: "Acme", baseUrl: process.env.ACME_URL });
      const response = await client.request({ method: "GET", path: "thing" });
      console.log("answer", response.status, response.text);
      `,
      { env: { ACME_URL: url } },
    );
    expect(result).toMatchObject({ status: 0, killed: false });
    expect(result.stdout).toBe("answer 200 ok\n");
  });

  it("does not hold it for an export request (it carries a signal), even when the vendor never answers", async () => {
    const url = await startServer(undefined);
    const result = await runScript(
      `
      import { createHttpClient } from ${JSON.stringify(sourceEntries.core)};
      const client = createHttpClient({ vendor: "Acme", baseUrl: process.env.ACME_URL, timeoutMs: 120000 });
      void client.request({ method: "PUT", path: "events", json: [1], signal: new AbortController().signal });
      console.log("script ended");
      `,
      { env: { ACME_URL: url }, hangBoundMs: 100_000 },
    );
    expect(result).toMatchObject({ status: 0, killed: false, stdout: "script ended\n" });
  });
});
