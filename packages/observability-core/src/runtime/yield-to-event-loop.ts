/**
 * Resolves on a later turn of the event loop: `setImmediate` where the runtime has it (Node, Bun,
 * Deno: after pending I/O and without the 4 ms clamp of nested timers), else `setTimeout(0)`
 * (Workers, edge functions, browsers). Export work yields with it so that it never holds the
 * callers' timers and I/O for long. It does not keep a process alive beyond that one turn.
 */
export function yieldToEventLoop(): Promise<void> {
  const setImmediateFunction = (globalThis as { setImmediate?: (callback: () => void) => unknown })
    .setImmediate;
  return new Promise<void>((resolve) => {
    if (typeof setImmediateFunction === "function") setImmediateFunction(resolve);
    else setTimeout(resolve, 0);
  });
}
