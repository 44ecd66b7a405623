import { describe, expect, it } from "vitest";
import { detectRuntime } from "./detect-runtime";
import { platformTransport as webPlatformTransport } from "./platform-transport.web";
import { selectTransport } from "./select-transport";

describe("selectTransport", () => {
  it("uses the keep-alive node:http transport in Node (the Node build)", () => {
    const transport = selectTransport();
    expect(transport.name).toBe("node-http");
    expect(transport.takesSerializedBody).toBe(true);
  });

  it("uses the user's fetch when one is given, whatever the runtime", () => {
    const customFetch: typeof globalThis.fetch = async () => new Response("{}");
    expect(selectTransport(customFetch)).toEqual({
      name: "custom-fetch",
      fetch: customFetch,
      takesSerializedBody: false,
    });
  });

  it("has no platform transport in the web build, so the runtime's fetch is used", () => {
    expect(webPlatformTransport()).toBeUndefined();
  });
});

describe("detectRuntime", () => {
  it("names each runtime from the globals it defines", () => {
    const nodeProcess = { versions: { node: "20.0.0" } };
    expect(detectRuntime({ process: nodeProcess })).toBe("node");
    expect(detectRuntime({ Bun: {}, process: nodeProcess })).toBe("bun");
    expect(detectRuntime({ Deno: { version: { deno: "2.0.0" } }, process: nodeProcess })).toBe("deno");
    expect(detectRuntime({ navigator: { userAgent: "Cloudflare-Workers" }, process: nodeProcess })).toBe(
      "workerd",
    );
    expect(detectRuntime({ EdgeRuntime: "edge-runtime" })).toBe("edge-light");
    expect(detectRuntime({ document: {}, navigator: { userAgent: "Mozilla/5.0" } })).toBe("browser");
    expect(detectRuntime({})).toBe("unknown");
  });

  it("says node for this test process", () => {
    expect(detectRuntime()).toBe("node");
  });
});
