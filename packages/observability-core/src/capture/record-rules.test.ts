import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { RunnableLambda } from "@langchain/core/runnables";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { describe, expect, it } from "vitest";
import { assertValidRecord } from "../../test/helpers";
import { type LLMRunRecord, ObservabilityCallbackHandler } from "../index";
import { createMemoryExporter, FakeDetailedChatModel } from "../testing/index";

function setup(options: Partial<ConstructorParameters<typeof ObservabilityCallbackHandler>[0]> = {}) {
  const exporter = createMemoryExporter();
  const handler = new ObservabilityCallbackHandler({ exporters: [exporter], ...options });
  const records = async (): Promise<LLMRunRecord[]> => {
    await handler.flush({ timeoutMs: 5000 });
    for (const record of exporter.records) assertValidRecord(record);
    return exporter.records;
  };
  return { handler, records };
}

describe("one record, one truth", () => {
  it("names the model the same on success and on error: the name asked for, the answer's name beside it", async () => {
    const { handler, records } = setup();
    const model = new FakeDetailedChatModel({
      model: "gpt-4o-mini",
      provider: "openai",
      responses: [
        { content: "fine", responseMetadata: { model_name: "gpt-4o-mini-2024-07-18" } },
        { content: "", error: new Error("rate limited") },
      ],
    });
    await model.invoke("first", { callbacks: [handler] });
    await expect(model.invoke("second", { callbacks: [handler] })).rejects.toThrow("rate limited");
    const [success, failure] = await records();
    expect(success!.model).toEqual({
      provider: "openai",
      name: "gpt-4o-mini",
      responseName: "gpt-4o-mini-2024-07-18",
      params: { model: "gpt-4o-mini", temperature: 0.2 },
    });
    expect(failure!.status).toBe("error");
    expect(failure!.model).toEqual({
      provider: "openai",
      name: "gpt-4o-mini",
      params: { model: "gpt-4o-mini", temperature: 0.2 },
    });
  });

  it("takes the answer's name when nothing named the model at start, and no responseName when they agree", async () => {
    const { handler, records } = setup();
    class UnnamedModel extends FakeDetailedChatModel {
      override invocationParams() {
        return { temperature: 0 };
      }
      override getLsParams(options: this["ParsedCallOptions"]) {
        const { ls_model_name: _dropped, ...rest } = super.getLsParams(options);
        return rest as ReturnType<FakeDetailedChatModel["getLsParams"]>;
      }
    }
    await new UnnamedModel({
      responses: [{ content: "x", responseMetadata: { model_name: "served-model" } }],
    }).invoke("a", { callbacks: [handler] });
    await new FakeDetailedChatModel({
      model: "same",
      responses: [{ content: "y", responseMetadata: { model_name: "same" } }],
    }).invoke("b", { callbacks: [handler] });
    const [unnamed, same] = await records();
    expect(unnamed!.model.name).toBe("served-model");
    expect(unnamed!.model.responseName).toBeUndefined();
    expect(same!.model).toEqual({
      provider: "fake",
      name: "same",
      params: { model: "same", temperature: 0.2 },
    });
  });

  it("drops LangChain's internal tags (seq:step:*) from a model inside a sequence, keeps the user's", async () => {
    const { handler, records } = setup({ tags: ["handler-tag"] });
    const chain = ChatPromptTemplate.fromMessages([["human", "{question}"]])
      .pipe(new FakeListChatModel({ responses: ["answer"] }))
      .pipe(new StringOutputParser());
    await chain.invoke({ question: "why?" }, { callbacks: [handler], tags: ["user-tag"] });
    const [record] = await records();
    expect(record!.tags).toEqual(["handler-tag", "user-tag"]);
  });

  it("drops the metadata keys that gave the user and session (once), keeps an alias with another value", async () => {
    const { handler, records } = setup({ metadata: { team: "a", user_id: "from-handler-metadata" } });
    const model = new FakeListChatModel({ responses: ["x"] });
    await model.invoke("camel", {
      callbacks: [handler],
      metadata: { userId: "u-1", sessionId: "s-1", feature: "f" },
    });
    await model.invoke("both", {
      callbacks: [handler],
      metadata: { user_id: "u-2", userId: "u-2", session_id: "s-2", thread_id: "t-2" },
    });
    await model.invoke("handler", { callbacks: [handler], metadata: { thread_id: "t-3" } });
    const all = await records();
    expect(
      all.map(({ input, userId, sessionId, metadata }) => ({
        prompt: input.prompt,
        userId,
        sessionId,
        metadata,
      })),
    ).toMatchInlineSnapshot(`
        [
          {
            "metadata": {
              "feature": "f",
              "team": "a",
            },
            "prompt": "camel",
            "sessionId": "s-1",
            "userId": "u-1",
          },
          {
            "metadata": {
              "team": "a",
              "thread_id": "t-2",
            },
            "prompt": "both",
            "sessionId": "s-2",
            "userId": "u-2",
          },
          {
            "metadata": {
              "team": "a",
            },
            "prompt": "handler",
            "sessionId": "t-3",
            "userId": "from-handler-metadata",
          },
        ]
      `);
  });

  it("sets stream: true in the params of a streamed run, whatever the model's params say", async () => {
    const { handler, records } = setup();
    class NonStreamingParams extends FakeDetailedChatModel {
      // What ChatOpenAI reports for `.stream()` on a model built without `streaming: true`.
      override invocationParams() {
        return { model: this.model, stream: false };
      }
    }
    const model = new NonStreamingParams({ model: "m", responses: [{ content: "streamed answer" }] });
    const chunks: string[] = [];
    for await (const chunk of await model.stream("s", { callbacks: [handler] }))
      chunks.push(String(chunk.content));
    await model.invoke("i", { callbacks: [handler] });
    const [streamed, invoked] = await records();
    expect(chunks.join("")).toBe("streamed answer");
    expect(streamed!.model.params).toEqual({ model: "m", stream: true });
    expect(invoked!.model.params).toEqual({ model: "m", stream: false });
  });

  it("sets stream: true for a streamed run seen through streamEvents and a streaming RunnableLambda", async () => {
    const { handler, records } = setup();
    const model = new FakeListChatModel({ responses: ["abc"] });
    const chain = RunnableLambda.from((input: string) => input).pipe(model);
    for await (const _event of chain.streamEvents("q", { version: "v2", callbacks: [handler] })) {
      // Consuming the events is what runs the chain.
    }
    const [record] = await records();
    expect(record!.model.params.stream).toBe(true);
  });
});
