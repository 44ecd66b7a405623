import type { HttpTransport } from "./http-transport";

/**
 * The transport of the web build (`dist/web/`: Workers, edge functions, browsers): none of
 * its own, so the runtime's `fetch` is used. This file replaces `platform-transport.ts` there.
 */
export function platformTransport(): HttpTransport | undefined {
  return undefined;
}
