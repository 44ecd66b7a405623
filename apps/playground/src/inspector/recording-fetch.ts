import { decodeOtlpTraceRequest } from "@langchain-observability/core/testing";

/** How a recorded body was read. */
export type RecordedBodyKind = "empty" | "json" | "otlp-protobuf" | "text" | "binary";

/** One request a handler's exporter sent, and what came back, with every credential redacted. */
export interface RecordedExchange {
  /** Sequence number, from 1. */
  id: number;
  /** The inspector column (vendor) whose exporter sent it. */
  column: string;
  /** Epoch milliseconds when the request left. */
  time: number;
  method: string;
  /** The URL, credentials in its query string redacted. */
  url: string;
  /** The path of the URL (no query string), for display. */
  path: string;
  requestHeaders: Record<string, string>;
  requestBodyKind: RecordedBodyKind;
  /** Parsed JSON, a decoded OTLP request (OTLP/JSON shape), text, or a byte count; redacted. */
  requestBody: unknown;
  requestBytes: number;
  /** The status answered; absent when no answer came (network error, timeout). */
  status?: number;
  /** The answer's body (JSON or text, at most `maxResponseChars`), redacted. */
  responseBody?: unknown;
  /** Why no answer came. */
  error?: string;
  durationMs?: number;
}

/** Options of `createRecordingFetch`. */
export interface RecordingFetchOptions {
  /** The column (vendor) this fetch belongs to. */
  column: string;
  /** Receives each exchange twice: when the request leaves, and when it has its answer (same object). */
  onExchange(exchange: RecordedExchange, phase: "sent" | "answered"): void;
  /** Next sequence number. */
  nextId(): number;
  /** Secret values to redact wherever they appear (keys from the environment, tokens seen in answers). */
  secrets: SecretList;
  /** The fetch that really sends. @default globalThis.fetch */
  fetch?: typeof globalThis.fetch;
  /** Longest answer body kept. @default 20000 */
  maxResponseChars?: number;
}

/** Secret values the recorder redacts; grows as credentials are seen. */
export interface SecretList {
  values(): readonly string[];
  add(value: unknown): void;
}

export const REDACTED = "[redacted]";

/** Header names that carry credentials. */
const SECRET_HEADER = /authorization|api[-_]?key|token|secret|password|cookie|session|credential/i;
/** JSON keys that carry credentials. */
const SECRET_KEY =
  /^(api[-_]?key|apikey|password|passwd|secret|client[-_]?secret|token|id[-_]?token|refresh[-_]?token|access[-_]?token|session[-_]?token|authorization)$/i;
/** Query parameters that carry credentials (Firebase's `?key=`). */
const SECRET_QUERY = /^(key|api[-_]?key|apikey|token|access[-_]?token|secret|password|auth|sig|signature)$/i;
/** JSON keys in answers whose values are credentials to redact later, wherever they appear. */
const ISSUED_SECRET_KEY = /^(id[-_]?token|refresh[-_]?token|access[-_]?token|token|session[-_]?token)$/i;

/** A list of secrets; values shorter than 4 characters are ignored (they would redact everything). */
export function createSecretList(initial: Array<string | undefined> = []): SecretList {
  const values: string[] = [];
  const list: SecretList = {
    values: () => values,
    add(value) {
      if (typeof value === "string" && value.length >= 4 && !values.includes(value)) {
        values.push(value);
        // Longest first, so a secret that contains another is redacted whole.
        values.sort((a, b) => b.length - a.length);
      }
    },
  };
  for (const value of initial) list.add(value);
  return list;
}

/**
 * A `fetch` that records what it sends (for the inspector page): method, URL, headers and body of
 * each request and the answer, decoded (JSON, or OTLP protobuf through core's decoder), with every
 * credential redacted — by header name, JSON key and query parameter, and by value for the known
 * secrets and the tokens the vendor hands out. The request itself goes out unchanged.
 */
export function createRecordingFetch(options: RecordingFetchOptions): typeof globalThis.fetch {
  const inner = options.fetch ?? globalThis.fetch;
  const maxResponseChars = options.maxResponseChars ?? 20_000;
  return async (input, init) => {
    const request = new Request(input as RequestInfo, init as RequestInit);
    const bytes = request.body ? new Uint8Array(await request.clone().arrayBuffer()) : new Uint8Array();
    const started = performance.now();
    const url = new URL(request.url);
    const requestHeaders: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      requestHeaders[name] = value;
    });
    const exchange: RecordedExchange = {
      id: options.nextId(),
      column: options.column,
      time: Date.now(),
      method: request.method,
      url: redactUrl(url, options.secrets),
      path: url.pathname,
      requestHeaders: redactHeaders(requestHeaders, options.secrets),
      ...readBody(bytes, requestHeaders["content-type"] ?? "", options.secrets),
      requestBytes: bytes.byteLength,
    };
    options.onExchange(exchange, "sent");
    let response: Response;
    try {
      response = await inner(request);
    } catch (error) {
      exchange.error = error instanceof Error ? redactText(error.message, options.secrets) : "failed";
      exchange.durationMs = performance.now() - started;
      options.onExchange(exchange, "answered");
      throw error;
    }
    exchange.status = response.status;
    exchange.durationMs = performance.now() - started;
    // Read a copy of the answer without delaying the caller, which reads the original.
    void readAnswer(response.clone(), maxResponseChars, options.secrets).then(
      (body) => {
        exchange.responseBody = body;
        options.onExchange(exchange, "answered");
      },
      () => options.onExchange(exchange, "answered"),
    );
    return response;
  };
}

function readBody(
  bytes: Uint8Array,
  contentType: string,
  secrets: SecretList,
): Pick<RecordedExchange, "requestBodyKind" | "requestBody"> {
  if (bytes.byteLength === 0) return { requestBodyKind: "empty", requestBody: undefined };
  if (/protobuf/i.test(contentType)) {
    try {
      return {
        requestBodyKind: "otlp-protobuf",
        // Attribute values only by value: OTLP's `{ key, value }` pairs are not credentials.
        requestBody: redactValue(decodeOtlpTraceRequest(bytes), secrets, { byKey: false }),
      };
    } catch {
      return { requestBodyKind: "binary", requestBody: `${bytes.byteLength} bytes (not OTLP protobuf)` };
    }
  }
  const text = Buffer.from(bytes).toString("utf8");
  try {
    return { requestBodyKind: "json", requestBody: redactValue(JSON.parse(text), secrets) };
  } catch {
    return { requestBodyKind: "text", requestBody: redactText(text, secrets) };
  }
}

async function readAnswer(response: Response, maxChars: number, secrets: SecretList): Promise<unknown> {
  const text = await response.text();
  if (text === "") return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    rememberIssuedSecrets(parsed, secrets);
    const redacted = redactValue(parsed, secrets);
    return text.length > maxChars ? `${JSON.stringify(redacted).slice(0, maxChars)}…[truncated]` : redacted;
  } catch {
    return redactText(text.length > maxChars ? `${text.slice(0, maxChars)}…[truncated]` : text, secrets);
  }
}

/** Tokens a vendor issues (a session token, a Firebase id token) become secrets too. */
function rememberIssuedSecrets(value: unknown, secrets: SecretList, depth = 0): void {
  if (depth > 6 || value === null || typeof value !== "object") return;
  for (const [key, item] of Object.entries(value)) {
    if (ISSUED_SECRET_KEY.test(key)) secrets.add(item);
    else rememberIssuedSecrets(item, secrets, depth + 1);
  }
}

export function redactHeaders(headers: Record<string, string>, secrets: SecretList): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (SECRET_HEADER.test(name)) {
      secrets.add(value);
      secrets.add(value.replace(/^(Bearer|Basic|Token)\s+/i, ""));
      result[name] = REDACTED;
    } else result[name] = redactText(value, secrets);
  }
  return result;
}

export function redactUrl(url: URL, secrets: SecretList): string {
  const copy = new URL(url.href);
  copy.username = copy.username ? REDACTED : "";
  copy.password = copy.password ? REDACTED : "";
  for (const name of [...copy.searchParams.keys()]) {
    if (SECRET_QUERY.test(name) || SECRET_HEADER.test(name)) {
      secrets.add(copy.searchParams.get(name));
      copy.searchParams.set(name, REDACTED);
    }
  }
  return redactText(decodeURIComponent(copy.href), secrets);
}

/** A JSON value with credential keys (unless `byKey: false`) and known secret values redacted. */
export function redactValue(
  value: unknown,
  secrets: SecretList,
  options: { byKey?: boolean } = {},
  depth = 0,
): unknown {
  if (typeof value === "string") return redactText(value, secrets);
  if (value === null || typeof value !== "object" || depth > 64) return value;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, secrets, options, depth + 1));
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (
      options.byKey !== false &&
      SECRET_KEY.test(key) &&
      item !== null &&
      item !== undefined &&
      typeof item !== "object"
    ) {
      secrets.add(String(item));
      result[key] = REDACTED;
    } else result[key] = redactValue(item, secrets, options, depth + 1);
  }
  return result;
}

export function redactText(text: string, secrets: SecretList): string {
  let result = text;
  for (const secret of secrets.values()) {
    if (result.includes(secret)) result = result.split(secret).join(REDACTED);
  }
  return result;
}
