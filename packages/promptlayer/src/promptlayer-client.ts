import {
  ConfigurationError,
  createHttpClient,
  type ExporterHttpOptions,
  type HttpClient,
  type HttpRequest,
  type HttpResponse,
  loadHttpSettings,
} from "@langchain-observability/core";
import {
  convertPromptLayerTemplate,
  type PromptLayerLangChainTemplate,
} from "./convert-promptlayer-template";
import {
  type PromptLayerGetTemplateBody,
  type PromptLayerGetTemplateResponse,
  type PromptLayerPromptTemplate,
  type PromptLayerRequestId,
  readRequestId,
} from "./promptlayer-api";
import { isRecord, rejectedAnswerError } from "./promptlayer-error";
import {
  checkPromptLayerOptions,
  loadPromptLayerSettings,
  PROMPTLAYER_VENDOR,
  type PromptLayerConnectionOptions,
  type PromptLayerSettings,
} from "./promptlayer-settings";
import { VERSION } from "./version";

/** Options of `PromptLayerClient`. */
export interface PromptLayerClientOptions extends PromptLayerConnectionOptions, ExporterHttpOptions {}

/** Arguments of `track.score`. */
export interface PromptLayerTrackScoreOptions {
  /** The request id PromptLayer returned (what `plIdCallback` receives). */
  requestId: PromptLayerRequestId;
  /** A number from 0 to 100. */
  score: number;
  /** Name of the score, for several scores per request. @default undefined (PromptLayer's default score) */
  name?: string;
}

/** Arguments of `track.metadata`. */
export interface PromptLayerTrackMetadataOptions {
  requestId: PromptLayerRequestId;
  /** String keys and string values only: PromptLayer refuses anything else. */
  metadata: Record<string, string>;
}

/** Arguments of `track.prompt`: links a request to a prompt of the registry. */
export interface PromptLayerTrackPromptOptions {
  requestId: PromptLayerRequestId;
  promptName: string;
  /** The values the prompt was formatted with. @default {} */
  promptInputVariables?: Record<string, unknown>;
  /** Version of the prompt. @default undefined (the latest) */
  version?: number;
  /** Release label of the prompt (instead of a version). @default undefined */
  label?: string;
}

/** Arguments of `track.group`. */
export interface PromptLayerTrackGroupOptions {
  requestId: PromptLayerRequestId;
  /** A group id from `groups.create()`. */
  groupId: PromptLayerRequestId;
}

/** Options of `templates.get`. */
export interface PromptLayerGetTemplateOptions {
  /** Version number. @default undefined (the latest) */
  version?: number;
  /** Release label, e.g. "prod". @default undefined */
  label?: string;
  /** Provider whose format PromptLayer should return the `llm_kwargs` in. @default undefined */
  provider?: string;
  /** Model to return the template for. @default undefined */
  model?: string;
  /** Values PromptLayer renders into the template on its side (any Jinja2 works then). @default undefined */
  inputVariables?: Record<string, unknown>;
  /** Metadata filters selecting the version. @default undefined */
  metadataFilters?: Record<string, string>;
  /** Return a LangChain `PromptTemplate` (completion) or `ChatPromptTemplate` (chat). @default false */
  langchain?: boolean;
}

/** A registry prompt as PromptLayer returns it; `promptTemplate` keeps PromptLayer's own document shape. */
export interface PromptLayerTemplate {
  id: number | undefined;
  promptName: string;
  version: number | undefined;
  tags: string[];
  /** PromptLayer's `prompt_template` document (`{ type: "completion" | "chat", … }`), as sent. */
  promptTemplate: PromptLayerPromptTemplate;
  /** PromptLayer's metadata, e.g. `{ model: { provider, name, parameters } }`. */
  metadata: Record<string, unknown>;
  /** The model call arguments PromptLayer prepared (`llm_kwargs`). */
  llmKwargs: Record<string, unknown> | null;
  commitMessage: string | undefined;
  /** A warning PromptLayer attached to the answer, if any. */
  warning: string | undefined;
}

/** `track.*`: attach scores, metadata, prompts and groups to a logged request. */
export interface PromptLayerTrackApi {
  score(options: PromptLayerTrackScoreOptions): Promise<void>;
  metadata(options: PromptLayerTrackMetadataOptions): Promise<void>;
  prompt(options: PromptLayerTrackPromptOptions): Promise<void>;
  group(options: PromptLayerTrackGroupOptions): Promise<void>;
}

/** `groups.*`: request groups. */
export interface PromptLayerGroupsApi {
  /** Creates a group and resolves to its id. */
  create(): Promise<number>;
}

/** `templates.*`: the prompt registry. */
export interface PromptLayerTemplatesApi {
  get(
    name: string,
    options: PromptLayerGetTemplateOptions & { langchain: true },
  ): Promise<PromptLayerLangChainTemplate>;
  get(
    name: string,
    options?: PromptLayerGetTemplateOptions & { langchain?: false },
  ): Promise<PromptLayerTemplate>;
  get(
    name: string,
    options?: PromptLayerGetTemplateOptions,
  ): Promise<PromptLayerTemplate | PromptLayerLangChainTemplate>;
}

/**
 * PromptLayer's tracking and registry API: camelCase arguments here, PromptLayer's snake_case on the
 * wire. Every method resolves on success and rejects with a `VendorApiError` (or `ExportTimeoutError`)
 * otherwise — or with a `ConfigurationError` for an invalid argument, before anything is sent.
 */
export class PromptLayerClient {
  readonly track: PromptLayerTrackApi;
  readonly groups: PromptLayerGroupsApi;
  readonly templates: PromptLayerTemplatesApi;
  readonly #settings: PromptLayerSettings;
  readonly #http: HttpClient;

  constructor(options: PromptLayerClientOptions = {}) {
    checkPromptLayerOptions(options, "PromptLayerClient");
    this.#settings = loadPromptLayerSettings(options ?? {});
    this.#http = createHttpClient({
      vendor: PROMPTLAYER_VENDOR,
      baseUrl: this.#settings.baseUrl,
      ...loadHttpSettings(options ?? {}),
      headers: { accept: "application/json" },
      userAgent: `@langchain-observability/promptlayer/${VERSION}`,
      // The key travels in every body or header: the client keeps it out of the errors it raises.
      secrets: [this.#settings.apiKey],
    });
    this.track = {
      score: (args) => this.#trackScore(args),
      metadata: (args) => this.#trackMetadata(args),
      prompt: (args) => this.#trackPrompt(args),
      group: (args) => this.#trackGroup(args),
    };
    this.groups = { create: () => this.#createGroup() };
    this.templates = {
      get: ((name: string, templateOptions?: PromptLayerGetTemplateOptions) =>
        this.#getTemplate(name, templateOptions ?? {})) as PromptLayerTemplatesApi["get"],
    };
  }

  /** The base URL requests go to (never the key). */
  get baseUrl(): string {
    return this.#http.baseUrl;
  }

  async #trackScore(args: PromptLayerTrackScoreOptions): Promise<void> {
    const requestId = wireRequestId(args?.requestId, "requestId");
    const score = args.score;
    if (typeof score !== "number" || !Number.isFinite(score) || score < 0 || score > 100) {
      throw new ConfigurationError({
        message: `\`score\` must be a number from 0 to 100, got ${describeValue(score)}.`,
        option: "score",
      });
    }
    if (args.name !== undefined && typeof args.name !== "string") {
      throw new ConfigurationError({ message: "`name` must be a string.", option: "name" });
    }
    // At-most-once: whether PromptLayer adds a second score row for a resend is not documented.
    await this.#post("library-track-score", false, {
      request_id: requestId,
      score,
      ...(args.name === undefined ? {} : { name: args.name }),
    });
  }

  async #trackMetadata(args: PromptLayerTrackMetadataOptions): Promise<void> {
    const requestId = wireRequestId(args?.requestId, "requestId");
    const metadata = args.metadata;
    if (!isRecord(metadata)) {
      throw new ConfigurationError({
        message: "`metadata` must be an object of string values.",
        option: "metadata",
      });
    }
    const invalid = Object.entries(metadata).filter(([, value]) => typeof value !== "string");
    if (invalid.length > 0) {
      throw new ConfigurationError({
        message: `\`metadata\` values must be strings (PromptLayer refuses others); not a string: ${invalid
          .map(([key, value]) => `${JSON.stringify(key)} (${value === null ? "null" : typeof value})`)
          .join(", ")}. Convert them with String() or JSON.stringify().`,
        option: "metadata",
      });
    }
    // Setting the same keys again leaves the same metadata: safe to resend.
    await this.#post("library-track-metadata", true, { request_id: requestId, metadata: { ...metadata } });
  }

  async #trackPrompt(args: PromptLayerTrackPromptOptions): Promise<void> {
    const requestId = wireRequestId(args?.requestId, "requestId");
    if (typeof args.promptName !== "string" || args.promptName === "") {
      throw new ConfigurationError({
        message: "`promptName` must be a non-empty string.",
        option: "promptName",
      });
    }
    const variables = args.promptInputVariables ?? {};
    if (!isRecord(variables)) {
      throw new ConfigurationError({
        message: "`promptInputVariables` must be an object.",
        option: "promptInputVariables",
      });
    }
    if (args.version !== undefined && (typeof args.version !== "number" || !Number.isInteger(args.version))) {
      throw new ConfigurationError({ message: "`version` must be an integer.", option: "version" });
    }
    if (args.label !== undefined && typeof args.label !== "string") {
      throw new ConfigurationError({ message: "`label` must be a string.", option: "label" });
    }
    await this.#post("library-track-prompt", true, {
      request_id: requestId,
      prompt_name: args.promptName,
      prompt_input_variables: variables,
      ...(args.version === undefined ? {} : { version: args.version }),
      ...(args.label === undefined ? {} : { label: args.label }),
    });
  }

  async #trackGroup(args: PromptLayerTrackGroupOptions): Promise<void> {
    const requestId = wireRequestId(args?.requestId, "requestId");
    const groupId = wireRequestId(args.groupId, "groupId");
    await this.#post("track-group", true, { request_id: requestId, group_id: groupId });
  }

  async #createGroup(): Promise<number> {
    // A resend would create a second group: at-most-once.
    const response = await this.#post("create-group", false, {});
    const id = isRecord(response.body) ? readRequestId(response.body.id) : undefined;
    if (id === undefined) {
      throw rejectedAnswerError({
        method: "POST",
        url: `${this.#http.baseUrl}/create-group`,
        status: response.status,
        text: response.text,
        body: response.body,
        apiKey: this.#settings.apiKey,
        reason: "answered without a group id",
      });
    }
    return id;
  }

  async #getTemplate(
    name: string,
    options: PromptLayerGetTemplateOptions,
  ): Promise<PromptLayerTemplate | PromptLayerLangChainTemplate> {
    if (typeof name !== "string" || name === "") {
      throw new ConfigurationError({
        message: "The template name must be a non-empty string.",
        option: "name",
      });
    }
    const body: PromptLayerGetTemplateBody = {};
    if (options.version !== undefined) {
      if (typeof options.version !== "number" || !Number.isInteger(options.version)) {
        throw new ConfigurationError({ message: "`version` must be an integer.", option: "version" });
      }
      body.version = options.version;
    }
    if (options.label !== undefined) body.label = options.label;
    if (options.provider !== undefined) body.provider = options.provider;
    if (options.model !== undefined) body.model = options.model;
    if (options.inputVariables !== undefined) body.input_variables = options.inputVariables;
    if (options.metadataFilters !== undefined) body.metadata_filters = options.metadataFilters;
    // The whole name is encoded (as the Python SDK does), so "/", "?" and "#" stay part of it.
    const path = `prompt-templates/${encodeURIComponent(name)}`;
    const url = `${this.#http.baseUrl}/${path}`;
    const response = await this.#request({
      method: "POST",
      path,
      json: body,
      headers: { "x-api-key": this.#settings.apiKey },
      // A read (PromptLayer uses POST for it): safe to resend.
      idempotent: true,
    });
    const answer = response.body as PromptLayerGetTemplateResponse | undefined;
    if (!isRecord(answer) || answer.success === false || !isRecord(answer.prompt_template)) {
      throw rejectedAnswerError({
        method: "POST",
        url,
        status: response.status,
        text: response.text,
        body: answer,
        apiKey: this.#settings.apiKey,
        ...(isRecord(answer) && answer.success === false
          ? {}
          : { reason: "answered without a prompt_template" }),
      });
    }
    const promptTemplate = answer.prompt_template as unknown as PromptLayerPromptTemplate;
    if (options.langchain) return convertPromptLayerTemplate(name, promptTemplate);
    return {
      id: typeof answer.id === "number" ? answer.id : undefined,
      promptName: typeof answer.prompt_name === "string" ? answer.prompt_name : name,
      version: typeof answer.version === "number" ? answer.version : undefined,
      tags: Array.isArray(answer.tags) ? answer.tags.filter((tag) => typeof tag === "string") : [],
      promptTemplate,
      metadata: isRecord(answer.metadata) ? answer.metadata : {},
      llmKwargs: isRecord(answer.llm_kwargs) ? answer.llm_kwargs : null,
      commitMessage: typeof answer.commit_message === "string" ? answer.commit_message : undefined,
      warning: typeof answer.warning === "string" ? answer.warning : undefined,
    };
  }

  /**
   * One request the caller awaits. Core's HTTP client lets background export requests leave the
   * process free to exit; a client call is awaited by the user's code, so it asks the client to hold
   * the process until the answer comes (bounded by `timeoutMs` and `maxRetries`), or a script's
   * top-level `await promptlayer.templates.get(…)` could end before its answer.
   */
  #request(request: HttpRequest): Promise<HttpResponse> {
    return this.#http.request({ ...request, holdProcess: true });
  }

  /** POSTs to a tracking endpoint with `api_key` in the body (as PromptLayer's SDKs do). */
  async #post(path: string, idempotent: boolean, body: Record<string, unknown>): Promise<HttpResponse> {
    const response = await this.#request({
      method: "POST",
      path,
      json: { ...body, api_key: this.#settings.apiKey },
      idempotent,
    });
    if (isRecord(response.body) && response.body.success === false) {
      throw rejectedAnswerError({
        method: "POST",
        url: `${this.#http.baseUrl}/${path}`,
        status: response.status,
        text: response.text,
        body: response.body,
        apiKey: this.#settings.apiKey,
      });
    }
    return response;
  }
}

/** A request or group id as PromptLayer wants it: an integer (a numeric string is converted). */
function wireRequestId(value: unknown, option: string): number {
  const id = readRequestId(value);
  if (id === undefined) {
    throw new ConfigurationError({
      message: `\`${option}\` must be a PromptLayer id (an integer, as plIdCallback receives it), got ${describeValue(value)}.`,
      option,
    });
  }
  return id;
}

function describeValue(value: unknown): string {
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return value === null ? "null" : typeof value;
}
