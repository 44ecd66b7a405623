import { describe, expect, it } from "vitest";
import { runPlayground } from "./run-playground";
import { SCENARIOS } from "./scenarios";

describe("playground", () => {
  it("delivers every scenario's records to every emulator exactly once", async () => {
    const result = await runPlayground({ forceEmulators: true });
    // The outage scenario outlasts the HTTP client's resends once per vendor: one report each, then
    // the record is requeued and delivered (checked below with every other record).
    expect(
      result.errors.map((error) => error.replace(/127\.0\.0\.1:\d+/, "127.0.0.1")),
    ).toMatchInlineSnapshot(`
      [
        "trubrics: Trubrics: POST http://127.0.0.1/publish_llm_events answered 503: {"detail":"Service unavailable."}",
        "arthur: Arthur: POST http://127.0.0.1/api/v3/models/arthur-llm-model/inferences answered 503: {"error":"injected failure (503)"}",
        "promptlayer: PromptLayer: POST http://127.0.0.1/track-request answered 503: {"error":"injected failure (503)"}",
      ]
    `);
    expect(result.scenarios.map((scenario) => [scenario.name, scenario.ok, scenario.error])).toEqual(
      SCENARIOS.map((scenario) => [scenario.name, true, undefined]),
    );

    const expected = { trubrics: 0, arthur: 0, promptlayer: 0 };
    for (const scenario of SCENARIOS) {
      for (const vendor of scenario.vendors) expected[vendor] += scenario.expectedRecords;
    }

    const trubricsIds = (
      result.payloads.trubrics as Array<Array<{ properties: { langchain_run_id: string } }>>
    )
      .flat()
      .map((item) => item.properties.langchain_run_id);
    const arthurIds = (result.payloads.arthur as Array<{ partner_inference_id: string }>).map(
      (inference) => inference.partner_inference_id,
    );
    const promptlayerIds = (
      result.payloads.promptlayer as Array<{ metadata: { _langchain_run_id: string } }>
    ).map((body) => body.metadata._langchain_run_id);
    // No loss: as many records as the scenarios produce; no duplicates: every id once.
    expect(trubricsIds).toHaveLength(expected.trubrics);
    expect(arthurIds).toHaveLength(expected.arthur);
    expect(promptlayerIds).toHaveLength(expected.promptlayer);
    for (const ids of [trubricsIds, arthurIds, promptlayerIds]) expect(new Set(ids).size).toBe(ids.length);
    // The same runs reached every vendor (PromptLayer alone also has the registry-template run).
    expect(new Set(arthurIds)).toEqual(new Set(trubricsIds));
    expect(promptlayerIds.filter((id) => !trubricsIds.includes(id))).toHaveLength(1);

    expect(result.vendors).toEqual(
      ["trubrics", "arthur", "promptlayer"].map((vendor) =>
        expect.objectContaining({
          vendor,
          mode: "emulator",
          captured: expected[vendor as keyof typeof expected],
          delivered: expected[vendor as keyof typeof expected],
          failed: 0,
          dropped: 0,
        }),
      ),
    );
    // The PromptLayer flow: every request id of the PromptLayer handler (fan-out's exporter has no
    // plIdCallback) got its score, metadata and prompt link, and the registry template was formatted.
    const viaHandler =
      expected.promptlayer - SCENARIOS.find((scenario) => scenario.name === "fan-out")!.expectedRecords;
    expect(result.promptLayerTracking).toEqual({
      scores: viaHandler,
      metadata: viaHandler,
      promptLinks: viaHandler,
    });
    expect(result.payloads.promptlayer).toContainEqual(
      expect.objectContaining({ args: ["Write a one-line slogan for a company that sells toasters."] }),
    );
    expect(result.ok).toBe(true);
  });

  it("runs only the scenarios asked for, and refuses an unknown one", async () => {
    const result = await runPlayground({ forceEmulators: true, scenarios: ["model-error"] });
    expect(result.scenarios.map((scenario) => scenario.name)).toEqual(["model-error"]);
    expect(result.vendors.map((vendor) => vendor.delivered)).toEqual([1, 1, 1]);
    await expect(runPlayground({ forceEmulators: true, scenarios: ["nope"] })).rejects.toThrow(
      'Unknown scenario "nope"',
    );
  });
});
