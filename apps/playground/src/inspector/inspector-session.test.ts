import { afterEach, describe, expect, it, vi } from "vitest";
import { type InspectorSession, startInspectorSession } from "./inspector-session";

let session: InspectorSession | undefined;

afterEach(async () => {
  await session?.close();
  session = undefined;
});

describe("the inspector session", () => {
  it("matches each prompt of a two-prompt generate() in every vendor (LangChain runs one per prompt)", async () => {
    session = await startInspectorSession({ forceEmulators: true });
    const run = await session.whenDone(session.runScenario("llm-generate"));
    expect(run?.status).toBe("done");
    expect(run?.spans.map((span) => `${span.kind} ${span.name}`)).toEqual([
      "llm FakeDetailedLLM",
      "llm FakeDetailedLLM",
    ]);
    const shown = run?.modelCalls.map((call) => ({
      title: call.title,
      core: call.core.messages?.display,
      vendors: Object.fromEntries(
        Object.entries(call.vendors).map(([column, cell]) => [
          column,
          `${cell?.fields.messages?.display} => ${cell?.fields.output?.display}`,
        ]),
      ),
    }));
    expect(shown).toMatchInlineSnapshot(`
      [
        {
          "core": "Tell me a joke",
          "title": "FakeDetailedLLM",
          "vendors": {
            "arthur": "Tell me a joke => Why did the chicken cross the road? To log its run.",
            "arthur-engine": "Tell me a joke => Why did the chicken cross the road? To log its run.",
            "otlp": "user: Tell me a joke => Why did the chicken cross the road? To log its run.",
            "promptlayer": "Tell me a joke => Why did the chicken cross the road? To log its run.",
            "trubrics": "Tell me a joke => Why did the chicken cross the road? To log its run.",
          },
        },
        {
          "core": "Write me a poem",
          "title": "FakeDetailedLLM",
          "vendors": {
            "arthur": "Write me a poem => Roses are red, traces are too.",
            "arthur-engine": "Write me a poem => Roses are red, traces are too.",
            "otlp": "user: Write me a poem => Roses are red, traces are too.",
            "promptlayer": "Write me a poem => Roses are red, traces are too.",
            "trubrics": "Write me a poem => Roses are red, traces are too.",
          },
        },
      ]
    `);
  });

  it("never shows a credential from the environment, even where the handler sent it", async () => {
    // The emulators' own keys, as if they were real credentials in the environment.
    const secrets = ["playground-trubrics-key", "playground-arthur-key", "pl_playground_key"];
    vi.stubEnv("TRUBRICS_API_KEY", secrets[0]);
    vi.stubEnv("ARTHUR_API_KEY", secrets[1]);
    vi.stubEnv("PROMPTLAYER_API_KEY", secrets[2]);
    session = await startInspectorSession({ forceEmulators: true });
    const runId = session.runScenario("chat-system");
    const run = await session.whenDone(runId);
    expect(run?.status).toBe("done");
    const state = session.state();
    const requests = Object.values(run?.requests ?? {}).flat();
    // PromptLayer's /spans-bulk and Trubrics carry the key in a header, PromptLayer's tracking calls in the body.
    expect(requests.map((request) => request.path)).toEqual(
      expect.arrayContaining(["/spans-bulk", "/publish_llm_events"]),
    );
    const served = [
      JSON.stringify(state),
      ...requests.map((request) => JSON.stringify(session?.exchange(request.id))),
    ].join("\n");
    for (const secret of secrets) expect(served).not.toContain(secret);
    expect(served).toContain('"api_key":"[redacted]"');
    expect(served).toContain('"x-api-key":"[redacted]"');
  });
});
