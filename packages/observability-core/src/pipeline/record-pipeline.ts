import type { BuiltRecord } from "../capture/build-record";
import type { LLMRunRecord } from "../capture/llm-run-record";
import type { RunSpanRecord } from "../capture/run-span-record";
import { isSampled } from "../capture/sample-by-trace";
import type { HandlerExporter, HandlerSettings } from "../config/load-handler-settings";
import { ObservabilityError } from "../errors/observability-error";
import { ExportQueue } from "../export/export-queue";
import type { Exporter } from "../export/exporter";
import { describeError, type ErrorReporter } from "./error-reporter";
import { armExitDrain, type ExitDrainTarget } from "./exit-drain";

/** What the pipeline counted before records reached a queue. */
export interface PipelineCounters {
  /** `LLMRunRecord`s built (kept or not). */
  captured: number;
  /** Records left out by `sampleRate`. */
  sampled: number;
  /** Records `mask` dropped (returned `null`, or threw). */
  masked: number;
}

/**
 * Everything between a built record and the exporters: sample (by trace) → mask → fan-out to one
 * queue per exporter. Exporters that consume `"llm-runs"` get `LLMRunRecord`s, exporters that
 * consume `"spans"` get `RunSpanRecord`s. Never throws and never waits: queues do the I/O.
 */
export class RecordPipeline {
  /** Every exporter's queue, in the order the exporters were given. */
  readonly queues: ExportQueue[];
  readonly counters: PipelineCounters = { captured: 0, sampled: 0, masked: 0 };
  private readonly runQueues: ExportQueue[];
  private readonly spanQueues: ExportQueue[];
  private readonly sampleRate: number;
  private readonly mask: HandlerSettings["mask"];
  private readonly reportError: ErrorReporter;
  /** Records handed to queues (each once, whatever the number of queues): tells the exit drain it is due. */
  private queued = 0;

  constructor(settings: HandlerSettings, reportError: ErrorReporter) {
    this.sampleRate = settings.sampleRate;
    this.mask = settings.mask;
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

  /** Sends the records of one model run to every `llm-runs` exporter, after sampling and masking. */
  emitRecords(records: BuiltRecord[]): void {
    for (const { record, bytes } of records) {
      this.counters.captured++;
      if (!this.isTraceKept(record.traceId)) {
        this.counters.sampled++;
        continue;
      }
      const output = this.applyMask(record);
      if (!output) continue;
      for (const queue of this.runQueues) queue.enqueue(output, output === record ? bytes : -1);
      this.queued++;
      armExitDrain();
    }
  }

  /**
   * Sends one span to every `spans` exporter when its trace is kept. The span is taken as given:
   * its content (and its `llmRecords`) must already be masked by whoever built it.
   */
  emitSpan(span: RunSpanRecord, bytes = -1): void {
    if (!this.isTraceKept(span.traceId)) return;
    for (const queue of this.spanQueues) queue.enqueue(span as unknown as LLMRunRecord, bytes);
    this.queued++;
    armExitDrain();
  }

  /**
   * Runs the user's `mask` on a record: the record to send, or `null` when it is dropped (counted
   * `masked`). A mask that throws drops the record (fail closed) and is reported.
   */
  applyMask(record: LLMRunRecord): LLMRunRecord | null {
    if (!this.mask) return record;
    let output: LLMRunRecord | null;
    try {
      output = this.mask(record);
    } catch (error) {
      this.reportError(
        new ObservabilityError({
          message: `mask threw; the record was dropped: ${describeError(error).message}`,
          cause: error,
        }),
      );
      output = null;
    }
    if (!output || typeof output !== "object") {
      this.counters.masked++;
      return null;
    }
    return output;
  }

  /** Sends everything queued; `true` once every queue is empty and idle, `false` at the deadline. */
  async drain(deadline: number): Promise<boolean> {
    const drained = await Promise.all(this.queues.map((queue) => queue.drain(deadline)));
    return !drained.includes(false);
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
