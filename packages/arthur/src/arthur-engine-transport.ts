import {
  ConfigurationError,
  createHttpClient,
  type HttpResponse,
  loadUrl,
  ObservabilityError,
  truncateText,
  VendorApiError,
  type VendorRecordFailure,
} from "@langchain-observability/core";
import {
  buildOtlpTraceRequest,
  createOtlpResource,
  encodeOtlpTraceRequestProtobuf,
  type OtlpSpan,
} from "@langchain-observability/core/otlp";
import type { ArthurTaskConnectionInfo, ArthurTraceIngestionResponse } from "./arthur-api";
import {
  ARTHUR_VENDOR,
  connectionInfoError,
  forbiddenEngineKeyError,
  rejectedApiKeyError,
  unreadableAnswerError,
} from "./arthur-error";
import { isObject } from "./arthur-session";
import type { ArthurEngineSettings, ArthurPlatformSettings } from "./arthur-settings";
import { VERSION } from "./version";

/**
 * The Arthur GenAI Engine transport: OTLP protobuf traces to `POST {engineUrl}/api/v1/traces`
 * (`Authorization: Bearer <key>`, resource attribute `arthur.task`), and the platform lookup of a
 * model's engine connection (`GET {platformUrl}/api/v1/models/{id}/task/connection_info`).
 */

/** One span to send: the record it comes from and its OTLP span. */
export interface ArthurEngineItem {
  recordId: string;
  span: OtlpSpan;
}

/** What each send may report besides per-record failures, and how it counts resends. */
export interface ArthurEngineSendContext {
  signal?: AbortSignal;
  onRetry?: () => void;
  reportError?: (error: unknown) => void;
}

export interface ArthurEngineTransport {
  /** `POST {engineUrl}/api/v1/traces`; resolves to the spans that failed (the others were delivered). */
  send(items: ArthurEngineItem[], context: ArthurEngineSendContext): Promise<VendorRecordFailure[]>;
  /** Every credential this transport sends, for redaction. */
  secrets(): string[];
}

/** Most characters of the engine's reasons quoted in one message. */
const MAX_REASONS_CHARS = 600;

/**
 * The engine transport. Span ids are derived from the LangChain run ids, so sending a batch again
 * stores each span once: the POST is an idempotent request, resent by the HTTP client after a timeout
 * or a lost connection, and 5xx / 429 answers are retried. A rejected key fails fast afterwards
 * without calling the engine again (it is reported once, not once per batch).
 */
export function createArthurEngineTransport(
  settings: ArthurEngineSettings & { serviceName?: string },
): ArthurEngineTransport {
  const http = createHttpClient({
    vendor: ARTHUR_VENDOR,
    baseUrl: settings.engineUrl,
    timeoutMs: settings.timeoutMs,
    maxRetries: settings.maxRetries,
    ...(settings.fetch ? { fetch: settings.fetch } : {}),
    headers: { accept: "application/json", authorization: `Bearer ${settings.apiKey}` },
    userAgent: `@langchain-observability/arthur/${VERSION}`,
    secrets: [settings.apiKey],
  });
  const resource = createOtlpResource({
    // The engine files traces by `arthur.task`; `service.name` is the SDK's fallback, the task id.
    serviceName: settings.serviceName ?? settings.taskId,
    resourceAttributes: { "arthur.task": settings.taskId },
  });
  const url = `${settings.engineUrl}/api/v1/traces`;
  let refusedKey: VendorApiError | undefined;

  return {
    secrets: () => [settings.apiKey],
    async send(items, context) {
      if (refusedKey) throw refusedKey;
      const body = encodeOtlpTraceRequestProtobuf(
        buildOtlpTraceRequest(
          items.map((item) => item.span),
          resource,
        ),
      );
      let response: HttpResponse;
      try {
        response = await http.request({
          method: "POST",
          path: "api/v1/traces",
          body,
          headers: { "content-type": "application/x-protobuf" },
          idempotent: true,
          ...(context.signal ? { signal: context.signal } : {}),
          ...(context.onRetry ? { onRetry: context.onRetry } : {}),
        });
      } catch (error) {
        throw readEngineError(error, items, url);
      }
      return readEngineAnswer(response, items, url, context);
    },
  };

  function readEngineError(error: unknown, items: ArthurEngineItem[], requestUrl: string): unknown {
    if (!VendorApiError.isInstance(error)) return error;
    if (error.status === 401) {
      refusedKey = rejectedApiKeyError(error, "The Arthur engine");
      return refusedKey;
    }
    if (error.status === 403) {
      refusedKey = forbiddenEngineKeyError(error);
      return refusedKey;
    }
    if (error.status === 422 || error.status === 400) {
      // 422: the engine rejected every span; 400: it could not read the protobuf. Neither can pass.
      const answer = readJson(error.responseBody) as ArthurTraceIngestionResponse | undefined;
      const reasons = readReasons(answer);
      const what =
        error.status === 400
          ? "could not read the request (bad protobuf)"
          : `rejected all ${items.length} spans`;
      return new VendorApiError({
        vendor: ARTHUR_VENDOR,
        method: error.method,
        url: requestUrl,
        status: error.status,
        ...(error.responseBody === undefined ? {} : { responseBody: error.responseBody }),
        isRetryable: false,
        message: `The Arthur engine ${what} (POST ${requestUrl} answered ${error.status})${reasons.length > 0 ? `: ${quote(reasons)}` : ""}; they are not sent again.`,
      });
    }
    return error;
  }
}

/**
 * The engine's JSON summary of a 2xx answer: 200 — every span accepted; 206 — the spans named by
 * `rejection_reasons` failed (matched by span id or run id where a reason names one), the rest
 * were delivered. Rejections no reason can be matched to are reported as a count.
 */
export function readEngineAnswer(
  response: HttpResponse,
  items: ArthurEngineItem[],
  url: string,
  context: Pick<ArthurEngineSendContext, "reportError">,
): VendorRecordFailure[] {
  if (response.status !== 206) return [];
  const answer = isObject(response.body) ? (response.body as ArthurTraceIngestionResponse) : undefined;
  const reasons = readReasons(answer);
  const rejectedCount =
    typeof answer?.rejected_spans === "number" ? answer.rejected_spans : Math.max(reasons.length, 1);
  const failures: VendorRecordFailure[] = [];
  const unmatched: string[] = [];
  for (const reason of reasons) {
    const lower = reason.toLowerCase();
    const item = items.find(
      (candidate) =>
        lower.includes(candidate.span.spanId) || lower.includes(candidate.recordId.toLowerCase()),
    );
    if (!item || failures.some((failure) => failure.recordId === item.recordId)) {
      unmatched.push(reason);
      continue;
    }
    failures.push({
      recordId: item.recordId,
      retryable: false,
      error: new VendorApiError({
        vendor: ARTHUR_VENDOR,
        method: "POST",
        url,
        status: 206,
        isRetryable: false,
        message: `The Arthur engine rejected span ${item.span.spanId} ("${item.span.name}", run ${item.recordId}): ${truncateText(reason, MAX_REASONS_CHARS)}`,
      }),
    });
  }
  const unnamed = Math.max(rejectedCount - failures.length, 0);
  if (unnamed > 0) {
    context.reportError?.(
      new ObservabilityError({
        message: `The Arthur engine rejected ${unnamed} of ${items.length} spans (POST ${url} answered 206) without naming them${unmatched.length > 0 ? `: ${quote(unmatched)}` : ""}; the other spans were delivered.`,
      }),
    );
  }
  return failures;
}

/** The engine's error answer, when it is JSON (the body a `VendorApiError` keeps is text). */
function readJson(text: string | undefined): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

function readReasons(answer: ArthurTraceIngestionResponse | undefined): string[] {
  return Array.isArray(answer?.rejection_reasons)
    ? answer.rejection_reasons.filter((reason): reason is string => typeof reason === "string")
    : [];
}

function quote(reasons: string[]): string {
  return truncateText(reasons.join("; "), MAX_REASONS_CHARS);
}

/** Where an engine task receives traces, and the key to send them with. */
export interface ArthurEngineConnection {
  /** The engine's base URL (traces go to `{engineUrl}/api/v1/traces`). */
  engineUrl: string;
  /** The task id, sent as the resource attribute `arthur.task`. */
  taskId: string;
  /** The engine API key (`Authorization: Bearer <key>`). */
  apiKey: string;
}

/**
 * `GET {platformUrl}/api/v1/models/{modelId}/task/connection_info` with the platform token, read
 * leniently (the field names may differ across platform versions): the engine URL from `api_host`,
 * the task id from `task_id` (or `task.id`), the key from `validation_key.key`. An answer without
 * `api_host` means the platform has not finished creating the task: a retryable error.
 */
export async function fetchArthurEngineConnection(
  settings: ArthurPlatformSettings,
  modelId: string,
  signal?: AbortSignal,
): Promise<ArthurEngineConnection> {
  const http = createHttpClient({
    vendor: ARTHUR_VENDOR,
    baseUrl: settings.platformUrl,
    timeoutMs: settings.timeoutMs,
    maxRetries: settings.maxRetries,
    ...(settings.fetch ? { fetch: settings.fetch } : {}),
    headers: { accept: "application/json", authorization: `Bearer ${settings.platformToken}` },
    userAgent: `@langchain-observability/arthur/${VERSION}`,
    secrets: [settings.platformToken],
  });
  const path = `api/v1/models/${encodeURIComponent(modelId)}/task/connection_info`;
  const url = `${settings.platformUrl}/${path}`;
  let response: HttpResponse;
  try {
    response = await http.request({ method: "GET", path, ...(signal ? { signal } : {}) });
  } catch (error) {
    if (VendorApiError.isInstance(error)) throw connectionInfoError(error, modelId);
    throw error;
  }
  const info = response.body;
  if (!isObject(info)) {
    throw unreadableAnswerError({
      method: "GET",
      url,
      status: response.status,
      expected: "the task connection info (not a JSON object)",
      next: "try again",
    });
  }
  return readConnectionInfo(info as ArthurTaskConnectionInfo, {
    url,
    status: response.status,
    allowInsecure: settings.allowInsecure,
  });
}

/** Reads a connection info answer leniently; a missing field is an error naming the fields it has. */
export function readConnectionInfo(
  info: ArthurTaskConnectionInfo,
  context: { url: string; status: number; allowInsecure: boolean },
): ArthurEngineConnection {
  const fields = Object.keys(info).join(", ") || "none";
  const apiHost = firstString(info.api_host, info.apiHost, info.engine_url, info.engineUrl);
  if (apiHost === undefined) {
    throw new VendorApiError({
      vendor: ARTHUR_VENDOR,
      method: "GET",
      url: context.url,
      status: context.status,
      // The platform creates the engine task asynchronously after the model: asking again can succeed.
      isRetryable: true,
      message: `Arthur: GET ${context.url} answered without \`api_host\` (fields: ${fields}): the platform has not finished creating the model's engine task; try again in a few seconds, or pass \`engineUrl\`, \`taskId\` and \`apiKey\` yourself.`,
    });
  }
  const task = isObject(info.task) ? info.task : undefined;
  const taskId = firstString(info.task_id, info.taskId, task?.id, task?.task_id);
  const validationKey = isObject(info.validation_key)
    ? info.validation_key
    : isObject(info.validationKey)
      ? info.validationKey
      : undefined;
  const apiKey = firstString(validationKey?.key, info.api_key, info.apiKey);
  const missing = [
    taskId ? undefined : "the task id (`task_id`)",
    apiKey ? undefined : "the engine key (`validation_key.key`)",
  ].filter((part): part is string => part !== undefined);
  if (!taskId || !apiKey) {
    throw new VendorApiError({
      vendor: ARTHUR_VENDOR,
      method: "GET",
      url: context.url,
      status: context.status,
      isRetryable: false,
      message: `Arthur: GET ${context.url} answered without ${missing.join(" and ")} (fields: ${fields}); pass \`engineUrl\`, \`taskId\` and \`apiKey\` yourself.`,
    });
  }
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(apiHost) ? apiHost : `https://${apiHost}`;
  let engineUrl: string;
  try {
    engineUrl = loadUrl({
      option: "engineUrl",
      value: withScheme,
      default: withScheme,
      allowInsecure: context.allowInsecure,
    });
  } catch (error) {
    throw new ConfigurationError({
      message: `The engine URL the Arthur platform gave (\`api_host\`) is not usable: ${(error as Error).message}`,
      option: "engineUrl",
      cause: error,
    });
  }
  return { engineUrl: engineUrl.replace(/\/api\/v1\/traces$/, ""), taskId, apiKey };
}

function firstString(...values: unknown[]): string | undefined {
  for (const value of values) {
    if (typeof value === "string" && value.trim() !== "") return value.trim();
  }
  return undefined;
}
