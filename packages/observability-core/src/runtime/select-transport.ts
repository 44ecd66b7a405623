import type { HttpTransport } from "./http-transport";
import { platformTransport } from "./platform-transport";

/**
 * The transport of one HTTP client: the user's `fetch` when given, else the platform's own
 * (keep-alive `node:http` in the Node build, where Node's modules exist), else the global `fetch`.
 */
export function selectTransport(customFetch?: typeof globalThis.fetch): HttpTransport {
  if (customFetch !== undefined)
    return { name: "custom-fetch", fetch: customFetch, takesSerializedBody: false };
  return (
    platformTransport() ?? {
      name: "fetch",
      // Looked up per call: a runtime or a test may replace the global after the client exists.
      fetch: (input, init) => globalThis.fetch(input, init),
      takesSerializedBody: false,
    }
  );
}
