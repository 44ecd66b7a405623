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
  /**
   * A refusal PromptLayer's server may give a span that passes the schema (a test hook): return a
   * message to refuse the span, and with it the whole batch (400, nothing stored, as the real API's
   * atomic batches do). @default undefined (every valid span is stored)
   */
  rejectSpan?: (span: Record<string, unknown>) => string | undefined;
  /**
   * Rewrites the 201 answer of `/spans-bulk` before it is sent (a test hook: reorder `request_logs`,
   * drop an entry …); what was stored stays as it is. @default undefined (answered as stored, in order)
   */
  answerSpansBulk?: (answer: PromptLayerSpansBulkAnswer) => unknown;
}

/** The 201 answer of `/spans-bulk`, as the emulator builds it before `answerSpansBulk`. */
export interface PromptLayerSpansBulkAnswer {
  success: true;
  spans: Array<{ id: number; name: string; span_id: string }>;
  request_logs: Array<{ id: number; span_id: string }>;
  rejected_span_ids?: string[];
  rejected_trace_ids?: string[];
  rejection_reason?: "trace_closed";
}

/** A span `/spans-bulk` stored; a span sent again with the same `span_id` replaces it (upsert). */
export interface PromptLayerStoredSpan {
  /** The emulator's row id of the span (kept across upserts). */
  id: number;
  spanId: string;
  traceId: string;
  /** The span as last sent. */
  span: Record<string, unknown>;
  /** How many accepted requests wrote this span (1, or more after a resend). */
  writes: number;
}

/** A request log a span's `log_request` created; one per `span_id` (a resend updates it, same id). */
export interface PromptLayerStoredRequestLog {
  /** The PromptLayer request id (what `plIdCallback` receives; shared with `/track-request` ids). */
  id: number;
  spanId: string;
  traceId: string;
  logRequest: Record<string, unknown>;
  /** How many accepted requests wrote this log. */
  writes: number;
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
  /** Spans stored by `/spans-bulk`, one per `span_id`, in the order first stored. */
  readonly spans: PromptLayerStoredSpan[];
  /** Request logs created by `/spans-bulk` spans, one per `span_id`, in the order first stored. */
  readonly requestLogs: PromptLayerStoredRequestLog[];
  /** Trace ids closed by `close_after: true` (or by `closeTrace`): later spans of them are rejected. */
  readonly closedTraceIds: Set<string>;
  /** Closes a trace: later spans of it are answered in `rejected_span_ids` (201), not stored. */
  closeTrace(traceId: string): void;
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
  const spans: PromptLayerStoredSpan[] = [];
  const spansById = new Map<string, PromptLayerStoredSpan>();
  const requestLogs: PromptLayerStoredRequestLog[] = [];
  const requestLogsBySpanId = new Map<string, PromptLayerStoredRequestLog>();
  const closedTraceIds = new Set<string>();
  let nextSpanRowId = 1;
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
    return (
      id !== undefined &&
      (trackRequests.some((tracked) => tracked.requestId === id) || requestLogs.some((log) => log.id === id))
    );
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

  /** `/spans-bulk`: validate every span, then store all of them or none (the batch is atomic). */
  function spansBulk(headers: Record<string, string>, body: Record<string, unknown>): Answer {
    const key = headers["x-api-key"];
    if (typeof key !== "string" || !apiKeys.has(key)) return unauthorized();
    const problems = validateSpansBulk(body);
    if (problems.length > 0) return { status: 422, body: { detail: problems } };
    const sent = body.spans as Array<Record<string, unknown>>;
    if (options.rejectSpan) {
      for (const [index, span] of sent.entries()) {
        const refusal = options.rejectSpan(span);
        if (refusal !== undefined) {
          return { status: 400, body: { loc: ["body", "spans", index], msg: refusal, type: "value_error" } };
        }
      }
    }
    const answer: PromptLayerSpansBulkAnswer = { success: true, spans: [], request_logs: [] };
    const rejectedSpanIds: string[] = [];
    const rejectedTraceIds = new Set<string>();
    const seenInBatch = new Set<string>();
    for (const span of sent) {
      const context = span.context as { span_id: string; trace_id: string };
      const spanId = context.span_id.toLowerCase();
      const traceId = context.trace_id.toLowerCase();
      if (closedTraceIds.has(traceId)) {
        rejectedSpanIds.push(spanId);
        rejectedTraceIds.add(traceId);
        continue;
      }
      // Within a batch the first span of an id wins; across batches the last one does (upsert).
      if (seenInBatch.has(spanId)) continue;
      seenInBatch.add(spanId);
      let stored = spansById.get(spanId);
      if (stored) {
        stored.span = span;
        stored.traceId = traceId;
        stored.writes++;
      } else {
        stored = { id: nextSpanRowId++, spanId, traceId, span, writes: 1 };
        spansById.set(spanId, stored);
        spans.push(stored);
      }
      answer.spans.push({ id: stored.id, name: span.name as string, span_id: spanId });
      if (isObject(span.log_request)) {
        let log = requestLogsBySpanId.get(spanId);
        if (log) {
          log.logRequest = span.log_request;
          log.writes++;
        } else {
          log = { id: nextRequestId++, spanId, traceId, logRequest: span.log_request, writes: 1 };
          requestLogsBySpanId.set(spanId, log);
          requestLogs.push(log);
        }
        answer.request_logs.push({ id: log.id, span_id: spanId });
      }
    }
    if (body.close_after === true) {
      for (const span of sent)
        closedTraceIds.add((span.context as { trace_id: string }).trace_id.toLowerCase());
    }
    if (rejectedSpanIds.length > 0) {
      answer.rejected_span_ids = rejectedSpanIds;
      answer.rejected_trace_ids = [...rejectedTraceIds];
      answer.rejection_reason = "trace_closed";
    }
    return { status: 201, body: options.answerSpansBulk ? options.answerSpansBulk(answer) : answer };
  }

  async function route(path: string, headers: Record<string, string>, body: unknown): Promise<Answer> {
    if (!isObject(body)) return badRequest("the body must be a JSON object");
    if (path === "/spans-bulk") return spansBulk(headers, body);
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
    spans,
    requestLogs,
    closedTraceIds,
    closeTrace(traceId) {
      closedTraceIds.add(traceId.toLowerCase());
    },
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
      spans.length = 0;
      spansById.clear();
      requestLogs.length = 0;
      requestLogsBySpanId.clear();
      closedTraceIds.clear();
      nextSpanRowId = 1;
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

/** One validation problem, as PromptLayer's API (FastAPI) lists them in a 422 answer. */
interface ValidationProblem {
  loc: Array<string | number>;
  msg: string;
  type: string;
}

const SPAN_KINDS = [
  "SpanKind.CLIENT",
  "SpanKind.CONSUMER",
  "SpanKind.INTERNAL",
  "SpanKind.PRODUCER",
  "SpanKind.SERVER",
];
const STATUS_CODES = ["StatusCode.ERROR", "StatusCode.OK", "StatusCode.UNSET"];
const MESSAGE_ROLES = ["system", "user", "assistant", "tool", "function", "developer", "placeholder"];
const LOG_STATUSES = ["SUCCESS", "WARNING", "ERROR"];
const ERROR_TYPES = [
  "PROVIDER_TIMEOUT",
  "PROVIDER_QUOTA_LIMIT",
  "PROVIDER_RATE_LIMIT",
  "PROVIDER_PARTIAL_RESPONSE",
  "PROVIDER_AUTH_ERROR",
  "PROVIDER_ERROR",
  "TEMPLATE_RENDER_ERROR",
  "VARIABLE_MISSING_OR_EMPTY",
  "UNKNOWN_ERROR",
];
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Validates a `/spans-bulk` body against PromptLayer's documented schema; an empty list means valid. */
function validateSpansBulk(body: Record<string, unknown>): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  const problem = (loc: Array<string | number>, msg: string) =>
    problems.push({ loc: ["body", ...loc], msg, type: "value_error" });
  if (!Array.isArray(body.spans)) {
    problem(["spans"], "field required (an array of spans)");
    return problems;
  }
  if (body.close_after !== undefined && typeof body.close_after !== "boolean") {
    problem(["close_after"], "value is not a valid boolean");
  }
  for (const [index, span] of body.spans.entries()) {
    validateSpan(span, (loc, msg) => problem(["spans", index, ...loc], msg));
  }
  return problems;
}

type Report = (loc: Array<string | number>, msg: string) => void;

function validateSpan(span: unknown, problem: Report): void {
  if (!isObject(span)) {
    problem([], "a span must be an object");
    return;
  }
  if (typeof span.name !== "string") problem(["name"], "field required (string)");
  const context = span.context;
  if (!isObject(context)) {
    problem(["context"], "field required (object)");
  } else {
    if (typeof context.trace_id !== "string" || !/^[0-9a-fA-F]{32}$/.test(context.trace_id)) {
      problem(["context", "trace_id"], "must be 32 hex characters");
    }
    if (typeof context.span_id !== "string" || !/^[0-9a-fA-F]{16}$/.test(context.span_id)) {
      problem(["context", "span_id"], "must be 16 hex characters");
    }
    if (typeof context.trace_state !== "string")
      problem(["context", "trace_state"], "field required (string)");
  }
  if (!SPAN_KINDS.includes(span.kind as string)) problem(["kind"], `must be one of ${SPAN_KINDS.join(", ")}`);
  if (span.parent_id !== null && span.parent_id !== undefined) {
    if (typeof span.parent_id !== "string" || !/^[0-9a-fA-F]{1,16}$/.test(span.parent_id)) {
      problem(["parent_id"], "must be a hex span id or null");
    }
  }
  for (const field of ["start_time", "end_time"]) {
    if (!isNanoseconds(span[field])) problem([field], "must be an integer (nanoseconds since the epoch)");
  }
  const status = span.status;
  if (!isObject(status) || !STATUS_CODES.includes(status.status_code as string)) {
    problem(["status", "status_code"], `must be one of ${STATUS_CODES.join(", ")}`);
  } else if (status.description !== null && status.description !== undefined) {
    if (typeof status.description !== "string")
      problem(["status", "description"], "must be a string or null");
  }
  if (!isObject(span.attributes)) problem(["attributes"], "field required (object)");
  if (span.events !== undefined && !Array.isArray(span.events)) problem(["events"], "must be an array");
  for (const [index, event] of (Array.isArray(span.events) ? span.events : []).entries()) {
    if (!isObject(event) || typeof event.name !== "string" || !isNanoseconds(event.timestamp)) {
      problem(["events", index], "an event needs a name and an integer timestamp");
    }
  }
  if (span.links !== undefined && !Array.isArray(span.links)) problem(["links"], "must be an array");
  const resource = span.resource;
  if (
    !isObject(resource) ||
    !isStringRecord(resource.attributes) ||
    typeof resource.schema_url !== "string"
  ) {
    problem(["resource"], "field required ({ attributes: string → string, schema_url: string })");
  }
  if (span.log_request !== undefined && span.log_request !== null) {
    validateLogRequest(span.log_request, (loc, msg) => problem(["log_request", ...loc], msg));
  }
}

function validateLogRequest(log: unknown, problem: Report): void {
  if (!isObject(log)) {
    problem([], "must be an object");
    return;
  }
  for (const field of ["provider", "model"]) {
    if (typeof log[field] !== "string" || log[field] === "") problem([field], "field required (string)");
  }
  validateTemplate(log.input, (loc, msg) => problem(["input", ...loc], msg));
  validateTemplate(log.output, (loc, msg) => problem(["output", ...loc], msg));
  // Inherited from the span when left out.
  for (const field of ["request_start_time", "request_end_time"]) {
    if (log[field] !== undefined && (typeof log[field] !== "string" || !ISO_DATE_TIME.test(log[field]))) {
      problem([field], "must be an ISO 8601 date-time");
    }
  }
  if (log.parameters !== undefined && !isObject(log.parameters)) problem(["parameters"], "must be an object");
  if (log.tags !== undefined) {
    if (!Array.isArray(log.tags)) problem(["tags"], "must be an array of strings");
    for (const [index, tag] of (Array.isArray(log.tags) ? log.tags : []).entries()) {
      if (typeof tag !== "string" || tag.length > 512)
        problem(["tags", index], "a tag is a string of at most 512 characters");
    }
  }
  if (log.metadata !== undefined) {
    if (!isStringRecord(log.metadata)) problem(["metadata"], "values must be strings");
    else if (Object.keys(log.metadata).some((key) => key.length > 1024)) {
      problem(["metadata"], "keys are at most 1024 characters");
    }
  }
  for (const field of ["input_tokens", "output_tokens"]) {
    const value = log[field];
    if (value !== undefined && !(typeof value === "number" && Number.isInteger(value) && value >= 0)) {
      problem([field], "must be an integer >= 0");
    }
  }
  if (log.price !== undefined && !(typeof log.price === "number" && log.price >= 0))
    problem(["price"], "must be >= 0");
  if (
    log.score !== undefined &&
    !(Number.isInteger(log.score) && (log.score as number) >= 0 && (log.score as number) <= 100)
  ) {
    problem(["score"], "must be an integer from 0 to 100");
  }
  if (log.function_name !== undefined && typeof log.function_name !== "string")
    problem(["function_name"], "must be a string");
  if (log.status !== undefined && !LOG_STATUSES.includes(log.status as string)) {
    problem(["status"], `must be one of ${LOG_STATUSES.join(", ")}`);
  }
  if (
    log.error_type !== undefined &&
    log.error_type !== null &&
    !ERROR_TYPES.includes(log.error_type as string)
  ) {
    problem(["error_type"], `must be one of ${ERROR_TYPES.join(", ")}`);
  }
  if (log.error_message !== undefined && log.error_message !== null) {
    if (typeof log.error_message !== "string" || log.error_message.length > 1024) {
      problem(["error_message"], "a string of at most 1024 characters");
    }
  }
}

function validateTemplate(template: unknown, problem: Report): void {
  if (!isObject(template)) {
    problem([], "field required (a chat or completion template)");
    return;
  }
  if (template.type === "completion") {
    if (!Array.isArray(template.content)) {
      problem(["content"], "must be an array of content blocks");
      return;
    }
    for (const [index, block] of template.content.entries()) {
      validateBlock(block, (loc, msg) => problem(["content", index, ...loc], msg));
    }
    return;
  }
  if (template.type !== "chat") {
    problem(["type"], 'must be "chat" or "completion"');
    return;
  }
  if (!Array.isArray(template.messages)) {
    problem(["messages"], "must be an array of messages");
    return;
  }
  for (const [index, message] of template.messages.entries()) {
    const report: Report = (loc, msg) => problem(["messages", index, ...loc], msg);
    if (!isObject(message)) {
      report([], "a message must be an object");
      continue;
    }
    if (!MESSAGE_ROLES.includes(message.role as string))
      report(["role"], `must be one of ${MESSAGE_ROLES.join(", ")}`);
    if (message.content === null) {
      if (message.role !== "assistant")
        report(["content"], "only an assistant message may have null content");
    } else if (!Array.isArray(message.content)) {
      report(["content"], "must be an array of content blocks");
    } else {
      for (const [blockIndex, block] of message.content.entries()) {
        validateBlock(block, (loc, msg) => report(["content", blockIndex, ...loc], msg));
      }
    }
    if (message.role === "tool" && typeof message.tool_call_id !== "string")
      report(["tool_call_id"], "a tool message needs tool_call_id");
    if (message.role === "function" && typeof message.name !== "string")
      report(["name"], "a function message needs name");
    if (message.tool_calls !== undefined) {
      if (!Array.isArray(message.tool_calls)) report(["tool_calls"], "must be an array");
      for (const [callIndex, call] of (Array.isArray(message.tool_calls)
        ? message.tool_calls
        : []
      ).entries()) {
        const fn = isObject(call) ? call.function : undefined;
        if (
          !isObject(call) ||
          call.type !== "function" ||
          !isObject(fn) ||
          typeof fn.name !== "string" ||
          typeof fn.arguments !== "string"
        ) {
          report(
            ["tool_calls", callIndex],
            'a tool call is { id, type: "function", function: { name, arguments: string } }',
          );
        }
      }
    }
  }
}

function validateBlock(block: unknown, problem: Report): void {
  if (!isObject(block)) {
    problem([], "a content block must be an object");
    return;
  }
  switch (block.type) {
    case "text":
      if (typeof block.text !== "string") problem(["text"], "field required (string)");
      return;
    case "thinking":
      if (typeof block.thinking !== "string") problem(["thinking"], "field required (string)");
      return;
    case "image_url":
      if (!isObject(block.image_url) || typeof block.image_url.url !== "string")
        problem(["image_url", "url"], "field required (string)");
      return;
    case "media":
      return;
    default:
      problem(["type"], 'must be "text", "thinking", "image_url" or "media"');
  }
}

/** Integer nanoseconds: a JSON integer, or (as PromptLayer's JS SDK sent them) a string of digits. */
function isNanoseconds(value: unknown): boolean {
  if (typeof value === "number") return Number.isInteger(value) && value >= 0;
  return typeof value === "string" && /^\d+$/.test(value);
}
