import type { RunSpanRecord } from "../capture/run-span-record";

/** One span with its children (in start order). */
export interface SpanTreeNode {
  span: RunSpanRecord;
  children: SpanTreeNode[];
}

export interface FormatSpanTreeOptions {
  /**
   * The text of one line. @default `kind name`, then ` [status]` when the run did not succeed, and
   * ` tool=…` / ` step=…` for tools and LangGraph nodes.
   */
  describe?: (span: RunSpanRecord) => string;
  /** Indentation of one level. @default "  " */
  indent?: string;
}

/**
 * Rebuilds trees from spans in any order: each root (a span whose parent is not among them) with its
 * descendants; roots and siblings sorted by start time, then by the order received. Iterative, so a
 * tree of any depth is fine.
 */
export function buildSpanTrees(spans: readonly RunSpanRecord[]): SpanTreeNode[] {
  const nodes = new Map<string, SpanTreeNode>();
  const order = new Map<SpanTreeNode, number>();
  spans.forEach((span, index) => {
    const node: SpanTreeNode = { span, children: [] };
    nodes.set(span.runId, node);
    order.set(node, index);
  });
  const roots: SpanTreeNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.span.parentRunId ? nodes.get(node.span.parentRunId) : undefined;
    if (parent && parent !== node) parent.children.push(node);
    else roots.push(node);
  }
  const byStart = (left: SpanTreeNode, right: SpanTreeNode) =>
    left.span.timing.startTime - right.span.timing.startTime || order.get(left)! - order.get(right)!;
  roots.sort(byStart);
  for (const node of nodes.values()) node.children.sort(byStart);
  return roots;
}

/** Spans (in any order) as an indented outline, one line per span, trees one after another. */
export function formatSpanTrees(
  spans: readonly RunSpanRecord[],
  options: FormatSpanTreeOptions = {},
): string {
  const describe = options.describe ?? describeSpan;
  const indent = options.indent ?? "  ";
  const lines: string[] = [];
  const stack: Array<{ node: SpanTreeNode; depth: number }> = buildSpanTrees(spans)
    .reverse()
    .map((node) => ({ node, depth: 0 }));
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    lines.push(`${indent.repeat(depth)}${describe(node.span)}`);
    for (let index = node.children.length - 1; index >= 0; index--) {
      stack.push({ node: node.children[index]!, depth: depth + 1 });
    }
  }
  return lines.join("\n");
}

function describeSpan(span: RunSpanRecord): string {
  let line = `${span.kind} ${span.name}`;
  if (span.kind === "tool" && span.toolName !== undefined && span.toolName !== span.name) {
    line += ` tool=${span.toolName}`;
  }
  if (span.kind === "node" && span.graph?.step !== undefined) line += ` step=${span.graph.step}`;
  if (span.status !== "success") line += ` [${span.status}]`;
  return line;
}
