import { checkOptions } from "../config/check-options";
import { loadNumber, loadString, loadUrl, readEnv } from "../config/load-setting";
import { ConfigurationError } from "../errors/configuration-error";
import {
  type ExporterHttpOptions,
  type HttpSettings,
  loadHttpSettings,
} from "../observability-handler-options";
import type { OtlpSemanticConventions } from "./map-span-to-otlp";
import type { OtlpAttributeValue } from "./otlp-attributes";

/** Options of `createOtlpExporter` / `exportOtlp`. */
export interface OtlpExporterOptions extends ExporterHttpOptions {
  /**
   * The OTLP/HTTP traces endpoint, path included (e.g. `http://localhost:4318/v1/traces`, or an Arthur
   * engine's `{engineUrl}/api/v1/traces`). `https:` only, except loopback or with `allowInsecure`.
   * Env `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, or `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`.
   * @default "http://localhost:4318/v1/traces"
   */
  url?: string;
  /**
   * Headers of every request (credentials: `Authorization`, `X-API-KEY` …); their values are redacted
   * from every error. Env `OTEL_EXPORTER_OTLP_TRACES_HEADERS` or `OTEL_EXPORTER_OTLP_HEADERS`
   * (`key=value,key2=value2`). @default {}
   */
  headers?: Record<string, string>;
  /**
   * `"protobuf"` (`application/x-protobuf`, what every OTLP receiver takes, and the only encoding
   * Arthur's engine reads) or `"json"` (OTLP/JSON). Env `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` or
   * `OTEL_EXPORTER_OTLP_PROTOCOL` (`http/protobuf` | `http/json`). @default "protobuf"
   */
  encoding?: "protobuf" | "json";
  /**
   * Attribute vocabulary: `"openinference"` (Arthur, Arize Phoenix, Arize), `"gen-ai"` (OpenTelemetry
   * GenAI semantic conventions), or `"both"`. @default "both"
   */
  semanticConventions?: OtlpSemanticConventions;
  /** The resource's `service.name`. Env `OTEL_SERVICE_NAME`. @default "unknown_service" */
  serviceName?: string;
  /**
   * More resource attributes (`deployment.environment.name`, `arthur.task` …), over those of env
   * `OTEL_RESOURCE_ATTRIBUTES` (`key=value,key2=value2`). @default {}
   */
  resourceAttributes?: Record<string, OtlpAttributeValue>;
  /** Exporter name in stats and errors (distinct per handler). @default "otlp" */
  name?: string;
  /** The receiver's name in messages. @default "OTLP" */
  vendor?: string;
  /** Most spans in one request. @default 512 */
  maxBatchSize?: number;
  /** Requests in flight at once. @default 2 */
  concurrency?: number;
  /** Allow plain `http:` to hosts other than loopback (a collector beside the app). @default false */
  allowInsecure?: boolean;
}

/** Every key of `OtlpExporterOptions`, for option checking. */
export const OTLP_EXPORTER_OPTION_KEYS: Readonly<Record<keyof OtlpExporterOptions, true>> = Object.freeze({
  url: true,
  headers: true,
  encoding: true,
  semanticConventions: true,
  serviceName: true,
  resourceAttributes: true,
  name: true,
  vendor: true,
  maxBatchSize: true,
  concurrency: true,
  allowInsecure: true,
  timeoutMs: true,
  maxRetries: true,
  fetch: true,
});

/** Other spellings users reach for, for "did you mean" (they are not accepted). */
const OTLP_OPTION_MISSPELLINGS: Readonly<Record<string, string>> = Object.freeze({
  endpoint: "url",
  baseUrl: "url",
  baseURL: "url",
  tracesEndpoint: "url",
  protocol: "encoding",
  compression: "encoding",
  conventions: "semanticConventions",
  semconv: "semanticConventions",
  resource: "resourceAttributes",
  attributes: "resourceAttributes",
  service: "serviceName",
});

/** Resolved settings of an OTLP exporter. */
export interface OtlpSettings {
  url: string;
  headers: Record<string, string>;
  encoding: "protobuf" | "json";
  semanticConventions: OtlpSemanticConventions;
  serviceName: string;
  resourceAttributes: Record<string, OtlpAttributeValue>;
  name: string;
  vendor: string;
  maxBatchSize: number;
  concurrency: number;
  http: HttpSettings;
}

export const OTLP_DEFAULT_URL = "http://localhost:4318/v1/traces";

/** Option > env var > default for every OTLP exporter setting, each checked. */
export function loadOtlpSettings(options: OtlpExporterOptions, owner = "createOtlpExporter"): OtlpSettings {
  checkOptions(options, { known: OTLP_EXPORTER_OPTION_KEYS, aliases: OTLP_OPTION_MISSPELLINGS, owner });
  const allowInsecure = options.allowInsecure === true;
  const baseEndpoint = readEnv("OTEL_EXPORTER_OTLP_ENDPOINT");
  const url =
    loadUrl({
      option: "url",
      value: options.url,
      envVar: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
      allowInsecure,
    }) ??
    (baseEndpoint
      ? loadUrl({
          option: "url",
          value: `${baseEndpoint.replace(/\/+$/, "")}/v1/traces`,
          envVar: "OTEL_EXPORTER_OTLP_ENDPOINT",
          allowInsecure,
        })
      : undefined) ??
    OTLP_DEFAULT_URL;
  return {
    url,
    headers: loadHeaders(options.headers),
    encoding: loadEncoding(options.encoding),
    semanticConventions: loadConventions(options.semanticConventions),
    serviceName: loadString({
      option: "serviceName",
      value: options.serviceName,
      envVar: "OTEL_SERVICE_NAME",
      default: "unknown_service",
    }),
    resourceAttributes: {
      ...parseKeyValueList(readEnv("OTEL_RESOURCE_ATTRIBUTES")),
      ...loadResourceAttributes(options.resourceAttributes),
    },
    name: loadString({ option: "name", value: options.name, default: "otlp" }),
    vendor: loadString({ option: "vendor", value: options.vendor, default: "OTLP" }),
    maxBatchSize: loadNumber({
      option: "maxBatchSize",
      value: options.maxBatchSize,
      default: 512,
      min: 1,
      integer: true,
    }),
    concurrency: loadNumber({
      option: "concurrency",
      value: options.concurrency,
      default: 2,
      min: 1,
      max: 64,
      integer: true,
    }),
    http: loadHttpSettings(options),
  };
}

function loadHeaders(headers: Record<string, string> | undefined): Record<string, string> {
  if (headers === undefined || headers === null) {
    return parseKeyValueList(
      readEnv("OTEL_EXPORTER_OTLP_TRACES_HEADERS") ?? readEnv("OTEL_EXPORTER_OTLP_HEADERS"),
    );
  }
  if (typeof headers !== "object" || Array.isArray(headers)) {
    throw new ConfigurationError({
      message: "`headers` must be an object of header names to string values.",
      option: "headers",
    });
  }
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== "string") {
      // The value may be a credential: name the header and the type only.
      throw new ConfigurationError({
        message: `\`headers\` values must be strings; \`${name}\` is ${value === null ? "null" : typeof value}.`,
        option: "headers",
      });
    }
  }
  return { ...headers };
}

function loadEncoding(encoding: unknown): "protobuf" | "json" {
  if (encoding !== undefined && encoding !== null) {
    if (encoding === "protobuf" || encoding === "json") return encoding;
    throw new ConfigurationError({
      message: `\`encoding\` must be "protobuf" or "json", got ${JSON.stringify(encoding)}.`,
      option: "encoding",
    });
  }
  const protocol = readEnv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") ?? readEnv("OTEL_EXPORTER_OTLP_PROTOCOL");
  if (protocol === undefined || protocol === "http/protobuf") return "protobuf";
  if (protocol === "http/json") return "json";
  console.warn(
    `[langchain-observability] ignoring OTLP protocol ${JSON.stringify(protocol)} from the environment: only http/protobuf and http/json are sent; using http/protobuf.`,
  );
  return "protobuf";
}

function loadConventions(value: unknown): OtlpSemanticConventions {
  if (value === undefined || value === null) return "both";
  if (value === "openinference" || value === "gen-ai" || value === "both") return value;
  throw new ConfigurationError({
    message: `\`semanticConventions\` must be "openinference", "gen-ai" or "both", got ${JSON.stringify(value)}.`,
    option: "semanticConventions",
  });
}

function loadResourceAttributes(
  attributes: Record<string, OtlpAttributeValue> | undefined,
): Record<string, OtlpAttributeValue> {
  if (attributes === undefined || attributes === null) return {};
  if (typeof attributes !== "object" || Array.isArray(attributes)) {
    throw new ConfigurationError({
      message: "`resourceAttributes` must be an object.",
      option: "resourceAttributes",
    });
  }
  return { ...attributes };
}

/**
 * Parses OpenTelemetry's `key=value,key2=value2` env format (headers, resource attributes), values
 * percent-decoded. A malformed entry is skipped with a warning that names the key, never the value.
 */
export function parseKeyValueList(text: string | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  if (!text) return result;
  for (const entry of text.split(",")) {
    const separator = entry.indexOf("=");
    const key = (separator === -1 ? entry : entry.slice(0, separator)).trim();
    if (separator === -1 || key === "") {
      if (entry.trim() !== "")
        console.warn(
          `[langchain-observability] ignoring a malformed OTLP env entry (no key=value): ${JSON.stringify(key.slice(0, 40))}`,
        );
      continue;
    }
    const raw = entry.slice(separator + 1).trim();
    try {
      result[key] = decodeURIComponent(raw);
    } catch {
      result[key] = raw;
    }
  }
  return result;
}
