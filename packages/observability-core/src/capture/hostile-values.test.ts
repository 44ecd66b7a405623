import { HumanMessage } from "@langchain/core/messages";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { describe, expect, it } from "vitest";
import { assertValidRecord } from "../../test/helpers";
import { type LLMRunRecord, ObservabilityCallbackHandler } from "../index";
import { createMemoryExporter, FakeDetailedChatModel, FakeDetailedLLM } from "../testing/index";
import { toJsonSafe } from "./to-json-safe";

function setup(options: Partial<ConstructorParameters<typeof ObservabilityCallbackHandler>[0]> = {}) {
  const exporter = createMemoryExporter();
  const errors: unknown[] = [];
  const handler = new ObservabilityCallbackHandler({
    exporters: [exporter],
    onError: (error) => errors.push(error),
    ...options,
  });
  const records = async (): Promise<LLMRunRecord[]> => {
    await handler.flush({ timeoutMs: 5000 });
    for (const record of exporter.records) {
      // What leaves capture always serializes, and serializes to what was captured.
      expect(JSON.parse(JSON.stringify(record))).toEqual(record);
      assertValidRecord(record);
    }
    return exporter.records;
  };
  return { handler, records, errors };
}

/** Base64 of `bytes` bytes (what an inlined image looks like), built without allocating a buffer twice. */
function base64Of(bytes: number): string {
  return "iVBORw0KGgo".padEnd(Math.ceil(bytes / 3) * 4, "A");
}

describe("every field of a record is JSON-safe when it leaves capture", () => {
  it("tool call arguments with BigInt, a cycle, a function and a symbol", async () => {
    const { handler, records } = setup();
    const args: Record<string, unknown> = {
      amount: 12n,
      callback: () => 1,
      tag: Symbol("x"),
      nested: { at: 1 },
    };
    args.self = args;
    const model = new FakeDetailedChatModel({
      responses: [{ content: "", toolCalls: [{ id: "call_1", name: "pay", args }] }],
    });
    await model.invoke("pay", { callbacks: [handler] });
    const [record] = await records();
    expect(record!.output.message?.toolCalls).toEqual([
      { id: "call_1", name: "pay", args: { amount: "12", nested: { at: 1 }, self: "[Circular]" } },
    ]);
  });

  it("content parts and logprobs with BigInt and cycles", async () => {
    const { handler, records } = setup();
    const part: Record<string, unknown> = { type: "custom", size: 5n };
    part.self = part;
    await new FakeListChatModel({ responses: ["ok"] }).invoke(
      [new HumanMessage({ content: [{ type: "text", text: "look" }, part as never] })],
      { callbacks: [handler] },
    );
    const logprobs: Record<string, unknown> = { tokens: ["a"], offset: 3n };
    logprobs.self = logprobs;
    await new FakeDetailedLLM({ responses: ["a"], generationInfo: { logprobs } }).invoke("x", {
      callbacks: [handler],
    });
    const [chat, text] = await records();
    expect(chat!.input.messages![0]!.parts).toEqual([
      { type: "text", text: "look" },
      { type: "custom", size: "5", self: "[Circular]" },
    ]);
    expect(text!.output.logprobs).toEqual({ tokens: ["a"], offset: "3", self: "[Circular]" });
  });
});

describe("big nested content is cut or replaced, never the reason a record is dropped", () => {
  it("a 6 MB base64 image (OpenAI image_url and LangChain base64 block) becomes a placeholder; the record goes", async () => {
    const { handler, records } = setup();
    const image = base64Of(6_400_000);
    await new FakeListChatModel({ responses: ["a cat"] }).invoke(
      [
        new HumanMessage({
          content: [
            { type: "text", text: "What is this?" },
            { type: "image_url", image_url: { url: `data:image/png;base64,${image}` } },
            // LangChain turns its standard block into OpenAI's data URL before callbacks see it.
            { type: "image", source_type: "base64", mime_type: "image/jpeg", data: image },
            { type: "image", source: { type: "base64", media_type: "image/webp", data: image } },
          ],
        }),
      ],
      { callbacks: [handler] },
    );
    const [record] = await records();
    expect(record!.input.messages![0]!.parts).toEqual([
      { type: "text", text: "What is this?" },
      { type: "image_url", image_url: { url: "[image/png 6.1 MB]" } },
      { type: "image_url", image_url: { url: "[image/jpeg 6.1 MB]" } },
      { type: "image", source: { type: "base64", media_type: "image/webp", data: "[image/webp 6.1 MB]" } },
    ]);
    expect(handler.stats().dropped.oversize).toBe(0);
  });

  it("a 1 MB Buffer and a 1M-element array in metadata: placeholder and cut array, within a 64 KB batch", async () => {
    const { handler, records } = setup({ maxBatchBytes: 65_536, maxFieldChars: 10_000 });
    const metadata = {
      file: Buffer.alloc(1_048_576),
      bytes: new Uint8Array(2048),
      arrayBuffer: new ArrayBuffer(10),
      blob: new Blob(["abc"], { type: "text/plain" }),
      ids: Array.from({ length: 1_000_000 }, (_, index) => index),
    };
    await new FakeListChatModel({ responses: ["ok"] }).invoke("hi", { callbacks: [handler], metadata });
    const [record] = await records();
    const { ids, ...rest } = record!.metadata as { ids: unknown[] };
    expect(rest).toEqual({
      file: "[Buffer 1.0 MB]",
      bytes: "[Uint8Array 2.0 KB]",
      arrayBuffer: "[ArrayBuffer 10 B]",
      blob: "[text/plain 3 B]",
    });
    expect(ids.length).toBeLessThan(2000);
    expect(ids.at(-1)).toMatch(/^…\[\d+ more items\]$/);
    expect(ids.slice(0, 3)).toEqual([0, 1, 2]);
    expect(handler.stats()).toMatchObject({ captured: 1, exported: 1, dropped: { oversize: 0, total: 0 } });
  });

  it("an object with 100,000 keys is cut too", () => {
    const wide = Object.fromEntries(Array.from({ length: 100_000 }, (_, index) => [`k${index}`, index]));
    const copied = toJsonSafe(wide, 1000) as Record<string, unknown>;
    expect(Object.keys(copied).length).toBeLessThan(200);
    expect(copied["…"]).toMatch(/^\[\d+ more keys\]$/);
  });
});

describe("hostile metadata never loses a record", () => {
  it("a revoked Proxy, a throwing ownKeys trap, a throwing toJSON and a throwing getter become placeholders", async () => {
    const { handler, records } = setup();
    const revocable = Proxy.revocable({}, {});
    revocable.revoke();
    const throwingKeys = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error("ownKeys trap");
        },
      },
    );
    class Hostile {
      toJSON() {
        throw new Error("toJSON");
      }
    }
    const getter = Object.defineProperty({ fine: 1 }, "broken", {
      enumerable: true,
      get() {
        throw new Error("getter");
      },
    });
    await new FakeListChatModel({ responses: ["ok"] }).invoke("hi", {
      callbacks: [handler],
      metadata: { revoked: revocable.proxy, throwingKeys, hostile: new Hostile(), getter },
    });
    const [record] = await records();
    expect(record!.metadata).toEqual({
      revoked: "[Unserializable]",
      throwingKeys: "[Unserializable]",
      hostile: "[Unserializable]",
      getter: { fine: 1, broken: "[Unserializable]" },
    });
    expect(handler.stats()).toMatchObject({ captured: 1, exported: 1 });
  });

  it("toJsonSafe itself never throws, whatever it is given at the top", () => {
    const revocable = Proxy.revocable([], {});
    revocable.revoke();
    expect(toJsonSafe(revocable.proxy, 100)).toBe("[Unserializable]");
    expect(
      toJsonSafe(
        new Proxy(
          {},
          {
            getPrototypeOf: () => {
              throw new Error("x");
            },
          },
        ),
        100,
      ),
    ).toBe("[Unserializable]");
  });
});
