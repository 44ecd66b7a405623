import { afterEach, describe, expect, it, vi } from "vitest";
import { ConfigurationError } from "../errors/configuration-error";
import { loadOtlpSettings, parseKeyValueList } from "./otlp-settings";

function configurationError(run: () => unknown): ConfigurationError {
  try {
    run();
  } catch (error) {
    if (ConfigurationError.isInstance(error)) return error;
    throw error;
  }
  throw new Error("expected a ConfigurationError");
}

describe("loadOtlpSettings", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("defaults to a local collector, protobuf, both vocabularies, 512 spans per request", () => {
    const settings = loadOtlpSettings({});
    expect({ ...settings, http: undefined }).toEqual({
      url: "http://localhost:4318/v1/traces",
      headers: {},
      encoding: "protobuf",
      semanticConventions: "both",
      serviceName: "unknown_service",
      resourceAttributes: {},
      name: "otlp",
      vendor: "OTLP",
      maxBatchSize: 512,
      concurrency: 2,
      http: undefined,
    });
  });

  it("reads the standard OTEL_* variables, and options win over them", () => {
    vi.stubEnv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318/");
    vi.stubEnv("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%20abc,x-tenant=acme");
    vi.stubEnv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json");
    vi.stubEnv("OTEL_SERVICE_NAME", "checkout");
    vi.stubEnv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=prod,team=travel");
    const fromEnv = loadOtlpSettings({});
    expect(fromEnv.url).toBe("http://127.0.0.1:4318/v1/traces");
    expect(fromEnv.headers).toEqual({ authorization: "Bearer abc", "x-tenant": "acme" });
    expect(fromEnv.encoding).toBe("json");
    expect(fromEnv.serviceName).toBe("checkout");
    expect(fromEnv.resourceAttributes).toEqual({ "deployment.environment.name": "prod", team: "travel" });

    vi.stubEnv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:9999/traces");
    expect(loadOtlpSettings({}).url).toBe("http://127.0.0.1:9999/traces");
    const explicit = loadOtlpSettings({
      url: "https://collector.example/v1/traces",
      headers: { "x-key": "k" },
      encoding: "protobuf",
      serviceName: "api",
      resourceAttributes: { team: "search" },
    });
    expect(explicit.url).toBe("https://collector.example/v1/traces");
    expect(explicit.headers).toEqual({ "x-key": "k" });
    expect(explicit.encoding).toBe("protobuf");
    expect(explicit.serviceName).toBe("api");
    expect(explicit.resourceAttributes).toEqual({ "deployment.environment.name": "prod", team: "search" });
  });

  it("refuses plain http to a remote host unless allowInsecure says so", () => {
    const error = configurationError(() =>
      loadOtlpSettings({ url: "http://collector.internal:4318/v1/traces" }),
    );
    expect(error.option).toBe("url");
    expect(error.message).toMatch(/must use https/);
    expect(
      loadOtlpSettings({ url: "http://collector.internal:4318/v1/traces", allowInsecure: true }).url,
    ).toBe("http://collector.internal:4318/v1/traces");
  });

  it("names the option of every invalid value, never a header's value", () => {
    expect(configurationError(() => loadOtlpSettings({ encoding: "grpc" as "json" })).message).toBe(
      '`encoding` must be "protobuf" or "json", got "grpc".',
    );
    expect(
      configurationError(() => loadOtlpSettings({ semanticConventions: "openllmetry" as "both" })).option,
    ).toBe("semanticConventions");
    expect(configurationError(() => loadOtlpSettings({ maxBatchSize: 0 })).option).toBe("maxBatchSize");
    const headerError = configurationError(() =>
      loadOtlpSettings({ headers: { authorization: 12345678 as unknown as string } }),
    );
    expect(headerError.message).toBe("`headers` values must be strings; `authorization` is number.");
    expect(headerError.message).not.toContain("12345678");
  });

  it("ignores an OTLP protocol it cannot send, with a warning", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    vi.stubEnv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc");
    expect(loadOtlpSettings({}).encoding).toBe("protobuf");
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('ignoring OTLP protocol "grpc"'));
  });
});

describe("parseKeyValueList", () => {
  it("parses OpenTelemetry's key=value lists, percent-decoded, skipping malformed entries", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    expect(parseKeyValueList(" a = 1 ,b=x%3Dy, broken ,c=%E0%A4%A")).toEqual({
      a: "1",
      b: "x=y",
      c: "%E0%A4%A",
    });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(parseKeyValueList(undefined)).toEqual({});
  });
});

describe("option checking", () => {
  it("rejects an unknown option, suggesting the one meant", () => {
    expect(
      configurationError(() => loadOtlpSettings({ endpoint: "http://127.0.0.1:4318" } as never)).message,
    ).toBe("Unknown option `endpoint` of createOtlpExporter; did you mean `url`?");
    expect(configurationError(() => loadOtlpSettings({ Headers: {} } as never)).message).toBe(
      "Unknown option `Headers` of createOtlpExporter; did you mean `headers`?",
    );
    expect(configurationError(() => loadOtlpSettings({ protocol: "http/json" } as never)).option).toBe(
      "protocol",
    );
    expect(configurationError(() => loadOtlpSettings({ flavour: 1 } as never)).message).toMatch(
      /^Unknown option `flavour` of createOtlpExporter\. Known options: url, headers, /,
    );
  });
});
