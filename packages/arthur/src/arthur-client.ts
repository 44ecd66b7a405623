import {
  ConfigurationError,
  createHttpClient,
  ExportTimeoutError,
  type HttpClient,
  type HttpRequest,
  type HttpResponse,
  VendorApiError,
} from "@langchain-observability/core";
import type { ArthurAuthInfo, ArthurInference, ArthurModel, ArthurUser } from "./arthur-api";
import type { ArthurSettings } from "./arthur-settings";
import { VERSION } from "./version";

export const ARTHUR_VENDOR = "Arthur";

/** Renew a session token this long before the cookie says it expires. */
const RENEW_MARGIN_MS = 30_000;

/**
 * One authenticated connection to Arthur's REST API v3: the raw `Authorization` header (API key or
 * session token), the `Arthur-Organization-ID` header once known, a new login when the session
 * expires or is rejected (once per request), and errors that never carry a credential.
 */
export class ArthurClient {
  readonly settings: ArthurSettings;
  private readonly http: HttpClient;
  private token: string | undefined;
  private tokenExpiresAt: number | undefined;
  private loginInFlight: Promise<void> | undefined;
  private organizationId: string | undefined;
  private organizationResolved = false;

  constructor(settings: ArthurSettings, onRetry?: () => void) {
    this.settings = settings;
    this.organizationId = settings.organizationId;
    this.organizationResolved = settings.organizationId !== undefined;
    if (settings.credentials.kind === "apiKey") this.token = settings.credentials.apiKey;
    this.http = createHttpClient({
      vendor: ARTHUR_VENDOR,
      baseUrl: `${settings.arthurUrl}/api/v3`,
      timeoutMs: settings.timeoutMs,
      maxRetries: settings.maxRetries,
      ...(settings.fetch ? { fetch: settings.fetch } : {}),
      headers: { accept: "application/json" },
      userAgent: `@langchain-observability/arthur/${VERSION}`,
      onRetry: () => onRetry?.(),
    });
  }

  /** The organization sent with every request, once known. */
  get organization(): string | undefined {
    return this.organizationId;
  }

  /** Sends a request with credentials; in login mode a 401 triggers one new login and one resend. */
  async request(request: HttpRequest): Promise<HttpResponse> {
    await this.ensureToken(request.signal);
    const token = this.token;
    try {
      return await this.http.request({ ...request, headers: { ...request.headers, ...this.headers(token) } });
    } catch (error) {
      if (!isUnauthorized(error)) throw withoutCause(error);
      if (this.settings.credentials.kind === "apiKey") throw this.rejectedApiKey(error);
      await this.renew(token, request.signal);
      try {
        return await this.http.request({
          ...request,
          headers: { ...request.headers, ...this.headers(this.token) },
        });
      } catch (secondError) {
        if (isUnauthorized(secondError)) throw this.rejectedSession(secondError);
        throw withoutCause(secondError);
      }
    }
  }

  /** Logs in when needed and resolves the organization, as the SDK does when it is constructed. */
  async connect(signal?: AbortSignal): Promise<void> {
    await this.ensureToken(signal);
    await this.resolveOrganization(signal);
  }

  /** `GET /models/{id}?id_type=id&expand=attributes`. */
  async getModel(modelId: string, signal?: AbortSignal): Promise<ArthurModel> {
    let response: HttpResponse;
    try {
      response = await this.request({
        method: "GET",
        path: `models/${encodeURIComponent(modelId)}`,
        searchParams: { id_type: "id", expand: "attributes" },
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (VendorApiError.isInstance(error) && error.status === 404) {
        throw new VendorApiError({
          vendor: ARTHUR_VENDOR,
          method: error.method,
          url: error.url,
          status: 404,
          isRetryable: false,
          message: `Arthur has no model with id "${modelId}" that these credentials can see (${error.method} ${error.url} answered 404); check \`modelId\`${this.organizationId ? " and `organizationId`" : ""}.`,
        });
      }
      throw error;
    }
    const body = response.body;
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      throw new VendorApiError({
        vendor: ARTHUR_VENDOR,
        method: "GET",
        url: this.url(`models/${encodeURIComponent(modelId)}`),
        status: response.status,
        isRetryable: false,
        message: `Arthur: GET ${this.url(`models/${encodeURIComponent(modelId)}`)} answered ${response.status} without a model object.`,
      });
    }
    const model = body as Partial<ArthurModel>;
    return {
      ...model,
      id: typeof model.id === "string" && model.id !== "" ? model.id : modelId,
      attributes: Array.isArray(model.attributes) ? model.attributes : [],
    };
  }

  /** `POST /models/{id}/inferences` with a JSON array; the 207 answer is returned, not judged. */
  sendInferences(
    modelId: string,
    inferences: ArthurInference[],
    signal?: AbortSignal,
  ): Promise<HttpResponse> {
    return this.request({
      method: "POST",
      path: `models/${encodeURIComponent(modelId)}/inferences`,
      json: inferences,
      ...(signal ? { signal } : {}),
    });
  }

  /** The absolute URL of an API path, for messages. */
  url(path: string): string {
    return `${this.settings.arthurUrl}/api/v3/${path}`;
  }

  // ---- Authentication ---------------------------------------------------------------------------

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
        throw new VendorApiError({
          vendor: ARTHUR_VENDOR,
          method: error.method,
          url: error.url,
          status: error.status,
          isRetryable: false,
          message: `Arthur rejected the login "${credentials.login}" and its password (${error.method} ${error.url} answered ${error.status}); check \`arthurLogin\` (or env ARTHUR_LOGIN) and \`arthurPassword\` (or env ARTHUR_PASSWORD).`,
        });
      }
      throw withoutCause(error);
    }
    const cookie = readAuthorizationCookie(response.headers);
    if (!cookie) {
      throw new VendorApiError({
        vendor: ARTHUR_VENDOR,
        method: "POST",
        url: this.url("login"),
        status: response.status,
        isRetryable: false,
        message: `Arthur: POST ${this.url("login")} answered ${response.status} without an Authorization cookie, so there is no session token to use.`,
      });
    }
    this.token = cookie.token;
    this.tokenExpiresAt = cookie.expiresAt;
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
      let organizationIds: string[] = [];
      try {
        const response = await this.request({ method: "GET", path: "users/me/auth_info", ...withSignal });
        const info = response.body as ArthurAuthInfo | undefined;
        organizationIds = Array.isArray(info?.organization_ids)
          ? info.organization_ids.filter((id): id is string => typeof id === "string" && id !== "")
          : [];
      } catch (error) {
        // Without auth_info the header is simply not sent (the server may not need it).
        const clientError =
          VendorApiError.isInstance(error) && error.status !== undefined && error.status < 500;
        if (forbidden || !clientError) throw error;
      }
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

  private rejectedApiKey(error: VendorApiError): VendorApiError {
    return new VendorApiError({
      vendor: ARTHUR_VENDOR,
      method: error.method,
      url: error.url,
      status: 401,
      isRetryable: false,
      message: `Arthur rejected the API key (${error.method} ${error.url} answered 401); check \`apiKey\` (or env ARTHUR_API_KEY).`,
    });
  }

  private rejectedSession(error: VendorApiError): VendorApiError {
    const login = this.settings.credentials.kind === "login" ? this.settings.credentials.login : "";
    return new VendorApiError({
      vendor: ARTHUR_VENDOR,
      method: error.method,
      url: error.url,
      status: 401,
      isRetryable: false,
      message: `Arthur rejected the session of login "${login}" again right after a new login (${error.method} ${error.url} answered 401); check that this user may use this model and organization.`,
    });
  }
}

function isUnauthorized(error: unknown): error is VendorApiError {
  return VendorApiError.isInstance(error) && error.status === 401;
}

/**
 * Copies a core HTTP error without its `cause`: the cause is ky's error, whose request and options
 * hold the `Authorization` header, and an inspected or serialized error must never show a credential.
 */
export function withoutCause(error: unknown): unknown {
  if (VendorApiError.isInstance(error)) {
    return new VendorApiError({
      vendor: error.vendor,
      method: error.method,
      url: error.url,
      ...(error.status === undefined ? {} : { status: error.status }),
      ...(error.responseBody === undefined ? {} : { responseBody: error.responseBody }),
      isRetryable: error.isRetryable,
      message: error.message,
    });
  }
  if (ExportTimeoutError.isInstance(error)) {
    return new ExportTimeoutError({
      vendor: error.vendor,
      ...(error.method === undefined ? {} : { method: error.method }),
      ...(error.url === undefined ? {} : { url: error.url }),
      timeoutMs: error.timeoutMs,
      message: error.message,
    });
  }
  return error;
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
