import type { RecordDefaults } from "../capture/build-record";
import type { LLMRunRecord } from "../capture/llm-run-record";
import type { RunSpanRecord } from "../capture/run-span-record";
import { ConfigurationError } from "../errors/configuration-error";
import type { Exporter } from "../export/exporter";
import {
  type CommonHandlerOptions,
  type HttpSettings,
  loadHttpSettings,
} from "../observability-handler-options";
import { loadNumber } from "./load-setting";

/** An exporter of either kind: model-call records (`LLMRunRecord`) or spans (`RunSpanRecord`). */
export type HandlerExporter = Exporter<LLMRunRecord> | Exporter<RunSpanRecord>;

/** The handler's options, validated and with their defaults: what the handler's parts are built from. */
export interface HandlerSettings {
  exporters: HandlerExporter[];
  /** What the record builder needs (default user, session, tags, metadata, content and field limits). */
  recordDefaults: RecordDefaults;
  mask: CommonHandlerOptions["mask"];
  onError: CommonHandlerOptions["onError"];
  sampleRate: number;
  /** The queue settings each exporter's queue is built with. */
  queue: {
    maxBatchSize: number;
    maxBatchBytes: number;
    maxQueueSize: number;
    flushIntervalMs: number;
    maxRetries: number;
  };
  http: HttpSettings;
  runStore: { maxInFlightRuns: number; runTtlMs: number };
  flushTimeoutMs: number;
}

/**
 * Validates the core handler's options and applies their defaults. Throws a `ConfigurationError`
 * naming the option at the first wrong one: a programmer mistake fails at construction.
 */
export function loadHandlerSettings(
  options: (CommonHandlerOptions & { exporters: HandlerExporter[] }) | undefined,
): HandlerSettings {
  if (!options || !Array.isArray(options.exporters) || options.exporters.length === 0) {
    throw new ConfigurationError({
      message: "`exporters` must be a non-empty array of exporters.",
      option: "exporters",
    });
  }
  const names = new Set<string>();
  for (const exporter of options.exporters) {
    if (!exporter || typeof exporter.export !== "function" || typeof exporter.name !== "string") {
      throw new ConfigurationError({
        message: "Every entry of `exporters` must have a `name` and an `export(records, signal)` method.",
        option: "exporters",
      });
    }
    if (names.has(exporter.name)) {
      throw new ConfigurationError({
        message: `Two exporters are named "${exporter.name}"; give each a distinct name.`,
        option: "exporters",
      });
    }
    names.add(exporter.name);
  }
  validateFunction(options.mask, "mask");
  validateFunction(options.onError, "onError");
  const sampleRate = loadNumber({
    option: "sampleRate",
    value: options.sampleRate,
    default: 1,
    min: 0,
    max: 1,
  });
  const maxBatchSize = loadNumber({
    option: "maxBatchSize",
    value: options.maxBatchSize,
    default: 100,
    min: 1,
    integer: true,
  });
  const maxBatchBytes = loadNumber({
    option: "maxBatchBytes",
    value: options.maxBatchBytes,
    default: 5_000_000,
    min: 1024,
  });
  const flushIntervalMs = loadNumber({
    option: "flushIntervalMs",
    value: options.flushIntervalMs,
    default: 1000,
    min: 1,
  });
  const maxQueueSize = loadNumber({
    option: "maxQueueSize",
    value: options.maxQueueSize,
    default: 10_000,
    min: 1,
    integer: true,
  });
  const http = loadHttpSettings(options);
  const maxInFlightRuns = loadNumber({
    option: "maxInFlightRuns",
    value: options.maxInFlightRuns,
    default: 10_000,
    min: 1,
    integer: true,
  });
  const runTtlMs = loadNumber({ option: "runTtlMs", value: options.runTtlMs, default: 600_000, min: 1 });
  const flushTimeoutMs = loadNumber({
    option: "flushTimeoutMs",
    value: options.flushTimeoutMs,
    default: 10_000,
    min: 0,
  });
  const maxFieldChars = loadNumber({
    option: "maxFieldChars",
    value: options.maxFieldChars,
    default: 100_000,
    min: 64,
    integer: true,
  });
  if (
    options.tags !== undefined &&
    (!Array.isArray(options.tags) || options.tags.some((tag) => typeof tag !== "string"))
  ) {
    throw new ConfigurationError({ message: "`tags` must be an array of strings.", option: "tags" });
  }
  if (
    options.metadata !== undefined &&
    (options.metadata === null || typeof options.metadata !== "object" || Array.isArray(options.metadata))
  ) {
    throw new ConfigurationError({ message: "`metadata` must be an object.", option: "metadata" });
  }
  for (const key of ["userId", "sessionId"] as const) {
    const value = options[key];
    if (value !== undefined && value !== null && typeof value !== "string") {
      throw new ConfigurationError({ message: `\`${key}\` must be a string.`, option: key });
    }
  }
  if (options.captureContent !== undefined && typeof options.captureContent !== "boolean") {
    throw new ConfigurationError({
      message: "`captureContent` must be a boolean.",
      option: "captureContent",
    });
  }
  return {
    exporters: [...options.exporters],
    recordDefaults: {
      userId: options.userId ?? undefined,
      sessionId: options.sessionId ?? undefined,
      tags: options.tags ? [...options.tags] : [],
      metadata: options.metadata ? { ...options.metadata } : {},
      captureContent: options.captureContent ?? true,
      maxFieldChars,
    },
    mask: options.mask ?? undefined,
    onError: options.onError ?? undefined,
    sampleRate,
    queue: { maxBatchSize, maxBatchBytes, maxQueueSize, flushIntervalMs, maxRetries: http.maxRetries },
    http,
    runStore: { maxInFlightRuns, runTtlMs },
    flushTimeoutMs,
  };
}

function validateFunction(value: unknown, option: string): void {
  if (value !== undefined && value !== null && typeof value !== "function") {
    throw new ConfigurationError({ message: `\`${option}\` must be a function.`, option });
  }
}
