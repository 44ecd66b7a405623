import { FakeListChatModel } from "@langchain/core/utils/testing";
import { describe, expect, it, vi } from "vitest";
import { ObservabilityCallbackHandler } from "../observability-callback-handler";
import { createMemoryExporter } from "../testing/memory-exporter";

// In Deno without --allow-sys, LangChain's awaitAllCallbacks() rejects: its LangSmith client reads the
// home directory. Here it rejects the same way, whatever the machine.
vi.mock("@langchain/core/callbacks/promises", () => ({
  awaitAllCallbacks: () =>
    Promise.reject(
      new Error('NotCapable: Requires sys access to "homedir", run again with the --allow-sys flag'),
    ),
}));

describe("flush() when LangChain's own wait fails", () => {
  it("reports the failure and still delivers every record", async () => {
    const exporter = createMemoryExporter();
    const errors: string[] = [];
    const handler = new ObservabilityCallbackHandler({
      exporters: [exporter],
      onError: (error) => errors.push((error as Error).message),
    });
    const model = new FakeListChatModel({ responses: ["Paris."] });
    await model.invoke("Capital of France?", { callbacks: [handler] });

    const result = await handler.flush({ timeoutMs: 30_000 });

    expect(exporter.records.map((record) => [record.input.prompt, record.output.text])).toEqual([
      ["Capital of France?", "Paris."],
    ]);
    expect(result).toMatchObject({ exported: 1, pending: 0, failed: 0, timedOut: false });
    expect(errors).toEqual([
      'NotCapable: Requires sys access to "homedir", run again with the --allow-sys flag',
    ]);
  });
});
