import ky, { HTTPError, type KyInstance, TimeoutError } from "ky";
import { ExportTimeoutError } from "../errors/export-timeout-error";
import { isRetryableStatus, VendorApiError } from "../errors/vendor-api-error";
import { detectRuntime } from "../runtime/detect-runtime";
import { selectTransport } from "../runtime/select-transport";
import { VERSION } from "../version";
import { redactSecrets } from "./redact-secrets";

export { redactSecrets };

/** Options of the one HTTP client every exporter uses. */
export interface HttpClientOptions {
  /** Vendor name, used in errors and in the user agent. */
  vendor: string;
  /** Base URL every relative path is resolved against. */
  baseUrl: string;
  /** Per-attempt timeout. @default 10000 */
  timeoutMs?: number;
  /** Retries after the first attempt (network errors, 408, 425, 429, 5xx only). @default 3 */
  maxRetries?: number;
  /** Headers sent with every request (credentials go here; they are never logged). */
  headers?: Record<string, string>;
  /** Custom fetch, e.g. for tests or proxies. @default globalThis.fetch */
  fetch?: typeof globalThis.fetch;
  /** Called before each retry, for the retry counters. */
  onRetry?: (info: { attempt: number; error: unknown }) => void;
  /**
   * Retry a request that timed out. Turn it off for endpoints without an idempotency key: the vendor
   * may have stored what it never answered, and a resend would store it twice. @default true
   */
  retryOnTimeout?: boolean;
  /** Longest `Retry-After` honoured; a longer one fails the request. @default 60000 */
  maxRetryAfterMs?: number;
  /** Upper bound of one backoff delay. @default 30000 */
  backoffLimitMs?: number;
  /** The package that sends, for the user agent (`name/version`). */
  userAgent?: string;
  /**
   * Credentials this client sends (API keys, passwords, tokens): replaced with `[redacted]` in any
   * error message, URL or response body it reports, in case a vendor echoes them back. The array is
   * read when a request fails, so a token obtained later may be pushed onto it. Values shorter than
   * 4 characters are not redacted (they would match ordinary text).
   */
  secrets?: Array<string | undefined>;
}

export interface HttpRequest {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** A path relative to `baseUrl` (no leading slash needed) or an absolute URL. */
  path: string;
  /** A value sent as JSON. */
  json?: unknown;
  /**
   * A body already serialized (e.g. joined from the kit's per-record `json`), sent as is; its
   * content type is `application/json` unless `headers` say otherwise. Use `json` or `body`, not both.
   */
  body?: string;
  headers?: Record<string, string>;
  searchParams?: Record<string, string | number | boolean>;
  signal?: AbortSignal;
  /** Retry this request on retryable failures. @default true */
  retry?: boolean;
  /**
   * Whether sending this request twice stores it once (an idempotency key, an upsert): only then is
   * it resent after it may have reached the vendor (a timeout, a connection lost after sending).
   * @default true for GET, PUT and DELETE; false for POST and PATCH
   */
  idempotent?: boolean;
  /** Called before each resend of this request (besides the client's own `onRetry`). */
  onRetry?: () => void;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  /** The raw body text. */
  text: string;
  /** The body parsed as JSON, or `undefined` when it is empty or not JSON. */
  body: unknown;
}

export interface HttpClient {
  readonly vendor: string;
  readonly baseUrl: string;
  request(request: HttpRequest): Promise<HttpResponse>;
}

const RETRY_STATUS_CODES = [408, 425, 429, ...Array.from({ length: 100 }, (_, index) => 500 + index)];

/**
 * Creates the HTTP client for one vendor: ky with timeouts, retries with exponential backoff and
 * jitter, `Retry-After`, and a user agent. Every failure becomes a `VendorApiError` or
 * `ExportTimeoutError` whose message holds method, URL and status — never a header value.
 */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  // Chosen by runtime (see runtime/select-transport.ts); the user agent names runtime and transport.
  const transport = selectTransport(options.fetch);
  const useNodeTransport = transport.takesSerializedBody;
  const instance: KyInstance = ky.create({
    timeout: timeoutMs,
    throwHttpErrors: true,
    fetch: transport.fetch,
    headers: {
      "user-agent": `${options.userAgent ?? "langchain-observability"} langchain-observability-core/${VERSION} (${detectRuntime()}; ${transport.name})`,
      ...options.headers,
    },
    retry: {
      limit: options.maxRetries ?? 3,
      methods: ["get", "post", "put", "patch", "delete"],
      statusCodes: RETRY_STATUS_CODES,
      afterStatusCodes: [425, 429, 503],
      maxRetryAfter: options.maxRetryAfterMs ?? 60_000,
      backoffLimit: options.backoffLimitMs ?? 30_000,
      retryOnTimeout: options.retryOnTimeout ?? true,
      jitter: (delay) => delay * (0.5 + Math.random() * 0.5),
    },
    hooks: {
      beforeRetry: [
        ({ error, retryCount }) => {
          options.onRetry?.({ attempt: retryCount, error });
        },
      ],
    },
  });

  return {
    vendor: options.vendor,
    baseUrl,
    async request(request) {
      const url = /^https?:\/\//.test(request.path)
        ? request.path
        : `${baseUrl}/${request.path.replace(/^\/+/, "")}`;
      const displayUrl = url.split("?")[0] ?? url;
      try {
        const hasBody = request.json !== undefined || request.body !== undefined;
        const serialized =
          request.body ?? (useNodeTransport && hasBody ? JSON.stringify(request.json) : undefined);
        const response = await instance(url, {
          method: request.method,
          ...(hasBody && !useNodeTransport
            ? serialized !== undefined
              ? { body: serialized }
              : { json: request.json }
            : {}),
          ...(hasBody && useNodeTransport
            ? ({ observabilityBody: serialized } as Record<string, unknown>)
            : {}),
          ...(hasBody || request.headers
            ? { headers: { ...(hasBody ? { "content-type": "application/json" } : {}), ...request.headers } }
            : {}),
          ...(request.searchParams ? { searchParams: request.searchParams } : {}),
          ...(request.signal ? { signal: request.signal } : {}),
          ...(request.retry === false ? { retry: 0 } : {}),
          ...(request.onRetry ? { hooks: { beforeRetry: [() => request.onRetry?.()] } } : {}),
        });
        const text = await response.text();
        return { status: response.status, headers: response.headers, text, body: parseJson(text) };
      } catch (error) {
        // Read at failure time, so credentials obtained later (session tokens) can be added to the list.
        const secrets = (options.secrets ?? []).filter(
          (secret): secret is string => typeof secret === "string" && secret.length >= 4,
        );
        throw await toVendorError(error, {
          secrets,
          vendor: options.vendor,
          method: request.method,
          url: redactSecrets(displayUrl, secrets),
          timeoutMs,
          signal: request.signal,
        });
      }
    },
  };
}

/**
 * What an error may keep as its `cause`: ky's errors hold the request and its options (headers
 * with credentials, the body), which `util.inspect` would print. Only name, message and code pass.
 */
function safeCause(error: unknown, secrets: string[]): Error | undefined {
  if (!(error instanceof Error)) return undefined;
  // ky's messages hold the whole URL: drop query strings (they may carry keys) and known secrets.
  const cause = new Error(
    redactSecrets(error.message.replace(/(https?:\/\/[^\s?#]*)\?[^\s#]*/g, "$1"), secrets),
  );
  cause.name = error.name;
  const code = (error as { code?: unknown }).code ?? (error.cause as { code?: unknown } | undefined)?.code;
  if (typeof code === "string") (cause as Error & { code?: string }).code = code;
  return cause;
}

/** Parses JSON without throwing: an unparseable body is `undefined`. */
export function parseJson(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function toVendorError(
  error: unknown,
  context: {
    vendor: string;
    method: string;
    url: string;
    timeoutMs: number;
    signal: AbortSignal | undefined;
    secrets: string[];
  },
): Promise<Error> {
  const { vendor, method, url } = context;
  if (error instanceof HTTPError) {
    let responseBody: string | undefined;
    try {
      responseBody = redactSecrets(await error.response.text(), context.secrets);
    } catch {
      responseBody = undefined;
    }
    return new VendorApiError({
      vendor,
      method,
      url,
      status: error.response.status,
      responseBody,
      isRetryable: isRetryableStatus(error.response.status),
      cause: safeCause(error, context.secrets),
    });
  }
  if (error instanceof TimeoutError) {
    return new ExportTimeoutError({
      vendor,
      method,
      url,
      timeoutMs: context.timeoutMs,
      cause: safeCause(error, context.secrets),
    });
  }
  if (context.signal?.aborted) {
    return new ExportTimeoutError({
      vendor,
      method,
      url,
      timeoutMs: context.timeoutMs,
      message: `${vendor}: ${method} ${url} was aborted (export deadline or shutdown)`,
      cause: safeCause(error, context.secrets),
    });
  }
  const reason = redactSecrets(
    error instanceof Error ? describeNetworkError(error) : String(error),
    context.secrets,
  );
  return new VendorApiError({
    vendor,
    method,
    url,
    isRetryable: true,
    message: `${vendor}: ${method} ${url} failed: ${reason}`,
    cause: safeCause(error, context.secrets),
  });
}

function describeNetworkError(error: Error): string {
  const cause = error.cause as { code?: string; message?: string } | undefined;
  if (cause?.code) return `${error.message} (${cause.code})`;
  return cause?.message ? `${error.message} (${cause.message})` : error.message;
}
