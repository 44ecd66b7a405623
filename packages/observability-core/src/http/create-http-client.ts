import ky, { type KyInstance } from "ky";
import { MAX_TIMER_MS } from "../config/load-setting";
import { ConfigurationError } from "../errors/configuration-error";
import { ExportTimeoutError } from "../errors/export-timeout-error";
import { type DeliveryOutcome, isRetryableStatus, VendorApiError } from "../errors/vendor-api-error";
import { detectRuntime } from "../runtime/detect-runtime";
import { withProcessHold } from "../runtime/hold-process";
import { selectTransport } from "../runtime/select-transport";
import { VERSION } from "../version";
import type { TransportAttempt } from "./node-transport";
import { credentialsOfHeaders, redactSecrets } from "./redact-secrets";

export { redactSecrets };

/** Options of the one HTTP client every exporter uses. */
export interface HttpClientOptions {
  /** Vendor name, used in errors and in the user agent. */
  vendor: string;
  /** Base URL every relative path is resolved against (http or https). */
  baseUrl: string;
  /** Per-attempt timeout, covering the answer's body too. @default 10000 */
  timeoutMs?: number;
  /**
   * Resends of one request after its first attempt. Only safe resends happen: an idempotent request
   * after a network error, a timeout, 408, 425, 429 or 5xx; any request after a connection refused,
   * a 429 or a 503 (the vendor surely did not store it). @default 3
   */
  maxRetries?: number;
  /** Headers sent with every request (credentials go here; they are never logged). */
  headers?: Record<string, string>;
  /**
   * Custom fetch, e.g. for tests or proxies. Redirects are never followed whatever it does (a
   * response it got by following one fails). Its sockets are its own: an in-flight request may keep
   * the process alive until `timeoutMs`. @default the keep-alive node:http transport on Node, else globalThis.fetch
   */
  fetch?: typeof globalThis.fetch;
  /** Called before each resend, for the retry counters. */
  onRetry?: (info: { attempt: number; error: unknown }) => void;
  /**
   * Resend an idempotent request that timed out. A non-idempotent one is never resent after a
   * timeout (the vendor may have stored it). @default true
   */
  retryOnTimeout?: boolean;
  /**
   * Longest `Retry-After` honoured; a longer one fails the attempt at once (with the wait in the
   * error's `retryAfterMs`, so the queue keeps the records and pauses). @default 60000
   */
  maxRetryAfterMs?: number;
  /** Upper bound of one backoff delay. @default 30000 */
  backoffLimitMs?: number;
  /** Most bytes of an answer read; the rest is dropped and the body is `undefined`. @default 1000000 */
  maxResponseBytes?: number;
  /** The package that sends, for the user agent (`name/version`). */
  userAgent?: string;
  /**
   * Credentials this client sends (API keys, passwords, tokens): replaced with `[redacted]`, in the
   * encodings a server may echo them in, in any error message, URL or response body it reports.
   * The values of credential headers (`authorization`, `x-api-key` …) are added automatically, and
   * `addSecret` adds tokens obtained later. The array is read when a request fails. Values shorter
   * than 4 characters are not redacted (they would match ordinary text).
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
  body?: string | Uint8Array;
  /** Headers of this request; values of credential headers are redacted from errors too. */
  headers?: Record<string, string>;
  searchParams?: Record<string, string | number | boolean>;
  signal?: AbortSignal;
  /** `false`: never resend this request, whatever happens. @default true */
  retry?: boolean;
  /**
   * Whether sending this request twice stores it once (an idempotency key, an upsert): only then is
   * it resent after it may have reached the vendor (a timeout, a connection lost after sending).
   * @default true for GET, PUT and DELETE; false for POST and PATCH
   */
  idempotent?: boolean;
  /** Called before each resend of this request (besides the client's own `onRetry`). */
  onRetry?: () => void;
  /**
   * Keep the process alive until this request settles (resends and their delays included): for a
   * call someone awaits. Export requests leave it off (a pending `flush()` holds the process instead).
   * @default true without a `signal`, false with one (exports pass the queue's)
   */
  holdProcess?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  /** The body text (at most `maxResponseBytes` of it). */
  text: string;
  /** The body parsed as JSON, or `undefined` when it is empty, not JSON or cut at the size cap. */
  body: unknown;
  /** The answer was larger than `maxResponseBytes` and was not read whole. */
  truncated: boolean;
}

export interface HttpClient {
  readonly vendor: string;
  readonly baseUrl: string;
  request(request: HttpRequest): Promise<HttpResponse>;
  /** Adds a credential obtained later (a session token) to what errors never show. */
  addSecret(secret: string | undefined): void;
}

/** Statuses after which the vendor surely did not store the request (any method may be resent). */
const NOT_STORED_STATUS = new Set([429, 503]);
/** Statuses whose `Retry-After` is read. */
const RETRY_AFTER_STATUS = new Set([413, 425, 429, 503]);
/** Network error codes raised before the request could reach the vendor. */
const NOT_SENT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
]);
const TIMEOUT = Symbol("timeout");

/**
 * Creates the HTTP client for one vendor: ky for the request, with this client's own timeout per
 * attempt (the answer's body included), resends with exponential backoff and jitter honouring
 * `Retry-After` — only when a resend is safe (`idempotent`), on unref'd timers so a retry delay never
 * keeps the process alive — no redirects, a cap on the answer's size, and errors as
 * `VendorApiError` / `ExportTimeoutError` whose messages hold method, URL and status, never a credential.
 */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const settings = validateOptions(options);
  const { timeoutMs, maxRetries, maxRetryAfterMs, backoffLimitMs, maxResponseBytes } = settings;
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  const secrets: Array<string | undefined> = options.secrets ?? [];
  const laterSecrets: string[] = [...credentialsOfHeaders(options.headers)];
  // Chosen by runtime (see runtime/select-transport.ts); the user agent names runtime and transport.
  const httpTransport = selectTransport(options.fetch);
  const useNodeTransport = httpTransport.takesSerializedBody;
  const instance: KyInstance = ky.create({
    timeout: false,
    retry: 0,
    throwHttpErrors: false,
    redirect: "manual",
    fetch: httpTransport.fetch,
    headers: {
      "user-agent": `${options.userAgent ?? "langchain-observability"} langchain-observability-core/${VERSION} (${detectRuntime()}; ${httpTransport.name})`,
      ...options.headers,
    },
  });

  const knownSecrets = (request: HttpRequest): string[] =>
    [...secrets, ...laterSecrets, ...credentialsOfHeaders(request.headers)].filter(
      (secret): secret is string => typeof secret === "string" && secret.length >= 4,
    );

  async function attempt(request: HttpRequest, url: string, context: AttemptContext): Promise<AttemptResult> {
    const controller = new AbortController();
    const onCallerAbort = () => controller.abort(request.signal?.reason);
    if (request.signal?.aborted) onCallerAbort();
    request.signal?.addEventListener("abort", onCallerAbort, { once: true });
    const timer = setTimeout(() => controller.abort(TIMEOUT), timeoutMs);
    unref(timer);
    const transport: TransportAttempt = { sent: false };
    try {
      const hasBody = request.json !== undefined || request.body !== undefined;
      const serialized =
        request.body ?? (useNodeTransport && hasBody ? JSON.stringify(request.json) : undefined);
      const response = await instance(url, {
        method: request.method,
        ...(hasBody && !useNodeTransport
          ? serialized !== undefined
            ? { body: serialized as BodyInit }
            : { json: request.json }
          : {}),
        ...({
          observabilityAttempt: transport,
          ...(hasBody && useNodeTransport ? { observabilityBody: serialized } : {}),
        } as Record<string, unknown>),
        headers: { ...(hasBody ? { "content-type": "application/json" } : {}), ...request.headers },
        ...(request.searchParams ? { searchParams: request.searchParams } : {}),
        signal: controller.signal,
      });
      // Custom fetches give no "sent" signal: once an answer arrived, the request surely left.
      transport.sent = true;
      const { text, truncated } = await readCapped(response, maxResponseBytes);
      return { kind: "response", response, text, truncated };
    } catch (error) {
      const timedOut = controller.signal.reason === TIMEOUT && !request.signal?.aborted;
      const aborted = request.signal?.aborted === true;
      // The node transport knows whether the request left; other fetches only say so by error code.
      const sent = useNodeTransport ? transport.sent : !NOT_SENT_CODES.has(errorCode(error) ?? "");
      return { kind: timedOut ? "timeout" : aborted ? "aborted" : "network", error, sent };
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener("abort", onCallerAbort);
      context.attempts++;
    }
  }

  return withProcessHold({
    vendor: options.vendor,
    baseUrl,
    addSecret(secret) {
      if (typeof secret === "string" && secret.length >= 4 && !laterSecrets.includes(secret)) {
        laterSecrets.push(secret);
      }
    },
    async request(request) {
      const url = /^https?:\/\//.test(request.path)
        ? request.path
        : `${baseUrl}/${request.path.replace(/^\/+/, "")}`;
      const displayUrl = url.split("?")[0] ?? url;
      const idempotent = request.idempotent ?? ["GET", "PUT", "DELETE"].includes(request.method);
      const retries = request.retry === false ? 0 : maxRetries;
      const context: AttemptContext = { attempts: 0 };
      const describe = () => {
        const known = knownSecrets(request);
        return {
          vendor: options.vendor,
          method: request.method,
          url: redactSecrets(displayUrl, known),
          known,
        };
      };

      for (;;) {
        const result = await attempt(request, url, context);
        let error: Error;
        let resend: boolean;
        let delayMs: number | undefined;
        if (result.kind === "response") {
          const { response, text, truncated } = result;
          const status = response.status;
          const redirected = response.type === "opaqueredirect" || (status >= 300 && status < 400);
          if (!redirected && response.redirected !== true && status >= 200 && status < 300) {
            return {
              status,
              headers: response.headers,
              text,
              body: truncated ? undefined : parseJson(text),
              truncated,
            };
          }
          const where = describe();
          if (redirected || response.redirected === true) {
            return Promise.reject(redirectError(response, where));
          }
          const retryAfterMs = RETRY_AFTER_STATUS.has(status) ? parseRetryAfter(response.headers) : undefined;
          // A gateway timeout may hide a request the vendor stored.
          const outcome: DeliveryOutcome = status === 504 && !idempotent ? "unknown" : "failed";
          const tooLong = retryAfterMs !== undefined && retryAfterMs > maxRetryAfterMs;
          error = new VendorApiError({
            vendor: where.vendor,
            method: where.method,
            url: where.url,
            status,
            responseBody: redactSecrets(text, where.known),
            isRetryable: isRetryableStatus(status),
            outcome,
            ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
            ...(tooLong
              ? {
                  message: `${where.vendor}: ${where.method} ${where.url} answered ${status} with Retry-After ${Math.ceil(retryAfterMs / 1000)} s, longer than maxRetryAfterMs (${maxRetryAfterMs} ms): not resent now`,
                }
              : {}),
          });
          resend =
            isRetryableStatus(status) &&
            !tooLong &&
            outcome === "failed" &&
            (idempotent || NOT_STORED_STATUS.has(status));
          delayMs = retryAfterMs;
        } else {
          const where = describe();
          const outcome: DeliveryOutcome = result.sent && !idempotent ? "unknown" : "failed";
          if (result.kind === "aborted") {
            return Promise.reject(
              new ExportTimeoutError({
                vendor: where.vendor,
                method: where.method,
                url: where.url,
                timeoutMs,
                outcome,
                message: `${where.vendor}: ${where.method} ${where.url} was aborted (export deadline or shutdown)${unknownNote(outcome)}`,
                cause: safeCause(result.error, where.known),
              }),
            );
          }
          if (result.kind === "timeout") {
            error = new ExportTimeoutError({
              vendor: where.vendor,
              method: where.method,
              url: where.url,
              timeoutMs,
              outcome,
              message: `${where.vendor}: ${where.method} ${where.url} timed out after ${timeoutMs} ms${unknownNote(outcome)}`,
              cause: safeCause(result.error, where.known),
            });
            resend = outcome === "failed" && (options.retryOnTimeout !== false || !result.sent);
          } else {
            const reason = redactSecrets(describeNetworkError(result.error), where.known);
            error = new VendorApiError({
              vendor: where.vendor,
              method: where.method,
              url: where.url,
              isRetryable: true,
              outcome,
              message: `${where.vendor}: ${where.method} ${where.url} failed: ${reason}${unknownNote(outcome)}`,
              cause: safeCause(result.error, where.known),
            });
            resend = outcome === "failed";
          }
        }
        if (!resend || context.attempts > retries) return Promise.reject(error);
        const retryNumber = context.attempts;
        const backoff = Math.min(backoffLimitMs, 300 * 2 ** (retryNumber - 1));
        const wait = delayMs ?? backoff * (0.5 + Math.random() * 0.5);
        try {
          options.onRetry?.({ attempt: retryNumber, error });
          request.onRetry?.();
        } catch {
          // A counter must never break a request.
        }
        if (!(await sleep(wait, request.signal))) {
          const where = describe();
          return Promise.reject(
            new ExportTimeoutError({
              vendor: where.vendor,
              method: where.method,
              url: where.url,
              timeoutMs,
              message: `${where.vendor}: ${where.method} ${where.url} was aborted while waiting to resend (export deadline or shutdown)`,
              cause: error,
            }),
          );
        }
      }
    },
  });
}

interface AttemptContext {
  attempts: number;
}

type AttemptResult =
  | { kind: "response"; response: Response; text: string; truncated: boolean }
  | { kind: "timeout" | "aborted" | "network"; error: unknown; sent: boolean };

function unknownNote(outcome: DeliveryOutcome): string {
  return outcome === "unknown" ? "; the vendor may have stored it, so it is not sent again" : "";
}

function validateOptions(options: HttpClientOptions) {
  const number = (
    option: keyof HttpClientOptions,
    fallback: number,
    min: number,
    max: number,
    integer = false,
  ) => {
    const value = options[option] ?? fallback;
    if (
      typeof value !== "number" ||
      !(value >= min && value <= max) ||
      (integer && !Number.isInteger(value))
    ) {
      throw new ConfigurationError({
        message: `createHttpClient: \`${option}\` must be ${integer ? "an integer" : "a number"} from ${min} to ${max}, got ${typeof value === "number" ? value : typeof value}.`,
        option,
      });
    }
    return value;
  };
  if (typeof options.vendor !== "string" || options.vendor === "") {
    throw new ConfigurationError({
      message: "createHttpClient: `vendor` must be a non-empty string.",
      option: "vendor",
    });
  }
  let parsed: URL | undefined;
  try {
    parsed = typeof options.baseUrl === "string" ? new URL(options.baseUrl) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
    // The shape, never the value: a credential pasted into the wrong option must not be printed.
    const shape =
      typeof options.baseUrl === "string"
        ? `a string of ${options.baseUrl.length} characters`
        : typeof options.baseUrl;
    throw new ConfigurationError({
      message: `createHttpClient: \`baseUrl\` must be an absolute http(s) URL, got ${shape}.`,
      option: "baseUrl",
    });
  }
  if (options.fetch !== undefined && typeof options.fetch !== "function") {
    throw new ConfigurationError({
      message: "createHttpClient: `fetch` must be a function.",
      option: "fetch",
    });
  }
  return {
    timeoutMs: number("timeoutMs", 10_000, 1, MAX_TIMER_MS),
    maxRetries: number("maxRetries", 3, 0, 20, true),
    maxRetryAfterMs: number("maxRetryAfterMs", 60_000, 0, MAX_TIMER_MS),
    backoffLimitMs: number("backoffLimitMs", 30_000, 0, MAX_TIMER_MS),
    maxResponseBytes: number("maxResponseBytes", 1_000_000, 1, 2 ** 30, true),
  };
}

function unref(timer: unknown): void {
  (timer as { unref?: () => void }).unref?.();
}

/** Waits `ms` on an unref'd timer; resolves `false` at once if `signal` aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener("abort", onAbort);
        resolve(true);
      },
      Math.max(0, ms),
    );
    unref(timer);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Reads at most `maxBytes` of a body, then cancels the rest (a huge answer is never read whole). */
async function readCapped(
  response: Response,
  maxBytes: number,
): Promise<{ text: string; truncated: boolean }> {
  if (!response.body) return { text: "", truncated: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > maxBytes) {
      chunks.push(value.subarray(0, maxBytes - size));
      size = maxBytes;
      truncated = true;
      await reader.cancel().catch(() => {});
      break;
    }
    chunks.push(value);
    size += value.byteLength;
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { text: new TextDecoder().decode(bytes), truncated };
}

/** `Retry-After` in ms: delay-seconds or an HTTP date; `undefined` when absent or unreadable. */
function parseRetryAfter(headers: Headers): number | undefined {
  const value = headers.get("retry-after")?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function redirectError(
  response: Response,
  where: { vendor: string; method: string; url: string },
): VendorApiError {
  const location = response.headers.get("location");
  let target = "an unknown location";
  if (response.redirected && response.url) target = originOf(response.url);
  else if (location) target = originOf(location, where.url);
  const status = response.type === "opaqueredirect" ? undefined : response.status;
  return new VendorApiError({
    vendor: where.vendor,
    method: where.method,
    url: where.url,
    ...(status === undefined ? {} : { status }),
    isRetryable: false,
    message: response.redirected
      ? `${where.vendor}: ${where.method} ${where.url} was redirected to ${target} by the custom fetch; redirects are not followed (credentials only go to the configured URL): check the base URL`
      : `${where.vendor}: ${where.method} ${where.url} answered ${status ?? "a redirect"} to ${target}; redirects are not followed (credentials only go to the configured URL): check the base URL`,
  });
}

/** Only the origin of a redirect target: its path or query may carry tokens. */
function originOf(location: string, base?: string): string {
  try {
    return new URL(location, base).origin;
  } catch {
    return "an unreadable location";
  }
}

function errorCode(error: unknown): string | undefined {
  const direct = (error as { code?: unknown } | null)?.code;
  if (typeof direct === "string") return direct;
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof cause === "string" ? cause : undefined;
}

/**
 * What an error may keep as its `cause`: transport errors may hold the request and its options
 * (headers with credentials, the body), which `util.inspect` would print. Only name, message and code pass.
 */
function safeCause(error: unknown, secrets: string[]): Error | undefined {
  if (!(error instanceof Error)) return undefined;
  // Messages may hold the whole URL: drop query strings (they may carry keys) and known secrets.
  const cause = new Error(
    redactSecrets(error.message.replace(/(https?:\/\/[^\s?#]*)\?[^\s#]*/g, "$1"), secrets),
  );
  cause.name = error.name;
  const code = errorCode(error);
  if (code) (cause as Error & { code?: string }).code = code;
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

function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: string; message?: string } | undefined;
  if (cause?.code) return `${error.message} (${cause.code})`;
  return cause?.message ? `${error.message} (${cause.message})` : error.message;
}
