import { FakeListChatModel } from "@langchain/core/utils/testing";
import { describe, expect, it, vi } from "vitest";
import { runScript, sourceEntries } from "../../test/run-script";
import { type LLMRunRecord, ObservabilityCallbackHandler } from "../index";
import { createMemoryExporter } from "../testing/index";

async function invokeTwice(mask: (record: LLMRunRecord) => unknown) {
  const exporter = createMemoryExporter();
  const onError = vi.fn();
  const handler = new ObservabilityCallbackHandler({
    exporters: [exporter],
    onError,
    mask: mask as (record: LLMRunRecord) => LLMRunRecord | null,
  });
  const model = new FakeListChatModel({ responses: ["x"] });
  await model.invoke("one", { callbacks: [handler] });
  await model.invoke("two", { callbacks: [handler] });
  await handler.flush();
  return {
    delivered: exporter.records,
    dropped: handler.stats().dropped,
    reports: onError.mock.calls.map(([error]) => (error as Error).message),
  };
}

describe("mask is synchronous by contract", () => {
  it.each([
    [
      "a promise (async mask)",
      async (record: LLMRunRecord) => record,
      "mask returned a promise; mask must be synchronous (return the record, or null to drop it). Records are dropped until it is fixed.",
    ],
    [
      "undefined (forgotten return)",
      (record: LLMRunRecord) => {
        record.metadata.touched = true;
      },
      "mask returned undefined (a missing `return`?); return the record, or null to drop it. Records are dropped until it is fixed.",
    ],
    [
      "an empty object",
      () => ({}),
      "mask returned an object without the record's recordId, runId and traceId; return the (rewritten) record, or null to drop it.",
    ],
    [
      "a string",
      () => "redacted",
      "mask returned a string, not a record; return the record, or null to drop it.",
    ],
  ])(
    "returning %s drops the record, counts it invalidMask and reports once",
    async (_case, mask, message) => {
      const { delivered, dropped, reports } = await invokeTwice(mask);
      expect(delivered).toEqual([]);
      expect(dropped).toMatchObject({ invalidMask: 2, masked: 0, total: 2 });
      expect(reports).toEqual([message]);
    },
  );

  it("makes what the mask returns JSON-safe again, without cutting the record's own lists", async () => {
    const { delivered, dropped } = await invokeTwice((record) => ({
      ...record,
      metadata: { ...record.metadata, amount: 10n, file: Buffer.alloc(2048) },
    }));
    expect(dropped.total).toBe(0);
    expect(delivered.map((record) => record.metadata)).toEqual([
      { amount: "10", file: "[Buffer 2.0 KB]" },
      { amount: "10", file: "[Buffer 2.0 KB]" },
    ]);
    expect(delivered[0]!.input.messages).toEqual([{ role: "user", content: "one" }]);
  });
});

describe("user functions that return rejected promises never crash the process", () => {
  it("an async onError that rejects: caught, warned once, the app goes on", async () => {
    const result = await runScript(`
      import { FakeListChatModel } from "@langchain/core/utils/testing";
      import { ObservabilityCallbackHandler } from ${JSON.stringify(sourceEntries.core)};
      let failures = 0;
      const handler = new ObservabilityCallbackHandler({
        onError: async () => { throw new Error("error reporter is down"); },
        mask: () => { throw new Error("mask bug " + ++failures); },
        exporters: [{ name: "memory", maxBatchSize: 10, async export() { return {}; } }],
      });
      const model = new FakeListChatModel({ responses: ["x"] });
      for (let index = 0; index < 3; index++) {
        await model.invoke("hi", { callbacks: [handler] });
        await handler.flush();
      }
      console.log("still running");
    `);
    expect(result.killed).toBe(false);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe("still running\n");
    const lines = result.stderr.trim().split("\n");
    // One note that onError failed, then each error it could not report (distinct ones, once each).
    expect(lines[0]).toBe(
      "[langchain-observability] Error: onError failed (Error: error reporter is down); errors it could not report are warned here",
    );
    expect(lines.slice(1)).toEqual(
      [1, 2, 3].map(
        (count) =>
          `[langchain-observability] ObservabilityError: mask threw; the record was dropped: mask bug ${count}`,
      ),
    );
  }, 300_000);

  it("an async mask that rejects: the record is dropped and reported, no unhandled rejection", async () => {
    const result = await runScript(`
      import { FakeListChatModel } from "@langchain/core/utils/testing";
      import { ObservabilityCallbackHandler } from ${JSON.stringify(sourceEntries.core)};
      const handler = new ObservabilityCallbackHandler({
        mask: async () => { throw new Error("mask is down"); },
        exporters: [{ name: "memory", maxBatchSize: 10, async export() { return {}; } }],
      });
      await new FakeListChatModel({ responses: ["x"] }).invoke("hi", { callbacks: [handler] });
      await handler.flush();
      await new Promise((resolve) => setTimeout(resolve, 50));
      console.log(JSON.stringify(handler.stats().dropped));
    `);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ invalidMask: 1, total: 1 });
    expect(result.stderr).toBe(
      "[langchain-observability] ObservabilityError: mask returned a promise; mask must be synchronous (return the record, or null to drop it). Records are dropped until it is fixed.\n",
    );
  }, 300_000);
});
