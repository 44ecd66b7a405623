import type { RunStore } from "../capture/run-store";
import type { SpanCapture } from "../capture/span-capture";
import type { RecordPipeline } from "./record-pipeline";

/** What `flush()` reports: counts since the previous flush, and what is still pending. */
export interface FlushResult {
  /** Nothing pending, nothing failed and no unknown outcome since the previous flush. */
  ok: boolean;
  /** The deadline passed before every queue was drained. */
  timedOut: boolean;
  exported: number;
  failed: number;
  /** Records whose delivery is unknown (the vendor may have stored them; never resent). */
  unknown: number;
  dropped: number;
  pending: number;
}

export interface DroppedStats {
  total: number;
  queueFull: number;
  oversize: number;
  sampled: number;
  masked: number;
  /** Records dropped after `maxRecordAgeMs` in the queue without delivery (the vendor kept failing). */
  expired: number;
  /** Records dropped because `mask` returned a promise, `undefined` or something else than a record. */
  invalidMask: number;
  /**
   * Runs evicted from the run store or, when spans are captured, from the span store (too many in
   * flight or past their time-to-live). Their records and spans are still exported, as `cancelled`,
   * so they are not part of `total`.
   */
  evicted: number;
}

/** Counters since the handler was created. */
export interface ExportStats {
  captured: number;
  exported: number;
  /** Records that failed for good (refused by the vendor, or not deliverable). */
  failed: number;
  /** Requests the HTTP client resent (request retries; a record may be in several). */
  retried: number;
  /** Times a record went back to its queue after a retryable failure, for a later batch (record retries). */
  requeued: number;
  /** Records whose delivery is unknown: the vendor may have stored them (a timeout after sending); never resent. */
  unknown: number;
  dropped: DroppedStats;
  pending: number;
  inFlightRuns: number;
  exporters: Record<
    string,
    {
      exported: number;
      failed: number;
      retried: number;
      requeued: number;
      unknown: number;
      pending: number;
      dropped: number;
    }
  >;
}

/** Sums the pipeline's, the run store's, the span capture's and every queue's counters into `ExportStats`. */
export function collectStats(
  pipeline: RecordPipeline,
  runStore: RunStore,
  spanCapture?: SpanCapture,
): ExportStats {
  const exporters: ExportStats["exporters"] = {};
  let exported = 0;
  let failed = 0;
  let retried = 0;
  let requeued = 0;
  let unknown = 0;
  let pending = 0;
  let queueFull = 0;
  let oversize = 0;
  let expired = 0;
  for (const queue of pipeline.queues) {
    const { stats } = queue;
    exported += stats.exported;
    failed += stats.failed;
    retried += stats.retried;
    requeued += stats.requeued;
    unknown += stats.unknown;
    pending += stats.pending;
    queueFull += stats.dropped.queueFull;
    oversize += stats.dropped.oversize;
    expired += stats.dropped.expired;
    exporters[queue.exporter.name] = {
      exported: stats.exported,
      failed: stats.failed,
      retried: stats.retried,
      requeued: stats.requeued,
      unknown: stats.unknown,
      pending: stats.pending,
      dropped: stats.dropped.queueFull + stats.dropped.oversize + stats.dropped.expired,
    };
  }
  const { captured, sampled, masked, invalidMask } = pipeline.counters;
  return {
    captured,
    exported,
    failed,
    retried,
    requeued,
    unknown,
    dropped: {
      total: queueFull + oversize + expired + sampled + masked + invalidMask,
      queueFull,
      oversize,
      sampled,
      masked,
      expired,
      invalidMask,
      evicted: runStore.evicted + (spanCapture?.counters.evicted ?? 0),
    },
    pending,
    // With spans, every run in flight (model calls included) has an open span.
    inFlightRuns: spanCapture ? spanCapture.openSpans : runStore.size,
    exporters,
  };
}

/** Turns running totals into the counts of one flush (since the previous one). */
export class FlushCounter {
  private last = { exported: 0, failed: 0, unknown: 0, dropped: 0 };

  /** The `FlushResult` of a flush that ended with these stats; the next one counts from here. */
  result(stats: ExportStats, timedOut: boolean): FlushResult {
    const result: FlushResult = {
      ok: false,
      timedOut,
      exported: stats.exported - this.last.exported,
      failed: stats.failed - this.last.failed,
      unknown: stats.unknown - this.last.unknown,
      dropped: stats.dropped.total - this.last.dropped,
      pending: stats.pending,
    };
    result.ok = result.pending === 0 && result.failed === 0 && result.unknown === 0 && !timedOut;
    this.last = {
      exported: stats.exported,
      failed: stats.failed,
      unknown: stats.unknown,
      dropped: stats.dropped.total,
    };
    return result;
  }
}
