import type { RunStore } from "../capture/run-store";
import type { RecordPipeline } from "./record-pipeline";

/** What `flush()` reports: counts since the previous flush, and what is still pending. */
export interface FlushResult {
  /** Nothing pending and nothing failed since the previous flush. */
  ok: boolean;
  /** The deadline passed before every queue was drained. */
  timedOut: boolean;
  exported: number;
  failed: number;
  dropped: number;
  pending: number;
}

export interface DroppedStats {
  total: number;
  queueFull: number;
  oversize: number;
  sampled: number;
  masked: number;
  /**
   * Runs evicted from the run store (too many in flight or past their time-to-live). Their records
   * are still exported, as `cancelled`, so they are not part of `total`.
   */
  evicted: number;
}

/** Counters since the handler was created. */
export interface ExportStats {
  captured: number;
  exported: number;
  failed: number;
  retried: number;
  dropped: DroppedStats;
  pending: number;
  inFlightRuns: number;
  exporters: Record<
    string,
    { exported: number; failed: number; retried: number; pending: number; dropped: number }
  >;
}

/** Sums the pipeline's, the run store's and every queue's counters into `ExportStats`. */
export function collectStats(pipeline: RecordPipeline, runStore: RunStore): ExportStats {
  const exporters: ExportStats["exporters"] = {};
  let exported = 0;
  let failed = 0;
  let retried = 0;
  let pending = 0;
  let queueFull = 0;
  let oversize = 0;
  for (const queue of pipeline.queues) {
    const { stats } = queue;
    exported += stats.exported;
    failed += stats.failed;
    retried += stats.retried;
    pending += stats.pending;
    queueFull += stats.dropped.queueFull;
    oversize += stats.dropped.oversize;
    exporters[queue.exporter.name] = {
      exported: stats.exported,
      failed: stats.failed,
      retried: stats.retried,
      pending: stats.pending,
      dropped: stats.dropped.queueFull + stats.dropped.oversize,
    };
  }
  const { captured, sampled, masked } = pipeline.counters;
  return {
    captured,
    exported,
    failed,
    retried,
    dropped: {
      total: queueFull + oversize + sampled + masked,
      queueFull,
      oversize,
      sampled,
      masked,
      evicted: runStore.evicted,
    },
    pending,
    inFlightRuns: runStore.size,
    exporters,
  };
}

/** Turns running totals into the counts of one flush (since the previous one). */
export class FlushCounter {
  private last = { exported: 0, failed: 0, dropped: 0 };

  /** The `FlushResult` of a flush that ended with these stats; the next one counts from here. */
  result(stats: ExportStats, timedOut: boolean): FlushResult {
    const result: FlushResult = {
      ok: false,
      timedOut,
      exported: stats.exported - this.last.exported,
      failed: stats.failed - this.last.failed,
      dropped: stats.dropped.total - this.last.dropped,
      pending: stats.pending,
    };
    result.ok = result.pending === 0 && result.failed === 0 && !timedOut;
    this.last = { exported: stats.exported, failed: stats.failed, dropped: stats.dropped.total };
    return result;
  }
}
