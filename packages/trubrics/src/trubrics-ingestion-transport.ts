import {
  createHttpClient,
  type LLMRunRecord,
  VendorApiError,
  type VendorRecordFailure,
  type VendorSendContext,
  type VendorSendItem,
} from "@langchain-observability/core";
import { mapRecordToTrubricsLlmEvent } from "./map-record-to-trubrics";
import type { TrubricsLlmEvent } from "./trubrics-api";
import {
  describeIngestionError,
  ingestionFailureOutcome,
  rejectedIngestionItems,
  TRUBRICS_VENDOR,
} from "./trubrics-error";
import type { TrubricsTransport } from "./trubrics-exporter";
import type { TrubricsIngestionSettings } from "./trubrics-settings";
import { VERSION } from "./version";

/** The ingestion API takes at most 100 items per request. */
const MAX_INGESTION_BATCH_SIZE = 100;

/**
 * The current ingestion API: `POST {baseUrl}/publish_llm_events` with `x-api-key`, a JSON array of at
 * most 100 LLM events. The API has no idempotency key, so a request that may have been stored is
 * never sent again (at most once): only answers that say nothing was stored are retried.
 */
export function createTrubricsIngestionTransport(
  settings: TrubricsIngestionSettings,
): TrubricsTransport<TrubricsLlmEvent> {
  const client = createHttpClient({
    vendor: TRUBRICS_VENDOR,
    baseUrl: settings.baseUrl,
    timeoutMs: settings.http.timeoutMs,
    maxRetries: settings.http.maxRetries,
    ...(settings.http.fetch ? { fetch: settings.http.fetch } : {}),
    headers: { "x-api-key": settings.apiKey, accept: "application/json" },
    userAgent: `@langchain-observability/trubrics/${VERSION}`,
    // Redacted from error messages and bodies, should the service ever echo it back.
    secrets: [settings.apiKey],
  });

  /** Sends one request of at most 100 items; returns the failures (never throws but for a 413). */
  const publish = async (
    chunk: Array<VendorSendItem<LLMRunRecord, TrubricsLlmEvent>>,
    context: VendorSendContext,
    whole: boolean,
  ): Promise<VendorRecordFailure[]> => {
    try {
      // Any 2xx is success (the answer's body is UNCONFIRMED, so it is not read).
      await client.request({
        method: "POST",
        path: "publish_llm_events",
        body: `[${chunk.map((item) => item.json).join(",")}]`,
        signal: context.signal,
        onRetry: context.onRetry,
        // No idempotency key: resent only when Trubrics surely did not get it (refused, 429, 503).
        idempotent: false,
      });
      return [];
    } catch (error) {
      // Too large: core's queue halves the batch until only records too large by themselves fail.
      if (whole && VendorApiError.isInstance(error) && error.status === 413) throw error;
      const reason = describeIngestionError(error);
      const rejected = rejectedIngestionItems(error, chunk.length);
      if (rejected) {
        // A 422 that names its items stored none of them: the others may go again.
        return chunk.map(({ record }, index) => ({
          recordId: record.recordId,
          error: reason,
          retryable: !rejected.has(index),
          outcome: "failed" as const,
        }));
      }
      const { retryable, outcome } = ingestionFailureOutcome(error);
      return chunk.map(({ record }) => ({ recordId: record.recordId, error: reason, retryable, outcome }));
    }
  };

  return {
    kind: "ingestion",
    maxBatchSize: MAX_INGESTION_BATCH_SIZE,
    secrets: () => [settings.apiKey],
    map: mapRecordToTrubricsLlmEvent,
    async send(items, context) {
      const failures: VendorRecordFailure[] = [];
      // The queue caps batches at 100; this keeps the limit when the exporter is driven directly.
      for (let start = 0; start < items.length; start += MAX_INGESTION_BATCH_SIZE) {
        const chunk = items.slice(start, start + MAX_INGESTION_BATCH_SIZE);
        failures.push(...(await publish(chunk, context, chunk.length === items.length)));
      }
      return failures;
    },
  };
}
