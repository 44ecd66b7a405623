import {
  ConfigurationError,
  createHttpClient,
  type HttpClient,
  type HttpRequest,
  type HttpResponse,
  redactSecrets,
  VendorApiError,
} from "@langchain-observability/core";
import type { ArthurAuthInfo, ArthurUser } from "./arthur-api";
import {
  ARTHUR_VENDOR,
  rejectedApiKeyError,
  rejectedLoginError,
  rejectedSessionError,
  unreadableAnswerError,
} from "./arthur-error";
import type { ArthurSettings } from "./arthur-settings";
import { VERSION } from "./version";

/** Renew a session token this long before the cookie says it expires. */
const RENEW_MARGIN_MS = 30_000;
/** Session tokens still redacted after they were replaced (a request in flight may carry one). */
const MAX_REDACTED_TOKENS = 3;

/**
 * One authenticated connection to Arthur's REST API v3: the raw `Authorization` header (API key or
 * session token), the `Arthur-Organization-ID` header once known, a new login when the session
 * expires, and errors that never carry a credential.
 *
 * The one resend this class makes: in login mode, a request answered 401 (the session was refused,
 * so nothing was stored) is sent once more after one new login. Every other resend is the HTTP
 * client's.
 */
export class ArthurSession {
  readonly settings: ArthurSettings;
  private readonly http: HttpClient;
  private token: string | undefined;
  private tokenExpiresAt: number | undefined;
  private loginInFlight: Promise<void> | undefined;
  private organizationId: string | undefined;
  private organizationResolved = false;
  /**
   * Every credential this session sends: the API key or the password, then the session tokens it
   * obtains. Core's client reads this list when it reports a failure, so a token added after a
   * login is redacted too.
   */
  private readonly secretList: string[];

  constructor(settings: ArthurSettings, onRetry?: () => void) {
    this.settings = settings;
    this.organizationId = settings.organizationId;
    this.organizationResolved = settings.organizationId !== undefined;
    const credentials = settings.credentials;
    if (credentials.kind === "apiKey") this.token = credentials.apiKey;
    this.secretList = [credentials.kind === "apiKey" ? credentials.apiKey : credentials.password];
    this.http = createHttpClient({
      vendor: ARTHUR_VENDOR,
      baseUrl: `${settings.baseUrl}/api/v3`,
      timeoutMs: settings.timeoutMs,
      maxRetries: settings.maxRetries,
      ...(settings.fetch ? { fetch: settings.fetch } : {}),
      headers: { accept: "application/json" },
      userAgent: `@langchain-observability/arthur/${VERSION}`,
      onRetry: () => onRetry?.(),
      secrets: this.secretList,
    });
  }

  /** `text` (an answer of Arthur's) with every credential this session sends replaced by `[redacted]`. */
  redact(text: string): string {
    return redactSecrets(text, this.secretList);
  }

  /** Every credential this session sends (the configured one and the session tokens it obtained). */
  secrets(): string[] {
    return [...this.secretList];
  }

  /** The organization sent with every request, once known. */
  get organization(): string | undefined {
    return this.organizationId;
  }

  /** The absolute URL of an API path, for messages. */
  url(path: string): string {
    return `${this.settings.baseUrl}/api/v3/${path}`;
  }

  /** Sends a request with credentials; in login mode a 401 triggers one new login and one resend. */
  async request(request: HttpRequest): Promise<HttpResponse> {
    await this.ensureToken(request.signal);
    const token = this.token;
    try {
      return await this.http.request({ ...request, headers: { ...request.headers, ...this.headers(token) } });
    } catch (error) {
      if (!isUnauthorized(error)) throw error;
      const credentials = this.settings.credentials;
      if (credentials.kind === "apiKey") throw rejectedApiKeyError(error, "Arthur");
      await this.renew(token, request.signal);
      try {
        return await this.http.request({
          ...request,
          headers: { ...request.headers, ...this.headers(this.token) },
        });
      } catch (secondError) {
        if (isUnauthorized(secondError)) throw rejectedSessionError(secondError, credentials.login);
        throw secondError;
      }
    }
  }

  /** Logs in when needed and resolves the organization, as the SDK does when it is constructed. */
  async connect(signal?: AbortSignal): Promise<void> {
    await this.ensureToken(signal);
    await this.resolveOrganization(signal);
  }

  private headers(token: string | undefined): Record<string, string> {
    const headers: Record<string, string> = {};
    if (token !== undefined) headers.authorization = token;
    if (this.organizationId !== undefined) headers["arthur-organization-id"] = this.organizationId;
    return headers;
  }

  private async ensureToken(signal: AbortSignal | undefined): Promise<void> {
    if (this.settings.credentials.kind === "apiKey") return;
    const expired = this.tokenExpiresAt !== undefined && Date.now() >= this.tokenExpiresAt - RENEW_MARGIN_MS;
    if (this.token === undefined || expired) await this.loginOnce(signal);
  }

  /** After a 401: log in again, unless a concurrent request already replaced the rejected token. */
  private async renew(rejectedToken: string | undefined, signal: AbortSignal | undefined): Promise<void> {
    if (this.token === rejectedToken) {
      this.token = undefined;
      this.tokenExpiresAt = undefined;
    }
    await this.ensureToken(signal);
  }

  private loginOnce(signal: AbortSignal | undefined): Promise<void> {
    if (!this.loginInFlight) {
      this.loginInFlight = this.login(signal).finally(() => {
        this.loginInFlight = undefined;
      });
    }
    return this.loginInFlight;
  }

  /** `POST /login`; the session token is the `Authorization` cookie of the answer. */
  private async login(signal: AbortSignal | undefined): Promise<void> {
    const credentials = this.settings.credentials;
    if (credentials.kind !== "login") return;
    let response: HttpResponse;
    try {
      response = await this.http.request({
        method: "POST",
        path: "login",
        json: { login: credentials.login, password: credentials.password },
        headers: this.headers(undefined),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (VendorApiError.isInstance(error) && (error.status === 401 || error.status === 403)) {
        throw rejectedLoginError(error, credentials.login);
      }
      throw error;
    }
    const cookie = readAuthorizationCookie(response.headers);
    if (!cookie) {
      // Like an unreadable answer: the next export logs in again rather than giving up for good.
      throw unreadableAnswerError({
        method: "POST",
        url: this.url("login"),
        status: response.status,
        expected: "an Authorization cookie, so there is no session token to use",
        next: "it logs in again on the next export",
      });
    }
    this.token = cookie.token;
    this.tokenExpiresAt = cookie.expiresAt;
    this.secretList.push(cookie.token);
    // The configured credential stays first; only the oldest session tokens are forgotten.
    if (this.secretList.length > 1 + MAX_REDACTED_TOKENS) this.secretList.splice(1, 1);
  }

  private async resolveOrganization(signal: AbortSignal | undefined): Promise<void> {
    if (this.organizationResolved) return;
    const withSignal = signal ? { signal } : {};
    let organizationId: string | undefined;
    let forbidden = false;
    try {
      const response = await this.request({ method: "GET", path: "users/me", ...withSignal });
      const user = response.body as ArthurUser | undefined;
      if (typeof user?.organization_id === "string" && user.organization_id !== "") {
        organizationId = user.organization_id;
      }
    } catch (error) {
      // A 403 means a non-internal user: the SDK then reads the organizations from auth_info.
      if (!(VendorApiError.isInstance(error) && error.status === 403)) throw error;
      forbidden = true;
    }
    if (organizationId === undefined) {
      let info: ArthurAuthInfo = {};
      try {
        const response = await this.request({ method: "GET", path: "users/me/auth_info", ...withSignal });
        if (!isObject(response.body)) {
          throw unreadableAnswerError({
            method: "GET",
            url: this.url("users/me/auth_info"),
            status: response.status,
            expected: "the user's organizations (not a JSON object)",
          });
        }
        info = response.body;
      } catch (error) {
        // Refused for good (a 4xx other than 408/425/429): the header is simply not sent (the server
        // may not need it). Anything passing is tried again with the next export.
        const refused = VendorApiError.isInstance(error) && !error.isRetryable;
        if (forbidden || !refused) throw error;
      }
      const organizationIds = Array.isArray(info.organization_ids)
        ? info.organization_ids.filter((id): id is string => typeof id === "string" && id !== "")
        : [];
      if (organizationIds.length > 1) {
        throw new ConfigurationError({
          message: `These Arthur credentials belong to several organizations (${organizationIds.join(", ")}): pass \`organizationId\` (or env ARTHUR_ORGANIZATION_ID) to choose one.`,
          option: "organizationId",
          envVar: "ARTHUR_ORGANIZATION_ID",
        });
      }
      organizationId = organizationIds[0];
    }
    this.organizationId = organizationId;
    this.organizationResolved = true;
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function isUnauthorized(error: unknown): error is VendorApiError {
  return VendorApiError.isInstance(error) && error.status === 401;
}

/** The session token of an `Authorization=<token>; Path=/; Expires=…` cookie, and when it expires. */
export function readAuthorizationCookie(headers: Headers): { token: string; expiresAt?: number } | undefined {
  const cookies =
    typeof headers.getSetCookie === "function"
      ? headers.getSetCookie()
      : (headers.get("set-cookie")?.split(/,(?=\s*[^;,=\s]+=)/) ?? []);
  for (const cookie of cookies) {
    const [pair = "", ...attributes] = cookie.split(";");
    const separator = pair.indexOf("=");
    if (separator < 0 || pair.slice(0, separator).trim() !== "Authorization") continue;
    const token = pair
      .slice(separator + 1)
      .trim()
      .replace(/^"(.*)"$/, "$1");
    if (token === "") continue;
    let expiresAt: number | undefined;
    for (const attribute of attributes) {
      const [name = "", ...rest] = attribute.split("=");
      const value = rest.join("=").trim();
      const key = name.trim().toLowerCase();
      if (key === "max-age" && /^-?\d+$/.test(value)) {
        // Max-Age wins over Expires (RFC 6265).
        expiresAt = Date.now() + Number(value) * 1000;
        break;
      }
      if (key === "expires") {
        const parsed = Date.parse(value);
        if (!Number.isNaN(parsed)) expiresAt = parsed;
      }
    }
    return expiresAt === undefined ? { token } : { token, expiresAt };
  }
  return undefined;
}
