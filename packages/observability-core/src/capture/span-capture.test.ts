import { dispatchCustomEvent } from "@langchain/core/callbacks/dispatch";
import type { CallbackManagerForChainRun } from "@langchain/core/callbacks/manager";
import { Document } from "@langchain/core/documents";
import { type AIMessage, type BaseMessage, HumanMessage, type ToolMessage } from "@langchain/core/messages";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { BaseRetriever } from "@langchain/core/retrievers";
import {
  patchConfig,
  Runnable,
  type RunnableConfig,
  RunnableLambda,
  RunnablePassthrough,
  RunnableSequence,
} from "@langchain/core/runnables";
import { type StructuredToolInterface, tool } from "@langchain/core/tools";
import { Annotation, END, START, StateGraph } from "@langchain/langgraph";
import { createReactAgent } from "@langchain/langgraph/prebuilt";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { assertValidRecord } from "../../test/helpers";
import { assertValidSpan, stabilizeSpans } from "../../test/span-helpers";
import {
  ObservabilityCallbackHandler,
  type ObservabilityCallbackHandlerOptions,
} from "../observability-callback-handler";
import { FakeDetailedChatModel } from "../testing/fake-models";
import { createMemoryExporter } from "../testing/memory-exporter";
import type { LLMRunRecord } from "./llm-run-record";
import { isRunSpanRecord, type RunSpanRecord } from "./run-span-record";
import { isSampled } from "./sample-by-trace";
import { SpanCapture } from "./span-capture";

// ---- fixtures: small, real LangChain runnables ---------------------------------------------------

const addTool = tool(async ({ a, b }) => String(a + b), {
  name: "add",
  description: "Adds two numbers.",
  schema: z.object({ a: z.number(), b: z.number() }),
});

const weatherTool = tool(async ({ city }) => `${city}: 21°C, sunny`, {
  name: "weather",
  description: "The weather in a city.",
  schema: z.object({ city: z.string() }),
});

/** A chat model that asks for both tools, then answers. */
function toolCallingModel() {
  return new FakeDetailedChatModel({
    responses: [
      {
        content: "",
        toolCalls: [
          { id: "call_1", name: "add", args: { a: 1, b: 2 } },
          { id: "call_2", name: "weather", args: { city: "Paris" } },
        ],
      },
      { content: "1 + 2 = 3, and it is 21°C and sunny in Paris." },
    ],
  });
}

/** LangGraph's prebuilt agent binds tools to the model; the fake model already answers with tool calls. */
class ToolCallingFakeModel extends FakeDetailedChatModel {
  override bindTools(): this {
    return this;
  }
}

/**
 * A tool-calling agent loop as LangChain's `AgentExecutor` runs one: call the model, report each tool
 * call as an agent action, run the tools, repeat until the model answers, report the finish.
 */
class ToolCallingAgentLoop extends Runnable<{ input: string }, { output: string }> {
  lc_namespace = ["tests", "agents"];
  constructor(
    private readonly model: FakeDetailedChatModel,
    private readonly tools: StructuredToolInterface[],
  ) {
    super();
  }

  static override lc_name() {
    return "ToolCallingAgentLoop";
  }

  override invoke(input: { input: string }, options?: RunnableConfig): Promise<{ output: string }> {
    return this._callWithConfig(
      (value: { input: string }, config?: RunnableConfig, runManager?: CallbackManagerForChainRun) =>
        this.run(value, config, runManager),
      input,
      options,
    );
  }

  private async run(
    input: { input: string },
    config: RunnableConfig | undefined,
    runManager: CallbackManagerForChainRun | undefined,
  ): Promise<{ output: string }> {
    const childConfig = patchConfig(config, { callbacks: runManager?.getChild() });
    const messages: BaseMessage[] = [new HumanMessage(input.input)];
    for (let turn = 0; turn < 5; turn++) {
      const answer = (await this.model.invoke(messages, childConfig)) as AIMessage;
      messages.push(answer);
      if (!answer.tool_calls?.length) {
        const output = answer.text;
        await runManager?.handleAgentEnd({ returnValues: { output }, log: output });
        return { output };
      }
      for (const call of answer.tool_calls) {
        await runManager?.handleAgentAction({
          tool: call.name,
          toolInput: call.args,
          log: `calling ${call.name}`,
        });
        const selected = this.tools.find((candidate) => candidate.name === call.name)!;
        messages.push((await selected.invoke({ ...call, type: "tool_call" }, childConfig)) as ToolMessage);
      }
    }
    throw new Error("too many turns");
  }
}

class CityRetriever extends BaseRetriever {
  override lc_namespace = ["tests", "retrievers"];
  static override lc_name() {
    return "CityRetriever";
  }
  override async _getRelevantDocuments(query: string): Promise<Document[]> {
    return [
      new Document({
        pageContent: `Paris is the capital of France (${query}).`,
        metadata: { source: "atlas", page: 12 },
        id: "doc-1",
      }),
      new Document({
        pageContent: "Lyon is in France.",
        metadata: { source: "atlas", page: 40 },
        id: "doc-2",
      }),
    ];
  }
}

function questionChain() {
  const prompt = ChatPromptTemplate.fromMessages([
    ["system", "Answer in one sentence."],
    ["human", "{question}"],
  ]);
  const model = new FakeDetailedChatModel({ responses: [{ content: "Paris is the capital of France." }] });
  return RunnableSequence.from([prompt, model, new StringOutputParser()]);
}

function retrievalChain() {
  const prompt = ChatPromptTemplate.fromMessages([
    ["system", "Answer from the context:\n{context}"],
    ["human", "{question}"],
  ]);
  const model = new FakeDetailedChatModel({ responses: [{ content: "Paris." }] });
  const formatDocuments = RunnableLambda.from((documents: Document[]) =>
    documents.map((document) => document.pageContent).join("\n"),
  ).withConfig({ runName: "formatDocuments" });
  return RunnableSequence.from([
    { context: new CityRetriever().pipe(formatDocuments), question: new RunnablePassthrough() },
    prompt,
    model,
    new StringOutputParser(),
  ]);
}

function twoNodeGraph() {
  const State = Annotation.Root({
    question: Annotation<string>(),
    proposal: Annotation<string>(),
    answer: Annotation<string>(),
  });
  const model = new FakeDetailedChatModel({ responses: [{ content: "Paris." }] });
  return new StateGraph(State)
    .addNode("draft", async (state: typeof State.State, config?: RunnableConfig) => {
      const message = await model.invoke(state.question, config);
      return { proposal: message.text };
    })
    .addNode("review", async (state: typeof State.State) => ({ answer: `${state.proposal} (reviewed)` }))
    .addEdge(START, "draft")
    .addEdge("draft", "review")
    .addEdge("review", END)
    .compile();
}

// ---- capture through LangChain's callbacks ---------------------------------------------------------

// ---- the handler with an in-memory span exporter -------------------------------------------------

/** A handler whose one exporter consumes spans, as a user's test of their agent's trace would set it up. */
function setup(options: Partial<ObservabilityCallbackHandlerOptions> = {}) {
  const exporter = createMemoryExporter({ consumes: "spans" });
  const handler = new ObservabilityCallbackHandler({ exporters: [exporter], ...options });
  /** Waits for LangChain's background callbacks and the queue, then checks every span against the schema. */
  const spans = async (): Promise<RunSpanRecord[]> => {
    const result = await handler.flush({ timeoutMs: 30_000 });
    expect(result.timedOut).toBe(false);
    for (const span of exporter.spans) {
      assertValidSpan(span);
      for (const record of span.llmRecords ?? []) assertValidRecord(record);
    }
    return exporter.spans;
  };
  return { handler, exporter, callbacks: [handler], spans };
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe("the run tree the in-memory exporter receives", () => {
  it("a RunnableSequence prompt → model → parser: one span per run, children before their parent", async () => {
    const { exporter, callbacks, spans } = setup();
    await questionChain().invoke({ question: "What is the capital of France?" }, { callbacks });
    const received = await spans();
    expect(exporter.formatTrees()).toMatchInlineSnapshot(`
      "chain RunnableSequence
        chain ChatPromptTemplate
        chat FakeDetailedChatModel
        chain StrOutputParser"
    `);
    expect(received.map((span) => `${span.kind} ${span.name}`)).toMatchInlineSnapshot(`
      [
        "chain ChatPromptTemplate",
        "chat FakeDetailedChatModel",
        "chain StrOutputParser",
        "chain RunnableSequence",
      ]
    `);
    expect(stabilizeSpans(received)).toMatchInlineSnapshot(`
      [
        {
          "events": [],
          "input": {
            "question": "What is the capital of France?",
          },
          "kind": "chain",
          "metadata": {},
          "name": "ChatPromptTemplate",
          "output": {
            "messages": [
              {
                "content": "Answer in one sentence.",
                "role": "system",
              },
              {
                "content": "What is the capital of France?",
                "role": "user",
              },
            ],
          },
          "parentRunId": "<id-2>",
          "recordId": "<id-1>",
          "recordType": "span",
          "runId": "<id-1>",
          "schemaVersion": 1,
          "serializedId": [
            "langchain_core",
            "prompts",
            "chat",
            "ChatPromptTemplate",
          ],
          "status": "success",
          "tags": [],
          "timing": {
            "endTime": "<endTime>",
            "latencyMs": "<latencyMs>",
            "startTime": "<startTime>",
          },
          "traceId": "<id-2>",
        },
        {
          "events": [],
          "kind": "chat",
          "llmRecordIds": [
            "<id-3>",
          ],
          "llmRecords": [
            {
              "cached": false,
              "input": {
                "messages": [
                  {
                    "content": "Answer in one sentence.",
                    "role": "system",
                  },
                  {
                    "content": "What is the capital of France?",
                    "role": "user",
                  },
                ],
                "prompt": "What is the capital of France?",
              },
              "kind": "chat",
              "metadata": {},
              "model": {
                "name": "fake-chat-model",
                "params": {
                  "model": "fake-chat-model",
                  "temperature": 0.2,
                },
                "provider": "fake",
              },
              "name": "FakeDetailedChatModel",
              "output": {
                "message": {
                  "content": "Paris is the capital of France.",
                  "role": "assistant",
                },
                "text": "Paris is the capital of France.",
              },
              "parentRunId": "<id-2>",
              "recordId": "<id-3>",
              "runId": "<id-3>",
              "schemaVersion": 1,
              "serializedId": [
                "langchain",
                "chat_models",
                "fake-detailed-chat",
                "FakeDetailedChatModel",
              ],
              "status": "success",
              "tags": [],
              "timing": {
                "endTime": "<endTime>",
                "latencyMs": "<latencyMs>",
                "startTime": "<startTime>",
              },
              "traceId": "<id-2>",
              "usage": {
                "source": "none",
              },
            },
          ],
          "metadata": {},
          "name": "FakeDetailedChatModel",
          "parentRunId": "<id-2>",
          "recordId": "<id-3>",
          "recordType": "span",
          "runId": "<id-3>",
          "schemaVersion": 1,
          "serializedId": [
            "langchain",
            "chat_models",
            "fake-detailed-chat",
            "FakeDetailedChatModel",
          ],
          "status": "success",
          "tags": [],
          "timing": {
            "endTime": "<endTime>",
            "latencyMs": "<latencyMs>",
            "startTime": "<startTime>",
          },
          "traceId": "<id-2>",
        },
        {
          "events": [],
          "input": {
            "content": "Paris is the capital of France.",
            "role": "assistant",
          },
          "kind": "chain",
          "metadata": {},
          "name": "StrOutputParser",
          "output": {
            "output": "Paris is the capital of France.",
          },
          "parentRunId": "<id-2>",
          "recordId": "<id-4>",
          "recordType": "span",
          "runId": "<id-4>",
          "schemaVersion": 1,
          "serializedId": [
            "langchain_core",
            "output_parsers",
            "string",
            "StrOutputParser",
          ],
          "status": "success",
          "tags": [],
          "timing": {
            "endTime": "<endTime>",
            "latencyMs": "<latencyMs>",
            "startTime": "<startTime>",
          },
          "traceId": "<id-2>",
        },
        {
          "events": [],
          "input": {
            "question": "What is the capital of France?",
          },
          "kind": "chain",
          "metadata": {},
          "name": "RunnableSequence",
          "output": {
            "output": "Paris is the capital of France.",
          },
          "recordId": "<id-2>",
          "recordType": "span",
          "runId": "<id-2>",
          "schemaVersion": 1,
          "serializedId": [
            "langchain_core",
            "runnables",
            "RunnableSequence",
          ],
          "status": "success",
          "tags": [],
          "timing": {
            "endTime": "<endTime>",
            "latencyMs": "<latencyMs>",
            "startTime": "<startTime>",
          },
          "traceId": "<id-2>",
        },
      ]
    `);
  });

  it("a tool-calling agent loop: the agent, its model calls and both tools; actions and finish as events", async () => {
    const { exporter, callbacks, spans } = setup();
    const agent = new ToolCallingAgentLoop(toolCallingModel(), [addTool, weatherTool]);
    const result = await agent.invoke({ input: "What is 1 + 2, and the weather in Paris?" }, { callbacks });
    expect(result.output).toBe("1 + 2 = 3, and it is 21°C and sunny in Paris.");
    const received = await spans();
    expect(exporter.formatTrees()).toMatchInlineSnapshot(`
      "agent ToolCallingAgentLoop
        chat FakeDetailedChatModel
        tool add
        tool weather
        chat FakeDetailedChatModel"
    `);
    expect(received.map((span) => `${span.kind} ${span.name}`)).toMatchInlineSnapshot(`
      [
        "chat FakeDetailedChatModel",
        "tool add",
        "tool weather",
        "chat FakeDetailedChatModel",
        "agent ToolCallingAgentLoop",
      ]
    `);
    const root = received.at(-1)!;
    expect(stabilizeSpans(root.events)).toMatchInlineSnapshot(`
      [
        {
          "attributes": {
            "log": "calling add",
            "tool": "add",
            "toolInput": {
              "a": 1,
              "b": 2,
            },
          },
          "name": "agent-action",
          "time": "<time>",
        },
        {
          "attributes": {
            "log": "calling weather",
            "tool": "weather",
            "toolInput": {
              "city": "Paris",
            },
          },
          "name": "agent-action",
          "time": "<time>",
        },
        {
          "attributes": {
            "log": "1 + 2 = 3, and it is 21°C and sunny in Paris.",
            "returnValues": {
              "output": "1 + 2 = 3, and it is 21°C and sunny in Paris.",
            },
          },
          "name": "agent-finish",
          "time": "<time>",
        },
      ]
    `);
    expect(stabilizeSpans(received.filter((span) => span.kind === "tool"))).toMatchInlineSnapshot(`
      [
        {
          "events": [],
          "input": {
            "a": 1,
            "b": 2,
          },
          "kind": "tool",
          "metadata": {},
          "name": "add",
          "output": {
            "content": "3",
            "name": "add",
            "role": "tool",
            "toolCallId": "call_1",
          },
          "parentRunId": "<id-2>",
          "recordId": "<id-1>",
          "recordType": "span",
          "runId": "<id-1>",
          "schemaVersion": 1,
          "serializedId": [
            "langchain",
            "tools",
            "DynamicStructuredTool",
          ],
          "status": "success",
          "tags": [],
          "timing": {
            "endTime": "<endTime>",
            "latencyMs": "<latencyMs>",
            "startTime": "<startTime>",
          },
          "toolCallId": "call_1",
          "toolName": "add",
          "traceId": "<id-2>",
        },
        {
          "events": [],
          "input": {
            "city": "Paris",
          },
          "kind": "tool",
          "metadata": {},
          "name": "weather",
          "output": {
            "content": "Paris: 21°C, sunny",
            "name": "weather",
            "role": "tool",
            "toolCallId": "call_2",
          },
          "parentRunId": "<id-2>",
          "recordId": "<id-3>",
          "recordType": "span",
          "runId": "<id-3>",
          "schemaVersion": 1,
          "serializedId": [
            "langchain",
            "tools",
            "DynamicStructuredTool",
          ],
          "status": "success",
          "tags": [],
          "timing": {
            "endTime": "<endTime>",
            "latencyMs": "<latencyMs>",
            "startTime": "<startTime>",
          },
          "toolCallId": "call_2",
          "toolName": "weather",
          "traceId": "<id-2>",
        },
      ]
    `);
    // The first model call asked for both tools: its record carries the tool calls the tool spans answer.
    const [firstCall] = received.filter((span) => span.kind === "chat");
    expect(firstCall?.llmRecords?.[0]?.output.message?.toolCalls?.map((call) => call.id)).toEqual(
      received.filter((span) => span.kind === "tool").map((span) => span.toolCallId),
    );
  });

  it("LangGraph's prebuilt tool-calling agent: graph, nodes by step, the tools inside the tools node", async () => {
    const { exporter, callbacks, spans } = setup();
    const model = new ToolCallingFakeModel({ responses: toolCallingModel().responses });
    const agent = createReactAgent({ llm: model, tools: [addTool, weatherTool] });
    await agent.invoke({ messages: [["human", "What is 1 + 2, and the weather in Paris?"]] }, { callbacks });
    await spans();
    expect(exporter.formatTrees()).toMatchInlineSnapshot(`
      "graph LangGraph
        node __start__ step=0
        node agent step=1
          chain RunnableSequence
            chain prompt
            chat ToolCallingFakeModel
          chain RunnableLambda
        node tools step=2
          tool add
          tool weather
        node agent step=3
          chain RunnableSequence
            chain prompt
            chat ToolCallingFakeModel
          chain RunnableLambda"
    `);
  });

  it("a retriever chain: the retriever span keeps its query and its documents", async () => {
    const { exporter, callbacks, spans } = setup();
    await retrievalChain().invoke("capital of France", { callbacks });
    const received = await spans();
    expect(exporter.formatTrees()).toMatchInlineSnapshot(`
      "chain RunnableSequence
        chain RunnableMap
          chain RunnableSequence
            retriever CityRetriever
            chain formatDocuments
          chain RunnablePassthrough
        chain ChatPromptTemplate
        chat FakeDetailedChatModel
        chain StrOutputParser"
    `);
    expect(received.map((span) => `${span.kind} ${span.name}`)).toMatchInlineSnapshot(`
      [
        "chain RunnablePassthrough",
        "retriever CityRetriever",
        "chain formatDocuments",
        "chain RunnableSequence",
        "chain RunnableMap",
        "chain ChatPromptTemplate",
        "chat FakeDetailedChatModel",
        "chain StrOutputParser",
        "chain RunnableSequence",
      ]
    `);
    expect(stabilizeSpans(received.find((span) => span.kind === "retriever"))).toMatchInlineSnapshot(`
      {
        "documents": [
          {
            "id": "doc-1",
            "metadata": {
              "page": 12,
              "source": "atlas",
            },
            "pageContent": "Paris is the capital of France (capital of France).",
          },
          {
            "id": "doc-2",
            "metadata": {
              "page": 40,
              "source": "atlas",
            },
            "pageContent": "Lyon is in France.",
          },
        ],
        "events": [],
        "input": {
          "query": "capital of France",
        },
        "kind": "retriever",
        "metadata": {},
        "name": "CityRetriever",
        "parentRunId": "<id-3>",
        "recordId": "<id-1>",
        "recordType": "span",
        "runId": "<id-1>",
        "schemaVersion": 1,
        "serializedId": [
          "tests",
          "retrievers",
          "CityRetriever",
        ],
        "status": "success",
        "tags": [],
        "timing": {
          "endTime": "<endTime>",
          "latencyMs": "<latencyMs>",
          "startTime": "<startTime>",
        },
        "traceId": "<id-2>",
      }
    `);
  });

  it("a LangGraph StateGraph with two nodes: graph and node kinds, each node's position, the model inside", async () => {
    const { exporter, callbacks, spans } = setup();
    const result = await twoNodeGraph().invoke({ question: "Capital of France?" }, { callbacks });
    expect(result.answer).toBe("Paris. (reviewed)");
    const received = await spans();
    expect(exporter.formatTrees()).toMatchInlineSnapshot(`
      "graph LangGraph
        node __start__ step=0
        node draft step=1
          chat FakeDetailedChatModel
        node review step=2"
    `);
    expect(received.map((span) => `${span.kind} ${span.name}`)).toMatchInlineSnapshot(`
      [
        "node __start__",
        "chat FakeDetailedChatModel",
        "node draft",
        "node review",
        "graph LangGraph",
      ]
    `);
    const draft = received.find((span) => span.kind === "node" && span.name === "draft")!;
    const model = received.find((span) => span.kind === "chat")!;
    expect(
      stabilizeSpans({ draft, model: { parentRunId: model.parentRunId, graph: model.graph } }),
    ).toMatchInlineSnapshot(`
      {
        "draft": {
          "events": [],
          "graph": {
            "checkpointNamespace": "draft:<id-3>",
            "node": "draft",
            "path": [
              "__pregel_pull",
              "draft",
            ],
            "step": 1,
            "triggers": [
              "branch:to:draft",
            ],
          },
          "input": {
            "question": "Capital of France?",
          },
          "kind": "node",
          "metadata": {},
          "name": "draft",
          "output": {
            "proposal": "Paris.",
          },
          "parentRunId": "<id-2>",
          "recordId": "<id-1>",
          "recordType": "span",
          "runId": "<id-1>",
          "schemaVersion": 1,
          "serializedId": [
            "langchain_core",
            "runnables",
            "RunnableSequence",
          ],
          "status": "success",
          "tags": [],
          "timing": {
            "endTime": "<endTime>",
            "latencyMs": "<latencyMs>",
            "startTime": "<startTime>",
          },
          "traceId": "<id-2>",
        },
        "model": {
          "graph": {
            "checkpointNamespace": "draft:<id-3>",
            "node": "draft",
            "path": [
              "__pregel_pull",
              "draft",
            ],
            "step": 1,
            "triggers": [
              "branch:to:draft",
            ],
          },
          "parentRunId": "<id-1>",
        },
      }
    `);
  });
});

describe("the same tree whatever way the run is driven", () => {
  /** Each run's outline and content, without ids and times. */
  const contentOf = (spans: RunSpanRecord[]) =>
    spans
      .map(({ kind, name, input, output }) => ({ kind, name, input, output }))
      .sort((left, right) => `${left.kind} ${left.name}`.localeCompare(`${right.kind} ${right.name}`));

  it("RunnableSequence: .stream(), .streamEvents() and .batch() give invoke()'s tree, inputs and outputs", async () => {
    const invoked = setup();
    await questionChain().invoke({ question: "Capital?" }, { callbacks: invoked.callbacks });
    const invokedSpans = await invoked.spans();

    const streamed = setup();
    let text = "";
    for await (const chunk of await questionChain().stream(
      { question: "Capital?" },
      { callbacks: streamed.callbacks },
    )) {
      text += chunk;
    }
    expect(text).toBe("Paris is the capital of France.");

    const events = setup();
    const eventNames = new Set<string>();
    for await (const event of questionChain().streamEvents(
      { question: "Capital?" },
      { version: "v2", callbacks: events.callbacks },
    )) {
      eventNames.add(event.event);
    }
    expect(eventNames.has("on_chat_model_stream")).toBe(true);

    const batched = setup();
    await questionChain().batch([{ question: "Capital?" }, { question: "Capital?" }], {
      callbacks: batched.callbacks,
    });

    const tree = invoked.exporter.formatTrees();
    expect(tree).toMatchInlineSnapshot(`
      "chain RunnableSequence
        chain ChatPromptTemplate
        chat FakeDetailedChatModel
        chain StrOutputParser"
    `);
    await streamed.spans();
    await events.spans();
    const batchedSpans = await batched.spans();
    expect(streamed.exporter.formatTrees()).toBe(tree);
    expect(events.exporter.formatTrees()).toBe(tree);
    expect(batched.exporter.formatTrees()).toBe(`${tree}\n${tree}`);
    expect(new Set(batchedSpans.map((span) => span.traceId)).size).toBe(2);
    // .stream() defers the parser's input to its end callback and reports bare outputs: same content.
    expect(contentOf(streamed.exporter.spans)).toEqual(contentOf(invokedSpans));
    expect(contentOf(events.exporter.spans)).toEqual(contentOf(invokedSpans));
    // The streamed model call has its first token as an event.
    const streamedModel = streamed.exporter.spans.find((span) => span.kind === "chat")!;
    expect(streamedModel.events.map((event) => event.name)).toEqual(["first-token"]);
    expect(streamedModel.events[0]!.time).toBeGreaterThanOrEqual(streamedModel.timing.startTime);
  });

  it("StateGraph and the prebuilt agent: .stream() and .batch() give invoke()'s tree", async () => {
    const invoked = setup();
    await twoNodeGraph().invoke({ question: "Capital?" }, { callbacks: invoked.callbacks });
    const streamed = setup();
    for await (const _chunk of await twoNodeGraph().stream(
      { question: "Capital?" },
      { callbacks: streamed.callbacks },
    )) {
      // drain
    }
    const batched = setup();
    await twoNodeGraph().batch([{ question: "Capital?" }, { question: "Capital?" }], {
      callbacks: batched.callbacks,
    });
    await Promise.all([invoked.spans(), streamed.spans(), batched.spans()]);
    const graphTree = invoked.exporter.formatTrees();
    expect(streamed.exporter.formatTrees()).toBe(graphTree);
    expect(batched.exporter.formatTrees()).toBe(`${graphTree}\n${graphTree}`);

    const input = { messages: [["human", "What is 1 + 2, and the weather in Paris?"]] as [string, string][] };
    const agent = () =>
      createReactAgent({
        llm: new ToolCallingFakeModel({ responses: toolCallingModel().responses }),
        tools: [addTool, weatherTool],
      });
    const agentInvoked = setup();
    await agent().invoke(input, { callbacks: agentInvoked.callbacks });
    const agentStreamed = setup();
    for await (const _chunk of await agent().stream(input, {
      callbacks: agentStreamed.callbacks,
      streamMode: "values",
    })) {
      // drain
    }
    await Promise.all([agentInvoked.spans(), agentStreamed.spans()]);
    expect(agentStreamed.exporter.formatTrees()).toBe(agentInvoked.exporter.formatTrees());
  });
});

describe("model-call spans, mask, content and sampling", () => {
  it("a model call's span carries its masked LLMRunRecords: the ones model-call exporters receive", async () => {
    const runs = createMemoryExporter({ name: "runs" });
    const tree = createMemoryExporter({ name: "tree", consumes: "spans" });
    const handler = new ObservabilityCallbackHandler({
      exporters: [runs, tree],
      mask: (record) =>
        isRunSpanRecord(record) ? record : { ...record, metadata: { ...record.metadata, masked: true } },
    });
    await questionChain().invoke(
      { question: "Capital?" },
      { callbacks: [handler], metadata: { feature: "qa" } },
    );
    await handler.flush();
    const model = tree.spans.find((span) => span.kind === "chat")!;
    expect(runs.records).toHaveLength(1);
    expect(model.llmRecordIds).toEqual([runs.records[0]!.recordId]);
    expect(model.llmRecords).toEqual(runs.records);
    expect(model.llmRecords?.[0]?.metadata).toEqual({ feature: "qa", masked: true });
    expect(tree.llmRecords()).toEqual(runs.records);
    // The span's own content is in its records: no input or output of its own.
    expect(model.metadata).toEqual({ feature: "qa" });
    expect("input" in model || "output" in model).toBe(false);
    // One LangChain run, one record per exporter kind; the counters add up per kind.
    expect(handler.stats()).toMatchObject({ captured: 1 + 4, exported: 1 + 4, pending: 0 });
  });

  it("a model call's span weighs its records: too big for a batch, it is dropped as oversize like its record", async () => {
    const runs = createMemoryExporter({ name: "runs" });
    const tree = createMemoryExporter({ name: "tree", consumes: "spans" });
    const onError = vi.fn();
    const handler = new ObservabilityCallbackHandler({
      exporters: [runs, tree],
      maxBatchBytes: 4096,
      onError,
    });
    const model = new FakeDetailedChatModel({ responses: [{ content: "ok" }] });
    await model.invoke("x".repeat(5000), { callbacks: [handler] });
    await model.invoke("small", { callbacks: [handler] });
    await handler.flush();
    expect(runs.records.map((record) => record.input.prompt)).toEqual(["small"]);
    expect(tree.spans.map((span) => span.llmRecords?.[0]?.input.prompt)).toEqual(["small"]);
    expect(handler.stats().exporters).toMatchObject({ runs: { dropped: 1 }, tree: { dropped: 1 } });
    expect(
      onError.mock.calls.map(([error]) =>
        String(error.message).replace(/record \S+: \d+/, "record <id>: <n>"),
      ),
    ).toEqual([
      "runs: dropped record <id>: <n> bytes exceed maxBatchBytes (4096).",
      "tree: dropped record <id>: <n> bytes exceed maxBatchBytes (4096).",
    ]);
  });

  it("mask sees every span too: it can rewrite a span's content or drop the span", async () => {
    const { callbacks, spans, handler } = setup({
      mask: (record) => {
        if (!isRunSpanRecord(record)) return record;
        if (record.kind === "retriever") return null;
        return { ...record, input: "[redacted]", output: "[redacted]" };
      },
    });
    await retrievalChain().invoke("capital of France", { callbacks });
    const received = await spans();
    expect(received.some((span) => span.kind === "retriever")).toBe(false);
    expect(received.filter((span) => span.kind !== "chat").every((span) => span.input === "[redacted]")).toBe(
      true,
    );
    expect(handler.stats().dropped).toMatchObject({ masked: 1, total: 1 });
  });

  it("a mask typed for LLMRunRecords still compiles; spans it throws on are dropped, counted and reported", async () => {
    const onError = vi.fn();
    const redactPrompt = (record: LLMRunRecord): LLMRunRecord | null => ({
      ...record,
      input: { ...record.input, prompt: record.input.prompt.replaceAll("France", "[country]") },
    });
    const runs = createMemoryExporter({ name: "runs" });
    const tree = createMemoryExporter({ name: "tree", consumes: "spans" });
    const handler = new ObservabilityCallbackHandler({
      exporters: [runs, tree],
      mask: redactPrompt,
      onError,
    });
    await questionChain().invoke({ question: "Capital of France?" }, { callbacks: [handler] });
    await handler.flush();
    // Model-call records go through it; spans make it throw (no `input.prompt`), so they fail closed.
    expect(runs.records.map((record) => record.input.prompt)).toEqual(["Capital of [country]?"]);
    expect(tree.spans).toEqual([]);
    expect(handler.stats().dropped).toMatchObject({ masked: 4, total: 4 });
    expect(onError).toHaveBeenCalledWith(
      expect.objectContaining({
        message: expect.stringContaining(
          "mask threw on a span; the span was dropped (a mask that handles spans checks isRunSpanRecord(record))",
        ),
      }),
    );
  });

  it("an async mask or one that turns spans into something else drops them, reported once, no unhandled rejection", async () => {
    const onError = vi.fn();
    const unhandled = vi.fn();
    process.on("unhandledRejection", unhandled);
    try {
      const rejecting = setup({
        onError,
        mask: (record) =>
          isRunSpanRecord(record) ? (Promise.reject(new Error("async mask")) as never) : record,
      });
      await questionChain().invoke({ question: "Capital?" }, { callbacks: rejecting.callbacks });
      expect(await rejecting.spans()).toEqual([]);
      expect(rejecting.handler.stats().dropped).toMatchObject({ invalidMask: 4 });

      const swapping = setup({
        onError,
        mask: (record) =>
          (isRunSpanRecord(record)
            ? (record.llmRecords?.[0] ?? { ...record, recordType: "x" })
            : record) as never,
      });
      await questionChain().invoke({ question: "Capital?" }, { callbacks: swapping.callbacks });
      expect(await swapping.spans()).toEqual([]);
      expect(swapping.handler.stats().dropped).toMatchObject({ invalidMask: 4 });
      // Let a rejection that nobody handled surface before checking.
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(unhandled).not.toHaveBeenCalled();
      expect(onError.mock.calls.map(([error]) => (error as Error).message)).toEqual([
        "mask returned a promise; mask must be synchronous (return the record, or null to drop it). Records are dropped until it is fixed.",
        'mask returned something other than a span (recordType "span") for a span; spans are dropped until it is fixed.',
      ]);
    } finally {
      process.off("unhandledRejection", unhandled);
    }
  });

  it("captureContent: false keeps the tree, names, tools, timing and errors, and no content at all", async () => {
    const { callbacks, spans } = setup({ captureContent: false });
    await retrievalChain().invoke("capital of France", { callbacks });
    const agent = new ToolCallingAgentLoop(toolCallingModel(), [addTool, weatherTool]);
    await agent.invoke({ input: "secret question" }, { callbacks });
    const received = await spans();
    const serialized = JSON.stringify(received);
    for (const secret of ["capital of France", "Paris", "secret question", "21°C", "atlas", "1 + 2"]) {
      expect(serialized).not.toContain(secret);
    }
    expect(received.filter((span) => "input" in span || "output" in span || "documents" in span)).toEqual([]);
    const agentSpan = received.at(-1)!;
    expect(agentSpan.events.map((event) => [event.name, event.attributes])).toEqual([
      ["agent-action", { tool: "add" }],
      ["agent-action", { tool: "weather" }],
      ["agent-finish", undefined],
    ]);
    expect(received.filter((span) => span.kind === "tool").map((span) => span.toolName)).toEqual([
      "add",
      "weather",
    ]);
  });

  it("cuts long text at maxFieldChars in inputs, outputs and events", async () => {
    const { callbacks, spans } = setup({ maxFieldChars: 64 });
    const long = "word ".repeat(100);
    const echo = RunnableLambda.from(async (input: { text: string }) => {
      await dispatchCustomEvent("progress", { note: long });
      return { echoed: input.text };
    }).withConfig({ runName: "echo" });
    await echo.invoke({ text: long }, { callbacks });
    const [span] = await spans();
    const cut = `${long.slice(0, 64 - "…[truncated]".length)}…[truncated]`;
    expect(span?.input).toEqual({ text: cut });
    expect(span?.output).toEqual({ echoed: cut });
    expect(span?.events).toEqual([
      { name: "progress", time: expect.any(Number), attributes: { data: { note: cut } } },
    ]);
  });

  it("a failing tool and the chain around it end as errors, with the error's name and message", async () => {
    const { exporter, callbacks, spans } = setup();
    const failing = tool(
      async (): Promise<string> => {
        throw new RangeError("the tool broke");
      },
      { name: "broken", description: "Fails.", schema: z.object({}) },
    );
    const chain = RunnableLambda.from(async (_input: string, config?: RunnableConfig) =>
      failing.invoke({}, config),
    ).withConfig({ runName: "calls-broken-tool" });
    await expect(chain.invoke("go", { callbacks })).rejects.toThrow("the tool broke");
    const received = await spans();
    expect(exporter.formatTrees()).toMatchInlineSnapshot(`
      "chain calls-broken-tool [error]
        tool broken [error]"
    `);
    expect(received.map((span) => span.error)).toMatchInlineSnapshot(`
      [
        {
          "message": "the tool broke",
          "name": "RangeError",
        },
        {
          "message": "the tool broke",
          "name": "RangeError",
        },
      ]
    `);
  });

  it("custom events land on the run that dispatched them, in order, at most 100", async () => {
    const { callbacks, spans } = setup();
    const chatty = RunnableLambda.from(async () => {
      for (let index = 0; index < 150; index++) await dispatchCustomEvent("tick", { index });
      return "done";
    });
    await chatty.invoke("go", { callbacks });
    const [span] = await spans();
    expect(span?.events.length).toBe(100);
    expect(span?.events.slice(0, 2).map((event) => [event.name, event.attributes])).toEqual([
      ["tick", { data: { index: 0 } }],
      ["tick", { data: { index: 1 } }],
    ]);
  });

  it("handler tags and metadata first, then the run's; ids and LangChain's own keys and tags left out, as in LLMRunRecord", async () => {
    const { callbacks, spans } = setup({
      tags: ["app"],
      metadata: { team: "search" },
      userId: "default-user",
    });
    await questionChain().invoke(
      { question: "Capital?" },
      { callbacks, tags: ["request"], metadata: { session_id: "s-1", feature: "qa" } },
    );
    const received = await spans();
    const root = received.at(-1)!;
    const model = received.find((span) => span.kind === "chat")!;
    expect({
      tags: root.tags,
      metadata: root.metadata,
      userId: root.userId,
      sessionId: root.sessionId,
    }).toEqual({
      tags: ["app", "request"],
      metadata: { team: "search", feature: "qa" },
      userId: "default-user",
      sessionId: "s-1",
    });
    // The model's metadata held ls_* keys and a versions map, and its tags seq:step:2.
    expect({ tags: model.tags, metadata: model.metadata, userId: model.userId }).toEqual({
      tags: ["app", "request"],
      metadata: { team: "search", feature: "qa" },
      userId: "default-user",
    });
    expect(model.llmRecords?.[0]).toMatchObject({
      tags: model.tags,
      sessionId: "s-1",
      userId: "default-user",
    });
  });

  it("sampleRate keeps or drops each trace whole, for every exporter alike", async () => {
    const runs = createMemoryExporter({ name: "runs" });
    const tree = createMemoryExporter({ name: "tree", consumes: "spans" });
    const handler = new ObservabilityCallbackHandler({ exporters: [runs, tree], sampleRate: 0.5 });
    for (let index = 0; index < 40; index++) {
      await questionChain().invoke({ question: `Question ${index}?` }, { callbacks: [handler] });
    }
    await handler.flush();
    const spansByTrace = new Map<string, number>();
    for (const span of tree.spans) spansByTrace.set(span.traceId, (spansByTrace.get(span.traceId) ?? 0) + 1);
    // Every kept trace is whole (4 spans), kept exactly when isSampled says so, and the model-call
    // exporter kept the same traces.
    expect([...spansByTrace.values()].every((count) => count === 4)).toBe(true);
    for (const traceId of spansByTrace.keys()) expect(isSampled(traceId, 0.5)).toBe(true);
    expect(new Set(runs.records.map((record) => record.traceId))).toEqual(new Set(spansByTrace.keys()));
    expect(spansByTrace.size).toBeGreaterThan(5);
    expect(spansByTrace.size).toBeLessThan(35);
    const dropped = 40 - spansByTrace.size;
    expect(handler.stats()).toMatchObject({
      captured: 40 * 5,
      exported: spansByTrace.size * 5,
      dropped: { sampled: dropped * 5, total: dropped * 5 },
    });
  });

  it("without an exporter that consumes spans, no span is built: chain callbacks only track the trace", async () => {
    const startChain = vi.spyOn(SpanCapture.prototype, "startChain");
    const startModel = vi.spyOn(SpanCapture.prototype, "startModel");
    const runs = createMemoryExporter();
    const handler = new ObservabilityCallbackHandler({ exporters: [runs] });
    await twoNodeGraph().invoke({ question: "Capital?" }, { callbacks: [handler] });
    await handler.flush();
    expect(startChain).not.toHaveBeenCalled();
    expect(startModel).not.toHaveBeenCalled();
    // The model call sits in node "draft" of the graph: its trace is still the graph's root run.
    const [record] = runs.records;
    expect(record?.parentRunId).toBeDefined();
    expect(record?.traceId).not.toBe(record?.parentRunId);
    expect(handler.stats()).toMatchObject({ captured: 1, exported: 1, inFlightRuns: 0 });
  });
});

describe("bounds", () => {
  it("10,000 spans in one trace: all delivered, never more than two runs open at once", async () => {
    const { callbacks, spans, handler } = setup({ _awaitHandler: true });
    let mostOpen = 0;
    const step = RunnableLambda.from((value: number) => {
      mostOpen = Math.max(mostOpen, handler.stats().inFlightRuns);
      return value + 1;
    });
    const loop = RunnableLambda.from(async (count: number, config?: RunnableConfig) => {
      let value = 0;
      for (let index = 0; index < count; index++) value = await step.invoke(value, config);
      return value;
    }).withConfig({ runName: "loop" });
    expect(await loop.invoke(9_999, { callbacks })).toBe(9_999);
    const received = await spans();
    expect(received.length).toBe(10_000);
    expect(new Set(received.map((span) => span.traceId)).size).toBe(1);
    expect(mostOpen).toBe(2);
    expect(handler.stats()).toMatchObject({ captured: 10_000, exported: 10_000, inFlightRuns: 0 });
    // 10,000 LangChain runs take seconds on a loaded 2-core machine: only a hang should reach this.
  }, 300_000);

  it("10,000 runs open at once in one trace: at most maxInFlightRuns kept, nothing thrown, all accounted", async () => {
    const onError = vi.fn();
    const { callbacks, spans, handler } = setup({ _awaitHandler: true, maxInFlightRuns: 1000, onError });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let mostOpen = 0;
    const child = RunnableLambda.from(async (value: number) => {
      mostOpen = Math.max(mostOpen, handler.stats().inFlightRuns);
      await gate;
      return value;
    });
    const fanOut = RunnableLambda.from(async (count: number, config?: RunnableConfig) => {
      const running = Array.from({ length: count }, (_, index) => child.invoke(index, config));
      await new Promise((resolve) => setTimeout(resolve, 0));
      release();
      return (await Promise.all(running)).length;
    }).withConfig({ runName: "fan-out" });
    expect(await fanOut.invoke(10_000, { callbacks })).toBe(10_000);
    const received = await spans();
    expect(mostOpen).toBeLessThanOrEqual(1000);
    const stats = handler.stats();
    expect(stats.inFlightRuns).toBe(0);
    // Each time the store filled up, the trace was evicted whole: those spans came out `cancelled`.
    const cancelled = received.filter((span) => span.status === "cancelled");
    expect(cancelled.length).toBe(stats.dropped.evicted);
    expect(cancelled.length).toBeGreaterThan(0);
    expect(cancelled[0]?.error).toEqual({
      name: "RunEvicted",
      message: "Run evicted: more than 1000 runs in flight (maxInFlightRuns).",
    });
    expect(received.every((span) => span.status !== "error")).toBe(true);
    expect(new Set(received.map((span) => span.traceId)).size).toBe(1);
    expect(stats).toMatchObject({
      captured: received.length,
      exported: received.length,
      failed: 0,
      pending: 0,
    });
    expect(onError).not.toHaveBeenCalled();
    // 10,000 LangChain runs take seconds on a loaded 2-core machine: only a hang should reach this.
  }, 300_000);

  it("200 levels deep: every level delivered with its parent, innermost first", async () => {
    const { exporter, callbacks, spans } = setup();
    const nest = (depth: number): Runnable<number, number> =>
      RunnableLambda.from(async (value: number, config?: RunnableConfig) =>
        depth === 1 ? value : nest(depth - 1).invoke(value + 1, config),
      ).withConfig({ runName: `level-${depth}` });
    expect(await nest(200).invoke(1, { callbacks })).toBe(200);
    const received = await spans();
    expect(received.length).toBe(200);
    expect(received[0]?.name).toBe("level-1");
    expect(received.at(-1)?.name).toBe("level-200");
    const byId = new Map(received.map((span) => [span.runId, span]));
    let depth = 0;
    for (let span = received[0]; span?.parentRunId; span = byId.get(span.parentRunId)) depth++;
    expect(depth).toBe(199);
    expect(exporter.formatTrees().split("\n").at(-1)).toBe(`${"  ".repeat(199)}chain level-1`);
  });

  it("a trace that never ends is evicted after runTtlMs without activity: its open spans and model call cancelled", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const runs = createMemoryExporter({ name: "runs" });
    const tree = createMemoryExporter({ name: "tree", consumes: "spans" });
    const handler = new ObservabilityCallbackHandler({ exporters: [runs, tree], runTtlMs: 60_000 });
    const model = new FakeDetailedChatModel({ responses: [{ content: "never" }], sleepMs: 1_000_000 });
    const stuck = RunnableLambda.from(async (question: string, config?: RunnableConfig) =>
      model.invoke(question, config),
    ).withConfig({ runName: "stuck" });
    void stuck.invoke("hello?", { callbacks: [handler] });
    await questionChain().invoke({ question: "Capital?" }, { callbacks: [handler] });
    await handler.flush();
    expect(tree.spans.map((span) => span.name)).not.toContain("stuck");
    expect(handler.stats().inFlightRuns).toBe(2);
    vi.setSystemTime(Date.now() + 61_000);
    await handler.flush();
    const cancelled = tree.spans.filter((span) => span.status === "cancelled");
    expect(cancelled.map((span) => `${span.kind} ${span.name}`)).toEqual([
      "chat FakeDetailedChatModel",
      "chain stuck",
    ]);
    expect(cancelled[0]?.error?.message).toBe("Run evicted: trace idle for more than 60000 ms (runTtlMs).");
    // The model call also reached the model-call exporter, cancelled, once; the span carries that record.
    const cancelledRecords = runs.records.filter((record) => record.status === "cancelled");
    expect(cancelledRecords).toHaveLength(1);
    expect(cancelled[0]?.llmRecords).toEqual(cancelledRecords);
    expect(handler.stats()).toMatchObject({ inFlightRuns: 0 });
    await handler.shutdown();
  });
});
