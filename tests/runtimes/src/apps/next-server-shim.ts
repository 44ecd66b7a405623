/**
 * Stands in for `next/server` when the README's Next.js route handler is bundled for the matrix:
 * `after(task)` as Next.js runs it on the edge — once the response is sent, inside the platform's
 * `waitUntil`. The route handler itself is the README's code, unchanged.
 */
type AfterTask = (() => unknown) | Promise<unknown>;

const tasks: AfterTask[] = [];

export function after(task: AfterTask): void {
  tasks.push(task);
}

/** Runs what `after` collected during the request (called by the test's entry, after the response). */
export function runAfterTasks(): Promise<unknown> {
  return Promise.all(tasks.splice(0).map((task) => (typeof task === "function" ? task() : task)));
}
