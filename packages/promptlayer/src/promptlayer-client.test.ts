import { ChatPromptTemplate, PromptTemplate } from "@langchain/core/prompts";
import { ConfigurationError, ExportTimeoutError, VendorApiError } from "@langchain-observability/core";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { PromptLayerClient } from "./promptlayer-client";
import { type PromptLayerEmulator, startPromptLayerEmulator } from "./testing/index";

const API_KEY = "pl_test_key";

let emulator: PromptLayerEmulator;
let client: PromptLayerClient;

beforeEach(async () => {
  emulator = await startPromptLayerEmulator({ apiKeys: [API_KEY] });
  client = new PromptLayerClient({
    apiKey: API_KEY,
    baseUrl: emulator.url,
    maxRetries: 1,
    timeoutMs: 30_000,
  });
});

afterEach(async () => {
  await emulator.close();
});

/** Logs one request through the emulator, as the handler would, and returns its id. */
async function trackOneRequest(): Promise<number> {
  const response = await fetch(`${emulator.url}/track-request`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      function_name: "langchain.llms.openai.OpenAI",
      provider_type: "langchain",
      args: ["hi"],
      kwargs: {},
      tags: [],
      request_response: { text: "hello", llm_output: null },
      request_start_time: 1_717_000_000.5,
      request_end_time: 1_717_000_001.5,
      metadata: {},
      api_key: API_KEY,
    }),
  });
  return ((await response.json()) as { request_id: number }).request_id;
}

function lastBody(): Record<string, unknown> {
  return emulator.requests.at(-1)!.body as Record<string, unknown>;
}

describe("PromptLayerClient tracking", () => {
  test("track.score, track.metadata, track.prompt: camelCase in, snake_case with api_key in the body out", async () => {
    const requestId = await trackOneRequest();
    await client.track.score({ requestId, score: 87, name: "relevance" });
    await client.track.metadata({ requestId, metadata: { customer: "acme" } });
    await client.track.prompt({
      requestId,
      promptName: "example",
      promptInputVariables: { product: "toasters" },
      label: "prod",
    });
    expect(emulator.requests.slice(1).map((request) => [request.path, request.body])).toEqual([
      ["/library-track-score", { request_id: requestId, score: 87, name: "relevance", api_key: API_KEY }],
      [
        "/library-track-metadata",
        { request_id: requestId, metadata: { customer: "acme" }, api_key: API_KEY },
      ],
      [
        "/library-track-prompt",
        {
          request_id: requestId,
          prompt_name: "example",
          prompt_input_variables: { product: "toasters" },
          label: "prod",
          api_key: API_KEY,
        },
      ],
    ]);
    // Tracking endpoints authenticate with the body only (as PromptLayer's SDKs): no key header.
    expect(emulator.requests.slice(1).every((request) => request.headers["x-api-key"] === undefined)).toBe(
      true,
    );
  });

  test("groups.create resolves to the new id, which track.group links", async () => {
    const requestId = await trackOneRequest();
    const groupId = await client.groups.create();
    expect(groupId).toBe(1);
    await client.track.group({ requestId, groupId });
    expect(emulator.groupLinks).toEqual([{ request_id: requestId, group_id: 1, api_key: API_KEY }]);
  });

  test("a request id given as a numeric string is sent as an integer", async () => {
    const requestId = await trackOneRequest();
    await client.track.score({ requestId: String(requestId), score: 0 });
    expect(lastBody().request_id).toBe(requestId);
  });

  test.each([-1, 100.5, 101, Number.NaN, "90" as unknown as number])(
    "track.score refuses %s before sending anything",
    async (score) => {
      await expect(client.track.score({ requestId: 1, score })).rejects.toThrow(
        /`score` must be a number from 0 to 100/,
      );
      await expect(client.track.score({ requestId: 1, score })).rejects.toSatisfy(
        ConfigurationError.isInstance,
      );
      expect(emulator.requests).toHaveLength(0);
    },
  );

  test("track.metadata refuses non-string values with an error naming them", async () => {
    const call = client.track.metadata({
      requestId: 1,
      metadata: { ok: "yes", count: 3, missing: null } as unknown as Record<string, string>,
    });
    await expect(call).rejects.toThrow(
      '`metadata` values must be strings (PromptLayer refuses others); not a string: "count" (number), "missing" (null). Convert them with String() or JSON.stringify().',
    );
    expect(emulator.requests).toHaveLength(0);
  });

  test.each([
    {
      call: () => client.track.score({ requestId: undefined as never, score: 1 }),
      message: /`requestId` must be/,
    },
    { call: () => client.track.group({ requestId: 1, groupId: "g" as never }), message: /`groupId` must be/ },
    { call: () => client.track.prompt({ requestId: 1, promptName: "" }), message: /`promptName` must be/ },
    {
      call: () => client.track.prompt({ requestId: 1, promptName: "p", version: 1.5 }),
      message: /`version`/,
    },
  ])("refuses invalid arguments: $message", async ({ call, message }) => {
    await expect(call()).rejects.toThrow(message);
  });

  test("a score the API refuses rejects with VendorApiError (unknown request id → 400)", async () => {
    const error = await client.track.score({ requestId: 999, score: 50 }).catch((caught: unknown) => caught);
    expect(VendorApiError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ status: 400, isRetryable: false });
    expect((error as Error).message).toBe(
      `PromptLayer: POST ${emulator.url}/library-track-score answered 400: {"success":false,"message":"request_id does not match a tracked request"}`,
    );
  });

  test("5xx is retried up to maxRetries, then rejects with VendorApiError", async () => {
    const requestId = await trackOneRequest();
    emulator.failNext({ route: emulator.routes.trackMetadata, status: 502, times: 5 });
    const error = await client.track
      .metadata({ requestId, metadata: { a: "b" } })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 502, isRetryable: true });
    expect(emulator.requests.filter((request) => request.path === "/library-track-metadata")).toHaveLength(2);
  });

  test("a hang rejects with ExportTimeoutError after timeoutMs", async () => {
    const quick = new PromptLayerClient({
      apiKey: API_KEY,
      baseUrl: emulator.url,
      maxRetries: 0,
      timeoutMs: 5000,
    });
    emulator.failNext({ route: emulator.routes.createGroup, hangMs: Number.POSITIVE_INFINITY });
    const error = await quick.groups.create().catch((caught: unknown) => caught);
    expect(ExportTimeoutError.isInstance(error)).toBe(true);
  });

  test("groups.create without an id in the answer rejects", async () => {
    emulator.failNext({ route: emulator.routes.createGroup, status: 200, body: { success: true } });
    await expect(client.groups.create()).rejects.toThrow(/answered without a group id/);
  });

  test("an unknown option is a ConfigurationError naming it and the option meant; nothing is sent", () => {
    expect(() => new PromptLayerClient({ apiKey: API_KEY, baseURL: emulator.url } as never)).toThrow(
      "Unknown option `baseURL` of PromptLayerClient; did you mean `baseUrl`?",
    );
    expect(() => new PromptLayerClient({ api_key: API_KEY } as never)).toThrow(ConfigurationError);
    expect(emulator.requests).toHaveLength(0);
  });

  test("a missing key is a ConfigurationError; the env var is read otherwise", () => {
    vi.stubEnv("PROMPTLAYER_API_KEY", "");
    expect(() => new PromptLayerClient()).toThrow(
      "Missing PromptLayer API key: pass `apiKey` (or env PROMPTLAYER_API_KEY).",
    );
    vi.stubEnv("PROMPTLAYER_API_KEY", "pl_from_env");
    expect(new PromptLayerClient().baseUrl).toBe("https://api.promptlayer.com");
  });
});

describe("PromptLayerClient templates", () => {
  beforeEach(() => {
    emulator.seedTemplate({
      promptName: "example",
      version: 1,
      tags: ["jokes"],
      metadata: {
        model: { provider: "openai", name: "gpt-3.5-turbo-instruct", parameters: { temperature: 0 } },
      },
      promptTemplate: {
        type: "completion",
        content: [{ type: "text", text: "Tell me a joke about {product}." }],
        input_variables: ["product"],
      },
    });
    emulator.seedTemplate({
      promptName: "example",
      version: 2,
      labels: ["prod"],
      commitMessage: "Jinja2 now",
      promptTemplate: {
        type: "completion",
        template_format: "jinja2",
        content: [{ type: "text", text: "Tell me a short joke about {{ product }}." }],
      },
    });
  });

  test("get without langchain: PromptLayer's template in camelCase, fetched with X-API-KEY", async () => {
    const template = await client.templates.get("example", { version: 1 });
    expect(template).toEqual({
      id: 1,
      promptName: "example",
      version: 1,
      tags: ["jokes"],
      promptTemplate: {
        type: "completion",
        content: [{ type: "text", text: "Tell me a joke about {product}." }],
        input_variables: ["product"],
      },
      metadata: {
        model: { provider: "openai", name: "gpt-3.5-turbo-instruct", parameters: { temperature: 0 } },
      },
      llmKwargs: null,
      commitMessage: undefined,
      warning: undefined,
    });
    const request = emulator.requests.at(-1)!;
    expect(request.headers["x-api-key"]).toBe(API_KEY);
    expect(request.body).toEqual({ version: 1 });
  });

  test("get with langchain: true returns a PromptTemplate; the latest version by default, or by label", async () => {
    const latest = await client.templates.get("example", { langchain: true });
    expect(latest).toBeInstanceOf(PromptTemplate);
    expect(await latest.format({ product: "toasters" })).toBe("Tell me a short joke about toasters.");
    const byLabel = await client.templates.get("example", { label: "prod", langchain: true });
    expect(await byLabel.format({ product: "kettles" })).toBe("Tell me a short joke about kettles.");
    const first = await client.templates.get("example", { version: 1, langchain: true });
    expect(await first.invoke({ product: "forks" })).toMatchObject({ value: "Tell me a joke about forks." });
  });

  test("a chat template becomes a ChatPromptTemplate", async () => {
    emulator.seedTemplate({
      promptName: "support",
      promptTemplate: {
        type: "chat",
        messages: [
          { role: "system", content: [{ type: "text", text: "You support {product}." }] },
          { role: "user", template_format: "jinja2", content: [{ type: "text", text: "{{ question }}" }] },
        ],
      },
    });
    const prompt = await client.templates.get("support", { langchain: true });
    expect(prompt).toBeInstanceOf(ChatPromptTemplate);
    expect(await prompt.format({ product: "toasters", question: "Is it hot?" })).toBe(
      "System: You support toasters.\nHuman: Is it hot?",
    );
  });

  test("the whole name is URL-encoded, so '/', '?', '#' and spaces stay part of it", async () => {
    const name = "team/jokes? #1 draft";
    emulator.seedTemplate({ promptName: name, promptTemplate: { type: "completion", content: "x" } });
    await client.templates.get(name);
    const request = emulator.requests.at(-1)!;
    // Unencoded, `?` would start a query and `#` a fragment: the emulator would see another name.
    expect(request.path).toBe(`/prompt-templates/${name}`);
    expect(emulator.templateRequests.at(-1)?.promptName).toBe(name);
  });

  test("camelCase options go out in snake_case; inputVariables are rendered by PromptLayer", async () => {
    const template = await client.templates.get("example", {
      version: 1,
      provider: "openai",
      model: "gpt-4o",
      metadataFilters: { team: "growth" },
      inputVariables: { product: "toasters" },
    });
    expect(emulator.requests.at(-1)!.body).toEqual({
      version: 1,
      provider: "openai",
      model: "gpt-4o",
      metadata_filters: { team: "growth" },
      input_variables: { product: "toasters" },
    });
    expect(template.promptTemplate).toMatchObject({
      content: [{ type: "text", text: "Tell me a joke about toasters." }],
    });
  });

  test("an unknown template rejects with VendorApiError 404 (not retried)", async () => {
    const error = await client.templates.get("nope").catch((caught: unknown) => caught);
    expect(VendorApiError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ status: 404, isRetryable: false });
    expect(emulator.requests).toHaveLength(1);
  });

  test("a wrong key rejects with VendorApiError 401", async () => {
    const other = new PromptLayerClient({ apiKey: "pl_wrong", baseUrl: emulator.url });
    await expect(other.templates.get("example")).rejects.toMatchObject({ status: 401 });
  });

  test("a template it cannot convert faithfully rejects with a clear error", async () => {
    emulator.seedTemplate({
      promptName: "loops",
      promptTemplate: {
        type: "completion",
        template_format: "jinja2",
        content: "{% for item in items %}{{ item }}{% endfor %}",
      },
    });
    await expect(client.templates.get("loops", { langchain: true })).rejects.toThrow(
      'PromptLayer template "loops" uses Jinja2 statements ({% … %}); only {{ variable }} substitution is supported with langchain: true.',
    );
    // Rendered by PromptLayer instead, it is fine (the emulator renders only simple templates, so here it warns).
    const raw = await client.templates.get("loops", { inputVariables: { items: ["a"] } });
    expect(raw.warning).toMatch(/could not render/);
  });

  test("an answer without a prompt_template rejects", async () => {
    emulator.failNext({ status: 200, body: { id: 3 } });
    await expect(client.templates.get("example")).rejects.toThrow(/answered without a prompt_template/);
  });
});
