import { type ChildProcess, fork } from "node:child_process";
import { join } from "node:path";

export interface SinkStats {
  requests: number;
  bytes: number;
  records: number;
  duplicates: number;
  unique: number;
}

/** Controls the sink process (see sink-process.ts). */
export interface Sink {
  url: string;
  setMode(mode: "ok" | "refuse" | "hang"): Promise<void>;
  stats(): Promise<SinkStats>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

export async function startSinkProcess(): Promise<Sink> {
  const child: ChildProcess = fork(join(import.meta.dirname, "sink-process.ts"), [], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let next = 0;
  const waiting = new Map<number, (value: unknown) => void>();
  const url = await new Promise<string>((resolve, reject) => {
    child.once("error", reject);
    child.on("message", (message: { type?: string; url?: string; id?: number }) => {
      if (message.type === "ready" && message.url) resolve(message.url);
      else if (message.id !== undefined) {
        waiting.get(message.id)?.(message);
        waiting.delete(message.id);
      }
    });
  });
  const call = <T>(message: Record<string, unknown>) =>
    new Promise<T>((resolve) => {
      const id = next++;
      waiting.set(id, resolve as (value: unknown) => void);
      child.send({ ...message, id });
    });
  return {
    url,
    async setMode(mode) {
      await call({ type: "mode", mode });
    },
    async stats() {
      return (await call<{ stats: SinkStats }>({ type: "stats" })).stats;
    },
    async reset() {
      await call({ type: "reset" });
    },
    async close() {
      child.kill();
    },
  };
}
