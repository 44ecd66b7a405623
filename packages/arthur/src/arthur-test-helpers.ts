import { vi } from "vitest";
import { type ArthurEmulator, type ArthurEmulatorOptions, startArthurEmulator } from "./testing/index";

/** Credentials the default emulator accepts (test values, never real ones). */
export const API_KEY = "arthur-test-api-key";
export const LOGIN = "arthur-user";
export const PASSWORD = "arthur-password";

const ARTHUR_ENV = [
  "ARTHUR_API_KEY",
  "ARTHUR_LOGIN",
  "ARTHUR_PASSWORD",
  "ARTHUR_ENDPOINT_URL",
  "ARTHUR_ORGANIZATION_ID",
  "ARTHUR_ENGINE_URL",
  "ARTHUR_TASK_ID",
  "ARTHUR_PLATFORM_URL",
  "ARTHUR_PLATFORM_TOKEN",
] as const;

/** Blanks every Arthur env var, so the developer's own environment cannot leak into a test. */
export function clearArthurEnv(): void {
  for (const name of ARTHUR_ENV) vi.stubEnv(name, "");
}

export interface ArthurTestServer {
  emulator: ArthurEmulator;
  server: { close(): Promise<void> };
  url: string;
}

/** Serves a fresh emulator on loopback. */
export async function startArthur(options: ArthurEmulatorOptions = {}): Promise<ArthurTestServer> {
  const emulator = await startArthurEmulator(options);
  return { emulator, server: { close: () => emulator.close() }, url: emulator.url };
}

/**
 * Replaces what changes from run to run: UUIDs (numbered in order of appearance, so equal ids stay
 * equal), ISO timestamps, durations and loopback ports.
 */
export function normalize<T>(value: T): unknown {
  const ids = new Map<string, string>();
  const walk = (item: unknown, key?: string): unknown => {
    if (typeof item === "string") {
      if (/^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:?\d{2})$/.test(item)) return "<timestamp>";
      return item
        .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, (id) => {
          if (!ids.has(id)) ids.set(id, `<id-${ids.size + 1}>`);
          return ids.get(id)!;
        })
        .replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:<port>");
    }
    if (typeof item === "number" && key === "duration") return "<seconds>";
    if (Array.isArray(item)) return item.map((entry) => walk(entry));
    if (item !== null && typeof item === "object") {
      const result: Record<string, unknown> = {};
      for (const [entryKey, entry] of Object.entries(item)) result[entryKey] = walk(entry, entryKey);
      return result;
    }
    return item;
  };
  return walk(value);
}

/** The requests the emulator received, one line each: `METHOD path auth [org]`. */
export function requestLines(emulator: ArthurEmulator): string[] {
  return emulator.calls.map(
    (request) =>
      `${request.method} ${request.path} → ${request.status} (auth: ${request.auth}${request.organizationId ? `, org: ${request.organizationId}` : ""})`,
  );
}
