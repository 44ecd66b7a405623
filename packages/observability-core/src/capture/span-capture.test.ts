import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
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
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { assertValidSpan, stabilizeSpans } from "../../test/span-helpers";
import { FakeDetailedChatModel } from "../testing/fake-models";
import { formatSpanTrees } from "../testing/span-tree";
import type { RecordDefaults } from "./build-record";
import type { RunSpanRecord } from "./run-span-record";
import { isSampled } from "./sample-by-trace";
import { SpanCapture, type SpanCaptureOptions } from "./span-capture";

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

const defaults: RecordDefaults = {
  userId: undefined,
  sessionId: undefined,
  tags: [],
  metadata: {},
  captureContent: true,
  maxFieldChars: 1000,
};

/** Forwards LangChain's callbacks to a SpanCapture, as the handler does (model calls without records). */
class SpanCaptureHandler extends BaseCallbackHandler {
  name = "span_capture_test_handler";
  readonly spans: RunSpanRecord[] = [];
  readonly capture: SpanCapture;
  constructor(options: Partial<SpanCaptureOptions> = {}) {
    super({ _awaitHandler: true });
    this.capture = new SpanCapture({
      defaults,
      sampleRate: 1,
      maxOpenSpans: 10_000,
      traceTtlMs: 600_000,
      emit: ({ span }) => {
        assertValidSpan(span);
        this.spans.push(span);
      },
      ...options,
    });
  }
  override handleChainStart(...args: Parameters<SpanCapture["startChain"]>) {
    this.capture.startChain(...args);
  }
  override handleChainEnd(...args: Parameters<SpanCapture["endChain"]>) {
    this.capture.endChain(...args);
  }
  override handleChainError(...args: Parameters<SpanCapture["errorChain"]>) {
    this.capture.errorChain(...args);
  }
  override handleToolStart(...args: Parameters<SpanCapture["startTool"]>) {
    this.capture.startTool(...args);
  }
  override handleToolEnd(output: unknown, runId: string) {
    this.capture.endTool(output, runId);
  }
  override handleToolError(error: unknown, runId: string) {
    this.capture.errorTool(error, runId);
  }
  override handleRetrieverStart(...args: Parameters<SpanCapture["startRetriever"]>) {
    this.capture.startRetriever(...args);
  }
  override handleRetrieverEnd(documents: unknown, runId: string) {
    this.capture.endRetriever(documents, runId);
  }
  override handleRetrieverError(error: unknown, runId: string) {
    this.capture.errorRetriever(error, runId);
  }
  override handleAgentAction(action: unknown, runId: string) {
    this.capture.agentAction(action, runId);
  }
  override handleAgentEnd(finish: unknown, runId: string) {
    this.capture.agentEnd(finish, runId);
  }
  override handleCustomEvent(eventName: string, data: unknown, runId: string) {
    this.capture.customEvent(eventName, data, runId);
  }
  override handleChatModelStart(
    llm: unknown,
    _messages: unknown,
    runId: string,
    parentRunId?: string,
    _extra?: unknown,
    tags?: string[],
    metadata?: Record<string, unknown>,
    runName?: string,
  ) {
    this.capture.startModel("chat", llm, runId, parentRunId, tags, metadata, runName);
  }
  override handleLLMEnd(_output: unknown, runId: string) {
    this.capture.endModel(runId, { status: "success", llmRecords: [] });
  }
  override handleLLMError(error: Error, runId: string) {
    this.capture.endModel(runId, {
      status: "error",
      error: { name: error.name, message: error.message },
      llmRecords: [],
    });
  }
}

const tree = (spans: RunSpanRecord[]) => formatSpanTrees(spans);

describe("span capture of real LangChain runs", () => {
  it("a RunnableSequence prompt → model → parser: one span per run, children before their parent", async () => {
    const handler = new SpanCaptureHandler();
    await questionChain().invoke({ question: "What is the capital of France?" }, { callbacks: [handler] });
    expect(tree(handler.spans)).toMatchInlineSnapshot(`
      "chain RunnableSequence
        chain ChatPromptTemplate
        chat FakeDetailedChatModel
        chain StrOutputParser"
    `);
    expect(handler.spans.map((span) => span.name)).toMatchInlineSnapshot(`
      [
        "ChatPromptTemplate",
        "FakeDetailedChatModel",
        "StrOutputParser",
        "RunnableSequence",
      ]
    `);
    expect(stabilizeSpans(handler.spans)).toMatchInlineSnapshot(`
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
          "llmRecordIds": [],
          "llmRecords": [],
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
    expect(handler.capture.openSpans).toBe(0);
  });

  it("a tool-calling agent loop: the agent span, its model calls and both tools, actions and finish as events", async () => {
    const handler = new SpanCaptureHandler();
    const agent = new ToolCallingAgentLoop(toolCallingModel(), [addTool, weatherTool]);
    const result = await agent.invoke(
      { input: "What is 1 + 2, and the weather in Paris?" },
      { callbacks: [handler] },
    );
    expect(result.output).toBe("1 + 2 = 3, and it is 21°C and sunny in Paris.");
    expect(tree(handler.spans)).toMatchInlineSnapshot(`
      "agent ToolCallingAgentLoop
        chat FakeDetailedChatModel
        tool add
        tool weather
        chat FakeDetailedChatModel"
    `);
    const root = handler.spans.at(-1)!;
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
    expect(stabilizeSpans(handler.spans.filter((span) => span.kind === "tool"))).toMatchInlineSnapshot(`
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
  });

  it("LangGraph's prebuilt tool-calling agent: graph, nodes by step, tools inside the tools node", async () => {
    const handler = new SpanCaptureHandler();
    const model = new ToolCallingFakeModel({ responses: toolCallingModel().responses });
    const agent = createReactAgent({ llm: model, tools: [addTool, weatherTool] });
    await agent.invoke(
      { messages: [["human", "What is 1 + 2, and the weather in Paris?"]] },
      { callbacks: [handler] },
    );
    expect(tree(handler.spans)).toMatchInlineSnapshot(`
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

  it("a retriever chain: the retriever span keeps its query and documents", async () => {
    const handler = new SpanCaptureHandler();
    await retrievalChain().invoke("capital of France", { callbacks: [handler] });
    expect(tree(handler.spans)).toMatchInlineSnapshot(`
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
    const retriever = handler.spans.find((span) => span.kind === "retriever")!;
    expect(stabilizeSpans(retriever)).toMatchInlineSnapshot(`
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

  it("a LangGraph StateGraph with two nodes: graph and node kinds, the node's position, the model inside", async () => {
    const handler = new SpanCaptureHandler();
    const result = await twoNodeGraph().invoke({ question: "Capital of France?" }, { callbacks: [handler] });
    expect(result.answer).toBe("Paris. (reviewed)");
    expect(tree(handler.spans)).toMatchInlineSnapshot(`
      "graph LangGraph
        node __start__ step=0
        node draft step=1
          chat FakeDetailedChatModel
        node review step=2"
    `);
    const draft = handler.spans.find((span) => span.kind === "node" && span.name === "draft")!;
    const model = handler.spans.find((span) => span.kind === "chat")!;
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
  /** The outline of each trace, in order of their roots' start. */
  const shapes = (spans: RunSpanRecord[]) => tree(spans);

  it("RunnableSequence: .stream(), .streamEvents() and .batch() give invoke()'s tree and inputs", async () => {
    const invoked = new SpanCaptureHandler();
    await questionChain().invoke({ question: "Capital?" }, { callbacks: [invoked] });

    const streamed = new SpanCaptureHandler();
    let text = "";
    for await (const chunk of await questionChain().stream(
      { question: "Capital?" },
      { callbacks: [streamed] },
    )) {
      text += chunk;
    }
    expect(text).toBe("Paris is the capital of France.");

    const events = new SpanCaptureHandler();
    for await (const _event of questionChain().streamEvents(
      { question: "Capital?" },
      { version: "v2", callbacks: [events] },
    )) {
      // drain
    }

    const batched = new SpanCaptureHandler();
    await questionChain().batch([{ question: "Capital?" }, { question: "Capital?" }], {
      callbacks: [batched],
    });

    expect(shapes(streamed.spans)).toBe(shapes(invoked.spans));
    expect(shapes(events.spans)).toBe(shapes(invoked.spans));
    expect(shapes(batched.spans)).toBe(`${shapes(invoked.spans)}\n${shapes(invoked.spans)}`);
    expect(new Set(batched.spans.map((span) => span.traceId)).size).toBe(2);
    // .stream() defers the parser's input to its end callback, and reports a bare output: same content.
    const contentOf = (spans: RunSpanRecord[]) =>
      spans
        .map(({ name, input, output }) => ({ name, input, output }))
        .sort((a, b) => a.name.localeCompare(b.name));
    expect(contentOf(streamed.spans)).toEqual(contentOf(invoked.spans));
    expect(contentOf(events.spans)).toEqual(contentOf(invoked.spans));
  });

  it("StateGraph and the prebuilt agent: .stream() gives invoke()'s tree", async () => {
    const invoked = new SpanCaptureHandler();
    await twoNodeGraph().invoke({ question: "Capital?" }, { callbacks: [invoked] });
    const streamed = new SpanCaptureHandler();
    for await (const _chunk of await twoNodeGraph().stream(
      { question: "Capital?" },
      { callbacks: [streamed] },
    )) {
      // drain
    }
    expect(shapes(streamed.spans)).toBe(shapes(invoked.spans));

    const agentInvoked = new SpanCaptureHandler();
    const agentStreamed = new SpanCaptureHandler();
    const input = { messages: [["human", "What is 1 + 2, and the weather in Paris?"]] as [string, string][] };
    await createReactAgent({
      llm: new ToolCallingFakeModel({ responses: toolCallingModel().responses }),
      tools: [addTool, weatherTool],
    }).invoke(input, { callbacks: [agentInvoked] });
    const agent = createReactAgent({
      llm: new ToolCallingFakeModel({ responses: toolCallingModel().responses }),
      tools: [addTool, weatherTool],
    });
    for await (const _chunk of await agent.stream(input, {
      callbacks: [agentStreamed],
      streamMode: "values",
    })) {
      // drain
    }
    expect(shapes(agentStreamed.spans)).toBe(shapes(agentInvoked.spans));
  });
});

describe("content, errors and events", () => {
  it("captureContent: false keeps the tree, names, tools, timing and errors, and no inputs, outputs or documents", async () => {
    const handler = new SpanCaptureHandler({ defaults: { ...defaults, captureContent: false } });
    await retrievalChain().invoke("capital of France", { callbacks: [handler] });
    const agent = new ToolCallingAgentLoop(toolCallingModel(), [addTool, weatherTool]);
    await agent.invoke({ input: "secret question" }, { callbacks: [handler] });
    const serialized = JSON.stringify(handler.spans);
    for (const secret of ["capital of France", "Paris", "secret question", "21°C", "atlas"]) {
      expect(serialized).not.toContain(secret);
    }
    expect(
      handler.spans.filter((span) => "input" in span || "output" in span || "documents" in span),
    ).toEqual([]);
    const agentSpan = handler.spans.at(-1)!;
    expect(agentSpan.events.map((event) => [event.name, event.attributes])).toEqual([
      ["agent-action", { tool: "add" }],
      ["agent-action", { tool: "weather" }],
      ["agent-finish", undefined],
    ]);
    expect(handler.spans.filter((span) => span.kind === "tool").map((span) => span.toolName)).toEqual([
      "add",
      "weather",
    ]);
  });

  it("cuts long text at maxFieldChars in inputs, outputs, documents and events", async () => {
    const handler = new SpanCaptureHandler({ defaults: { ...defaults, maxFieldChars: 64 } });
    const long = "word ".repeat(100);
    const echo = RunnableLambda.from(async (input: { text: string }) => {
      await dispatchCustomEvent("progress", { note: long });
      return { echoed: input.text };
    }).withConfig({ runName: "echo" });
    await echo.invoke({ text: long }, { callbacks: [handler] });
    const [span] = handler.spans;
    const cut = `${long.slice(0, 64 - "…[truncated]".length)}…[truncated]`;
    expect(span?.input).toEqual({ text: cut });
    expect(span?.output).toEqual({ echoed: cut });
    expect(span?.events).toEqual([
      { name: "progress", time: expect.any(Number), attributes: { data: { note: cut } } },
    ]);
  });

  it("a failing tool and the chain around it end as errors, with the error's name and message", async () => {
    const handler = new SpanCaptureHandler();
    const failing = tool(
      async (): Promise<string> => {
        throw new RangeError("the tool broke");
      },
      { name: "broken", description: "Fails.", schema: z.object({}) },
    );
    const chain = RunnableLambda.from(async (_input: string, config?: RunnableConfig) =>
      failing.invoke({}, config),
    ).withConfig({
      runName: "calls-broken-tool",
    });
    await expect(chain.invoke("go", { callbacks: [handler] })).rejects.toThrow("the tool broke");
    expect(tree(handler.spans)).toMatchInlineSnapshot(`
      "chain calls-broken-tool [error]
        tool broken [error]"
    `);
    expect(handler.spans.map((span) => span.error)).toMatchInlineSnapshot(`
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
    const handler = new SpanCaptureHandler();
    const chatty = RunnableLambda.from(async () => {
      for (let index = 0; index < 150; index++) await dispatchCustomEvent("tick", { index });
      return "done";
    });
    await chatty.invoke("go", { callbacks: [handler] });
    const [span] = handler.spans;
    expect(span?.events.length).toBe(100);
    expect(span?.events.slice(0, 2).map((event) => [event.name, event.attributes])).toEqual([
      ["tick", { data: { index: 0 } }],
      ["tick", { data: { index: 1 } }],
    ]);
  });

  it("handler tags and metadata first, then the run's; ids and LangChain's own keys and tags left out, as in LLMRunRecord", async () => {
    const handler = new SpanCaptureHandler({
      defaults: { ...defaults, tags: ["app"], metadata: { team: "search" }, userId: "default-user" },
    });
    await questionChain().invoke(
      { question: "Capital?" },
      { callbacks: [handler], tags: ["request"], metadata: { session_id: "s-1", feature: "qa" } },
    );
    const root = handler.spans.at(-1)!;
    const model = handler.spans.find((span) => span.kind === "chat")!;
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
    // The model's metadata held ls_* keys and a versions map, and its tags seq:step:2; session_id went to sessionId.
    expect({ tags: model.tags, metadata: model.metadata }).toEqual({
      tags: ["app", "request"],
      metadata: { team: "search", feature: "qa" },
    });
  });
});

describe("sampling by trace", () => {
  it("keeps or drops each trace whole, by the same decision as model-call records", async () => {
    const handler = new SpanCaptureHandler({ sampleRate: 0.5 });
    for (let index = 0; index < 40; index++) {
      await questionChain().invoke({ question: `Question ${index}?` }, { callbacks: [handler] });
    }
    const byTrace = new Map<string, number>();
    for (const span of handler.spans) byTrace.set(span.traceId, (byTrace.get(span.traceId) ?? 0) + 1);
    // Every kept trace is complete (4 spans), and kept exactly when isSampled says so.
    expect([...byTrace.values()].every((count) => count === 4)).toBe(true);
    for (const traceId of byTrace.keys()) expect(isSampled(traceId, 0.5)).toBe(true);
    expect(byTrace.size).toBeGreaterThan(5);
    expect(byTrace.size).toBeLessThan(35);
    expect(handler.capture.counters.sampled).toBe((40 - byTrace.size) * 4);
    expect(handler.capture.openSpans).toBe(0);
  });
});

describe("bounds", () => {
  it("10,000 spans in one trace: all delivered, never more than two open at once", async () => {
    const handler = new SpanCaptureHandler();
    let mostOpen = 0;
    const step = RunnableLambda.from((value: number) => {
      mostOpen = Math.max(mostOpen, handler.capture.openSpans);
      return value + 1;
    });
    const loop = RunnableLambda.from(async (count: number, config?: RunnableConfig) => {
      let value = 0;
      for (let index = 0; index < count; index++) value = await step.invoke(value, config);
      return value;
    }).withConfig({ runName: "loop" });
    expect(await loop.invoke(9_999, { callbacks: [handler] })).toBe(9_999);
    expect(handler.spans.length).toBe(10_000);
    expect(new Set(handler.spans.map((span) => span.traceId)).size).toBe(1);
    expect(mostOpen).toBe(2);
    expect(handler.capture.openSpans).toBe(0);
  });

  it("10,000 runs open at once in one trace: the store stays within maxInFlightRuns and nothing throws", async () => {
    const handler = new SpanCaptureHandler({ maxOpenSpans: 1000 });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let mostOpen = 0;
    const child = RunnableLambda.from(async (value: number) => {
      mostOpen = Math.max(mostOpen, handler.capture.openSpans);
      await gate;
      return value;
    });
    const fanOut = RunnableLambda.from(async (count: number, config?: RunnableConfig) => {
      const running = Array.from({ length: count }, (_, index) => child.invoke(index, config));
      await new Promise((resolve) => setTimeout(resolve, 0));
      release();
      return (await Promise.all(running)).length;
    }).withConfig({ runName: "fan-out" });
    expect(await fanOut.invoke(10_000, { callbacks: [handler] })).toBe(10_000);
    expect(mostOpen).toBeLessThanOrEqual(1000);
    expect(handler.capture.openSpans).toBe(0);
    // Each time the store filled up, the trace was evicted whole: those spans came out `cancelled`.
    const cancelled = handler.spans.filter((span) => span.status === "cancelled");
    expect(cancelled.length).toBe(handler.capture.counters.evicted);
    expect(cancelled.length + handler.spans.filter((span) => span.status === "success").length).toBe(
      handler.spans.length,
    );
    expect(cancelled[0]?.error).toEqual({
      name: "RunEvicted",
      message: "Run evicted: more than 1000 runs in flight (maxInFlightRuns).",
    });
    // Every span that came out, cancelled or not, belongs to the one trace.
    expect(new Set(handler.spans.map((span) => span.traceId)).size).toBe(1);
  });

  it("200 levels deep: every level delivered, each with its parent, innermost first", async () => {
    const handler = new SpanCaptureHandler();
    const nest = (depth: number): Runnable<number, number> =>
      RunnableLambda.from(async (value: number, config?: RunnableConfig) =>
        depth === 1 ? value : nest(depth - 1).invoke(value + 1, config),
      ).withConfig({ runName: `level-${depth}` });
    expect(await nest(200).invoke(1, { callbacks: [handler] })).toBe(200);
    expect(handler.spans.length).toBe(200);
    expect(handler.spans[0]?.name).toBe("level-1");
    expect(handler.spans.at(-1)?.name).toBe("level-200");
    const byId = new Map(handler.spans.map((span) => [span.runId, span]));
    let depth = 0;
    for (let span = handler.spans[0]; span?.parentRunId; span = byId.get(span.parentRunId)) depth++;
    expect(depth).toBe(199);
    expect(formatSpanTrees(handler.spans).split("\n").at(-1)).toBe(`${"  ".repeat(199)}chain level-1`);
  });

  it("a trace that never ends is evicted after runTtlMs of inactivity, its open spans cancelled", () => {
    const handler = new SpanCaptureHandler({ traceTtlMs: 60_000 });
    const capture = handler.capture;
    const now = Date.now();
    capture.startChain({ id: ["tests", "Stuck"] }, { question: "?" }, "root-run");
    capture.startTool({ id: ["tests", "Slow"] }, '{"q":1}', "tool-run", "root-run", [], {}, "slow");
    capture.startChain({ id: ["tests", "Done"] }, {}, "other-run");
    capture.endChain({}, "other-run");
    capture.sweep(now + 59_000);
    expect(handler.spans.map((span) => span.name)).toEqual(["Done"]);
    capture.sweep(now + 61_000);
    expect(handler.spans.map((span) => [span.name, span.status, span.error?.message])).toEqual([
      ["Done", "success", undefined],
      ["slow", "cancelled", "Run evicted: trace idle for more than 60000 ms (runTtlMs)."],
      ["Stuck", "cancelled", "Run evicted: trace idle for more than 60000 ms (runTtlMs)."],
    ]);
    expect(capture.openSpans).toBe(0);
    // The evicted runs' late ends change nothing.
    capture.endTool("late", "tool-run");
    capture.endChain({}, "root-run");
    expect(handler.spans.length).toBe(3);
  });
});
