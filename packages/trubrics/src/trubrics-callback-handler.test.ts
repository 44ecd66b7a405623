import { join } from "node:path";
import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import {
  AIMessage,
  type BaseMessage,
  HumanMessage,
  SystemMessage,
  ToolMessage,
} from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import { RunnableLambda } from "@langchain/core/runnables";
import { ConfigurationError } from "@langchain-observability/core";
import { FakeDetailedChatModel, FakeDetailedLLM } from "@langchain-observability/core/testing";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runSnippet } from "../../../scripts/readme-snippets.ts";
import { TrubricsCallbackHandler, type TrubricsCallbackHandlerOptions } from "./index";
import { decodeFirestoreFields } from "./testing/index";
import { TRUBRICS_OPTION_KEYS } from "./trubrics-callback-handler";
import {
  clearTrubricsEnv,
  normalizeForSnapshot,
  requestStatuses,
  startTrubricsServer,
  TEST_API_KEY,
  TEST_EMAIL,
  TEST_PASSWORD,
  type TrubricsTestServer,
} from "./trubrics-test-helpers";

let trubrics: TrubricsTestServer;
const handlers: TrubricsCallbackHandler[] = [];

beforeEach(async () => {
  clearTrubricsEnv();
  trubrics = await startTrubricsServer();
});

afterEach(async () => {
  await Promise.all(handlers.splice(0).map((handler) => handler.shutdown({ timeoutMs: 1000 })));
  await trubrics.close();
});

function createHandler(options: TrubricsCallbackHandlerOptions): TrubricsCallbackHandler {
  // Generous: only a hang may reach it (a publish that times out is counted unknown, never resent).
  const handler = new TrubricsCallbackHandler({ timeoutMs: 30_000, maxRetries: 1, ...options });
  handlers.push(handler);
  return handler;
}

function ingestionHandler(options: TrubricsCallbackHandlerOptions = {}): TrubricsCallbackHandler {
  return createHandler({ apiKey: TEST_API_KEY, host: trubrics.url, ...options });
}

function legacyHandler(options: TrubricsCallbackHandlerOptions = {}): TrubricsCallbackHandler {
  return createHandler({ ...trubrics.legacy, ...options });
}

function jokeModel(callbacks: TrubricsCallbackHandler[]): FakeDetailedChatModel {
  return new FakeDetailedChatModel({
    model: "gpt-4o-mini",
    provider: "openai",
    responses: [
      {
        content: "Why did the chicken cross the road? To get to the other side.",
        usage: { input_tokens: 21, output_tokens: 14, total_tokens: 35 },
        responseMetadata: { model_name: "gpt-4o-mini-2024-07-18", finish_reason: "stop" },
      },
    ],
    callbacks,
  });
}

/** Answers `echo: <last message>` after a delay that differs per question, so concurrent runs interleave. */
class EchoChatModel extends BaseChatModel {
  _llmType(): string {
    return "echo";
  }

  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    const question = String(messages[messages.length - 1]?.content ?? "");
    const number = Number(question.replace(/\D/g, "")) || 0;
    await new Promise((resolve) => setTimeout(resolve, ((number * 7) % 11) * 2));
    const text = `echo: ${question}`;
    return { generations: [{ text, message: new AIMessage(text) }] };
  }
}

describe("the usage example of the issue", () => {
  it("sends a chat call to the ingestion API (apiKey and host from TRUBRICS_API_KEY / TRUBRICS_HOST)", async () => {
    vi.stubEnv("TRUBRICS_API_KEY", TEST_API_KEY);
    vi.stubEnv("TRUBRICS_HOST", trubrics.url);
    const handler = createHandler({
      project: "default",
      tags: ["chat model"],
      user_id: "user-id-1234",
      some_metadata: { hello: [1, 2] },
    });
    expect(handler.transport).toBe("ingestion");
    expect(handler.name).toBe("trubrics_callback_handler");
    const llm = jokeModel([handler]);

    const answer = await llm.invoke([
      new SystemMessage("You are a comedian."),
      new HumanMessage("Tell me a joke"),
    ]);
    const flushed = await handler.flush();

    expect(answer.content).toBe("Why did the chicken cross the road? To get to the other side.");
    expect(flushed).toMatchObject({ ok: true, exported: 1, failed: 0, pending: 0 });
    expect(normalizeForSnapshot(trubrics.emulator.receivedLlmEventBatches)).toMatchInlineSnapshot(`
      [
        [
          {
            "assistant_id": "gpt-4o-mini",
            "generation": "Why did the chicken cross the road? To get to the other side.",
            "generation_event_name": "Generation",
            "latency": "<seconds>",
            "prompt": "Tell me a joke",
            "prompt_event_name": "Prompt",
            "properties": {
              "finish_reason": "stop",
              "langchain_run_id": "<run-1>",
              "messages": [
                {
                  "content": "You are a comedian.",
                  "role": "system",
                },
                {
                  "content": "Tell me a joke",
                  "role": "user",
                },
              ],
              "model_provider": "openai",
              "response_model": "gpt-4o-mini-2024-07-18",
              "some_metadata": {
                "hello": [
                  1,
                  2,
                ],
              },
              "tags": [
                "langchain",
                "chat model",
              ],
              "usage": {
                "input_tokens": 21,
                "output_tokens": 14,
                "total_tokens": 35,
              },
            },
            "thread_id": null,
            "timestamp": "<time>",
            "user_id": "user-id-1234",
          },
        ],
      ]
    `);
  });

  it("sends the same call to the legacy platform API (email/password from TRUBRICS_EMAIL / TRUBRICS_PASSWORD)", async () => {
    vi.stubEnv("TRUBRICS_EMAIL", TEST_EMAIL);
    vi.stubEnv("TRUBRICS_PASSWORD", TEST_PASSWORD);
    const handler = createHandler({
      project: "default",
      tags: ["chat model"],
      user_id: "user-id-1234",
      some_metadata: { hello: [1, 2] },
      identityToolkitUrl: trubrics.url,
      firestoreUrl: trubrics.url,
      flushIntervalMs: 60_000,
    });
    expect(handler.transport).toBe("legacy");
    const llm = jokeModel([handler]);

    await llm.invoke([new SystemMessage("You are a comedian."), new HumanMessage("Tell me a joke")]);
    // Signing in belongs to the export path: nothing has gone over the network yet.
    expect(trubrics.emulator.requests).toEqual([]);
    const flushed = await handler.flush();

    expect(flushed).toMatchObject({ ok: true, exported: 1, failed: 0, pending: 0 });
    expect(
      trubrics.emulator.requests.map((request) => `${request.method} ${request.path} ${request.status}`),
    ).toMatchInlineSnapshot(`
        [
          "POST /v1/accounts:signInWithPassword 200",
          "POST /v1/projects/trubrics-streamlit/databases/(default)/documents:runQuery 200",
          "GET /v1/projects/trubrics-streamlit/databases/(default)/documents/organisations/emulator-organisation/projects 200",
          "POST /v1/projects/trubrics-streamlit/databases/(default)/documents/organisations/emulator-organisation/projects/default/prompts 200",
        ]
      `);
    expect(normalizeForSnapshot(trubrics.emulator.receivedPrompts)).toMatchInlineSnapshot(`
      [
        {
          "documentId": "<run-1>",
          "fields": {
            "config_model": {
              "mapValue": {
                "fields": {
                  "model": {
                    "stringValue": "gpt-4o-mini",
                  },
                  "prompt_template": {
                    "stringValue": "{prompt}",
                  },
                  "temperature": {
                    "doubleValue": 0.2,
                  },
                },
              },
            },
            "created_on": {
              "timestampValue": "<time>",
            },
            "generation": {
              "stringValue": "Why did the chicken cross the road? To get to the other side.",
            },
            "metadata": {
              "mapValue": {
                "fields": {
                  "finish_reason": {
                    "stringValue": "stop",
                  },
                  "langchain_run_id": {
                    "stringValue": "<run-1>",
                  },
                  "messages": {
                    "arrayValue": {
                      "values": [
                        {
                          "mapValue": {
                            "fields": {
                              "content": {
                                "stringValue": "You are a comedian.",
                              },
                              "role": {
                                "stringValue": "system",
                              },
                            },
                          },
                        },
                        {
                          "mapValue": {
                            "fields": {
                              "content": {
                                "stringValue": "Tell me a joke",
                              },
                              "role": {
                                "stringValue": "user",
                              },
                            },
                          },
                        },
                      ],
                    },
                  },
                  "response_model": {
                    "stringValue": "gpt-4o-mini-2024-07-18",
                  },
                  "some_metadata": {
                    "mapValue": {
                      "fields": {
                        "hello": {
                          "arrayValue": {
                            "values": [
                              {
                                "integerValue": "1",
                              },
                              {
                                "integerValue": "2",
                              },
                            ],
                          },
                        },
                      },
                    },
                  },
                  "usage": {
                    "mapValue": {
                      "fields": {
                        "input_tokens": {
                          "integerValue": "21",
                        },
                        "output_tokens": {
                          "integerValue": "14",
                        },
                        "total_tokens": {
                          "integerValue": "35",
                        },
                      },
                    },
                  },
                },
              },
            },
            "prompt": {
              "stringValue": "Tell me a joke",
            },
            "session_id": {
              "nullValue": null,
            },
            "tags": {
              "arrayValue": {
                "values": [
                  {
                    "stringValue": "langchain",
                  },
                  {
                    "stringValue": "chat model",
                  },
                ],
              },
            },
            "user_id": {
              "stringValue": "user-id-1234",
            },
          },
          "organisationId": "emulator-organisation",
          "project": "default",
        },
      ]
    `);
  });
});

describe("runs", () => {
  it("logs both prompts of a text LLM's generate(), on both transports", async () => {
    const ingestion = ingestionHandler();
    const legacy = legacyHandler();
    const llm = new FakeDetailedLLM({
      model: "gpt-3.5-turbo-instruct",
      responses: [
        "Why did the developer go broke? He used up all his cache.",
        "Roses are red, tokens are dear.",
      ],
      llmOutput: { tokenUsage: { promptTokens: 5, completionTokens: 12, totalTokens: 17 } },
      callbacks: [ingestion, legacy],
    });

    const result = await llm.generate(["Tell me a joke", "Write me a poem"]);
    const [ingestionFlush, legacyFlush] = await Promise.all([ingestion.flush(), legacy.flush()]);

    expect(result.generations).toHaveLength(2);
    expect(ingestionFlush).toMatchObject({ ok: true, exported: 2 });
    expect(legacyFlush).toMatchObject({ ok: true, exported: 2 });
    const events = [...trubrics.emulator.receivedLlmEvents].sort((a, b) => a.prompt.localeCompare(b.prompt));
    expect(normalizeForSnapshot(events)).toMatchInlineSnapshot(`
      [
        {
          "assistant_id": "gpt-3.5-turbo-instruct",
          "generation": "Why did the developer go broke? He used up all his cache.",
          "generation_event_name": "Generation",
          "latency": "<seconds>",
          "prompt": "Tell me a joke",
          "prompt_event_name": "Prompt",
          "properties": {
            "langchain_run_id": "<run-1>",
            "tags": [
              "langchain",
            ],
            "usage": {
              "input_tokens": 5,
              "output_tokens": 12,
              "total_tokens": 17,
            },
          },
          "thread_id": null,
          "timestamp": "<time>",
          "user_id": "anonymous",
        },
        {
          "assistant_id": "gpt-3.5-turbo-instruct",
          "generation": "Roses are red, tokens are dear.",
          "generation_event_name": "Generation",
          "latency": "<seconds>",
          "prompt": "Write me a poem",
          "prompt_event_name": "Prompt",
          "properties": {
            "langchain_run_id": "<run-2>",
            "tags": [
              "langchain",
            ],
          },
          "thread_id": null,
          "timestamp": "<time>",
          "user_id": "anonymous",
        },
      ]
    `);
    expect(
      normalizeForSnapshot(
        trubrics.emulator.receivedPrompts
          .map((prompt) => decodeFirestoreFields(prompt.fields))
          .sort((a, b) => String(a.prompt).localeCompare(String(b.prompt))),
      ),
    ).toMatchInlineSnapshot(`
      [
        {
          "config_model": {
            "model": "gpt-3.5-turbo-instruct",
            "prompt_template": "{prompt}",
            "temperature": null,
          },
          "created_on": "<time>",
          "generation": "Why did the developer go broke? He used up all his cache.",
          "metadata": {
            "langchain_run_id": "<run-1>",
            "usage": {
              "input_tokens": 5,
              "output_tokens": 12,
              "total_tokens": 17,
            },
          },
          "prompt": "Tell me a joke",
          "session_id": null,
          "tags": [
            "langchain",
          ],
          "user_id": null,
        },
        {
          "config_model": {
            "model": "gpt-3.5-turbo-instruct",
            "prompt_template": "{prompt}",
            "temperature": null,
          },
          "created_on": "<time>",
          "generation": "Roses are red, tokens are dear.",
          "metadata": {
            "langchain_run_id": "<run-2>",
          },
          "prompt": "Write me a poem",
          "session_id": null,
          "tags": [
            "langchain",
          ],
          "user_id": null,
        },
      ]
    `);
  });

  it("keeps tool calls and tool messages of a chain that calls a tool", async () => {
    const handler = ingestionHandler({ sessionId: "conversation-42" });
    const model = new FakeDetailedChatModel({
      model: "gpt-4o",
      provider: "openai",
      responses: [
        {
          content: "",
          toolCalls: [{ id: "call_weather_1", name: "get_weather", args: { city: "Paris" } }],
          usage: { input_tokens: 30, output_tokens: 9, total_tokens: 39 },
          responseMetadata: { finish_reason: "tool_calls" },
        },
        {
          content: "It is 18°C and sunny in Paris.",
          usage: { input_tokens: 52, output_tokens: 11, total_tokens: 63 },
          responseMetadata: { finish_reason: "stop" },
        },
      ],
    });
    const agent = RunnableLambda.from(async (question: string, config) => {
      const history: BaseMessage[] = [new HumanMessage(question)];
      const call = await model.invoke(history, config);
      history.push(call);
      for (const toolCall of call.tool_calls ?? []) {
        history.push(
          new ToolMessage({ content: "18°C, sunny", tool_call_id: toolCall.id ?? "", name: toolCall.name }),
        );
      }
      return model.invoke(history, config);
    }).withConfig({ runName: "weather_agent" });

    const legacy = legacyHandler();
    const answer = await agent.invoke("What is the weather in Paris?", { callbacks: [handler, legacy] });
    const [flushed, legacyFlushed] = await Promise.all([handler.flush(), legacy.flush()]);

    expect(answer.content).toBe("It is 18°C and sunny in Paris.");
    expect(flushed).toMatchObject({ ok: true, exported: 2 });
    // The Python handler raised a TypeError on a ToolMessage; here the legacy API gets it as well.
    expect(legacyFlushed).toMatchObject({ ok: true, exported: 2 });
    const legacyMessages = trubrics.emulator.receivedPrompts.map(
      (prompt) =>
        (decodeFirestoreFields(prompt.fields).metadata as { messages: Array<{ role: string }> }).messages,
    );
    // Both documents are written concurrently, so their order is not fixed.
    expect(
      legacyMessages
        .map((messages) => messages.map((message) => message.role))
        .sort((a, b) => a.length - b.length),
    ).toEqual([["user"], ["user", "assistant", "tool"]]);
    expect(normalizeForSnapshot(trubrics.emulator.receivedLlmEvents)).toMatchInlineSnapshot(`
      [
        {
          "assistant_id": "gpt-4o",
          "generation": "",
          "generation_event_name": "Generation",
          "latency": "<seconds>",
          "prompt": "What is the weather in Paris?",
          "prompt_event_name": "Prompt",
          "properties": {
            "$thread_id": "conversation-42",
            "finish_reason": "tool_calls",
            "langchain_parent_run_id": "<run-2>",
            "langchain_run_id": "<run-1>",
            "langchain_trace_id": "<run-2>",
            "messages": [
              {
                "content": "What is the weather in Paris?",
                "role": "user",
              },
            ],
            "model_provider": "openai",
            "tags": [
              "langchain",
            ],
            "tool_calls": [
              {
                "args": {
                  "city": "Paris",
                },
                "id": "call_weather_1",
                "name": "get_weather",
              },
            ],
            "usage": {
              "input_tokens": 30,
              "output_tokens": 9,
              "total_tokens": 39,
            },
          },
          "thread_id": "conversation-42",
          "timestamp": "<time>",
          "user_id": "anonymous",
        },
        {
          "assistant_id": "gpt-4o",
          "generation": "It is 18°C and sunny in Paris.",
          "generation_event_name": "Generation",
          "latency": "<seconds>",
          "prompt": "What is the weather in Paris?",
          "prompt_event_name": "Prompt",
          "properties": {
            "$thread_id": "conversation-42",
            "finish_reason": "stop",
            "langchain_parent_run_id": "<run-2>",
            "langchain_run_id": "<run-3>",
            "langchain_trace_id": "<run-2>",
            "messages": [
              {
                "content": "What is the weather in Paris?",
                "role": "user",
              },
              {
                "content": "",
                "role": "assistant",
                "tool_calls": [
                  {
                    "args": {
                      "city": "Paris",
                    },
                    "id": "call_weather_1",
                    "name": "get_weather",
                  },
                ],
              },
              {
                "content": "18°C, sunny",
                "name": "get_weather",
                "role": "tool",
                "tool_call_id": "call_weather_1",
              },
            ],
            "model_provider": "openai",
            "tags": [
              "langchain",
            ],
            "usage": {
              "input_tokens": 52,
              "output_tokens": 11,
              "total_tokens": 63,
            },
          },
          "thread_id": "conversation-42",
          "timestamp": "<time>",
          "user_id": "anonymous",
        },
      ]
    `);
  });

  it("sends multimodal content as its text, without the binary parts", async () => {
    const handler = ingestionHandler();
    const model = new FakeDetailedChatModel({
      model: "gpt-4o",
      responses: [{ content: "A cat." }],
      callbacks: [handler],
    });
    const image = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk";

    await model.invoke([
      new HumanMessage({
        content: [
          { type: "text", text: "What is in this picture?" },
          { type: "image_url", image_url: { url: `data:image/png;base64,${image}` } },
        ],
      }),
    ]);
    await handler.flush();

    const [event] = trubrics.emulator.receivedLlmEvents;
    expect(event?.prompt).toBe("What is in this picture?");
    expect(event?.properties.messages).toEqual([{ role: "user", content: "What is in this picture?" }]);
    expect(JSON.stringify(event)).not.toContain(image);
  });

  it("records a streamed chat answer with its usage and time to first token", async () => {
    const handler = ingestionHandler({ userId: "streamer" });
    const model = new FakeDetailedChatModel({
      model: "claude-3-5-haiku",
      provider: "anthropic",
      chunkSize: 5,
      responses: [
        {
          content: "Streaming works fine.",
          usage: { input_tokens: 8, output_tokens: 5, total_tokens: 13 },
          responseMetadata: { stop_reason: "end_turn" },
        },
      ],
      callbacks: [handler],
    });

    const chunks: string[] = [];
    for await (const chunk of await model.stream([new HumanMessage("Say something")])) {
      chunks.push(String(chunk.content));
    }
    const flushed = await handler.flush();

    expect(chunks.join("")).toBe("Streaming works fine.");
    expect(flushed).toMatchObject({ ok: true, exported: 1 });
    const [event] = trubrics.emulator.receivedLlmEvents;
    expect(typeof event?.properties.time_to_first_token).toBe("number");
    expect(normalizeForSnapshot(trubrics.emulator.receivedLlmEvents)).toMatchInlineSnapshot(`
      [
        {
          "assistant_id": "claude-3-5-haiku",
          "generation": "Streaming works fine.",
          "generation_event_name": "Generation",
          "latency": "<seconds>",
          "prompt": "Say something",
          "prompt_event_name": "Prompt",
          "properties": {
            "finish_reason": "end_turn",
            "langchain_run_id": "<run-1>",
            "messages": [
              {
                "content": "Say something",
                "role": "user",
              },
            ],
            "model_provider": "anthropic",
            "tags": [
              "langchain",
            ],
            "time_to_first_token": "<seconds>",
            "usage": {
              "input_tokens": 8,
              "output_tokens": 5,
              "total_tokens": 13,
            },
          },
          "thread_id": null,
          "timestamp": "<time>",
          "user_id": "streamer",
        },
      ]
    `);
  });

  it("records a throwing model as an error event on the ingestion API and sends nothing to the legacy API", async () => {
    const ingestion = ingestionHandler();
    const legacy = legacyHandler();
    const model = new FakeDetailedChatModel({
      model: "gpt-4o",
      responses: [{ content: "", error: new Error("The model is overloaded") }],
      callbacks: [ingestion, legacy],
    });

    await expect(model.invoke([new HumanMessage("Hello?")])).rejects.toThrow("The model is overloaded");
    const [ingestionFlush, legacyFlush] = await Promise.all([ingestion.flush(), legacy.flush()]);

    expect(ingestionFlush).toMatchObject({ ok: true, exported: 1, failed: 0 });
    expect(legacyFlush).toMatchObject({ ok: true, failed: 0, pending: 0 });
    expect(normalizeForSnapshot(trubrics.emulator.receivedLlmEvents)).toMatchInlineSnapshot(`
      [
        {
          "assistant_id": "gpt-4o",
          "generation": "",
          "generation_event_name": "Generation",
          "latency": "<seconds>",
          "prompt": "Hello?",
          "prompt_event_name": "Prompt",
          "properties": {
            "error": {
              "message": "The model is overloaded",
              "name": "Error",
            },
            "langchain_run_id": "<run-1>",
            "messages": [
              {
                "content": "Hello?",
                "role": "user",
              },
            ],
            "model_provider": "fake",
            "status": "error",
            "tags": [
              "langchain",
            ],
          },
          "thread_id": null,
          "timestamp": "<time>",
          "user_id": "anonymous",
        },
      ]
    `);
    expect(trubrics.emulator.receivedPrompts).toEqual([]);
    // The legacy handler did not even sign in: it had nothing to write.
    expect(
      requestStatuses(trubrics.emulator).filter((line) => !line.startsWith("publish_llm_events")),
    ).toEqual([]);
  });

  it("keeps 20 concurrent runs on one handler apart", async () => {
    const handler = ingestionHandler({ tags: ["load"] });
    const model = new EchoChatModel({ callbacks: [handler] });

    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        model.invoke([new HumanMessage(`question ${index}`)], {
          metadata: { user_id: `user-${index}`, session_id: `session-${index}` },
          tags: [`run-${index}`],
        }),
      ),
    );
    const flushed = await handler.flush();

    expect(answers.map((answer) => answer.content)).toEqual(
      Array.from({ length: 20 }, (_, index) => `echo: question ${index}`),
    );
    expect(flushed).toMatchObject({ ok: true, exported: 20 });
    const events = trubrics.emulator.receivedLlmEvents;
    expect(new Set(events.map((event) => event.properties.langchain_run_id)).size).toBe(20);
    for (const event of events) {
      const index = Number(event.prompt.replace("question ", ""));
      expect(event).toMatchObject({
        prompt: `question ${index}`,
        generation: `echo: question ${index}`,
        user_id: `user-${index}`,
        thread_id: `session-${index}`,
        properties: {
          $thread_id: `session-${index}`,
          tags: ["langchain", "load", `run-${index}`],
          messages: [{ role: "user", content: `question ${index}` }],
        },
      });
    }
    expect(
      events
        .map(
          (event) =>
            `${event.prompt} → ${event.generation} | ${event.user_id} | ${event.thread_id} | ${event.properties.tags.join(",")}`,
        )
        .sort((a, b) => a.localeCompare(b, "en", { numeric: true })),
    ).toMatchInlineSnapshot(`
      [
        "question 0 → echo: question 0 | user-0 | session-0 | langchain,load,run-0",
        "question 1 → echo: question 1 | user-1 | session-1 | langchain,load,run-1",
        "question 2 → echo: question 2 | user-2 | session-2 | langchain,load,run-2",
        "question 3 → echo: question 3 | user-3 | session-3 | langchain,load,run-3",
        "question 4 → echo: question 4 | user-4 | session-4 | langchain,load,run-4",
        "question 5 → echo: question 5 | user-5 | session-5 | langchain,load,run-5",
        "question 6 → echo: question 6 | user-6 | session-6 | langchain,load,run-6",
        "question 7 → echo: question 7 | user-7 | session-7 | langchain,load,run-7",
        "question 8 → echo: question 8 | user-8 | session-8 | langchain,load,run-8",
        "question 9 → echo: question 9 | user-9 | session-9 | langchain,load,run-9",
        "question 10 → echo: question 10 | user-10 | session-10 | langchain,load,run-10",
        "question 11 → echo: question 11 | user-11 | session-11 | langchain,load,run-11",
        "question 12 → echo: question 12 | user-12 | session-12 | langchain,load,run-12",
        "question 13 → echo: question 13 | user-13 | session-13 | langchain,load,run-13",
        "question 14 → echo: question 14 | user-14 | session-14 | langchain,load,run-14",
        "question 15 → echo: question 15 | user-15 | session-15 | langchain,load,run-15",
        "question 16 → echo: question 16 | user-16 | session-16 | langchain,load,run-16",
        "question 17 → echo: question 17 | user-17 | session-17 | langchain,load,run-17",
        "question 18 → echo: question 18 | user-18 | session-18 | langchain,load,run-18",
        "question 19 → echo: question 19 | user-19 | session-19 | langchain,load,run-19",
      ]
    `);
  });

  it("splits a burst of 150 records into requests of at most 100 items", async () => {
    const handler = ingestionHandler({ maxBatchSize: 1000, flushIntervalMs: 60_000 });
    const llm = new FakeDetailedLLM({ responses: ["ok"], callbacks: [handler] });

    await llm.generate(Array.from({ length: 150 }, (_, index) => `prompt ${index}`));
    const flushed = await handler.flush();

    expect(flushed).toMatchObject({ ok: true, exported: 150, failed: 0 });
    const sizes = trubrics.emulator.receivedLlmEventBatches.map((batch) => batch.length);
    expect([...sizes].sort((a, b) => b - a)).toEqual([100, 50]);
    expect(new Set(trubrics.emulator.receivedLlmEvents.map((event) => event.prompt)).size).toBe(150);
    expect(handler.stats()).toMatchObject({
      captured: 150,
      exported: 150,
      failed: 0,
      retried: 0,
      pending: 0,
    });
  });
});

describe("options", () => {
  it("puts only unknown keys into metadata, never an option of core, LangChain or Trubrics", async () => {
    const known: TrubricsCallbackHandlerOptions = {
      apiKey: TEST_API_KEY,
      baseUrl: trubrics.url,
      host: trubrics.url,
      project: "default",
      email: "someone@example.com",
      password: "not-sent-anywhere",
      firebaseApiKey: "firebase-key",
      firebaseProjectId: "firebase-project",
      identityToolkitUrl: trubrics.url,
      firestoreUrl: trubrics.url,
      userId: "u-1",
      user_id: "u-1",
      sessionId: "s-1",
      session_id: "s-1",
      tags: ["t"],
      metadata: { team: "ml", environment: "from-metadata-option" },
      mask: (record) => record,
      sampleRate: 1,
      maxBatchSize: 10,
      maxBatchBytes: 1_000_000,
      flushIntervalMs: 60_000,
      maxQueueSize: 100,
      maxQueueBytes: 10_000_000,
      maxRecordAgeMs: 60_000,
      timeoutMs: 30_000,
      maxRetries: 0,
      onError: () => {},
      fetch: globalThis.fetch,
      captureContent: true,
      maxFieldChars: 10_000,
      maxInFlightRuns: 100,
      runTtlMs: 60_000,
      flushTimeoutMs: 5000,
      ignoreLLM: false,
      ignoreChain: true,
      ignoreAgent: true,
      ignoreRetriever: true,
      ignoreCustomEvent: true,
      _awaitHandler: false,
      raiseError: false,
    };
    // Every option key is set above, so none of them can slip into metadata unnoticed.
    expect(Object.keys(known).sort()).toEqual([...TRUBRICS_OPTION_KEYS].sort());
    const handler = createHandler({ ...known, environment: "staging", experiment: { arm: "b" } });
    const model = jokeModel([handler]);

    await model.invoke([new HumanMessage("Tell me a joke")]);
    await handler.flush();

    const [event] = trubrics.emulator.receivedLlmEvents;
    expect(event).toMatchObject({ user_id: "u-1", thread_id: "s-1" });
    expect(Object.keys(event?.properties ?? {})).toMatchInlineSnapshot(`
      [
        "$thread_id",
        "tags",
        "langchain_run_id",
        "messages",
        "finish_reason",
        "response_model",
        "usage",
        "model_provider",
        "environment",
        "experiment",
        "team",
      ]
    `);
    expect(event?.properties).toMatchObject({
      team: "ml",
      environment: "from-metadata-option",
      experiment: { arm: "b" },
    });
    expect(JSON.stringify(trubrics.emulator.receivedLlmEvents)).not.toContain("not-sent-anywhere");
  });

  it("keeps tags, user and session for every call, not only the first (a defect of the Python handler)", async () => {
    const handler = ingestionHandler({
      tags: ["a", "b", "c"],
      user_id: "u-1",
      session_id: "s-1",
      team: "ml",
    });
    const model = jokeModel([handler]);

    await model.invoke([new HumanMessage("first")]);
    await model.invoke([new HumanMessage("second")], { metadata: { user_id: "u-override" } });
    await handler.flush();

    expect(
      trubrics.emulator.receivedLlmEvents.map((event) => ({
        prompt: event.prompt,
        user_id: event.user_id,
        thread_id: event.thread_id,
        tags: event.properties.tags,
        team: event.properties.team,
      })),
    ).toMatchInlineSnapshot(`
      [
        {
          "prompt": "first",
          "tags": [
            "langchain",
            "a",
            "b",
            "c",
          ],
          "team": "ml",
          "thread_id": "s-1",
          "user_id": "u-1",
        },
        {
          "prompt": "second",
          "tags": [
            "langchain",
            "a",
            "b",
            "c",
          ],
          "team": "ml",
          "thread_id": "s-1",
          "user_id": "u-override",
        },
      ]
    `);
  });

  it("refuses userId and user_id with different values", () => {
    expect(() => new TrubricsCallbackHandler({ apiKey: TEST_API_KEY, userId: "a", user_id: "b" })).toThrow(
      ConfigurationError,
    );
    expect(
      () => new TrubricsCallbackHandler({ apiKey: TEST_API_KEY, session_id: 42 as unknown as string }),
    ).toThrow("`session_id` must be a string.");
  });
});

describe("credentials", () => {
  it("throws a ConfigurationError naming every option and env var when no credentials are given", () => {
    let thrown: unknown;
    try {
      new TrubricsCallbackHandler({ project: "default" });
    } catch (error) {
      thrown = error;
    }
    expect(ConfigurationError.isInstance(thrown)).toBe(true);
    const message = (thrown as Error).message;
    for (const name of [
      "apiKey",
      "TRUBRICS_API_KEY",
      "email",
      "TRUBRICS_EMAIL",
      "password",
      "TRUBRICS_PASSWORD",
    ]) {
      expect(message).toContain(name);
    }
    expect(message).toMatchInlineSnapshot(
      `"Missing Trubrics credentials: pass \`apiKey\` (or env TRUBRICS_API_KEY) for the ingestion API, or \`email\` (or env TRUBRICS_EMAIL) and \`password\` (or env TRUBRICS_PASSWORD) for the legacy platform API."`,
    );
  });

  it.each([
    { case: "an email without password", options: { email: TEST_EMAIL }, env: {}, missing: "password" },
    { case: "a password without email", options: { password: TEST_PASSWORD }, env: {}, missing: "email" },
    {
      case: "TRUBRICS_EMAIL without a password",
      options: {},
      env: { TRUBRICS_EMAIL: TEST_EMAIL },
      missing: "password",
    },
  ])("names the missing half of $case", ({ options, env, missing }) => {
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    expect(() => new TrubricsCallbackHandler(options)).toThrow(
      new RegExp(`\`${missing}\` \\(or env TRUBRICS_${missing.toUpperCase()}\\)`),
    );
  });

  it("chooses the ingestion API when an API key is given, even with email and password", () => {
    vi.stubEnv("TRUBRICS_EMAIL", TEST_EMAIL);
    vi.stubEnv("TRUBRICS_PASSWORD", TEST_PASSWORD);
    expect(new TrubricsCallbackHandler({ apiKey: TEST_API_KEY }).transport).toBe("ingestion");
    expect(new TrubricsCallbackHandler({}).transport).toBe("legacy");
  });

  it.each([
    {
      case: "a plain-http host",
      options: { apiKey: TEST_API_KEY, host: "http://trubrics.example.com" },
      option: "host",
    },
    { case: "a malformed host", options: { apiKey: TEST_API_KEY, host: "not a url" }, option: "host" },
    {
      case: "a Firebase API key without project id",
      options: { email: TEST_EMAIL, password: TEST_PASSWORD, firebaseApiKey: "k" },
      option: "firebaseProjectId",
    },
    {
      case: "a project with a slash",
      options: { email: TEST_EMAIL, password: TEST_PASSWORD, project: "a/b" },
      option: "project",
    },
    {
      case: "a plain-http Firestore URL",
      options: { email: TEST_EMAIL, password: TEST_PASSWORD, firestoreUrl: "http://firestore.example.com" },
      option: "firestoreUrl",
    },
    { case: "a non-string apiKey", options: { apiKey: 42 as unknown as string }, option: "apiKey" },
  ])("refuses $case at construction", ({ options, option }) => {
    let thrown: unknown;
    try {
      new TrubricsCallbackHandler(options);
    } catch (error) {
      thrown = error;
    }
    expect(ConfigurationError.isInstance(thrown)).toBe(true);
    expect((thrown as ConfigurationError).option).toBe(option);
  });

  it("does no I/O at construction", () => {
    const fetch = vi.fn(globalThis.fetch);
    new TrubricsCallbackHandler({ apiKey: TEST_API_KEY, host: trubrics.url, fetch });
    new TrubricsCallbackHandler({ ...trubrics.legacy, fetch });
    expect(fetch).not.toHaveBeenCalled();
    expect(trubrics.emulator.requests).toEqual([]);
  });
});

describe("a script that never calls flush()", () => {
  /** A user's script: several calls through inline handlers of both APIs, and no flush(). */
  const script = `
import { HumanMessage } from "@langchain/core/messages";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { TrubricsCallbackHandler } from "@langchain-observability/trubrics";

// TRUBRICS_API_KEY would select the ingestion API for both handlers: the key comes from elsewhere.
const ingestion = new TrubricsCallbackHandler({ apiKey: process.env.INGESTION_KEY, baseUrl: process.env.TRUBRICS_HOST });
const legacy = new TrubricsCallbackHandler({
  email: process.env.TRUBRICS_EMAIL,
  password: process.env.TRUBRICS_PASSWORD,
  identityToolkitUrl: process.env.TRUBRICS_HOST,
  firestoreUrl: process.env.TRUBRICS_HOST,
});
const model = new FakeListChatModel({ responses: ["ok"], callbacks: [ingestion, legacy] });
for (let index = 0; index < 12; index++) await model.invoke([new HumanMessage(\`question \${index}\`)]);
console.log("done");
`;

  it("exits by itself, and every record reached both APIs", { timeout: 300_000 }, async () => {
    const result = await runSnippet(
      { index: 1, line: 1, code: script },
      {
        cwd: join(import.meta.dirname, ".."),
        env: {
          INGESTION_KEY: TEST_API_KEY,
          TRUBRICS_HOST: trubrics.url,
          TRUBRICS_EMAIL: TEST_EMAIL,
          TRUBRICS_PASSWORD: TEST_PASSWORD,
        },
        // Only a hang reaches this bound: the drain at exit has a deadline of its own (flushTimeoutMs).
        timeoutMs: 90_000,
      },
    );

    expect({
      exitCode: result.exitCode,
      killed: result.killed,
      stdout: result.stdout,
      stderr: result.stderr,
    }).toEqual({
      exitCode: 0,
      killed: false,
      stdout: "done\n",
      stderr: "",
    });
    const questions = Array.from({ length: 12 }, (_, index) => `question ${index}`);
    expect(trubrics.emulator.receivedLlmEvents.map((event) => event.prompt).sort()).toEqual(
      [...questions].sort(),
    );
    expect(
      trubrics.emulator.receivedPrompts
        .map((prompt) => String(decodeFirestoreFields(prompt.fields).prompt))
        .sort(),
    ).toEqual([...questions].sort());
  });
});
