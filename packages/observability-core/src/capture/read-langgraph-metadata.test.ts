import { describe, expect, it } from "vitest";
import { isLangGraphGraph, isLangGraphMetadataKey, readLangGraphMetadata } from "./read-langgraph-metadata";

describe("readLangGraphMetadata", () => {
  it("reads LangGraph's position keys, and only well-typed values", () => {
    expect(
      readLangGraphMetadata({
        langgraph_node: "agent",
        langgraph_step: 3,
        langgraph_triggers: ["branch:to:agent"],
        langgraph_path: ["__pregel_pull", "agent"],
        langgraph_checkpoint_ns: "agent:1f0",
        user_id: "u-1",
      }),
    ).toEqual({
      node: "agent",
      step: 3,
      triggers: ["branch:to:agent"],
      path: ["__pregel_pull", "agent"],
      checkpointNamespace: "agent:1f0",
    });
    expect(
      readLangGraphMetadata({
        langgraph_node: "n",
        langgraph_step: "3",
        langgraph_path: ["__pregel_push", 0, {}],
      }),
    ).toEqual({ node: "n", path: ["__pregel_push", "0"] });
    expect(readLangGraphMetadata({ user_id: "u-1" })).toBeUndefined();
    expect(readLangGraphMetadata(undefined)).toBeUndefined();
  });

  it("tells LangGraph's keys and compiled graphs apart", () => {
    expect(
      ["langgraph_step", "checkpoint_ns", "__pregel_task_id", "thread_id"].map(isLangGraphMetadataKey),
    ).toEqual([true, true, true, false]);
    expect(isLangGraphGraph(["langgraph", "pregel", "CompiledStateGraph"])).toBe(true);
    expect(isLangGraphGraph(["langchain_core", "runnables", "RunnableSequence"])).toBe(false);
  });
});
