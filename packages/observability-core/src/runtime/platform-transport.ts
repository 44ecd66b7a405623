import { nodeTransport } from "../http/node-transport";
import type { HttpTransport } from "./http-transport";

/**
 * The transport of the Node build (`dist/index.js`, what Node, Bun and Deno load): the keep-alive
 * `node:http` one wherever Node's modules exist. Workers, edge functions and browsers load the web
 * build instead, where `platform-transport.web.ts` replaces this file so that no bundler ever sees
 * `node:http` (see the `exports` conditions in package.json).
 */
export function platformTransport(): HttpTransport | undefined {
  const versions = typeof process === "undefined" ? undefined : process.versions;
  if (typeof versions?.node !== "string") return undefined;
  return { name: "node-http", fetch: nodeTransport as typeof globalThis.fetch, takesSerializedBody: true };
}
