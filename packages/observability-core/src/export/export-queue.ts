import type { LLMRunRecord } from "../capture/llm-run-record";
import type { RunSpanRecord } from "../capture/run-span-record";
import { ObservabilityError } from "../errors/observability-error";
import { VendorApiError } from "../errors/vendor-api-error";
import { toRecordFailure } from "./create-vendor-exporter";
import type { Exporter, RecordFailure } from "./exporter";

type QueuedRecord = LLMRunRecord | RunSpanRecord;

export interface ExportQueueOptions {
  maxBatchSize: number;
  maxBatchBytes: number;
  /** Records held at once; beyond it the oldest are dropped (`dropped.queueFull`). */
  maxQueueSize: number;
  /** Estimated bytes held at once; beyond it the oldest are dropped (`dropped.queueFull`). @default 33554432 */
  maxQueueBytes?: number;
  /** A record not delivered this long after it was queued is dropped (`dropped.expired`). @default 600000 */
  maxRecordAgeMs?: number;
  flushIntervalMs: number;
  /** @deprecated Ignored: `maxRetries` is the HTTP client's; records are re-queued within the bounds above. */
  maxRetries?: number;
  onError: (error: unknown) => void;
}

/** Counters of one exporter's queue. */
export interface ExporterStats {
  exported: number;
  /** Records that failed for good (a refusal, or a retryable failure after `shutdown()`). */
  failed: number;
  /** Requests the HTTP client resent (request retries, counted through `ExporterContext.onRetry`). */
  retried: number;
  /** Times a record went back to the queue after a retryable failure (record retries). */
  requeued: number;
  /** Records whose outcome is unknown (the vendor may have stored them); never sent again. */
  unknown: number;
  dropped: { queueFull: number; oversize: number; expired: number };
  pending: number;
}

interface QueueItem {
  record: QueuedRecord;
  bytes: number;
  /** When the record was first queued (epoch ms), for `maxRecordAgeMs`. */
  queuedAt: number;
  /** Set when a batch holding this record was refused as too large (413): the most to send with it. */
  batchLimit?: number;
  /** Why the record went back to the queue, for the message if it expires there. */
  lastError?: unknown;
}

const MAX_PAUSE_MS = 30_000;
export const DEFAULT_MAX_QUEUE_BYTES = 32 * 1024 * 1024;
export const DEFAULT_MAX_RECORD_AGE_MS = 600_000;

/**
 * One exporter's buffer: batches by count and bytes, sends every `flushIntervalMs` or when a batch
 * is full, limits requests in flight, and keeps at most `maxQueueSize` records and `maxQueueBytes`
 * estimated bytes (dropping the oldest). Records an exporter reports as retryable go back to the
 * queue (no attempt cap, within those bounds and `maxRecordAgeMs`) and the queue pauses with backoff
 * while the vendor fails; records with an unknown outcome are counted apart and never sent again.
 * All its timers are unref'd, except the deadline of a pending `drain()` (a `flush()` the caller awaits).
 */
export class ExportQueue {
  readonly exporter: Exporter<QueuedRecord>;
  private readonly options: ExportQueueOptions;
  private readonly maxQueueBytes: number;
  private readonly maxRecordAgeMs: number;
  private readonly concurrency: number;
  private readonly batchSize: number;
  private items: QueueItem[] = [];
  private head = 0;
  private queuedBytes = 0;
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
    requeued: 0,
    unknown: 0,
    dropped: { queueFull: 0, oversize: 0, expired: 0 },
    pending: 0,
  };

  constructor(exporter: Exporter<QueuedRecord> | Exporter, options: ExportQueueOptions) {
    this.exporter = exporter as Exporter<QueuedRecord>;
    this.options = options;
    this.maxQueueBytes = options.maxQueueBytes ?? DEFAULT_MAX_QUEUE_BYTES;
    this.maxRecordAgeMs = options.maxRecordAgeMs ?? DEFAULT_MAX_RECORD_AGE_MS;
    this.concurrency = Math.max(1, exporter.concurrency ?? 2);
    this.batchSize = Math.max(1, Math.min(options.maxBatchSize, exporter.maxBatchSize));
  }

  get size(): number {
    return this.items.length - this.head;
  }

  /** Adds a record (with its estimated size, or -1 to measure it); never blocks and never throws. */
  enqueue(record: QueuedRecord, bytes = -1): void {
    if (this.closed) {
      this.stats.dropped.queueFull++;
      return;
    }
    const size = bytes >= 0 ? bytes : measure(record);
    const limit = Math.min(this.options.maxBatchBytes, this.maxQueueBytes);
    if (size > limit) {
      this.stats.dropped.oversize++;
      this.options.onError(
        new ObservabilityError({
          message: `${this.exporter.name}: dropped record ${record.recordId}: ${size} bytes exceed ${
            limit === this.options.maxBatchBytes ? "maxBatchBytes" : "maxQueueBytes"
          } (${limit}).`,
        }),
      );
      return;
    }
    this.items.push({ record, bytes: size, queuedAt: Date.now() });
    this.queuedBytes += size;
    this.enforceBounds();
    this.updatePending();
    if (this.size >= this.batchSize) this.scheduleKick();
    else this.ensureTimer();
  }

  /**
   * Sends everything now; resolves `true` once nothing is queued or in flight and the exporter's
   * background work has settled, `false` at the deadline. Its deadline timer is the one timer that
   * keeps the process alive: the caller is waiting for it.
   */
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

  /** Stops timers and aborts whatever is still in flight. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.abortController.abort();
  }

  private async drainQueue(deadline: number): Promise<boolean> {
    if (this.size === 0 && this.inFlight === 0) return true;
    this.draining++;
    try {
      this.kick();
      return await new Promise<boolean>((resolve) => {
        const timer = setTimeout(
          () => {
            this.idleWaiters = this.idleWaiters.filter((waiter) => waiter !== onIdle);
            resolve(false);
          },
          Math.max(0, deadline - Date.now()),
        );
        const onIdle = () => {
          clearTimeout(timer);
          resolve(true);
        };
        this.idleWaiters.push(onIdle);
        this.notifyIfIdle();
      });
    } finally {
      this.draining--;
    }
  }

  /** Drops the oldest queued records while the queue holds more than its count or byte bound. */
  private enforceBounds(): void {
    while (
      this.size > 0 &&
      (this.size > this.options.maxQueueSize || this.queuedBytes > this.maxQueueBytes)
    ) {
      const oldest = this.items[this.head]!;
      this.head++;
      this.queuedBytes -= oldest.bytes;
      this.stats.dropped.queueFull++;
    }
    this.compact();
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
    if (this.closed) {
      this.notifyIfIdle();
      return;
    }
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
    let expired = 0;
    let lastError: unknown;
    const now = Date.now();
    const limit = Math.min(this.batchSize, this.items[this.head]?.batchLimit ?? Number.POSITIVE_INFINITY);
    while (this.size > 0 && batch.length < limit) {
      const item = this.items[this.head]!;
      if (now - item.queuedAt > this.maxRecordAgeMs) {
        this.head++;
        this.queuedBytes -= item.bytes;
        expired++;
        lastError = item.lastError ?? lastError;
        continue;
      }
      if (batch.length > 0 && bytes + item.bytes > this.options.maxBatchBytes) break;
      bytes += item.bytes;
      batch.push(item);
      this.head++;
      this.queuedBytes -= item.bytes;
    }
    if (expired > 0) this.expire(expired, lastError);
    this.compact();
    this.inFlightRecords += batch.length;
    this.updatePending();
    return batch;
  }

  private expire(count: number, lastError?: unknown): void {
    this.stats.dropped.expired += count;
    const reason =
      lastError instanceof Error ? `; last error: ${lastError.message}` : " while the vendor was failing";
    this.options.onError(
      new ObservabilityError({
        message: `${this.exporter.name}: dropped ${count} record(s) not delivered within maxRecordAgeMs (${this.maxRecordAgeMs} ms)${reason}`,
        ...(lastError === undefined ? {} : { cause: lastError }),
      }),
    );
  }

  private async send(batch: QueueItem[]): Promise<void> {
    this.inFlight++;
    const retry: QueueItem[] = [];
    let pause = false;
    let retryAfterMs = 0;
    try {
      let failures: RecordFailure[];
      try {
        const result = await this.exporter.export(
          batch.map((item) => item.record),
          this.abortController.signal,
        );
        failures = Array.isArray(result?.failed) ? result.failed : [];
      } catch (error) {
        // A rejected export fails every record of the batch with that one error.
        failures = batch.map((item) => toRecordFailure(item.record.recordId, error, this.exporter.name));
      }
      const failedById = new Map(failures.map((failure) => [failure.recordId, failure]));
      // One report per distinct error: a whole-batch failure is one problem, not one per record.
      const reported = new Set<unknown>();
      const report = (error: unknown) => {
        if (reported.has(error)) return;
        reported.add(error);
        this.options.onError(error);
      };
      let expired = 0;
      let lastExpiredError: unknown;
      const now = Date.now();
      for (const item of batch) {
        const failure = failedById.get(item.record.recordId);
        if (!failure) {
          this.stats.exported++;
          continue;
        }
        if (isTooLarge(failure.error) && batch.length > 1 && !this.closed) {
          // The vendor refused the request as too large: send each half on its own, so only
          // records too large by themselves fail. Not a retry: nothing was accepted.
          item.batchLimit = Math.ceil(batch.length / 2);
          retry.push(item);
          continue;
        }
        if (failure.outcome === "unknown") {
          this.stats.unknown++;
          report(failure.error);
          continue;
        }
        if (failure.retryable && !this.closed) {
          pause = true;
          retryAfterMs = Math.max(retryAfterMs, readRetryAfter(failure.error));
          if (now - item.queuedAt > this.maxRecordAgeMs) {
            expired++;
            lastExpiredError = failure.error;
            continue;
          }
          item.batchLimit = undefined;
          item.lastError = failure.error;
          this.stats.requeued++;
          retry.push(item);
          report(failure.error);
          continue;
        }
        this.stats.failed++;
        report(failure.error);
      }
      if (expired > 0) this.expire(expired, lastExpiredError);
    } finally {
      this.inFlight--;
      this.inFlightRecords -= batch.length;
      if (pause) this.pause(retryAfterMs);
      else if (retry.length === 0) this.consecutiveFailures = 0;
      if (retry.length > 0) {
        this.items.splice(this.head, 0, ...retry);
        for (const item of retry) this.queuedBytes += item.bytes;
        this.enforceBounds();
      }
      this.updatePending();
      if (this.draining > 0 || this.size >= this.batchSize) this.kick();
      else if (this.size > 0) this.ensureTimer();
      this.notifyIfIdle();
    }
  }

  /** While the vendor fails, wait before the next batch (exponential, capped, or its Retry-After). */
  private pause(retryAfterMs: number): void {
    this.consecutiveFailures++;
    const backoff = Math.min(MAX_PAUSE_MS, 250 * 2 ** Math.min(this.consecutiveFailures - 1, 10));
    const delay = Math.max(backoff * (0.5 + Math.random() * 0.5), Math.min(retryAfterMs, MAX_PAUSE_MS));
    this.pausedUntil = Date.now() + delay;
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

function readRetryAfter(error: unknown): number {
  const value = (error as { retryAfterMs?: unknown } | null)?.retryAfterMs;
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

function measure(record: QueuedRecord): number {
  try {
    return JSON.stringify(record)?.length ?? 0;
  } catch {
    // Unserializable: the exporter reports the real problem for this record alone.
    return 1024;
  }
}

/** Resolves `true` when `promise` settles before `deadline` (epoch ms), `false` otherwise. */
function withDeadline(promise: Promise<unknown>, deadline: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    // Not unref'd: the caller of `flush()` is waiting, so the process must not exit under it.
    const timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
    promise.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
