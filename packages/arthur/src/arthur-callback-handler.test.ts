import {
  AIMessage,
  type BaseMessage,
  HumanMessage,
  SystemMessage,
  ToolMessage,
} from "@langchain/core/messages";
import { RunnableLambda } from "@langchain/core/runnables";
import { DynamicTool } from "@langchain/core/tools";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { ConfigurationError } from "@langchain-observability/core";
import {
  FakeDetailedChatModel,
  FakeDetailedLLM,
  normalizeForSnapshot,
} from "@langchain-observability/core/testing";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ArthurCallbackHandler, type ArthurCallbackHandlerOptions } from "./arthur-callback-handler";
import { ArthurClient, resolveArthurEngineConnection } from "./arthur-client";
import { createArthurEngineExporter, createArthurExporter } from "./arthur-exporter";
import {
  API_KEY,
  type ArthurTestServer,
  clearArthurEnv,
  LOGIN,
  normalize,
  PASSWORD,
  requestLines,
  startArthur,
} from "./arthur-test-helpers";
import {
  ARTHUR_EMULATOR_ENGINE_KEY,
  ARTHUR_EMULATOR_PLATFORM_TOKEN,
  ARTHUR_EMULATOR_TASK_ID,
  createArthurTokenSequenceModel,
} from "./testing/index";

let arthur: ArthurTestServer;
let errors: unknown[];

beforeEach(async () => {
  clearArthurEnv();
  arthur = await startArthur();
  errors = [];
});

afterEach(async () => {
  await arthur.server.close();
});

function common() {
  return {
    arthurUrl: arthur.url,
    timeoutMs: 30_000,
    maxRetries: 1,
    onError: (error: unknown) => errors.push(error),
  };
}

function inferences() {
  return normalize(arthur.emulator.inferences.map((item) => item.inference));
}

describe("ArthurCallbackHandler.fromCredentials with an API key", () => {
  it("loads the model up front and logs a chat call as one inference with the transcript", async () => {
    const handler = await ArthurCallbackHandler.fromCredentials("arthur-llm-model", {
      ...common(),
      apiKey: API_KEY,
    });
    expect(requestLines(arthur.emulator)).toMatchInlineSnapshot(`
      [
        "GET users/me → 200 (auth: api-key)",
        "GET models/arthur-llm-model?id_type=id&expand=attributes → 200 (auth: api-key, org: arthur-org-1)",
      ]
    `);

    const chat = new FakeDetailedChatModel({
      responses: [
        {
          content: "Hello! How can I help?",
          usage: { input_tokens: 12, output_tokens: 6, total_tokens: 18 },
          responseMetadata: { finish_reason: "stop" },
        },
      ],
      callbacks: [handler],
    });
    const answer = await chat.invoke([new SystemMessage("Be brief."), new HumanMessage("Hi there")]);
    expect(answer.content).toBe("Hello! How can I help?");

    const result = await handler.flush();
    expect(result).toMatchObject({ ok: true, exported: 1, failed: 0, pending: 0 });
    expect(inferences()).toMatchInlineSnapshot(`
      [
        {
          "inference_data": {
            "completion_tokens": 6,
            "duration": "<seconds>",
            "finish_reason": "stop",
            "input_text": "System: Be brief.
      Human: Hi there",
            "output_text": "Hello! How can I help?",
            "prompt_tokens": 12,
          },
          "inference_timestamp": "<timestamp>",
          "partner_inference_id": "<id-1>",
        },
      ]
    `);
    expect(requestLines(arthur.emulator).slice(2)).toMatchInlineSnapshot(`
      [
        "POST models/arthur-llm-model/inferences → 207 (auth: api-key, org: arthur-org-1)",
      ]
    `);
    expect(errors).toEqual([]);
    expect(handler.name).toBe("arthur_callback_handler");
  });

  it("reads the key from ARTHUR_API_KEY and the URL from ARTHUR_ENDPOINT_URL", async () => {
    vi.stubEnv("ARTHUR_API_KEY", API_KEY);
    vi.stubEnv("ARTHUR_ENDPOINT_URL", arthur.url);
    const handler = await ArthurCallbackHandler.fromCredentials("arthur-llm-model", { maxRetries: 0 });
    const llm = new FakeDetailedLLM({ responses: ["4"], callbacks: [handler] });
    await llm.invoke("2 + 2 =");
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1 });
    expect(arthur.emulator.calls.map((request) => request.auth)).toEqual(["api-key", "api-key", "api-key"]);
  });

  it("sends the organization given by option, without asking users/me", async () => {
    const handler = await ArthurCallbackHandler.fromCredentials("arthur-llm-model", {
      ...common(),
      apiKey: API_KEY,
      organizationId: "arthur-org-1",
    });
    await new FakeDetailedLLM({ responses: ["ok"], callbacks: [handler] }).invoke("ping");
    await handler.flush();
    expect(requestLines(arthur.emulator)).toMatchInlineSnapshot(`
      [
        "GET models/arthur-llm-model?id_type=id&expand=attributes → 200 (auth: api-key, org: arthur-org-1)",
        "POST models/arthur-llm-model/inferences → 207 (auth: api-key, org: arthur-org-1)",
      ]
    `);
  });
});

describe("ArthurCallbackHandler.fromCredentials with login and password", () => {
  it("logs in, uses the cookie token as the raw Authorization header, and logs a text run", async () => {
    const handler = await ArthurCallbackHandler.fromCredentials("arthur-llm-model", {
      ...common(),
      arthurLogin: LOGIN,
      arthurPassword: PASSWORD,
    });
    const llm = new FakeDetailedLLM({
      responses: ["Paris"],
      llmOutput: { tokenUsage: { promptTokens: 7, completionTokens: 1, totalTokens: 8 } },
      generationInfo: { finish_reason: "stop" },
      callbacks: [handler],
    });
    await llm.invoke("The capital of France is");
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1 });
    expect(requestLines(arthur.emulator)).toMatchInlineSnapshot(`
      [
        "POST login → 200 (auth: none)",
        "GET users/me → 200 (auth: session)",
        "GET models/arthur-llm-model?id_type=id&expand=attributes → 200 (auth: session, org: arthur-org-1)",
        "POST models/arthur-llm-model/inferences → 207 (auth: session, org: arthur-org-1)",
      ]
    `);
    expect(arthur.emulator.calls[0]?.body).toEqual({ login: LOGIN, password: "<redacted>" });
    expect(inferences()).toMatchInlineSnapshot(`
      [
        {
          "inference_data": {
            "completion_tokens": 1,
            "duration": "<seconds>",
            "finish_reason": "stop",
            "input_text": "The capital of France is",
            "output_text": "Paris",
            "prompt_tokens": 7,
          },
          "inference_timestamp": "<timestamp>",
          "partner_inference_id": "<id-1>",
        },
      ]
    `);
  });

  it("reads the password from ARTHUR_PASSWORD", async () => {
    vi.stubEnv("ARTHUR_PASSWORD", PASSWORD);
    const handler = await ArthurCallbackHandler.fromCredentials("arthur-llm-model", {
      ...common(),
      arthurLogin: LOGIN,
    });
    await new FakeDetailedLLM({ responses: ["ok"], callbacks: [handler] }).invoke("ping");
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1 });
  });

  it("asks for the password on an interactive terminal", async () => {
    const questions: string[] = [];
    const handler = await ArthurCallbackHandler.fromCredentials("arthur-llm-model", {
      ...common(),
      arthurLogin: LOGIN,
      passwordPrompt: {
        isInteractive: () => true,
        ask: async (question) => {
          questions.push(question);
          return PASSWORD;
        },
      },
    });
    expect(normalize(questions)).toMatchInlineSnapshot(`
      [
        "Arthur password for arthur-user at http://127.0.0.1:<port>: ",
      ]
    `);
    await new FakeDetailedLLM({ responses: ["ok"], callbacks: [handler] }).invoke("ping");
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1 });
  });

  it("logs in again once when the session token has expired, and sends the inference", async () => {
    const handler = await ArthurCallbackHandler.fromCredentials("arthur-llm-model", {
      ...common(),
      arthurLogin: LOGIN,
      arthurPassword: PASSWORD,
    });
    arthur.emulator.expireTokens();
    await new FakeDetailedLLM({ responses: ["ok"], callbacks: [handler] }).invoke("ping");
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1, failed: 0 });
    expect(requestLines(arthur.emulator).slice(3)).toMatchInlineSnapshot(`
      [
        "POST models/arthur-llm-model/inferences → 401 (auth: expired-session, org: arthur-org-1)",
        "POST login → 200 (auth: none, org: arthur-org-1)",
        "POST models/arthur-llm-model/inferences → 207 (auth: session, org: arthur-org-1)",
      ]
    `);
    expect(arthur.emulator.inferences).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it("logs in again before a request when the cookie says the session has expired", async () => {
    await arthur.server.close();
    arthur = await startArthur({ sessionMaxAgeSeconds: 0 });
    const handler = await ArthurCallbackHandler.fromCredentials("arthur-llm-model", {
      ...common(),
      arthurLogin: LOGIN,
      arthurPassword: PASSWORD,
    });
    await new FakeDetailedLLM({ responses: ["ok"], callbacks: [handler] }).invoke("ping");
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1 });
    // No request is ever refused: each one goes out with a fresh session.
    expect(
      arthur.emulator.calls.map((request) => `${request.endpoint} ${request.status}`),
    ).toMatchInlineSnapshot(`
        [
          "login 200",
          "login 200",
          "users/me 200",
          "login 200",
          "model 200",
          "login 200",
          "inferences 207",
        ]
      `);
  });

  it("fails clearly when the new login is refused too (password changed)", async () => {
    const handler = await ArthurCallbackHandler.fromCredentials("arthur-llm-model", {
      ...common(),
      arthurLogin: LOGIN,
      arthurPassword: PASSWORD,
    });
    arthur.emulator.expireTokens();
    arthur.emulator.setPassword(LOGIN, "changed");
    await new FakeDetailedLLM({ responses: ["ok"], callbacks: [handler] }).invoke("ping");
    expect(await handler.flush()).toMatchObject({ ok: false, exported: 0, failed: 1 });
    expect(
      errors.map((error) => (error as Error).message.replace(/127\.0\.0\.1:\d+/g, "<host>")),
    ).toMatchInlineSnapshot(`
        [
          "Arthur rejected the login "arthur-user" and its password (POST http://<host>/api/v3/login answered 401); check \`arthurLogin\` (or env ARTHUR_LOGIN) and \`arthurPassword\` (or env ARTHUR_PASSWORD).",
        ]
      `);
    expect(handler.stats()).toMatchObject({ captured: 1, exported: 0, failed: 1, pending: 0 });
  });
});

describe("attributes", () => {
  it("sends the optional attributes only when the model declares them", async () => {
    arthur.emulator.addModel(
      createArthurTokenSequenceModel({
        id: "bare-model",
        inputAttribute: "prompt",
        outputAttribute: "completion",
        likelihoodAttribute: null,
        optionalAttributes: false,
      }),
    );
    const logprobs = { top_logprobs: [{ Paris: -0.01, Lyon: -4.6 }] };
    const run = async (modelId: string) => {
      const handler = await ArthurCallbackHandler.fromCredentials(modelId, { ...common(), apiKey: API_KEY });
      const llm = new FakeDetailedLLM({
        responses: ["Paris"],
        llmOutput: { token_usage: { prompt_tokens: 7, completion_tokens: 1, total_tokens: 8 } },
        generationInfo: { finish_reason: "stop", logprobs },
        callbacks: [handler],
      });
      await llm.invoke("The capital of France is");
      expect(await handler.flush()).toMatchObject({ ok: true, exported: 1 });
    };
    await run("arthur-llm-model");
    await run("bare-model");
    expect(inferences()).toMatchInlineSnapshot(`
      [
        {
          "inference_data": {
            "completion_tokens": 1,
            "duration": "<seconds>",
            "finish_reason": "stop",
            "input_text": "The capital of France is",
            "output_likelihoods": [
              {
                "Lyon": 0.010051835744633586,
                "Paris": 0.9900498337491681,
              },
            ],
            "output_text": "Paris",
            "prompt_tokens": 7,
          },
          "inference_timestamp": "<timestamp>",
          "partner_inference_id": "<id-1>",
        },
        {
          "inference_data": {
            "completion": "Paris",
            "prompt": "The capital of France is",
          },
          "inference_timestamp": "<timestamp>",
          "partner_inference_id": "<id-2>",
        },
      ]
    `);
    expect(arthur.emulator.rejected).toEqual([]);
  });

  it("uses the schema given with `model` without loading it", async () => {
    const handler = new ArthurCallbackHandler({
      ...common(),
      apiKey: API_KEY,
      model: createArthurTokenSequenceModel({ optionalAttributes: ["duration"] }),
    });
    expect(arthur.emulator.calls).toEqual([]);
    await new FakeDetailedLLM({ responses: ["ok"], callbacks: [handler] }).invoke("ping");
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1 });
    expect(requestLines(arthur.emulator)).toMatchInlineSnapshot(`
      [
        "GET users/me → 200 (auth: api-key)",
        "POST models/arthur-llm-model/inferences → 207 (auth: api-key, org: arthur-org-1)",
      ]
    `);
    expect(inferences()).toMatchInlineSnapshot(`
      [
        {
          "inference_data": {
            "duration": "<seconds>",
            "input_text": "ping",
            "output_text": "ok",
          },
          "inference_timestamp": "<timestamp>",
          "partner_inference_id": "<id-1>",
        },
      ]
    `);
  });
});

describe("token likelihoods", () => {
  it("reads completion logprobs (top_logprobs), at most 5 pairs per token", async () => {
    const handler = await ArthurCallbackHandler.fromCredentials("arthur-llm-model", {
      ...common(),
      apiKey: API_KEY,
    });
    const llm = new FakeDetailedLLM({
      responses: ["Hi!"],
      generationInfo: {
        finish_reason: "length",
        logprobs: {
          tokens: ["Hi", "!"],
          token_logprobs: [-0.1, -0.5],
          top_logprobs: [
            { Hi: -0.1, Hello: -2.5, Hey: -3, Yo: -4, Greetings: -5, Howdy: -6 },
            { "!": -0.5, ".": -1.2 },
          ],
        },
      },
      callbacks: [handler],
    });
    await llm.invoke("Say hi");
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1 });
    expect(arthur.emulator.inferences[0]?.inference.inference_data.output_likelihoods).toMatchInlineSnapshot(`
        [
          {
            "Greetings": 0.006737946999085467,
            "Hello": 0.0820849986238988,
            "Hey": 0.049787068367863944,
            "Hi": 0.9048374180359595,
            "Yo": 0.01831563888873418,
          },
          {
            "!": 0.6065306597126334,
            ".": 0.3011942119122021,
          },
        ]
      `);
  });

  it("reads chat logprobs (content[].top_logprobs)", async () => {
    const handler = await ArthurCallbackHandler.fromCredentials("arthur-llm-model", {
      ...common(),
      apiKey: API_KEY,
    });
    const chat = new FakeDetailedChatModel({
      responses: [
        {
          content: "Yes",
          responseMetadata: {
            finish_reason: "stop",
            logprobs: {
              content: [
                {
                  token: "Yes",
                  logprob: -0.2,
                  bytes: [89, 101, 115],
                  top_logprobs: [
                    { token: "Yes", logprob: -0.2, bytes: [89, 101, 115] },
                    { token: "No", logprob: -1.8, bytes: [78, 111] },
                  ],
                },
              ],
            },
          },
        },
      ],
      callbacks: [handler],
    });
    await chat.invoke([new HumanMessage("Is water wet?")]);
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1 });
    expect(arthur.emulator.inferences[0]?.inference.inference_data.output_likelihoods).toMatchInlineSnapshot(`
        [
          {
            "No": 0.16529888822158653,
            "Yes": 0.8187307530779818,
          },
        ]
      `);
  });

  it("sends no likelihoods, and does not fail, when logprobs are absent, null, or without alternatives", async () => {
    const handler = await ArthurCallbackHandler.fromCredentials("arthur-llm-model", {
      ...common(),
      apiKey: API_KEY,
    });
    await new FakeDetailedLLM({ responses: ["a"], callbacks: [handler] }).invoke("absent");
    await new FakeDetailedLLM({
      responses: ["b"],
      generationInfo: { finish_reason: "stop", logprobs: null },
      callbacks: [handler],
    }).invoke("null");
    await new FakeDetailedChatModel({
      responses: [
        { content: "c", responseMetadata: { logprobs: { content: [{ token: "c", logprob: -0.1 }] } } },
      ],
      callbacks: [handler],
    }).invoke([new HumanMessage("chat without top_logprobs")]);
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 3, failed: 0 });
    const data = arthur.emulator.inferences.map((item) => item.inference.inference_data);
    expect(data.map((entry) => "output_likelihoods" in entry)).toEqual([false, false, false]);
    expect(errors).toEqual([]);
  });
});

describe("runs", () => {
  it("logs each prompt of a two-prompt generate, and every candidate", async () => {
    const handler = await ArthurCallbackHandler.fromCredentials("arthur-llm-model", {
      ...common(),
      apiKey: API_KEY,
    });
    const llm = new FakeDetailedLLM({ responses: ["one", "uno", "two", "dos"], n: 2, callbacks: [handler] });
    const result = await llm.generate(["Say one", "Say two"]);
    expect(result.generations).toHaveLength(2);
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 2 });
    expect(inferences()).toMatchInlineSnapshot(`
      [
        {
          "inference_data": {
            "duration": "<seconds>",
            "input_text": "Say one",
            "output_text": "one",
          },
          "inference_timestamp": "<timestamp>",
          "partner_inference_id": "<id-1>",
        },
        {
          "inference_data": {
            "duration": "<seconds>",
            "input_text": "Say one",
            "output_text": "uno",
          },
          "inference_timestamp": "<timestamp>",
          "partner_inference_id": "<id-1>#1",
        },
        {
          "inference_data": {
            "duration": "<seconds>",
            "input_text": "Say two",
            "output_text": "two",
          },
          "inference_timestamp": "<timestamp>",
          "partner_inference_id": "<id-2>",
        },
        {
          "inference_data": {
            "duration": "<seconds>",
            "input_text": "Say two",
            "output_text": "dos",
          },
          "inference_timestamp": "<timestamp>",
          "partner_inference_id": "<id-2>#1",
        },
      ]
    `);
  });

  it("logs each turn of a chat loop with the role-labelled history so far", async () => {
    const handler = await ArthurCallbackHandler.fromCredentials("arthur-llm-model", {
      ...common(),
      apiKey: API_KEY,
    });
    const chat = new FakeListChatModel({
      responses: ["Hello! How can I help?", "Paris."],
      callbacks: [handler],
    });
    const history: BaseMessage[] = [new SystemMessage("You answer in one line.")];
    for (const question of ["Hi", "What is the capital of France?"]) {
      history.push(new HumanMessage(question));
      history.push(await chat.invoke(history));
    }
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 2 });
    const data = arthur.emulator.inferences.map((item) => item.inference.inference_data);
    expect(data.map((entry) => [entry.input_text, entry.output_text])).toMatchInlineSnapshot(`
      [
        [
          "System: You answer in one line.
      Human: Hi",
          "Hello! How can I help?",
        ],
        [
          "System: You answer in one line.
      Human: Hi
      AI: Hello! How can I help?
      Human: What is the capital of France?",
          "Paris.",
        ],
      ]
    `);
  });

  it("logs streamed chat and streamed text runs", async () => {
    const handler = await ArthurCallbackHandler.fromCredentials("arthur-llm-model", {
      ...common(),
      apiKey: API_KEY,
    });
    const chat = new FakeDetailedChatModel({
      responses: [
        { content: "Streaming works.", usage: { input_tokens: 3, output_tokens: 3, total_tokens: 6 } },
      ],
      callbacks: [handler],
    });
    let streamed = "";
    for await (const chunk of await chat.stream([new HumanMessage("Stream please")]))
      streamed += chunk.content;
    expect(streamed).toBe("Streaming works.");
    const llm = new FakeDetailedLLM({ responses: ["Text streams too."], callbacks: [handler] });
    let text = "";
    for await (const chunk of await llm.stream("Stream text")) text += chunk;
    expect(text).toBe("Text streams too.");
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 2 });
    expect(inferences()).toMatchInlineSnapshot(`
      [
        {
          "inference_data": {
            "completion_tokens": 3,
            "duration": "<seconds>",
            "input_text": "Human: Stream please",
            "output_text": "Streaming works.",
            "prompt_tokens": 3,
          },
          "inference_timestamp": "<timestamp>",
          "partner_inference_id": "<id-1>",
        },
        {
          "inference_data": {
            "duration": "<seconds>",
            "input_text": "Stream text",
            "output_text": "Text streams too.",
          },
          "inference_timestamp": "<timestamp>",
          "partner_inference_id": "<id-2>",
        },
      ]
    `);
  });

  it("keeps tool calls and tool results in the transcript (no crash on tool messages)", async () => {
    const handler = await ArthurCallbackHandler.fromCredentials("arthur-llm-model", {
      ...common(),
      apiKey: API_KEY,
    });
    const chat = new FakeListChatModel({ responses: ["It is 21 °C in Paris."], callbacks: [handler] });
    await chat.invoke([
      new HumanMessage("Weather in Paris?"),
      new AIMessage({
        content: "",
        tool_calls: [{ id: "call_1", name: "get_weather", args: { city: "Paris" }, type: "tool_call" }],
      }),
      new ToolMessage({ content: "21 °C, sunny", tool_call_id: "call_1" }),
    ]);
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1 });
    expect(arthur.emulator.inferences[0]?.inference.inference_data.input_text).toMatchInlineSnapshot(`
      "Human: Weather in Paris?
      AI: [{"name":"get_weather","args":{"city":"Paris"},"id":"call_1"}]
      Tool: 21 °C, sunny"
    `);
  });

  it("sends the tool calls of a tool-calling turn as JSON text in the output (not an empty output)", async () => {
    const handler = await ArthurCallbackHandler.fromCredentials("arthur-llm-model", {
      ...common(),
      apiKey: API_KEY,
    });
    const chat = new FakeDetailedChatModel({
      responses: [
        {
          content: "",
          toolCalls: [
            { id: "call_1", name: "get_weather", args: { city: "Paris" } },
            { id: "call_2", name: "get_time", args: { zone: "Europe/Paris" } },
          ],
          responseMetadata: { finish_reason: "tool_calls" },
        },
        { content: "It is 21 °C." },
      ],
      callbacks: [handler],
    });
    const turn = await chat.invoke([new HumanMessage("Weather and time in Paris?")]);
    expect(turn.tool_calls).toHaveLength(2);
    await chat.invoke([new HumanMessage("And now?")]);
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 2 });
    expect(
      arthur.emulator.inferences.map((item) => [
        item.inference.inference_data.output_text,
        item.inference.inference_data.finish_reason,
      ]),
    ).toMatchInlineSnapshot(`
      [
        [
          "[{"name":"get_weather","args":{"city":"Paris"},"id":"call_1"},{"name":"get_time","args":{"zone":"Europe/Paris"},"id":"call_2"}]",
          "tool_calls",
        ],
        [
          "It is 21 °C.",
          undefined,
        ],
      ]
    `);
  });

  it("logs a failed run with an empty output and its status as finish_reason", async () => {
    const handler = await ArthurCallbackHandler.fromCredentials("arthur-llm-model", {
      ...common(),
      apiKey: API_KEY,
    });
    const llm = new FakeDetailedLLM({
      responses: [],
      error: new Error("model overloaded"),
      callbacks: [handler],
    });
    await expect(llm.invoke("ping")).rejects.toThrow("model overloaded");
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1 });
    expect(inferences()).toMatchInlineSnapshot(`
      [
        {
          "inference_data": {
            "duration": "<seconds>",
            "finish_reason": "error",
            "input_text": "ping",
            "output_text": "",
          },
          "inference_timestamp": "<timestamp>",
          "partner_inference_id": "<id-1>",
        },
      ]
    `);
  });
});

describe("options are checked at run time", () => {
  const valid = () => ({ baseUrl: arthur.url, apiKey: API_KEY, modelId: "arthur-llm-model" });

  function errorOf(action: () => unknown): ConfigurationError {
    try {
      action();
    } catch (error) {
      if (ConfigurationError.isInstance(error)) return error;
      throw error;
    }
    throw new Error("expected a ConfigurationError");
  }

  it.each([
    ["baseURL", "baseUrl"],
    ["arthurURL", "arthurUrl"],
    ["apikey", "apiKey"],
    ["api_key", "apiKey"],
    ["timeoutMS", "timeoutMs"],
    ["sessionID", "sessionId"],
    ["modelID", "modelId"],
    ["engineURL", "engineUrl"],
    ["task_id", "taskId"],
    ["arthur_password", "arthurPassword"],
  ])("refuses `%s` with a ConfigurationError suggesting `%s`, and sends nothing", async (key, meant) => {
    const error = errorOf(
      () => new ArthurCallbackHandler({ ...valid(), [key]: "x" } as unknown as ArthurCallbackHandlerOptions),
    );
    expect(error.message).toBe(
      `Unknown option \`${key}\` of ArthurCallbackHandler; did you mean \`${meant}\`?`,
    );
    expect(error.message).not.toContain(API_KEY);
    expect(arthur.emulator.calls).toEqual([]);
  });

  it("accepts the documented aliases arthurUrl and arthur_url (the Python handler's spelling) for baseUrl", async () => {
    for (const key of ["arthurUrl", "arthur_url"] as const) {
      const handler = new ArthurCallbackHandler({
        [key]: arthur.url,
        apiKey: API_KEY,
        modelId: "arthur-llm-model",
      });
      await new FakeDetailedLLM({ responses: ["ok"], callbacks: [handler] }).invoke(`via ${key}`);
      expect(await handler.flush()).toMatchObject({ ok: true, exported: 1 });
    }
    expect(arthur.emulator.inferences.map((item) => item.inference.inference_data.input_text)).toEqual([
      "via arthurUrl",
      "via arthur_url",
    ]);
    expect(
      () =>
        new ArthurCallbackHandler({
          baseUrl: arthur.url,
          arthurUrl: "https://other.example.com",
          apiKey: API_KEY,
          modelId: "m",
        }),
    ).toThrow(/`baseUrl` and `arthurUrl` are the same option/);
  });

  it("checks the options of fromCredentials, the exporter factories, the client and the platform helper", async () => {
    await expect(
      ArthurCallbackHandler.fromCredentials("arthur-llm-model", { apiKey: API_KEY, baseURL: "x" } as never),
    ).rejects.toThrow(
      "Unknown option `baseURL` of ArthurCallbackHandler.fromCredentials; did you mean `baseUrl`?",
    );
    expect(() => createArthurExporter({ ...valid(), modelid: "m" } as never)).toThrow(
      "Unknown option `modelid` of createArthurExporter; did you mean `modelId`?",
    );
    expect(() =>
      createArthurEngineExporter({ engineUrl: arthur.url, taskId: "t", apiKey: "k", endpoint: "x" } as never),
    ).toThrow("Unknown option `endpoint` of createArthurEngineExporter; did you mean `engineUrl`?");
    expect(
      () => new ArthurClient({ baseUrl: arthur.url, apiKey: API_KEY, organisationId: "o" } as never),
    ).toThrow(/Unknown option `organisationId` of ArthurClient; did you mean `organizationId`\?/);
    await expect(
      resolveArthurEngineConnection("m", { platformURL: "https://platform.example.com" } as never),
    ).rejects.toThrow(
      "Unknown option `platformURL` of resolveArthurEngineConnection; did you mean `platformUrl`?",
    );
    await expect(ArthurCallbackHandler.fromPlatform("m", { taskId: "t" } as never)).rejects.toThrow(
      /Unknown option `taskId` of ArthurCallbackHandler.fromPlatform/,
    );
    expect(arthur.emulator.calls).toEqual([]);
  });

  it("refuses plain http to another host with a message that says how to allow it", () => {
    const error = errorOf(
      () =>
        new ArthurCallbackHandler({ baseUrl: "http://arthur.internal:8080", apiKey: API_KEY, modelId: "m" }),
    );
    expect(error.message).toMatchInlineSnapshot(
      `"\`baseUrl\` (or env ARTHUR_ENDPOINT_URL) must use https (plain http is only allowed to loopback addresses, or with \`allowInsecure: true\`), got http://arthur.internal:8080."`,
    );
  });
});

describe("new ArthurCallbackHandler({ engineUrl, taskId, apiKey }): the run tree as traces", () => {
  function engineHandler(overrides: Partial<ArthurCallbackHandlerOptions> = {}) {
    return new ArthurCallbackHandler({
      engineUrl: arthur.url,
      taskId: ARTHUR_EMULATOR_TASK_ID,
      apiKey: ARTHUR_EMULATOR_ENGINE_KEY,
      maxRetries: 1,
      flushIntervalMs: 60_000,
      onError: (error: unknown) => errors.push(error),
      ...overrides,
    });
  }

  it("sends a chain with a model call and a tool as OTLP spans with OpenInference attributes", async () => {
    const handler = engineHandler({ userId: "user-7", sessionId: "session-3", tags: ["checkout"] });
    const weather = new DynamicTool({
      name: "get_weather",
      description: "The current weather in a city",
      func: async (city) => `21 °C in ${city}`,
    });
    const chat = new FakeDetailedChatModel({
      responses: [
        {
          content: "",
          toolCalls: [{ id: "call_1", name: "get_weather", args: { city: "Paris" } }],
          usage: { input_tokens: 11, output_tokens: 7, total_tokens: 18 },
          responseMetadata: { finish_reason: "tool_calls", model_name: "fake-gpt" },
        },
      ],
    });
    const assistant = RunnableLambda.from(async (question: string, config) => {
      const turn = await chat.invoke([new SystemMessage("Use tools."), new HumanMessage(question)], config);
      const call = turn.tool_calls?.[0];
      return weather.invoke(String(call?.args.city), config);
    }).withConfig({ runName: "assistant" });
    expect(await assistant.invoke("Weather in Paris?", { callbacks: [handler] })).toBe("21 °C in Paris");
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 3, failed: 0, pending: 0 });
    expect(errors).toEqual([]);

    const spans = arthur.emulator.spans;
    expect(spans.every((item) => item.taskId === ARTHUR_EMULATOR_TASK_ID)).toBe(true);
    const [root] = spans.filter((item) => item.span.parentSpanId === undefined);
    expect(spans.filter((item) => item.span.parentSpanId === root?.span.spanId)).toHaveLength(2);
    expect(
      normalizeForSnapshot(
        spans.map((item) => ({
          name: item.span.name,
          parent: item.span.parentSpanId ?? null,
          status: item.span.status,
          attributes: item.span.attributeValues,
        })),
        { volatileKeys: ["startTimeUnixNano", "endTimeUnixNano"] },
      ),
    ).toMatchInlineSnapshot(`
      [
        {
          "attributes": {
            "input.mime_type": "application/json",
            "input.value": "[{"role":"system","content":"Use tools."},{"role":"user","content":"Weather in Paris?"}]",
            "llm.input_messages.0.message.content": "Use tools.",
            "llm.input_messages.0.message.role": "system",
            "llm.input_messages.1.message.content": "Weather in Paris?",
            "llm.input_messages.1.message.role": "user",
            "llm.invocation_parameters": "{"model":"fake-chat-model","temperature":0.2}",
            "llm.model_name": "fake-chat-model",
            "llm.output_messages.0.message.role": "assistant",
            "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": "{"city":"Paris"}",
            "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "get_weather",
            "llm.output_messages.0.message.tool_calls.0.tool_call.id": "call_1",
            "llm.provider": "fake",
            "llm.system": "fake",
            "llm.token_count.completion": 7,
            "llm.token_count.prompt": 11,
            "llm.token_count.total": 18,
            "openinference.span.kind": "LLM",
            "output.mime_type": "application/json",
            "output.value": "[{"id":"call_1","name":"get_weather","args":{"city":"Paris"}}]",
            "session.id": "session-3",
            "tag.tags": [
              "checkout",
            ],
            "user.id": "user-7",
          },
          "name": "FakeDetailedChatModel",
          "parent": "<hex16-1>",
          "status": {
            "code": 1,
          },
        },
        {
          "attributes": {
            "input.mime_type": "application/json",
            "input.value": "{"input":"Paris"}",
            "openinference.span.kind": "TOOL",
            "output.mime_type": "text/plain",
            "output.value": "21 °C in Paris",
            "session.id": "session-3",
            "tag.tags": [
              "checkout",
            ],
            "tool.name": "get_weather",
            "user.id": "user-7",
          },
          "name": "get_weather",
          "parent": "<hex16-1>",
          "status": {
            "code": 1,
          },
        },
        {
          "attributes": {
            "input.mime_type": "application/json",
            "input.value": "{"input":"Weather in Paris?"}",
            "openinference.span.kind": "CHAIN",
            "output.mime_type": "application/json",
            "output.value": "{"output":"21 °C in Paris"}",
            "session.id": "session-3",
            "tag.tags": [
              "checkout",
            ],
            "user.id": "user-7",
          },
          "name": "assistant",
          "parent": null,
          "status": {
            "code": 1,
          },
        },
      ]
    `);
    expect(arthur.emulator.calls).toMatchObject([
      { method: "POST", path: "/api/v1/traces", auth: "engine-key", status: 200 },
    ]);
  });

  it("reads engineUrl, taskId and apiKey from ARTHUR_ENGINE_URL, ARTHUR_TASK_ID and ARTHUR_API_KEY", async () => {
    vi.stubEnv("ARTHUR_ENGINE_URL", arthur.url);
    vi.stubEnv("ARTHUR_TASK_ID", ARTHUR_EMULATOR_TASK_ID);
    vi.stubEnv("ARTHUR_API_KEY", ARTHUR_EMULATOR_ENGINE_KEY);
    const handler = new ArthurCallbackHandler({ maxRetries: 0 });
    await new FakeListChatModel({ responses: ["ok"], callbacks: [handler] }).invoke("ping");
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1 });
    expect(arthur.emulator.spans.map((item) => item.span.attributeValues["openinference.span.kind"])).toEqual(
      ["LLM"],
    );
  });

  it("a 206 rejects one span: it alone fails, the others count as delivered", async () => {
    await arthur.server.close();
    arthur = await startArthur({
      engine: {
        rejectSpan: (span) =>
          span.name === "get_weather" ? `span ${span.spanId}: tool output unreadable` : undefined,
      },
    });
    const handler = engineHandler();
    const weather = new DynamicTool({
      name: "get_weather",
      description: "weather",
      func: async () => "sunny",
    });
    const chain = RunnableLambda.from(async (question: string, config) => {
      await new FakeListChatModel({ responses: ["ok"] }).invoke(question, config);
      return weather.invoke("Paris", config);
    }).withConfig({ runName: "assistant" });
    await chain.invoke("Weather?", { callbacks: [handler] });
    expect(await handler.flush()).toMatchObject({ ok: false, exported: 2, failed: 1, pending: 0 });
    expect(arthur.emulator.spans.map((item) => item.span.name).sort()).toEqual([
      "FakeListChatModel",
      "assistant",
    ]);
    expect(errors.map((error) => (error as Error).message)).toEqual([
      expect.stringMatching(
        /^The Arthur engine rejected span [0-9a-f]{16} \("get_weather", run [0-9a-f-]{36}\): Invalid span data format: span [0-9a-f]{16}: tool output unreadable$/,
      ),
    ]);
  });

  it("a rejected key is reported once, naming apiKey / ARTHUR_API_KEY, and the chain is not affected", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    // The default onError: one warning per distinct problem, however many spans and batches it fails.
    const handler = engineHandler({ apiKey: "not-the-engine-key", onError: undefined });
    const chain = RunnableLambda.from(async (question: string, config) =>
      new FakeListChatModel({ responses: ["a"] }).invoke(question, config),
    ).withConfig({ runName: "assistant" });
    expect((await chain.invoke("one", { callbacks: [handler] })).content).toBe("a");
    expect(await handler.flush()).toMatchObject({ failed: 2, pending: 0 });
    expect((await chain.invoke("two", { callbacks: [handler] })).content).toBe("a");
    expect(await handler.flush()).toMatchObject({ failed: 2, pending: 0 });
    expect(handler.stats()).toMatchObject({ captured: 4, exported: 0, failed: 4 });
    expect(warn).toHaveBeenCalledTimes(1);
    const warning = warn.mock.calls[0]?.map(String).join(" ") ?? "";
    expect(warning).toMatch(
      /The Arthur engine rejected the API key \(POST http:\/\/127\.0\.0\.1:\d+\/api\/v1\/traces answered 401\); check `apiKey` \(or env ARTHUR_API_KEY\)\./,
    );
    expect(warning).not.toContain("not-the-engine-key");
    // Once refused, later batches fail at once: the engine was called once.
    expect(arthur.emulator.calls).toHaveLength(1);
  });

  it("refuses engine and legacy options together, and says what is missing", () => {
    expect(
      () => new ArthurCallbackHandler({ engineUrl: arthur.url, taskId: "t", apiKey: "k", modelId: "m" }),
    ).toThrow(
      /`engineUrl` and `taskId` are for the Arthur GenAI Engine \(traces\), `modelId` for the legacy inferences API/,
    );
    expect(() => new ArthurCallbackHandler({ engineUrl: arthur.url, apiKey: "k" })).toThrow(
      "Missing the Arthur engine task: pass `taskId` (or env ARTHUR_TASK_ID), the id of the task the traces belong to.",
    );
    expect(() => new ArthurCallbackHandler({ apiKey: "k" })).toThrow(/Say where Arthur receives the runs/);
  });

  it("fromPlatform looks the engine up on the platform and sends traces there", async () => {
    const handler = await ArthurCallbackHandler.fromPlatform("arthur-agentic-model", {
      platformUrl: arthur.url,
      platformToken: ARTHUR_EMULATOR_PLATFORM_TOKEN,
      onError: (error: unknown) => errors.push(error),
    });
    await new FakeListChatModel({ responses: ["ok"], callbacks: [handler] }).invoke("ping");
    expect(await handler.flush()).toMatchObject({ ok: true, exported: 1 });
    expect(
      arthur.emulator.calls.map((call) => `${call.method} ${call.path} ${call.auth} ${call.status}`),
    ).toEqual([
      "GET /api/v1/models/arthur-agentic-model/task/connection_info platform-token 200",
      "POST /api/v1/traces engine-key 200",
    ]);
  });
});
