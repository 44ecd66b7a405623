import type { HttpTransport } from "./http-transport";

/**
 * The transport for Workers, edge functions and browsers: none of its own, so the runtime's
 * `fetch` is used. The `imports` field of package.json (`#platform-transport`) picks this file
 * instead of `platform-transport.ts` for their bundlers' conditions.
 */
export function platformTransport(): HttpTransport | undefined {
  return undefined;
}
