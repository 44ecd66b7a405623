/** How the HTTP client sends a request: which `fetch` ky gets, and what that fetch expects. */
export interface HttpTransport {
  /**
   * `node-http`: keep-alive `node:http`/`node:https` (Node, Bun, Deno); `fetch`: the runtime's own
   * `fetch` (Workers, edge functions, browsers); `custom-fetch`: the `fetch` option.
   * Sent in the user agent, so a vendor (or a test) sees which one ran.
   */
  name: "node-http" | "fetch" | "custom-fetch";
  fetch: typeof globalThis.fetch;
  /** The body travels already serialized in `init.observabilityBody` instead of ky's `json`. */
  takesSerializedBody: boolean;
}
