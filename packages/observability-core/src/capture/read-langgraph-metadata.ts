import type { RunSpanGraphPosition } from "./run-span-record";

/**
 * LangGraph's position of a run (`langgraph_node`, `langgraph_step`, `langgraph_triggers`,
 * `langgraph_path`, `langgraph_checkpoint_ns`), or `undefined` when the run is not part of a graph.
 * Reads only well-typed values, so odd metadata never throws or leaks into the record.
 */
export function readLangGraphMetadata(
  metadata: Record<string, unknown> | undefined,
): RunSpanGraphPosition | undefined {
  if (!metadata || typeof metadata.langgraph_node !== "string") return undefined;
  const position: RunSpanGraphPosition = { node: metadata.langgraph_node };
  const step = metadata.langgraph_step;
  if (typeof step === "number" && Number.isFinite(step)) position.step = step;
  const triggers = stringList(metadata.langgraph_triggers);
  if (triggers) position.triggers = triggers;
  const path = stringList(metadata.langgraph_path);
  if (path) position.path = path;
  const namespace = metadata.langgraph_checkpoint_ns ?? metadata.checkpoint_ns;
  if (typeof namespace === "string") position.checkpointNamespace = namespace;
  return position;
}

/**
 * Metadata keys LangGraph adds to every run inside a graph: read into `graph`, so they are left out
 * of a span's `metadata`.
 */
export function isLangGraphMetadataKey(key: string): boolean {
  return key.startsWith("langgraph_") || key === "checkpoint_ns" || key.startsWith("__pregel");
}

/** A compiled LangGraph graph reports itself as `["langgraph", "pregel", …]` (`CompiledStateGraph`, `Pregel` …). */
export function isLangGraphGraph(serializedId: readonly string[]): boolean {
  return serializedId[0] === "langgraph" && serializedId.includes("pregel");
}

/** A string array, or `undefined`; the path may hold non-strings (task ids as numbers): those are stringified. */
function stringList(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const list: string[] = [];
  for (const item of value.slice(0, 64)) {
    if (typeof item === "string") list.push(item);
    else if (typeof item === "number" && Number.isFinite(item)) list.push(String(item));
  }
  return list;
}
