import { nodeTransport } from "../http/node-transport";
import type { HttpTransport } from "./http-transport";

/**
 * The transport where Node's modules exist (what Node, Bun and Deno load): the keep-alive
 * `node:http` one. Built as its own file and imported as `#platform-transport`: the `imports`
 * field of package.json gives bundlers for Workers, edge functions and browsers
 * `platform-transport.web.ts` instead, so that none ever sees `node:http` (see tsup.web.ts).
 */
export function platformTransport(): HttpTransport | undefined {
  const versions = typeof process === "undefined" ? undefined : process.versions;
  if (typeof versions?.node !== "string") return undefined;
  return { name: "node-http", fetch: nodeTransport as typeof globalThis.fetch, takesSerializedBody: true };
}
