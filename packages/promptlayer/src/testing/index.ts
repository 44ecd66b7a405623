import { renderTemplate } from "@langchain/core/prompts";
import { delay, HttpResponse, http, type RequestHandler } from "msw";
import { toFStringTemplate } from "../convert-promptlayer-template";
import type {
  PromptLayerContentPart,
  PromptLayerPromptTemplate,
  PromptLayerTemplateFormat,
} from "../promptlayer-api";

/** Options of `createPromptLayerEmulator`. */
export interface PromptLayerEmulatorOptions {
  /** API keys the emulator accepts; any other key (or none) is answered 401. @default ["pl_test_key"] */
  apiKeys?: string[];
  /** How `/track-request` answers `request_id`: an integer (as PromptLayer does) or a numeric string. @default "number" */
  requestIdFormat?: "number" | "string";
  /** The first request id handed out. @default 1 */
  firstRequestId?: number;
  /** Prompts of the registry, as `seedTemplate` takes them. @default [] */
  templates?: PromptLayerEmulatorTemplate[];
  /**
   * Largest request body accepted, in bytes; a larger one is answered 413 and is not logged (it is
   * only in `received`). PromptLayer publishes no limit, so none is set by default.
   * @default undefined (no limit)
   */
  maxBodyBytes?: number;
}

/** One prompt version of the emulated registry (camelCase here; answered in PromptLayer's snake_case). */
export interface PromptLayerEmulatorTemplate {
  promptName: string;
  /** PromptLayer's `prompt_template` document. */
  promptTemplate: PromptLayerPromptTemplate;
  /** @default one more than the latest version of this name */
  version?: number;
  /** Release labels of this version, e.g. ["prod"]. @default [] */
  labels?: string[];
  /** @default [] */
  tags?: string[];
  /** @default {} */
  metadata?: Record<string, unknown>;
  /** @default null */
  llmKwargs?: Record<string, unknown> | null;
  /** @default undefined */
  commitMessage?: string;
}

/** Every request the emulator received, accepted or not (bodies as sent, so they hold the API key). */
export interface PromptLayerReceivedRequest {
  method: string;
  /** The path, decoded, e.g. `/track-request` or `/prompt-templates/my prompt`. */
  path: string;
  /** The raw (still encoded) path. */
  rawPath: string;
  headers: Record<string, string>;
  body: unknown;
  /** The status the emulator answered (0 for a hang or a reset connection). */
  status: number;
  /** The fault injected into this request, if any (by `injectFault` or `setRandomFaults`). */
  fault?: PromptLayerFault["kind"];
}

/** A request logged through `/track-request`, with the id the emulator gave it. */
export interface PromptLayerTrackedRequest {
  requestId: number;
  body: Record<string, unknown>;
}

/** A failure to inject into the next matching requests, before any validation. */
export type PromptLayerFault = (
  | {
      /** Answer with this status (e.g. 429, 500, 401). */
      kind: "status";
      status: number;
      /** Seconds sent in a `Retry-After` header. */
      retryAfterSeconds?: number;
      /** Body to answer with. @default { success: false, message } */
      body?: unknown;
    }
  | { /** Never answer (the client's timeout must fire). */ kind: "hang" }
  | { /** Drop the connection without an answer. */ kind: "reset" }
  | {
      /** Answer with a body that is not what PromptLayer sends. */
      kind: "malformed";
      /** @default "<html>not json</html>" */
      body?: string;
      /** @default 200 */
      status?: number;
    }
) & {
  /** How many matching requests get this fault. @default 1 */
  times?: number;
  /** Only requests to this path (e.g. "/track-request"). @default every path */
  path?: string;
};

/**
 * Faults drawn for each matching request from a seeded pseudo-random generator, so a run with the
 * same seed draws the same sequence. Each rate is the share of requests that get that fault (their
 * sum is at most 1); a request that gets none is answered normally.
 */
export interface PromptLayerRandomFaults {
  /** Seed of the generator (any integer). */
  seed: number;
  /** Share of requests answered 500. @default 0 */
  serverErrorRate?: number;
  /** Share of requests that start a burst of 429s. @default 0 */
  rateLimitRate?: number;
  /** 429s in one burst, the first included: the next requests get them whatever is drawn. @default 3 */
  rateLimitBurst?: number;
  /** `Retry-After` of the 429s, in seconds. @default 0 */
  retryAfterSeconds?: number;
  /** Share of requests whose connection is dropped without an answer. @default 0 */
  resetRate?: number;
  /** Share of requests never answered (the client's timeout must fire). @default 0 */
  hangRate?: number;
  /** Share of requests answered 200 with a body that is not JSON. @default 0 */
  malformedRate?: number;
  /** Only requests to this path (e.g. "/track-request"). @default every path */
  path?: string;
}

export interface PromptLayerEmulator {
  /** msw handlers; serve them with core's `startMockServer(emulator.handlers)`. */
  readonly handlers: RequestHandler[];
  /** Every request received, in order, including rejected ones. */
  readonly received: PromptLayerReceivedRequest[];
  /** Accepted `/track-request` bodies with their request ids. */
  readonly trackRequests: PromptLayerTrackedRequest[];
  /** Accepted `/library-track-score` bodies. */
  readonly scores: Array<Record<string, unknown>>;
  /** Accepted `/library-track-metadata` bodies. */
  readonly metadataUpdates: Array<Record<string, unknown>>;
  /** Accepted `/library-track-prompt` bodies. */
  readonly promptLinks: Array<Record<string, unknown>>;
  /** Ids of the groups created with `/create-group`. */
  readonly groups: number[];
  /** Accepted `/track-group` bodies. */
  readonly groupLinks: Array<Record<string, unknown>>;
  /** Accepted `/prompt-templates/{name}` calls: the decoded name and the body. */
  readonly templateRequests: Array<{ promptName: string; body: Record<string, unknown> }>;
  /** Adds a prompt version to the registry. */
  seedTemplate(template: PromptLayerEmulatorTemplate): void;
  /** Makes the next matching request(s) fail (see `PromptLayerFault`). */
  injectFault(fault: PromptLayerFault): void;
  /**
   * Makes a share of all later matching requests fail at random (see `PromptLayerRandomFaults`);
   * `undefined` stops it. Faults of `injectFault` still come first.
   */
  setRandomFaults(faults: PromptLayerRandomFaults | undefined): void;
  /** Forgets everything received, the ids handed out and pending or random faults (seeded templates stay). */
  reset(): void;
}

interface StoredTemplate extends Required<Omit<PromptLayerEmulatorTemplate, "commitMessage">> {
  id: number;
  commitMessage: string | undefined;
}

type Answer = { status: number; body: unknown; headers?: Record<string, string> };

/**
 * Emulates the PromptLayer endpoints this package uses, validating requests the way the real API
 * does (missing or invalid key → 401, score outside 0..100 → 400, non-string metadata → 400, unknown
 * template → 404, a body over `maxBodyBytes` → 413) and keeping everything it received in memory.
 * It keeps a request as logged only when it answers it with success, so a test can check that
 * nothing was logged twice. It accepts every variant the real API is known or believed to accept
 * (`provider` as well as `provider_type`, timestamps as numbers or strings, ids as integers or
 * numeric strings, the template key in the header or the body).
 */
export function createPromptLayerEmulator(options: PromptLayerEmulatorOptions = {}): PromptLayerEmulator {
  const apiKeys = new Set(options.apiKeys ?? ["pl_test_key"]);
  const firstRequestId = options.firstRequestId ?? 1;
  const received: PromptLayerReceivedRequest[] = [];
  const trackRequests: PromptLayerTrackedRequest[] = [];
  const scores: Array<Record<string, unknown>> = [];
  const metadataUpdates: Array<Record<string, unknown>> = [];
  const promptLinks: Array<Record<string, unknown>> = [];
  const groups: number[] = [];
  const groupLinks: Array<Record<string, unknown>> = [];
  const templateRequests: Array<{ promptName: string; body: Record<string, unknown> }> = [];
  const templates: StoredTemplate[] = [];
  let faults: Array<PromptLayerFault & { remaining: number }> = [];
  let randomFaults: RandomFaultState | undefined;
  const maxBodyBytes = options.maxBodyBytes;
  let nextRequestId = firstRequestId;
  let nextGroupId = 1;
  let nextTemplateId = 1;

  const seedTemplate = (template: PromptLayerEmulatorTemplate) => {
    const versions = templates.filter((stored) => stored.promptName === template.promptName);
    const existing = versions[0];
    templates.push({
      id: existing ? existing.id : nextTemplateId++,
      promptName: template.promptName,
      promptTemplate: structuredClone(template.promptTemplate),
      version: template.version ?? Math.max(0, ...versions.map((stored) => stored.version)) + 1,
      labels: template.labels ?? [],
      tags: template.tags ?? [],
      metadata: template.metadata ?? {},
      llmKwargs: template.llmKwargs ?? null,
      commitMessage: template.commitMessage,
    });
  };
  for (const template of options.templates ?? []) seedTemplate(template);

  const isKnownRequest = (value: unknown) => {
    const id = toInteger(value);
    return id !== undefined && trackRequests.some((tracked) => tracked.requestId === id);
  };

  const endpoints: Record<string, (body: Record<string, unknown>) => Answer> = {
    "/track-request": (body) => {
      const problem = validateTrackRequest(body);
      if (problem) return badRequest(problem);
      const requestId = nextRequestId++;
      trackRequests.push({ requestId, body });
      return {
        status: 200,
        body: {
          success: true,
          request_id: options.requestIdFormat === "string" ? String(requestId) : requestId,
          prompt_blueprint: null,
          message: "Request tracked successfully",
        },
      };
    },
    "/library-track-score": (body) => {
      if (!isKnownRequest(body.request_id)) return badRequest("request_id does not match a tracked request");
      const score = body.score;
      if (typeof score !== "number" || !Number.isFinite(score) || score < 0 || score > 100) {
        return badRequest("score must be a number between 0 and 100");
      }
      if (body.name !== undefined && body.name !== null && typeof body.name !== "string") {
        return badRequest("name must be a string");
      }
      scores.push(body);
      return ok();
    },
    "/library-track-metadata": (body) => {
      if (!isKnownRequest(body.request_id)) return badRequest("request_id does not match a tracked request");
      if (!isStringRecord(body.metadata)) return badRequest("metadata must be an object of string values");
      metadataUpdates.push(body);
      return ok();
    },
    "/library-track-prompt": (body) => {
      if (!isKnownRequest(body.request_id)) return badRequest("request_id does not match a tracked request");
      if (typeof body.prompt_name !== "string" || body.prompt_name === "") {
        return badRequest("prompt_name must be a non-empty string");
      }
      if (!isObject(body.prompt_input_variables))
        return badRequest("prompt_input_variables must be an object");
      if (body.version !== undefined && body.version !== null && toInteger(body.version) === undefined) {
        return badRequest("version must be an integer");
      }
      if (body.label !== undefined && body.label !== null && typeof body.label !== "string") {
        return badRequest("label must be a string");
      }
      promptLinks.push(body);
      return ok();
    },
    "/create-group": () => {
      const id = nextGroupId++;
      groups.push(id);
      return { status: 200, body: { success: true, id } };
    },
    "/track-group": (body) => {
      if (!isKnownRequest(body.request_id)) return badRequest("request_id does not match a tracked request");
      const groupId = toInteger(body.group_id);
      if (groupId === undefined || !groups.includes(groupId))
        return badRequest("group_id does not match a group");
      groupLinks.push(body);
      return ok();
    },
  };

  async function getTemplate(promptName: string, body: Record<string, unknown>): Promise<Answer> {
    const versions = templates
      .filter((stored) => stored.promptName === promptName)
      .sort((a, b) => b.version - a.version);
    let match: StoredTemplate | undefined;
    if (body.version !== undefined && body.version !== null) {
      match = versions.find((stored) => stored.version === toInteger(body.version));
    } else if (typeof body.label === "string") {
      match = versions.find((stored) => stored.labels.includes(body.label as string));
    } else {
      match = versions[0];
    }
    if (!match) return { status: 404, body: { success: false, message: "Prompt template not found." } };
    templateRequests.push({ promptName, body });
    let promptTemplate = structuredClone(match.promptTemplate);
    let warning: string | undefined;
    if (isObject(body.input_variables)) {
      try {
        promptTemplate = await renderPromptTemplate(promptTemplate, body.input_variables);
      } catch (error) {
        warning = `The emulator could not render this template: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
    return {
      status: 200,
      body: {
        id: match.id,
        prompt_name: match.promptName,
        tags: match.tags,
        prompt_template: promptTemplate,
        commit_message: match.commitMessage ?? null,
        metadata: match.metadata,
        llm_kwargs: match.llmKwargs,
        version: match.version,
        workspace_id: 1,
        ...(warning === undefined ? {} : { warning }),
      },
    };
  }

  async function handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const rawPath = url.pathname;
    let path = rawPath;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      // keep the raw path
    }
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const text = await request.text();
    let body: unknown;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      body = text;
    }
    const entry: PromptLayerReceivedRequest = {
      method: request.method,
      path,
      rawPath,
      headers,
      body,
      status: 0,
    };
    received.push(entry);

    // Injected faults come first; then the size limit, so an oversized body always gets its 413.
    let fault = takeFault(path);
    if (!fault && maxBodyBytes !== undefined && new TextEncoder().encode(text).length > maxBodyBytes) {
      entry.status = 413;
      return HttpResponse.json(
        { success: false, message: `Request body larger than ${maxBodyBytes} bytes` },
        { status: 413 },
      );
    }
    fault ??= drawRandomFault(path);
    if (fault) {
      entry.fault = fault.kind;
      if (fault.kind === "hang") {
        await delay("infinite");
        return HttpResponse.error();
      }
      if (fault.kind === "reset") return HttpResponse.error();
      if (fault.kind === "malformed") {
        entry.status = fault.status ?? 200;
        return new HttpResponse(fault.body ?? "<html>not json</html>", {
          status: entry.status,
          headers: { "content-type": "text/html" },
        });
      }
      entry.status = fault.status;
      return HttpResponse.json(
        fault.body ?? { success: false, message: `Injected failure (${fault.status})` },
        {
          status: fault.status,
          headers:
            fault.retryAfterSeconds === undefined ? {} : { "retry-after": String(fault.retryAfterSeconds) },
        },
      );
    }

    const answer = await route(path, headers, body);
    entry.status = answer.status;
    return HttpResponse.json(answer.body as Record<string, unknown>, {
      status: answer.status,
      ...(answer.headers ? { headers: answer.headers } : {}),
    });
  }

  async function route(path: string, headers: Record<string, string>, body: unknown): Promise<Answer> {
    if (!isObject(body)) return badRequest("the body must be a JSON object");
    if (path.startsWith("/prompt-templates/")) {
      const key = headers["x-api-key"] ?? body.api_key;
      if (typeof key !== "string" || !apiKeys.has(key)) return unauthorized();
      return getTemplate(path.slice("/prompt-templates/".length), body);
    }
    const endpoint = endpoints[path];
    if (!endpoint) return { status: 404, body: { success: false, message: `Unknown endpoint ${path}` } };
    // The tracking endpoints take the key in the body (PromptLayer's SDKs send no header there).
    const key = body.api_key ?? headers["x-api-key"];
    if (typeof key !== "string" || !apiKeys.has(key)) return unauthorized();
    return endpoint(body);
  }

  function drawRandomFault(path: string): PromptLayerFault | undefined {
    if (!randomFaults || (randomFaults.path !== undefined && randomFaults.path !== path)) return undefined;
    const state = randomFaults;
    const rateLimited: PromptLayerFault = {
      kind: "status",
      status: 429,
      retryAfterSeconds: state.retryAfterSeconds,
      body: { success: false, message: "Rate limit exceeded" },
    };
    if (state.burstRemaining > 0) {
      state.burstRemaining--;
      return rateLimited;
    }
    let draw = state.random();
    for (const [rate, fault] of state.table) {
      if (draw < rate) {
        if (fault === "rate-limit") {
          state.burstRemaining = state.rateLimitBurst - 1;
          return rateLimited;
        }
        return fault;
      }
      draw -= rate;
    }
    return undefined;
  }

  function takeFault(path: string): PromptLayerFault | undefined {
    const fault = faults.find((candidate) => candidate.path === undefined || candidate.path === path);
    if (!fault) return undefined;
    fault.remaining--;
    if (fault.remaining <= 0) faults = faults.filter((candidate) => candidate !== fault);
    return fault;
  }

  return {
    handlers: [http.post("*", ({ request }) => handle(request))],
    received,
    trackRequests,
    scores,
    metadataUpdates,
    promptLinks,
    groups,
    groupLinks,
    templateRequests,
    seedTemplate,
    injectFault(fault) {
      faults.push({ ...fault, remaining: fault.times ?? 1 });
    },
    setRandomFaults(randomFaultOptions) {
      randomFaults =
        randomFaultOptions === undefined ? undefined : createRandomFaultState(randomFaultOptions);
    },
    reset() {
      for (const list of [
        received,
        trackRequests,
        scores,
        metadataUpdates,
        promptLinks,
        groups,
        groupLinks,
      ]) {
        list.length = 0;
      }
      templateRequests.length = 0;
      faults = [];
      randomFaults = undefined;
      nextRequestId = firstRequestId;
      nextGroupId = 1;
    },
  };
}

interface RandomFaultState {
  random: () => number;
  /** Each fault with the share of requests that get it. */
  table: Array<[number, PromptLayerFault | "rate-limit"]>;
  rateLimitBurst: number;
  retryAfterSeconds: number;
  burstRemaining: number;
  path: string | undefined;
}

function createRandomFaultState(faults: PromptLayerRandomFaults): RandomFaultState {
  const table: RandomFaultState["table"] = [
    [faults.serverErrorRate ?? 0, { kind: "status", status: 500 }],
    [faults.rateLimitRate ?? 0, "rate-limit"],
    [faults.resetRate ?? 0, { kind: "reset" }],
    [faults.hangRate ?? 0, { kind: "hang" }],
    [faults.malformedRate ?? 0, { kind: "malformed" }],
  ];
  let total = 0;
  for (const [rate] of table) {
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`Each fault rate must be from 0 to 1, got ${rate}.`);
    total += rate;
  }
  if (total > 1 + 1e-9) throw new RangeError(`The fault rates add up to ${total}, more than 1.`);
  const rateLimitBurst = faults.rateLimitBurst ?? 3;
  if (!Number.isInteger(rateLimitBurst) || rateLimitBurst < 1) {
    throw new RangeError(`rateLimitBurst must be an integer >= 1, got ${rateLimitBurst}.`);
  }
  return {
    random: createSeededRandom(faults.seed),
    table,
    rateLimitBurst,
    retryAfterSeconds: faults.retryAfterSeconds ?? 0,
    burstRemaining: 0,
    path: faults.path,
  };
}

/** mulberry32: a small, fast generator whose sequence depends on the seed only (never on Math.random). */
function createSeededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function validateTrackRequest(body: Record<string, unknown>): string | undefined {
  if (typeof body.function_name !== "string" || body.function_name === "") {
    return "function_name must be a non-empty string";
  }
  const provider = body.provider_type ?? body.provider;
  if (provider !== undefined && provider !== null && typeof provider !== "string") {
    return "provider_type must be a string";
  }
  if (body.args !== undefined && !Array.isArray(body.args)) return "args must be an array";
  if (body.kwargs !== undefined && !isObject(body.kwargs)) return "kwargs must be an object";
  if (!isObject(body.request_response) && !Array.isArray(body.request_response)) {
    return "request_response must be an object or an array";
  }
  for (const field of ["request_start_time", "request_end_time"]) {
    const value = body[field];
    const valid =
      (typeof value === "number" && Number.isFinite(value)) ||
      (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)));
    if (!valid) return `${field} must be a number (epoch seconds)`;
  }
  if (body.tags !== undefined && body.tags !== null) {
    if (!Array.isArray(body.tags) || body.tags.some((tag) => typeof tag !== "string")) {
      return "tags must be an array of strings";
    }
  }
  if (body.metadata !== undefined && body.metadata !== null && !isStringRecord(body.metadata)) {
    return "metadata must be an object of string values";
  }
  if (body.status !== undefined && !["SUCCESS", "WARNING", "ERROR"].includes(body.status as string)) {
    return 'status must be "SUCCESS", "WARNING" or "ERROR"';
  }
  for (const field of ["error_type", "error_message"]) {
    if (body[field] !== undefined && body[field] !== null && typeof body[field] !== "string") {
      return `${field} must be a string`;
    }
  }
  return undefined;
}

/** Renders the text of a template with its variables (f-string, and Jinja2 `{{ name }}` only). */
async function renderPromptTemplate(
  template: PromptLayerPromptTemplate,
  variables: Record<string, unknown>,
): Promise<PromptLayerPromptTemplate> {
  const renderParts = (
    content: PromptLayerContentPart[] | string | undefined,
    format: PromptLayerTemplateFormat | undefined,
  ) => {
    const render = (text: string) =>
      renderTemplate(toFStringTemplate(text, format ?? "f-string", "(emulator)"), "f-string", variables);
    if (typeof content === "string") return render(content);
    return (content ?? []).map((part) =>
      part.type === "text" && typeof part.text === "string" ? { ...part, text: render(part.text) } : part,
    );
  };
  if (template.type === "completion") {
    return { ...template, content: renderParts(template.content, template.template_format) };
  }
  return {
    ...template,
    messages: template.messages.map((message) =>
      message.role === "placeholder"
        ? message
        : { ...message, content: renderParts(message.content, message.template_format) },
    ),
  };
}

function ok(): Answer {
  return { status: 200, body: { success: true } };
}

function badRequest(message: string): Answer {
  return { status: 400, body: { success: false, message } };
}

function unauthorized(): Answer {
  return { status: 401, body: { success: false, message: "Invalid API key" } };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return isObject(value) && Object.values(value).every((item) => typeof item === "string");
}

function toInteger(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isInteger(value) ? value : undefined;
  if (typeof value === "string" && /^\d+$/.test(value.trim())) return Number(value.trim());
  return undefined;
}
