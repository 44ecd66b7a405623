import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Inspector, startInspector } from "./start-inspector";

let inspector: Inspector;

beforeAll(async () => {
  inspector = await startInspector({ forceEmulators: true });
});

afterAll(async () => {
  await inspector.close();
});

/** A request with any headers (fetch would not let a test set `Host`). */
function send(
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; type: string; body: string }> {
  const url = new URL(path, inspector.url);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, { method, headers }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
      incoming.on("end", () =>
        resolve({
          status: incoming.statusCode ?? 0,
          type: String(incoming.headers["content-type"]),
          body: Buffer.concat(chunks).toString("utf8"),
        }),
      );
    });
    outgoing.on("error", reject);
    outgoing.end();
  });
}

describe("the inspector server", () => {
  it("serves the page and its state from 127.0.0.1 only, with nothing from elsewhere", async () => {
    expect(inspector.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await send("GET", "/");
    expect(page.status).toBe(200);
    // Every asset is local: no http(s) URL in the page, its script or its style sheet.
    for (const path of ["/", "/inspector.js", "/inspector.css"]) {
      const asset = await send("GET", path);
      expect(asset.status).toBe(200);
      expect(asset.body).not.toMatch(/(src|href)="https?:|url\(https?:|from "https?:/);
    }
    const state = JSON.parse((await send("GET", "/api/state")).body) as { columns: Array<{ id: string }> };
    expect(state.columns.map((column) => column.id)).toEqual([
      "trubrics",
      "arthur",
      "arthur-engine",
      "promptlayer",
      "otlp",
    ]);
  });

  it("refuses other host names (DNS rebinding) and runs asked for by another origin", async () => {
    expect((await send("GET", "/api/state", { host: "attacker.example" })).status).toBe(421);
    const crossOrigin = await send("POST", "/api/scenarios/chat-system/run", {
      origin: "http://attacker.example",
    });
    expect(crossOrigin.status).toBe(403);
    expect(JSON.parse((await send("GET", "/api/state")).body).runs).toEqual([]);
  });

  it("queues a run, answers unknown scenarios and requests with 404", async () => {
    const unknown = await send("POST", "/api/scenarios/nope/run");
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body).error).toMatch(/^Unknown scenario "nope"/);
    expect((await send("GET", "/api/exchanges/999999")).status).toBe(404);
    const queued = await send("POST", "/api/scenarios/chat-system/run");
    expect(queued.status).toBe(202);
    const { runId } = JSON.parse(queued.body) as { runId: number };
    const run = await inspector.session.whenDone(runId);
    expect(run?.status).toBe("done");
    expect(run?.spans.map((span) => `${span.kind} ${span.name}`)).toEqual(["chat FakeDetailedChatModel"]);
  });
});
