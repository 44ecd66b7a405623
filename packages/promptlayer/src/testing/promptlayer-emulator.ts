import { renderTemplate } from "@langchain/core/prompts";
import {
  type Emulator,
  type EmulatorAnswer,
  type EmulatorRequest,
  type EmulatorRespondContext,
  startEmulator,
} from "@langchain-observability/core/testing";
import { toFStringTemplate } from "../convert-promptlayer-template";
import type {
  PromptLayerContentPart,
  PromptLayerPromptTemplate,
  PromptLayerTemplateFormat,
} from "../promptlayer-api";
import {
  isObject,
  isStringRecord,
  toInteger,
  validateSpansBulk,
  validateTrackRequest,
} from "./promptlayer-request-validation";

/** Options of `startPromptLayerEmulator`. */
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
   * Largest request body accepted, in bytes; a larger one is answered 413 and not stored.
   * PromptLayer publishes no limit, so none is set by default. @default undefined (no limit)
   */
  maxRequestBytes?: number;
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
  /** Port on 127.0.0.1. @default any free port */
  port?: number;
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

/** A request logged through `/track-request`, with the id the emulator gave it. */
export interface PromptLayerTrackedRequest {
  requestId: number;
  /** The body as sent (it holds the `api_key`). */
  body: Record<string, unknown>;
}

/**
 * One write the emulator stored, in order (`received`): a span (upserted by id: a resent span is a
 * second write of the same `spanId`), a `/track-request` log, or a tracking call.
 */
export type PromptLayerEmulatorStored =
  | { kind: "span"; spanId: string; traceId: string; span: Record<string, unknown>; requestLogId?: number }
  | { kind: "track-request"; requestId: number; body: Record<string, unknown> }
  | { kind: "score" | "metadata" | "prompt-link" | "group-link"; body: Record<string, unknown> }
  | { kind: "group"; id: number };

/** Routes of the emulated endpoints, for `EmulatorFault.route` (`failNext({ route, … })`). */
export const PROMPTLAYER_ROUTES = {
  spansBulk: "POST /spans-bulk",
  trackRequest: "POST /track-request",
  trackScore: "POST /library-track-score",
  trackMetadata: "POST /library-track-metadata",
  trackPrompt: "POST /library-track-prompt",
  createGroup: "POST /create-group",
  trackGroup: "POST /track-group",
  getTemplate: "POST /prompt-templates/*",
} as const;

/**
 * The PromptLayer emulator: the testing dialect of `@langchain-observability/core/testing` (`url`,
 * `received`, `failNext`, `injectFaults`, `reset`, `close` …) plus PromptLayer's state as the real
 * service would hold it (spans and request logs by span id, `/track-request` logs, scores …).
 */
export interface PromptLayerEmulator extends Emulator<PromptLayerEmulatorStored> {
  readonly routes: typeof PROMPTLAYER_ROUTES;
  /** Spans stored by `/spans-bulk`, one per `span_id`, in the order first stored. */
  readonly spans: PromptLayerStoredSpan[];
  /** Request logs created by `/spans-bulk` spans, one per `span_id`, in the order first stored. */
  readonly requestLogs: PromptLayerStoredRequestLog[];
  /** Accepted `/track-request` bodies with their request ids. */
  readonly trackRequests: PromptLayerTrackedRequest[];
  /** Accepted `/library-track-score` bodies. */
  readonly scores: Array<Record<string, unknown>>;
  /** Accepted `/library-track-metadata` bodies. */
  readonly metadataUpdates: Array<Record<string, unknown>>;
  /** Accepted `/library-track-prompt` bodies. */
  readonly promptLinks: Array<Record<string, unknown>>;
  /** Ids of the groups created. */
  readonly groups: number[];
  /** Accepted `/track-group` bodies. */
  readonly groupLinks: Array<Record<string, unknown>>;
  /** Template requests answered with a template. */
  readonly templateRequests: Array<{ promptName: string; body: Record<string, unknown> }>;
  /** Trace ids closed by `close_after: true` (or by `closeTrace`): later spans of them are rejected. */
  readonly closedTraceIds: Set<string>;
  /** Closes a trace: later spans of it are answered in `rejected_span_ids` (201), not stored. */
  closeTrace(traceId: string): void;
  /** Adds a prompt version to the registry. */
  seedTemplate(template: PromptLayerEmulatorTemplate): void;
}

interface StoredTemplate extends Required<Omit<PromptLayerEmulatorTemplate, "commitMessage">> {
  id: number;
  commitMessage: string | undefined;
}

/**
 * Starts the PromptLayer emulator on 127.0.0.1: `/spans-bulk` (schema validation, atomic batches,
 * upsert by span id, request logs answered with their `span_id`, closed traces), `/track-request`,
 * the tracking endpoints and the prompt registry, validating requests the way the real API does
 * (missing or invalid key → 401, a bad span → 422 and nothing stored, score outside 0..100 → 400,
 * non-string metadata → 400, unknown template → 404). It accepts every variant the real API is
 * known or believed to accept (`provider` as well as `provider_type`, times as numbers or strings,
 * ids as integers or numeric strings, the template key in the header or the body). `received`
 * lists what was stored, including what was stored after the client gave up.
 */
export async function startPromptLayerEmulator(
  options: PromptLayerEmulatorOptions = {},
): Promise<PromptLayerEmulator> {
  const apiKeys = new Set(options.apiKeys ?? ["pl_test_key"]);
  const firstRequestId = options.firstRequestId ?? 1;
  const trackRequests: PromptLayerTrackedRequest[] = [];
  const spans: PromptLayerStoredSpan[] = [];
  const spansById = new Map<string, PromptLayerStoredSpan>();
  const requestLogs: PromptLayerStoredRequestLog[] = [];
  const requestLogsBySpanId = new Map<string, PromptLayerStoredRequestLog>();
  const requestLogIds = new Set<number>();
  const closedTraceIds = new Set<string>();
  const scores: Array<Record<string, unknown>> = [];
  const metadataUpdates: Array<Record<string, unknown>> = [];
  const promptLinks: Array<Record<string, unknown>> = [];
  const groups: number[] = [];
  const groupLinks: Array<Record<string, unknown>> = [];
  const templateRequests: Array<{ promptName: string; body: Record<string, unknown> }> = [];
  const templates: StoredTemplate[] = [];
  let nextRequestId = firstRequestId;
  let nextSpanRowId = 1;
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
      id !== undefined && (requestLogIds.has(id) || trackRequests.some((tracked) => tracked.requestId === id))
    );
  };

  type Context = EmulatorRespondContext<PromptLayerEmulatorStored>;
  const endpoints: Record<string, (body: Record<string, unknown>, context: Context) => EmulatorAnswer> = {
    "/track-request": (body, context) => {
      const problem = validateTrackRequest(body);
      if (problem) return badRequest(problem);
      const requestId = nextRequestId++;
      trackRequests.push({ requestId, body });
      context.store({ kind: "track-request", requestId, body });
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
    "/library-track-score": (body, context) => {
      if (!isKnownRequest(body.request_id)) return badRequest("request_id does not match a tracked request");
      const score = body.score;
      if (typeof score !== "number" || !Number.isFinite(score) || score < 0 || score > 100) {
        return badRequest("score must be a number between 0 and 100");
      }
      if (body.name !== undefined && body.name !== null && typeof body.name !== "string") {
        return badRequest("name must be a string");
      }
      scores.push(body);
      context.store({ kind: "score", body });
      return ok();
    },
    "/library-track-metadata": (body, context) => {
      if (!isKnownRequest(body.request_id)) return badRequest("request_id does not match a tracked request");
      if (!isStringRecord(body.metadata)) return badRequest("metadata must be an object of string values");
      metadataUpdates.push(body);
      context.store({ kind: "metadata", body });
      return ok();
    },
    "/library-track-prompt": (body, context) => {
      if (!isKnownRequest(body.request_id)) return badRequest("request_id does not match a tracked request");
      if (typeof body.prompt_name !== "string" || body.prompt_name === "") {
        return badRequest("prompt_name must be a non-empty string");
      }
      if (!isObject(body.prompt_input_variables)) {
        return badRequest("prompt_input_variables must be an object");
      }
      if (body.version !== undefined && body.version !== null && toInteger(body.version) === undefined) {
        return badRequest("version must be an integer");
      }
      if (body.label !== undefined && body.label !== null && typeof body.label !== "string") {
        return badRequest("label must be a string");
      }
      promptLinks.push(body);
      context.store({ kind: "prompt-link", body });
      return ok();
    },
    "/create-group": (_body, context) => {
      const id = nextGroupId++;
      groups.push(id);
      context.store({ kind: "group", id });
      return { status: 200, body: { success: true, id } };
    },
    "/track-group": (body, context) => {
      if (!isKnownRequest(body.request_id)) return badRequest("request_id does not match a tracked request");
      const groupId = toInteger(body.group_id);
      if (groupId === undefined || !groups.includes(groupId)) {
        return badRequest("group_id does not match a group");
      }
      groupLinks.push(body);
      context.store({ kind: "group-link", body });
      return ok();
    },
  };

  /** `/spans-bulk`: validate every span, then store all of them or none (the batch is atomic). */
  function spansBulk(
    headers: Record<string, string>,
    body: Record<string, unknown>,
    context: Context,
  ): EmulatorAnswer {
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
      const spanContext = span.context as { span_id: string; trace_id: string };
      const spanId = spanContext.span_id.toLowerCase();
      const traceId = spanContext.trace_id.toLowerCase();
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
      let requestLogId: number | undefined;
      if (isObject(span.log_request)) {
        let log = requestLogsBySpanId.get(spanId);
        if (log) {
          log.logRequest = span.log_request;
          log.writes++;
        } else {
          log = { id: nextRequestId++, spanId, traceId, logRequest: span.log_request, writes: 1 };
          requestLogsBySpanId.set(spanId, log);
          requestLogIds.add(log.id);
          requestLogs.push(log);
        }
        requestLogId = log.id;
        answer.request_logs.push({ id: log.id, span_id: spanId });
      }
      context.store({
        kind: "span",
        spanId,
        traceId,
        span,
        ...(requestLogId === undefined ? {} : { requestLogId }),
      });
    }
    if (body.close_after === true) {
      for (const span of sent) {
        closedTraceIds.add((span.context as { trace_id: string }).trace_id.toLowerCase());
      }
    }
    if (rejectedSpanIds.length > 0) {
      answer.rejected_span_ids = rejectedSpanIds;
      answer.rejected_trace_ids = [...rejectedTraceIds];
      answer.rejection_reason = "trace_closed";
    }
    return { status: 201, body: options.answerSpansBulk ? options.answerSpansBulk(answer) : answer };
  }

  async function getTemplate(promptName: string, body: Record<string, unknown>): Promise<EmulatorAnswer> {
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

  async function respond(request: EmulatorRequest, context: Context): Promise<EmulatorAnswer> {
    const { path, headers, body } = request;
    if (request.method !== "POST") {
      return { status: 405, body: { success: false, message: `Method ${request.method} not allowed` } };
    }
    if (!isObject(body)) return badRequest("the body must be a JSON object");
    if (path === "/spans-bulk") return spansBulk(headers, body, context);
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
    return endpoint(body, context);
  }

  const emulator = await startEmulator<PromptLayerEmulatorStored>({
    respond,
    ...(options.maxRequestBytes === undefined ? {} : { maxRequestBytes: options.maxRequestBytes }),
    ...(options.port === undefined ? {} : { port: options.port }),
    onReset() {
      for (const list of [
        trackRequests,
        spans,
        requestLogs,
        scores,
        metadataUpdates,
        promptLinks,
        groups,
        groupLinks,
      ]) {
        list.length = 0;
      }
      templateRequests.length = 0;
      spansById.clear();
      requestLogsBySpanId.clear();
      requestLogIds.clear();
      closedTraceIds.clear();
      nextRequestId = firstRequestId;
      nextSpanRowId = 1;
      nextGroupId = 1;
    },
  });

  return Object.assign(emulator, {
    routes: PROMPTLAYER_ROUTES,
    spans,
    requestLogs,
    trackRequests,
    scores,
    metadataUpdates,
    promptLinks,
    groups,
    groupLinks,
    templateRequests,
    closedTraceIds,
    closeTrace(traceId: string) {
      closedTraceIds.add(traceId.toLowerCase());
    },
    seedTemplate,
  });
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

function ok(): EmulatorAnswer {
  return { status: 200, body: { success: true } };
}

function badRequest(message: string): EmulatorAnswer {
  return { status: 400, body: { success: false, message } };
}

function unauthorized(): EmulatorAnswer {
  return { status: 401, body: { success: false, message: "Invalid API key" } };
}
