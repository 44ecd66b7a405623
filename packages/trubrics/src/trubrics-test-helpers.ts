// Helpers shared by this package's tests (not part of the build: no entry imports this file).
import type { EmulatorRequestLog } from "@langchain-observability/core/testing";
import { vi } from "vitest";
import { startTrubricsEmulator, type TrubricsEmulator, type TrubricsEmulatorOptions } from "./testing/index";

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const SECONDS_KEYS = new Set(["latency", "time_to_first_token"]);

/**
 * Copies a payload with its volatile values replaced, for inline snapshots: run ids become
 * `<run-1>`, `<run-2>` … (numbered by first appearance, so equal ids stay equal), timestamps
 * `<time>`, and durations in seconds `<seconds>`. (Core's `normalizeForSnapshot` does the same with
 * other placeholders; this one keeps the snapshots of the first release.)
 */
export function normalizeForSnapshot<T>(value: T): T {
  const ids = new Map<string, string>();
  const visit = (item: unknown, key?: string): unknown => {
    if (typeof item === "string") {
      if (ISO_TIME.test(item)) return "<time>";
      return item.replace(UUID, (id) => {
        if (!ids.has(id)) ids.set(id, `<run-${ids.size + 1}>`);
        return ids.get(id)!;
      });
    }
    if (typeof item === "number" && key && SECONDS_KEYS.has(key)) return "<seconds>";
    if (Array.isArray(item)) return item.map((entry) => visit(entry));
    if (item && typeof item === "object") {
      const copy: Record<string, unknown> = {};
      for (const [entryKey, entry] of Object.entries(item)) copy[entryKey] = visit(entry, entryKey);
      return copy;
    }
    return item;
  };
  return visit(value) as T;
}

export interface TrubricsTestServer {
  emulator: TrubricsEmulator;
  url: string;
  /** Options that point the legacy transport at the emulator. */
  legacy: { email: string; password: string; identityToolkitUrl: string; firestoreUrl: string };
  close(): Promise<void>;
}

export const TEST_API_KEY = "trk_test_SECRET_api_key_0123456789";
export const TEST_EMAIL = "ada@example.com";
export const TEST_PASSWORD = "correct horse SECRET battery";

/** Starts the Trubrics emulator on a loopback port, with one API key and one account. */
export async function startTrubricsServer(
  options: TrubricsEmulatorOptions = {},
): Promise<TrubricsTestServer> {
  const emulator = await startTrubricsEmulator({
    apiKeys: [TEST_API_KEY],
    users: [{ email: TEST_EMAIL, password: TEST_PASSWORD }],
    ...options,
  });
  return {
    emulator,
    url: emulator.url,
    legacy: {
      email: TEST_EMAIL,
      password: TEST_PASSWORD,
      identityToolkitUrl: emulator.url,
      firestoreUrl: emulator.url,
    },
    close: () => emulator.close(),
  };
}

/** The Trubrics endpoint a logged request went to, by the name the services give it. */
export function routeOf(request: Pick<EmulatorRequestLog, "method" | "path">): string {
  const { method, path } = request;
  if (path.endsWith("/publish_llm_events")) return "publish_llm_events";
  if (path.endsWith("/publish_events")) return "publish_events";
  if (path.endsWith("/v1/accounts:signInWithPassword")) return "signInWithPassword";
  if (path.endsWith(":runQuery")) return "runQuery";
  if (method === "GET" && path.endsWith("/projects")) return "listProjects";
  if (method === "POST" && path.endsWith("/prompts")) return "createPrompt";
  return `${method} ${path}`;
}

/** `<route> <status>` of every request the emulator got, in order of arrival. */
export function requestStatuses(emulator: TrubricsEmulator): string[] {
  return emulator.requests.map((request) => `${routeOf(request)} ${request.status}`);
}

/** Every environment variable the package reads: tests decide them, whatever the machine has set. */
export const TRUBRICS_ENV_VARS = [
  "TRUBRICS_API_KEY",
  "TRUBRICS_HOST",
  "TRUBRICS_EMAIL",
  "TRUBRICS_PASSWORD",
  "TRUBRICS_IDENTITY_TOOLKIT_URL",
  "TRUBRICS_FIRESTORE_URL",
] as const;

/** Blanks every Trubrics environment variable for the current test (vitest restores them). */
export function clearTrubricsEnv(): void {
  for (const name of TRUBRICS_ENV_VARS) vi.stubEnv(name, "");
}
