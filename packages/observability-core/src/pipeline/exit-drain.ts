/**
 * Drains live handlers once when the process is about to exit because its event loop emptied
 * (`beforeExit`): a script that creates a handler inline and never calls `flush()` still delivers.
 *
 * - `process` is read through `globalThis`, never imported, so bundles for runtimes without it
 *   (edge, workers, browsers) still load; there the drain simply never happens (call `flush()`).
 * - One `beforeExit` listener for all handlers, installed with `once`: it never keeps the process
 *   alive by itself. The drain's own deadline is each handler's `flushTimeoutMs`.
 * - A handler is held weakly: one that is unreachable and has nothing pending is forgotten, so a
 *   server creating a handler per request does not grow this registry. Its drain target (the
 *   pipeline, not the handler) is held strongly only while the handler lives or records are pending.
 * - The listener is installed when records are queued, and again after a drain only when records
 *   were queued since: a vendor that stays down cannot keep a process from exiting.
 */

/** What the registry needs of a handler's pipeline. */
export interface ExitDrainTarget {
  /** Records queued since the handler was created (any kind): says whether a drain is due. */
  queuedCount(): number;
  /** Records queued or in flight now. */
  pendingCount(): number;
  /** Sends everything by the handler's own deadline; never rejects. */
  drain(): Promise<unknown>;
}

interface Registration {
  owner: WeakRef<object>;
  target: ExitDrainTarget;
  /** `queuedCount()` when this target was last drained. */
  drainedAt: number;
}

interface ProcessLike {
  once(event: "beforeExit", listener: () => void): unknown;
  removeListener(event: "beforeExit", listener: () => void): unknown;
}

const registrations = new Set<Registration>();
let listening = false;
let draining = false;

function currentProcess(): ProcessLike | undefined {
  const candidate = (globalThis as { process?: Partial<ProcessLike> }).process;
  return candidate && typeof candidate.once === "function" && typeof candidate.removeListener === "function"
    ? (candidate as ProcessLike)
    : undefined;
}

/**
 * Registers a handler (held weakly) and its drain target for the exit drain. Returns the function
 * that deregisters it (`shutdown()` calls it).
 */
export function registerExitDrain(owner: object, target: ExitDrainTarget): () => void {
  if (!currentProcess() || typeof WeakRef !== "function") return () => {};
  prune();
  const registration: Registration = { owner: new WeakRef(owner), target, drainedAt: target.queuedCount() };
  registrations.add(registration);
  if (target.queuedCount() > 0) listen();
  return () => {
    registrations.delete(registration);
    if (registrations.size === 0) stopListening();
  };
}

/**
 * Called when records are queued: makes sure the exit drain listens. Cheap (two flags) because it
 * runs per record; the listener is only installed while some handler is registered.
 */
export function armExitDrain(): void {
  if (!listening && !draining && registrations.size > 0) listen();
}

function listen(): void {
  if (listening || draining) return;
  const process = currentProcess();
  if (!process) return;
  listening = true;
  process.once("beforeExit", onBeforeExit);
}

function stopListening(): void {
  if (!listening) return;
  listening = false;
  currentProcess()?.removeListener("beforeExit", onBeforeExit);
}

function onBeforeExit(): void {
  listening = false;
  const due = [...registrations].filter(({ target, drainedAt }) => target.queuedCount() > drainedAt);
  if (due.length === 0) return;
  draining = true;
  const drains = due.map((registration) => {
    registration.drainedAt = registration.target.queuedCount();
    return registration.target.drain().catch(() => {});
  });
  void Promise.all(drains).then(() => {
    draining = false;
    prune();
    // Records queued during the drain (another beforeExit listener ran more calls): one more round.
    if ([...registrations].some(({ target, drainedAt }) => target.queuedCount() > drainedAt)) listen();
  });
}

/** Forgets handlers that are gone and have nothing left to send. */
function prune(): void {
  for (const registration of registrations) {
    if (registration.owner.deref() === undefined && registration.target.pendingCount() === 0) {
      registrations.delete(registration);
    }
  }
  if (registrations.size === 0) stopListening();
}
