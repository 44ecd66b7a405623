import type { BuiltRecord } from "../capture/build-record";
import type { BuiltSpan } from "../capture/build-span";
import type { LLMRunRecord } from "../capture/llm-run-record";
import { isRunSpanRecord, type RunSpanRecord } from "../capture/run-span-record";
import { isSampled } from "../capture/sample-by-trace";
import { type SizeCounter, toJsonSafeRecord } from "../capture/to-json-safe";
import type { HandlerExporter, HandlerSettings } from "../config/load-handler-settings";
import { MAX_TIMER_MS } from "../config/load-setting";
import { ObservabilityError } from "../errors/observability-error";
import { ExportQueue } from "../export/export-queue";
import type { Exporter } from "../export/exporter";
import { describeError, type ErrorReporter, isThenable } from "./error-reporter";
import { armExitDrain, type ExitDrainTarget } from "./exit-drain";

/** Returned when no exporter consumes spans (frozen: never filled). */
const NO_RECORDS = Object.freeze([]) as unknown as BuiltRecord[];

/** What the pipeline counted before records reached a queue. */
export interface PipelineCounters {
  /**
   * Records built (kept or not) of the kinds some exporter consumes: `LLMRunRecord`s when an
   * exporter consumes `"llm-runs"`, spans when one consumes `"spans"`.
   */
  captured: number;
  /** Records left out by `sampleRate`. */
  sampled: number;
  /** Records `mask` dropped (returned `null`, or threw). */
  masked: number;
  /** Records dropped because `mask` returned something else than a record or `null` (a promise, `undefined` …). */
  invalidMask: number;
}

/**
 * Everything between a built record and the exporters: sample (by trace) → mask → fan-out to one
 * queue per exporter. Exporters that consume `"llm-runs"` get `LLMRunRecord`s, exporters that
 * consume `"spans"` get `RunSpanRecord`s. Never throws and never waits: queues do the I/O.
 */
export class RecordPipeline {
  /** Every exporter's queue, in the order the exporters were given. */
  readonly queues: ExportQueue[];
  readonly counters: PipelineCounters = { captured: 0, sampled: 0, masked: 0, invalidMask: 0 };
  private readonly runQueues: ExportQueue[];
  private readonly spanQueues: ExportQueue[];
  private readonly sampleRate: number;
  private readonly mask: HandlerSettings["mask"];
  private readonly reportError: ErrorReporter;
  private readonly maxFieldChars: number;
  private readonly reportedMaskMistakes = new Set<string>();
  /** Records handed to queues (each once, whatever the number of queues): tells the exit drain it is due. */
  private queued = 0;

  constructor(settings: HandlerSettings, reportError: ErrorReporter) {
    this.sampleRate = settings.sampleRate;
    this.mask = settings.mask;
    this.maxFieldChars = settings.recordDefaults.maxFieldChars;
    this.reportError = reportError;
    this.queues = [];
    this.runQueues = [];
    this.spanQueues = [];
    for (const exporter of settings.exporters) {
      const queue = createQueue(exporter, settings, reportError);
      this.queues.push(queue);
      (exporter.consumes === "spans" ? this.spanQueues : this.runQueues).push(queue);
    }
  }

  /** Whether some exporter consumes spans: span records are only built when one does. */
  get wantsSpans(): boolean {
    return this.spanQueues.length > 0;
  }

  /** Whether the trace is kept (`sampleRate`, decided by trace id so a trace is kept or dropped whole). */
  isTraceKept(traceId: string): boolean {
    return isSampled(traceId, this.sampleRate);
  }

  /**
   * Sends the records of one model run to every `llm-runs` exporter, after sampling and masking,
   * and returns the records kept (masked, with their size estimate, -1 when the mask rewrote one):
   * a model-call span carries them. With no `llm-runs` exporter the records are built for the spans
   * only, so they are not counted here.
   */
  emitRecords(records: BuiltRecord[]): BuiltRecord[] {
    const counted = this.runQueues.length > 0;
    // Kept for spans only: without a span exporter nothing more is allocated than before spans.
    const kept: BuiltRecord[] = this.spanQueues.length > 0 ? [] : NO_RECORDS;
    for (const { record, bytes } of records) {
      if (counted) this.counters.captured++;
      if (!this.isTraceKept(record.traceId)) {
        if (counted) this.counters.sampled++;
        continue;
      }
      const masked = this.applyMask(record, bytes, counted);
      if (!masked) continue;
      if (kept !== NO_RECORDS) kept.push(masked);
      if (!counted) continue;
      for (const queue of this.runQueues) queue.enqueue(masked.record, masked.bytes);
      this.queued++;
      armExitDrain();
    }
    return kept;
  }

  /**
   * Sends one span to every `spans` exporter, after masking (the span capture has already left out
   * sampled-out traces, and its model-call spans carry masked records).
   */
  emitSpan({ span, bytes }: BuiltSpan): void {
    this.counters.captured++;
    const masked = this.applyMask(span, bytes, true);
    if (!masked) return;
    for (const queue of this.spanQueues)
      queue.enqueue(masked.record as unknown as LLMRunRecord, masked.bytes);
    this.queued++;
    armExitDrain();
  }

  /** Counts a span the capture left out because its trace is sampled out. */
  countSampledSpan(): void {
    this.counters.captured++;
    this.counters.sampled++;
  }

  /**
   * Runs the user's `mask` on a record or span: what to send with its estimated size, or `null` when
   * it is dropped (counted when `count`). `null` from the mask drops it on purpose (`masked`); a mask
   * that throws drops it too (fail closed, `masked`, reported), and so does one that turns a span into
   * something else. `mask` is synchronous by contract: a promise, `undefined` (a forgotten `return`)
   * or anything that is not a record drops the record (`invalidMask`), reported once per kind of
   * mistake so a broken mask does not flood `onError`. What the mask returns is made JSON-safe again
   * (it may have put anything in), within the same field limits.
   */
  applyMask<TRecord extends LLMRunRecord | RunSpanRecord>(
    record: TRecord,
    bytes: number,
    count = true,
  ): { record: TRecord; bytes: number } | null {
    if (!this.mask) return { record, bytes };
    let output: unknown;
    try {
      output = this.mask(record);
    } catch (error) {
      const message = isRunSpanRecord(record)
        ? `mask threw on a span; the span was dropped (a mask that handles spans checks isRunSpanRecord(record)): ${describeError(error).message}`
        : `mask threw; the record was dropped: ${describeError(error).message}`;
      this.reportError(new ObservabilityError({ message, cause: error }));
      output = null;
    }
    if (output === null) {
      if (count) this.counters.masked++;
      return null;
    }
    const mistake = maskMistake(output);
    if (mistake !== undefined) {
      // A rejected promise from an async mask must not become an unhandled rejection.
      if (isThenable(output)) Promise.resolve(output).then(undefined, () => {});
      if (count) this.counters.invalidMask++;
      if (!this.reportedMaskMistakes.has(mistake.kind)) {
        this.reportedMaskMistakes.add(mistake.kind);
        this.reportError(new ObservabilityError({ message: mistake.message }));
      }
      return null;
    }
    // Checked after the mistakes above, so that a promise (maybe rejected) is handled as one.
    if (isRunSpanRecord(record) && !isRunSpanRecord(output as RunSpanRecord)) {
      if (count) this.counters.invalidMask++;
      if (!this.reportedMaskMistakes.has("not-a-span")) {
        this.reportedMaskMistakes.add("not-a-span");
        this.reportError(
          new ObservabilityError({
            message:
              'mask returned something other than a span (recordType "span") for a span; spans are dropped until it is fixed.',
          }),
        );
      }
      return null;
    }
    const size: SizeCounter = { chars: 0 };
    const safe = toJsonSafeRecord(output, this.maxFieldChars, size) as TRecord;
    return { record: safe, bytes: size.chars };
  }

  /**
   * Sends everything queued; `true` once every queue is empty and idle, `false` at the deadline.
   * With `holdProcess` (a `flush()` someone awaits) the process is held open until it settles or
   * the deadline passes: otherwise a queue pausing after a failure (its timers are unref'd) would let
   * the event loop empty and end the process with the awaited flush never settled. The exit drain
   * does not hold: only requests in flight keep the process alive then.
   */
  async drain(deadline: number, options: { holdProcess?: boolean } = {}): Promise<boolean> {
    const hold = options.holdProcess
      ? setTimeout(() => {}, Math.max(0, Math.min(deadline - Date.now(), MAX_TIMER_MS)))
      : undefined;
    try {
      const drained = await Promise.all(this.queues.map((queue) => queue.drain(deadline)));
      return !drained.includes(false);
    } finally {
      clearTimeout(hold);
    }
  }

  /** Records queued or in flight in every queue. */
  pendingCount(): number {
    let pending = 0;
    for (const queue of this.queues) pending += queue.stats.pending;
    return pending;
  }

  /**
   * What the exit drain calls (see `exit-drain.ts`). Built here, not in the handler, so that it
   * holds the pipeline only and the handler itself can be garbage-collected.
   */
  exitDrainTarget(timeoutMs: number): ExitDrainTarget {
    return {
      queuedCount: () => this.queued,
      pendingCount: () => this.pendingCount(),
      drain: async () => {
        try {
          // The process exits next: what is still in flight at the deadline is aborted, so a hung
          // request cannot hold the process open beyond `flushTimeoutMs`.
          if (!(await this.drain(Date.now() + timeoutMs))) {
            for (const queue of this.queues) queue.close();
          }
        } catch (error) {
          this.reportError(error);
        }
      },
    };
  }

  /** Stops every queue's timers, aborts what is in flight and shuts the exporters down. */
  async close(): Promise<void> {
    for (const queue of this.queues) {
      queue.close();
      try {
        await queue.exporter.shutdown?.();
      } catch (error) {
        this.reportError(error);
      }
    }
  }
}

function createQueue(
  exporter: HandlerExporter,
  settings: HandlerSettings,
  reportError: ErrorReporter,
): ExportQueue {
  // The queue only reads `recordId` and measures records, so it carries spans the same way.
  const queue = new ExportQueue(exporter as Exporter, { ...settings.queue, onError: reportError });
  exporter.bind?.({
    onRetry: () => {
      queue.stats.retried++;
    },
    onError: reportError,
  });
  return queue;
}

/** What is wrong with what a mask returned, if anything (`null` is fine: it drops the record). */
function maskMistake(output: unknown): { kind: string; message: string } | undefined {
  if (isThenable(output)) {
    return {
      kind: "promise",
      message:
        "mask returned a promise; mask must be synchronous (return the record, or null to drop it). Records are dropped until it is fixed.",
    };
  }
  if (output === undefined) {
    return {
      kind: "undefined",
      message:
        "mask returned undefined (a missing `return`?); return the record, or null to drop it. Records are dropped until it is fixed.",
    };
  }
  if (typeof output !== "object" || Array.isArray(output)) {
    return {
      kind: "not-a-record",
      message: `mask returned ${Array.isArray(output) ? "an array" : `a ${typeof output}`}, not a record; return the record, or null to drop it.`,
    };
  }
  const { recordId, runId, traceId } = output as Partial<LLMRunRecord>;
  if (typeof recordId !== "string" || typeof runId !== "string" || typeof traceId !== "string") {
    return {
      kind: "not-a-record",
      message:
        "mask returned an object without the record's recordId, runId and traceId; return the (rewritten) record, or null to drop it.",
    };
  }
  return undefined;
}
