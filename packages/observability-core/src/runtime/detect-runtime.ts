/** The JavaScript runtimes this project is tested in (`unknown` for any other). */
export type RuntimeName = "node" | "bun" | "deno" | "workerd" | "edge-light" | "browser" | "unknown";

interface RuntimeGlobals {
  Bun?: unknown;
  Deno?: { version?: { deno?: string } };
  EdgeRuntime?: unknown;
  navigator?: { userAgent?: string };
  process?: { versions?: { node?: string } };
  document?: unknown;
}

/**
 * Which runtime this code runs in, from the globals each one defines. Checked in this order
 * because Bun, Deno and Workers with `nodejs_compat` also define `process.versions.node`.
 */
export function detectRuntime(globals: RuntimeGlobals = globalThis as RuntimeGlobals): RuntimeName {
  if (globals.Bun !== undefined) return "bun";
  if (typeof globals.Deno?.version?.deno === "string") return "deno";
  if (globals.navigator?.userAgent === "Cloudflare-Workers") return "workerd";
  if (typeof globals.EdgeRuntime === "string") return "edge-light";
  if (typeof globals.process?.versions?.node === "string") return "node";
  if (globals.document !== undefined) return "browser";
  return "unknown";
}
