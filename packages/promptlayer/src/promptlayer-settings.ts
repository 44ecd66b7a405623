import { loadUrl, requireString } from "@langchain-observability/core";

/** The PromptLayer API base URL used when neither `baseUrl` nor `PROMPTLAYER_BASE_URL` is set. */
export const PROMPTLAYER_DEFAULT_BASE_URL = "https://api.promptlayer.com";

/** Vendor name used in errors and in the user agent. */
export const PROMPTLAYER_VENDOR = "PromptLayer";

/** Credentials and address shared by the exporter and the client. */
export interface PromptLayerConnectionOptions {
  /** PromptLayer API key. @default env PROMPTLAYER_API_KEY */
  apiKey?: string;
  /** PromptLayer API base URL (https, or http to loopback only). @default env PROMPTLAYER_BASE_URL, else "https://api.promptlayer.com" */
  baseUrl?: string;
}

export interface PromptLayerSettings {
  apiKey: string;
  baseUrl: string;
}

/** Explicit option > env var > default; a missing key is a `ConfigurationError` naming `apiKey` and its env var. */
export function loadPromptLayerSettings(options: PromptLayerConnectionOptions): PromptLayerSettings {
  const apiKey = requireString({
    option: "apiKey",
    value: options.apiKey,
    envVar: "PROMPTLAYER_API_KEY",
    description: "PromptLayer API key",
  });
  const baseUrl = loadUrl({
    option: "baseUrl",
    value: options.baseUrl,
    envVar: "PROMPTLAYER_BASE_URL",
    default: PROMPTLAYER_DEFAULT_BASE_URL,
  });
  return { apiKey, baseUrl };
}
