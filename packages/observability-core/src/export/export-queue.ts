import type { LLMRunRecord } from "../capture/llm-run-record";
import { ObservabilityError } from "../errors/observability-error";
import { VendorApiError } from "../errors/vendor-api-error";
import type { Exporter } from "./exporter";

export interface ExportQueueOptions {
  maxBatchSize: number;
  maxBatchBytes: number;
  maxQueueSize: number;
  flushIntervalMs: number;
  maxRetries: number;
  onError: (error: unknown) => void;
}

/** Counters of one exporter's queue. */
export interface ExporterStats {
  exported: number;
  failed: number;
  retried: number;
  dropped: { queueFull: number; oversize: number };
  pending: number;
}

interface QueueItem {
  record: LLMRunRecord;
  attempts: number;
  bytes: number;
  /** Set when a batch holding this record was refused as too large (413): the most to send with it. */
  batchLimit?: number;
}

const MAX_PAUSE_MS = 30_000;

/**
 * One exporter's buffer: batches by count and bytes, sends every `flushIntervalMs` or when a batch
 * is full, keeps at most `maxQueueSize` records (dropping the oldest), and limits requests in flight.
 * All timers are unref'd so they never keep the process alive.
 */
export class ExportQueue {
  readonly exporter: Exporter;
  private readonly options: ExportQueueOptions;
  private readonly concurrency: number;
  private readonly batchSize: number;
  private items: QueueItem[] = [];
  private head = 0;
  private inFlight = 0;
  private inFlightRecords = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private kickScheduled = false;
  private draining = 0;
  private pausedUntil = 0;
  private consecutiveFailures = 0;
  private closed = false;
  private readonly abortController = new AbortController();
  private idleWaiters: Array<() => void> = [];
  readonly stats: ExporterStats = {
    exported: 0,
    failed: 0,
    retried: 0,
    dropped: { queueFull: 0, oversize: 0 },
    pending: 0,
  };

  constructor(exporter: Exporter, options: ExportQueueOptions) {
    this.exporter = exporter;
    this.options = options;
    this.concurrency = Math.max(1, exporter.concurrency ?? 2);
    this.batchSize = Math.max(1, Math.min(options.maxBatchSize, exporter.maxBatchSize));
  }

  get size(): number {
    return this.items.length - this.head;
  }

  /** Adds a record (with its estimated size, or -1 to measure it); never blocks and never throws. */
  enqueue(record: LLMRunRecord, bytes = -1): void {
    if (this.closed) {
      this.stats.dropped.queueFull++;
      return;
    }
    if (this.size >= this.options.maxQueueSize) {
      this.head++;
      this.stats.dropped.queueFull++;
      this.compact();
    }
    this.items.push({ record, attempts: 0, bytes });
    this.updatePending();
    if (this.size >= this.batchSize) this.scheduleKick();
    else this.ensureTimer();
  }

  /** Sends everything now; resolves `true` once nothing is queued or in flight, `false` at the deadline. */
  async drain(deadline: number): Promise<boolean> {
    const idle = await this.drainQueue(deadline);
    if (!idle || !this.exporter.settle) return idle;
    // Background work of the exporter (user callbacks), within the same deadline.
    return withDeadline(
      Promise.resolve()
        .then(() => this.exporter.settle?.())
        .catch(() => {}),
      deadline,
    );
  }

  private async drainQueue(deadline: number): Promise<boolean> {
    if (this.size === 0 && this.inFlight === 0) return true;
    this.draining++;
    try {
      this.kick();
      return await new Promise<boolean>((resolve) => {
        const remaining = deadline - Date.now();
        const timer = setTimeout(
          () => {
            this.idleWaiters = this.idleWaiters.filter((waiter) => waiter !== onIdle);
            resolve(false);
          },
          Math.max(0, remaining),
        );
        timer.unref?.();
        const onIdle = () => {
          clearTimeout(timer);
          resolve(true);
        };
        this.idleWaiters.push(onIdle);
      });
    } finally {
      this.draining--;
    }
  }

  /** Stops timers and aborts whatever is still in flight. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.abortController.abort();
  }

  private ensureTimer(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, this.options.flushIntervalMs);
    this.timer.unref?.();
  }

  private scheduleKick(): void {
    if (this.kickScheduled) return;
    this.kickScheduled = true;
    queueMicrotask(() => {
      this.kickScheduled = false;
      this.kick();
    });
  }

  private kick(): void {
    const now = Date.now();
    if (this.pausedUntil > now) {
      this.ensureTimerAt(this.pausedUntil - now);
      return;
    }
    while (this.inFlight < this.concurrency && this.size > 0) {
      const batch = this.takeBatch();
      if (batch.length === 0) break;
      void this.send(batch);
    }
    if (this.size > 0 && this.inFlight >= this.concurrency) return;
    if (this.size > 0) this.ensureTimer();
    this.notifyIfIdle();
  }

  private ensureTimerAt(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, delayMs);
    this.timer.unref?.();
  }

  private takeBatch(): QueueItem[] {
    const batch: QueueItem[] = [];
    let bytes = 0;
    const limit = Math.min(this.batchSize, this.items[this.head]?.batchLimit ?? Number.POSITIVE_INFINITY);
    while (this.size > 0 && batch.length < limit) {
      const item = this.items[this.head]!;
      if (item.bytes < 0) item.bytes = measure(item.record);
      if (item.bytes > this.options.maxBatchBytes) {
        this.head++;
        this.stats.dropped.oversize++;
        this.options.onError(
          new ObservabilityError({
            message: `${this.exporter.name}: dropped record ${item.record.recordId}: ${item.bytes} bytes exceed maxBatchBytes (${this.options.maxBatchBytes}).`,
          }),
        );
        continue;
      }
      if (batch.length > 0 && bytes + item.bytes > this.options.maxBatchBytes) break;
      bytes += item.bytes;
      batch.push(item);
      this.head++;
    }
    this.compact();
    this.inFlightRecords += batch.length;
    this.updatePending();
    return batch;
  }

  private async send(batch: QueueItem[]): Promise<void> {
    this.inFlight++;
    const retry: QueueItem[] = [];
    try {
      let failures: NonNullable<Awaited<ReturnType<Exporter["export"]>>["failed"]> = [];
      try {
        const result = await this.exporter.export(
          batch.map((item) => item.record),
          this.abortController.signal,
        );
        failures = Array.isArray(result?.failed) ? result.failed : [];
        this.consecutiveFailures = 0;
      } catch (error) {
        if (isTooLarge(error) && batch.length > 1 && !this.closed) {
          // The vendor refused the request as too large: send each half on its own, so only
          // records too large by themselves fail. Not a retry: nothing was accepted.
          const half = Math.ceil(batch.length / 2);
          for (const item of batch) item.batchLimit = half;
          retry.push(...batch);
          return;
        }
        this.stats.failed += batch.length;
        this.options.onError(error);
        this.pause();
        return;
      }
      const failedById = new Map(failures.map((failure) => [failure.recordId, failure]));
      // One report per distinct error: a whole-batch failure is one problem, not one per record.
      const reported = new Set<unknown>();
      for (const item of batch) {
        const failure = failedById.get(item.record.recordId);
        if (!failure) {
          this.stats.exported++;
          continue;
        }
        if (failure.retryable && item.attempts < this.options.maxRetries && !this.closed) {
          item.attempts++;
          this.stats.retried++;
          retry.push(item);
        } else {
          this.stats.failed++;
          if (!reported.has(failure.error)) {
            reported.add(failure.error);
            this.options.onError(failure.error);
          }
        }
      }
    } finally {
      this.inFlight--;
      this.inFlightRecords -= batch.length;
      if (retry.length > 0) {
        this.items.splice(this.head, 0, ...retry);
        if (retry.some((item) => item.batchLimit === undefined)) this.pause();
      }
      this.updatePending();
      if (this.draining > 0 || this.size >= this.batchSize) this.kick();
      else if (this.size > 0) this.ensureTimer();
      this.notifyIfIdle();
    }
  }

  /** After a failure, wait before the next batch (exponential, capped), so an outage is not hammered. */
  private pause(): void {
    this.consecutiveFailures++;
    const delay = Math.min(MAX_PAUSE_MS, 250 * 2 ** Math.min(this.consecutiveFailures - 1, 10));
    this.pausedUntil = Date.now() + delay * (0.5 + Math.random() * 0.5);
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  private updatePending(): void {
    this.stats.pending = this.size + this.inFlightRecords;
  }

  private notifyIfIdle(): void {
    if (this.size === 0 && this.inFlight === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const waiter of waiters) waiter();
    }
  }
}

function isTooLarge(error: unknown): boolean {
  return VendorApiError.isInstance(error) && error.status === 413;
}

function measure(record: LLMRunRecord): number {
  try {
    return JSON.stringify(record).length;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** Resolves `true` when `promise` settles before `deadline` (epoch ms), `false` otherwise. */
function withDeadline(promise: Promise<unknown>, deadline: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
    timer.unref?.();
    promise.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
