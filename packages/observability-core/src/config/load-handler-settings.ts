import type { RecordDefaults } from "../capture/build-record";
import type { LLMRunRecord } from "../capture/llm-run-record";
import type { RunSpanRecord } from "../capture/run-span-record";
import { ConfigurationError } from "../errors/configuration-error";
import type { Exporter } from "../export/exporter";
import {
  COMMON_HANDLER_OPTION_KEYS,
  type CommonHandlerOptions,
  type HttpSettings,
  loadHttpSettings,
} from "../observability-handler-options";
import { checkOptions } from "./check-options";
import { loadNumber, MAX_TIMER_MS } from "./load-setting";

/** Every key the core handler accepts: the common options and `exporters`. */
const HANDLER_OPTION_KEYS: ReadonlySet<string> = new Set([
  ...Object.keys(COMMON_HANDLER_OPTION_KEYS),
  "exporters",
]);

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
    maxQueueBytes: number;
    maxRecordAgeMs: number;
    flushIntervalMs: number;
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
  owner = "ObservabilityCallbackHandler",
): HandlerSettings {
  checkOptions(options, { known: HANDLER_OPTION_KEYS, owner });
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
    max: MAX_TIMER_MS,
  });
  const maxQueueSize = loadNumber({
    option: "maxQueueSize",
    value: options.maxQueueSize,
    default: 10_000,
    min: 1,
    integer: true,
  });
  const maxQueueBytes = loadNumber({
    option: "maxQueueBytes",
    value: options.maxQueueBytes,
    default: 32 * 1024 * 1024,
    min: 1024,
  });
  const maxRecordAgeMs = loadNumber({
    option: "maxRecordAgeMs",
    value: options.maxRecordAgeMs,
    default: 600_000,
    min: 1,
    max: MAX_TIMER_MS,
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
    max: MAX_TIMER_MS,
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
  const userId = loadAliasedString(options, "userId", "user_id");
  const sessionId = loadAliasedString(options, "sessionId", "session_id");
  if (options.captureContent !== undefined && typeof options.captureContent !== "boolean") {
    throw new ConfigurationError({
      message: "`captureContent` must be a boolean.",
      option: "captureContent",
    });
  }
  return {
    exporters: [...options.exporters],
    recordDefaults: {
      userId,
      sessionId,
      tags: options.tags ? [...options.tags] : [],
      metadata: options.metadata ? { ...options.metadata } : {},
      captureContent: options.captureContent ?? true,
      maxFieldChars,
    },
    mask: options.mask ?? undefined,
    onError: options.onError ?? undefined,
    sampleRate,
    queue: { maxBatchSize, maxBatchBytes, maxQueueSize, maxQueueBytes, maxRecordAgeMs, flushIntervalMs },
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

/** A string option that also has a documented alias: either may be given, or both with one value. */
function loadAliasedString(
  options: CommonHandlerOptions,
  option: "userId" | "sessionId",
  alias: "user_id" | "session_id",
): string | undefined {
  for (const key of [option, alias]) {
    const value = options[key];
    if (value !== undefined && value !== null && typeof value !== "string") {
      throw new ConfigurationError({ message: `\`${key}\` must be a string.`, option: key });
    }
  }
  const value = options[option] ?? undefined;
  const aliasValue = options[alias] ?? undefined;
  if (value !== undefined && aliasValue !== undefined && value !== aliasValue) {
    throw new ConfigurationError({
      message: `\`${option}\` and its alias \`${alias}\` have different values; pass one of them.`,
      option,
    });
  }
  return value ?? aliasValue;
}

/**
 * The deadline of one `flush()` / `shutdown()` call. `flush` never throws nor rejects, so a wrong
 * value is reported (as a `ConfigurationError`) and replaced: a negative, NaN or non-number value by
 * the handler's `flushTimeoutMs`, a finite value beyond the longest timer by that longest timer.
 * `Infinity` means "as long as it takes" and becomes the longest timer without a report.
 */
export function loadFlushTimeout(
  value: unknown,
  fallback: number,
): { timeoutMs: number; error?: ConfigurationError } {
  if (value === undefined) return { timeoutMs: fallback };
  if (value === Number.POSITIVE_INFINITY) return { timeoutMs: MAX_TIMER_MS };
  if (typeof value !== "number" || Number.isNaN(value) || value < 0) {
    return {
      timeoutMs: fallback,
      error: new ConfigurationError({
        message: `\`timeoutMs\` of flush() must be a number from 0 to ${MAX_TIMER_MS}, got ${typeof value === "number" ? String(value) : typeof value}; using flushTimeoutMs (${fallback}).`,
        option: "timeoutMs",
      }),
    };
  }
  if (value > MAX_TIMER_MS) {
    return {
      timeoutMs: MAX_TIMER_MS,
      error: new ConfigurationError({
        message: `\`timeoutMs\` of flush() must be at most ${MAX_TIMER_MS} (the longest timer), got ${value}; using ${MAX_TIMER_MS}.`,
        option: "timeoutMs",
      }),
    };
  }
  return { timeoutMs: value };
}
