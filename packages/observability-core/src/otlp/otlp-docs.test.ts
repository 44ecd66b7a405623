// Every ```ts block of docs/otlp.md runs as a user's script (against the built package), sending to
// an OTLP receiver on 127.0.0.1 with a real ChatOpenAI talking to a local OpenAI-compatible server.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  extractSnippets,
  type OpenAiCompatibleServer,
  openAiEnvironment,
  runSnippet,
  startOpenAiCompatibleServer,
} from "../../../../scripts/readme-snippets";
import { type OtlpReceiver, startOtlpReceiver } from "./otlp-receiver.test-support";
import { plainAttributes } from "./otlp-test-records.test-support";

/** The SDK version is the built package's: checked against package.json, then left out of snapshots. */
function withoutVersion(resource: Record<string, unknown>): Record<string, unknown> {
  expect(resource["telemetry.sdk.version"]).toBe(packageVersion);
  return { ...resource, "telemetry.sdk.version": "<version>" };
}

const packageFolder = fileURLToPath(new URL("../..", import.meta.url));
const packageVersion = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
).version;
const snippets = extractSnippets(fileURLToPath(new URL("../../docs/otlp.md", import.meta.url)));

describe("docs/otlp.md", { timeout: 300_000 }, () => {
  let openAi: OpenAiCompatibleServer;
  beforeAll(async () => {
    openAi = await startOpenAiCompatibleServer();
  });
  afterAll(async () => {
    await openAi.close();
  });

  it("has the three recipes as TypeScript snippets", () => {
    expect(snippets).toHaveLength(3);
  });

  async function run(index: number, receiver: OtlpReceiver, env: Record<string, string>) {
    const result = await runSnippet(snippets[index]!, {
      cwd: packageFolder,
      env: { ...openAiEnvironment(openAi), ...env },
    });
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(receiver.decoded.length).toBeGreaterThan(0);
    const spans = receiver.decoded.flatMap((request) =>
      request.request.resourceSpans.flatMap((resourceSpans) =>
        resourceSpans.scopeSpans.flatMap((scopeSpans) => scopeSpans.spans),
      ),
    );
    return {
      headers: receiver.decoded[0]!.headers,
      contentType: receiver.decoded[0]!.contentType,
      resource: withoutVersion(
        plainAttributes(receiver.decoded[0]!.request.resourceSpans[0]!.resource!.attributes),
      ),
      spans: spans.map((span) => ({
        name: span.name,
        kind: span.kind,
        attributes: plainAttributes(span.attributes),
      })),
    };
  }

  it("recipe 1 (Arthur engine) sends OpenInference spans with the Bearer key and arthur.task", async () => {
    const receiver = await startOtlpReceiver({ path: "/api/v1/traces" });
    try {
      const sent = await run(0, receiver, {
        ARTHUR_ENGINE_URL: receiver.url,
        ARTHUR_API_KEY: "arthur-docs-key",
        ARTHUR_TASK_ID: "0b9f8f6e-1b7f-4a51-9a37-1c2d3e4f5a6b",
      });
      expect(sent.contentType).toBe("application/x-protobuf");
      expect(sent.headers.authorization).toBe("Bearer arthur-docs-key");
      expect(sent.resource).toMatchInlineSnapshot(`
        {
          "arthur.task": "0b9f8f6e-1b7f-4a51-9a37-1c2d3e4f5a6b",
          "service.name": "support-bot",
          "telemetry.sdk.name": "langchain-observability",
          "telemetry.sdk.version": "<version>",
        }
      `);
      expect(sent.spans).toMatchInlineSnapshot(`
        [
          {
            "attributes": {
              "input.mime_type": "application/json",
              "input.value": "[{"role":"user","content":"Where is my parcel?"}]",
              "llm.input_messages.0.message.content": "Where is my parcel?",
              "llm.input_messages.0.message.role": "user",
              "llm.invocation_parameters": "{"model":"gpt-4o-mini","stream":false}",
              "llm.model_name": "gpt-4o-mini",
              "llm.output_messages.0.message.content": "Why did the chicken cross the road? To get to the other side.",
              "llm.output_messages.0.message.role": "assistant",
              "llm.provider": "openai",
              "llm.system": "openai",
              "llm.token_count.completion": 14n,
              "llm.token_count.prompt": 12n,
              "llm.token_count.total": 26n,
              "openinference.span.kind": "LLM",
              "output.mime_type": "text/plain",
              "output.value": "Why did the chicken cross the road? To get to the other side.",
            },
            "kind": 1,
            "name": "ChatOpenAI",
          },
        ]
      `);
    } finally {
      await receiver.close();
    }
  });

  it("recipe 2 (Collector) takes endpoint and service name from the OTEL_* variables", async () => {
    const receiver = await startOtlpReceiver();
    try {
      const sent = await run(1, receiver, {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_SERVICE_NAME: "checkout",
      });
      expect(sent.resource["service.name"]).toBe("checkout");
      expect(sent.resource["deployment.environment.name"]).toBe("production");
      expect(sent.spans.map((span) => [span.name, span.kind])).toEqual([["chat gpt-4o-mini", 3]]);
      expect(Object.keys(sent.spans[0]!.attributes)).toEqual(
        expect.arrayContaining([
          "openinference.span.kind",
          "gen_ai.operation.name",
          "gen_ai.usage.input_tokens",
        ]),
      );
    } finally {
      await receiver.close();
    }
  });

  it("recipe 3 (Phoenix) sends OpenInference spans to PHOENIX_COLLECTOR_ENDPOINT", async () => {
    const receiver = await startOtlpReceiver();
    try {
      const sent = await run(2, receiver, { PHOENIX_COLLECTOR_ENDPOINT: receiver.url });
      expect(sent.resource["service.name"]).toBe("dev");
      expect(sent.spans.map((span) => [span.name, span.attributes["openinference.span.kind"]])).toEqual([
        ["ChatOpenAI", "LLM"],
      ]);
    } finally {
      await receiver.close();
    }
  });
});
