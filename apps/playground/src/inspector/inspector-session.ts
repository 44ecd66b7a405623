import {
  type ExportStats,
  type LLMRunRecord,
  ObservabilityCallbackHandler,
  type RunSpanRecord,
} from "@langchain-observability/core";
import { toOtlpSpanId } from "@langchain-observability/core/otlp";
import {
  buildSpanTrees,
  createMemoryExporter,
  type SpanTreeNode,
} from "@langchain-observability/core/testing";
import type { PromptLayerClient } from "@langchain-observability/promptlayer";
import { HANDLER_DEFAULTS } from "../backends";
import { readEnv } from "../read-env";
import { fakeModels, type ModelFactory, SCENARIOS, type Scenario } from "../scenarios";
import {
  type ColumnId,
  type ColumnInfo,
  type InspectorColumn,
  startInspectorColumns,
} from "./inspector-columns";
import {
  createRecordingFetch,
  createSecretList,
  type RecordedBodyKind,
  type RecordedExchange,
  redactText,
  type SecretList,
} from "./recording-fetch";
import {
  FIELD_NAMES,
  type FieldName,
  type FieldValues,
  fieldsOfRecord,
  type VendorModelCall,
  type VendorSpan,
} from "./vendor-fields";

/** One row of a run tree. */
export interface SpanRow {
  runId: string;
  parentRunId?: string;
  depth: number;
  kind: RunSpanRecord["kind"];
  name: string;
  status: RunSpanRecord["status"];
  error?: string;
  /** Milliseconds from the start of the run's first span. */
  startOffsetMs: number;
  durationMs: number;
  /** Model calls: their record ids (one per prompt). */
  recordIds?: string[];
  toolName?: string;
}

/** One vendor's side of a model call. */
export interface VendorCell {
  wireType: string;
  fields: FieldValues;
  /** Fields whose value differs from what most vendors have. */
  differs: FieldName[];
  /** The request it came in, and whether the vendor accepted that request (2xx). */
  exchangeId: number;
  delivered: boolean;
  /** The wire item itself (redacted). */
  raw: unknown;
}

/** One prompt of one model run, as core captured it and as each vendor received it. */
export interface ModelCallView {
  recordId: string;
  runId: string;
  /** The model run's name and, with several prompts, the prompt's index. */
  title: string;
  core: FieldValues;
  /** Per column: what it received, or null when nothing of this call reached it. */
  vendors: Partial<Record<ColumnId, VendorCell | null>>;
  /** Fields on which the vendors that carry them disagree. */
  differs: FieldName[];
}

/** One request a vendor got, without its body (GET /api/exchanges/:id has it). */
export interface RequestSummary {
  id: number;
  method: string;
  path: string;
  status?: number;
  error?: string;
  bodyKind: RecordedBodyKind;
  bytes: number;
  durationMs?: number;
  /** Model calls and spans in it. */
  modelCalls: number;
  spans: number;
}

export interface RunCounters {
  exported: number;
  failed: number;
  retried: number;
  requeued: number;
  unknown: number;
  dropped: number;
}

export interface ErrorReport {
  id: number;
  time: number;
  runId?: number;
  scenario?: string;
  column?: ColumnId;
  message: string;
}

export interface RunView {
  id: number;
  scenario: string;
  status: "queued" | "running" | "done" | "error";
  startedAt?: number;
  durationMs?: number;
  error?: string;
  spans: SpanRow[];
  modelCalls: ModelCallView[];
  requests: Partial<Record<ColumnId, RequestSummary[]>>;
  vendorSpans: Partial<Record<ColumnId, VendorSpan[]>>;
  /** What each exporter did during the run (stats after minus before). */
  counters: Record<string, RunCounters>;
  errors: ErrorReport[];
}

export interface ScenarioInfo {
  name: string;
  description: string;
  /** The latest run of the scenario. */
  runId?: number;
  status?: RunView["status"];
}

/** Everything the page shows, as JSON. */
export interface InspectorState {
  version: number;
  models: ModelFactory["kind"];
  columns: ColumnInfo[];
  scenarios: ScenarioInfo[];
  runs: RunView[];
  stats: {
    captured: number;
    exported: number;
    failed: number;
    retried: number;
    requeued: number;
    unknown: number;
    pending: number;
    dropped: number;
    exporters: Array<{ name: string; column?: ColumnId } & ExportStats["exporters"][string]>;
    /** Items each emulator stored (absent for real vendors). */
    stored: Partial<Record<ColumnId, number>>;
  };
  errors: ErrorReport[];
}

export interface InspectorSession {
  state(): InspectorState;
  /** A recorded request with its bodies (redacted). */
  exchange(id: number): RecordedExchange | undefined;
  /** Queues a run of the scenario; resolves with the run's id once it is queued. */
  runScenario(name: string): number;
  /** Resolves when the run has ended (every exporter flushed). */
  whenDone(runId: number): Promise<RunView | undefined>;
  /** Queues every scenario, in order. */
  runAll(): number[];
  /** Called on every change (debounce on your side). */
  subscribe(listener: () => void): () => void;
  /** Every secret value the recorder knows, to redact anything served. */
  redact(text: string): string;
  close(): Promise<void>;
}

export interface InspectorSessionOptions {
  /** Use the emulators even when vendor credentials are in the environment (tests). @default false */
  forceEmulators?: boolean;
  /** The models of the scenarios. @default fake models, or OpenAI's with OPENAI_API_KEY */
  models?: ModelFactory;
  /** @default SCENARIOS */
  scenarios?: Scenario[];
  /** Runs and errors kept. @default 50 and 200 */
  maxRuns?: number;
  maxErrors?: number;
}

interface RunRecord {
  id: number;
  scenario: Scenario;
  status: RunView["status"];
  startedAt?: number;
  durationMs?: number;
  error?: string;
  spans: RunSpanRecord[];
  exchanges: RecordedExchange[];
  errors: ErrorReport[];
  before?: ExportStats;
  after?: ExportStats;
  done: Promise<void>;
  resolve: () => void;
}

const SPAN_EXPORTER_NAME = "inspector-spans";
/** Recorded requests kept (with their bodies) for "raw" on the page. */
const MAX_EXCHANGES = 5000;
/** Env vars whose values never appear on the page. */
const SECRET_ENV_VARS = [
  "TRUBRICS_API_KEY",
  "TRUBRICS_PASSWORD",
  "ARTHUR_API_KEY",
  "ARTHUR_PASSWORD",
  "ARTHUR_PLATFORM_TOKEN",
  "PROMPTLAYER_API_KEY",
  "OPENAI_API_KEY",
  "OTEL_EXPORTER_OTLP_HEADERS",
  "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
];
/** Message prefixes of each vendor's errors. */
const COLUMN_OF_VENDOR: Array<[RegExp, ColumnId]> = [
  [/^trubrics\b/i, "trubrics"],
  [/^arthur\b.*\/api\/v1\/traces/i, "arthur-engine"],
  [/^arthur\b/i, "arthur"],
  [/^promptlayer\b/i, "promptlayer"],
  [/^otlp\b/i, "otlp"],
];

/**
 * The inspector's engine: one core handler whose exporters are an in-memory span exporter (the run
 * tree) and every vendor column's exporter, each vendor's requests recorded (redacted) by its own
 * fetch; scenarios run one at a time, and each run gathers its spans, requests and error reports.
 */
export async function startInspectorSession(
  options: InspectorSessionOptions = {},
): Promise<InspectorSession> {
  const scenarios = options.scenarios ?? SCENARIOS;
  const models = options.models ?? (await chooseModels(options.forceEmulators === true));
  const maxRuns = options.maxRuns ?? 50;
  const maxErrors = options.maxErrors ?? 200;
  const secrets: SecretList = createSecretList(SECRET_ENV_VARS.map((name) => readEnv(name)));
  const listeners = new Set<() => void>();
  let version = 0;
  let cached: InspectorState | undefined;
  const notify = () => {
    version++;
    cached = undefined;
    for (const listener of listeners) listener();
  };

  const runs: RunRecord[] = [];
  const exchanges = new Map<number, RecordedExchange>();
  const errors: ErrorReport[] = [];
  let exchangeSequence = 0;
  let errorSequence = 0;
  let runSequence = 0;
  let current: RunRecord | undefined;
  let last: RunRecord | undefined;
  const runOfTrace = new Map<string, RunRecord>();
  let unanswered = 0;
  let answerWaiters: Array<() => void> = [];

  const fetchFor = (column: ColumnId) =>
    createRecordingFetch({
      column,
      secrets,
      nextId: () => ++exchangeSequence,
      onExchange(exchange, phase) {
        if (phase === "sent") {
          exchanges.set(exchange.id, exchange);
          // Bounded: the oldest requests go first (a Map iterates in insertion order).
          while (exchanges.size > MAX_EXCHANGES) exchanges.delete(exchanges.keys().next().value!);
          (current ?? last)?.exchanges.push(exchange);
          unanswered++;
        } else {
          unanswered--;
          if (unanswered === 0) {
            const waiters = answerWaiters;
            answerWaiters = [];
            for (const resolve of waiters) resolve();
          }
        }
        notify();
      },
    });

  const promptLayerTracking = async (requestId: number, client: PromptLayerClient) => {
    // The PromptLayer flow: every logged request gets a score, metadata and its prompt link.
    await client.track.score({ requestId, score: 100 });
    await client.track.metadata({ requestId, metadata: { source: "playground" } });
    await client.track.prompt({
      requestId,
      promptName: "example",
      promptInputVariables: { product: "toasters" },
      version: 1,
    });
  };
  const columnsHandle = await startInspectorColumns({
    forceEmulators: options.forceEmulators === true,
    fetchFor,
    onPromptLayerId: (requestId, client) => promptLayerTracking(requestId, client),
  });
  const { columns, promptLayerClient } = columnsHandle;

  const spanExporter = createMemoryExporter({
    consumes: "spans",
    name: SPAN_EXPORTER_NAME,
    onExport(batch) {
      for (const span of batch) {
        const run = runOfTrace.get(span.traceId) ?? current ?? last;
        if (!run) continue;
        runOfTrace.set(span.traceId, run);
        run.spans.push(span);
      }
      notify();
      return undefined;
    },
  });

  const handler = new ObservabilityCallbackHandler({
    exporters: [
      spanExporter,
      ...columns.flatMap((column) => (column.exporter ? [column.exporter] : [])),
    ] as ConstructorParameters<typeof ObservabilityCallbackHandler>[0]["exporters"],
    ...HANDLER_DEFAULTS,
    flushIntervalMs: 250,
    onError(error) {
      const message = redactText(error instanceof Error ? error.message : String(error), secrets);
      const run = current ?? last;
      const column = COLUMN_OF_VENDOR.find(([pattern]) => pattern.test(message))?.[1];
      const report: ErrorReport = {
        id: ++errorSequence,
        time: Date.now(),
        ...(run ? { runId: run.id, scenario: run.scenario.name } : {}),
        ...(column ? { column } : {}),
        message,
      };
      errors.push(report);
      if (errors.length > maxErrors) errors.splice(0, errors.length - maxErrors);
      run?.errors.push(report);
      notify();
    },
  });

  const callbacks = { perVendor: [handler], promptLayer: [handler], fanOut: [handler] };
  let queue: Promise<void> = Promise.resolve();
  let closed = false;

  const allAnswered = () =>
    unanswered === 0 ? Promise.resolve() : new Promise<void>((resolve) => answerWaiters.push(resolve));

  async function execute(run: RunRecord): Promise<void> {
    current = run;
    run.status = "running";
    run.startedAt = Date.now();
    run.before = handler.stats();
    notify();
    const started = performance.now();
    try {
      await run.scenario.run({
        callbacks,
        promptLayerClient,
        models,
        faults: {
          outage(times) {
            for (const column of columns) if (column.mode === "emulator") column.outage(times);
          },
        },
        timed: (call) => call(),
      });
    } catch (error) {
      run.error = redactText(error instanceof Error ? error.message : String(error), secrets);
    }
    // Every exporter delivers (or gives up on) the run's records before the run is shown as done.
    await handler.flush({ timeoutMs: 30_000 });
    await allAnswered();
    run.durationMs = performance.now() - started;
    run.after = handler.stats();
    run.status = run.error ? "error" : "done";
    last = run;
    current = undefined;
    spanExporter.clear();
    notify();
    run.resolve();
  }

  function enqueue(scenario: Scenario): RunRecord {
    let resolve!: () => void;
    const done = new Promise<void>((settle) => {
      resolve = settle;
    });
    const run: RunRecord = {
      id: ++runSequence,
      scenario,
      status: "queued",
      spans: [],
      exchanges: [],
      errors: [],
      done,
      resolve,
    };
    runs.push(run);
    trimRuns();
    queue = queue.then(() => (closed ? run.resolve() : execute(run)));
    notify();
    return run;
  }

  /** Keeps the latest run of each scenario and at most `maxRuns` runs (queued and running ones too). */
  function trimRuns(): void {
    const latest = new Map<string, RunRecord>();
    for (const run of runs) latest.set(run.scenario.name, run);
    for (let index = 0; index < runs.length && runs.length > maxRuns; ) {
      const run = runs[index]!;
      if (run.status === "done" || run.status === "error") {
        if (latest.get(run.scenario.name) !== run || runs.length > maxRuns * 2) {
          forget(run);
          runs.splice(index, 1);
          continue;
        }
      }
      index++;
    }
  }

  function forget(run: RunRecord): void {
    for (const exchange of run.exchanges) exchanges.delete(exchange.id);
    for (const [traceId, owner] of runOfTrace) if (owner === run) runOfTrace.delete(traceId);
  }

  function buildState(): InspectorState {
    const stats = handler.stats();
    const columnOfExporter = new Map<string, ColumnId>();
    for (const column of columns) if (column.exporter) columnOfExporter.set(column.exporter.name, column.id);
    const stored: Partial<Record<ColumnId, number>> = {};
    for (const column of columns) {
      const count = column.storedCount();
      if (count !== undefined) stored[column.id] = count;
    }
    const latestRun = new Map<string, RunRecord>();
    for (const run of runs) latestRun.set(run.scenario.name, run);
    return {
      version,
      models: models.kind,
      columns: columns.map(columnInfo),
      scenarios: scenarios.map((scenario) => {
        const run = latestRun.get(scenario.name);
        return {
          name: scenario.name,
          description: scenario.description,
          ...(run ? { runId: run.id, status: run.status } : {}),
        };
      }),
      runs: runs.map((run) => viewRun(run, columns)),
      stats: {
        captured: stats.captured,
        exported: stats.exported,
        failed: stats.failed,
        retried: stats.retried,
        requeued: stats.requeued,
        unknown: stats.unknown,
        pending: stats.pending,
        dropped: stats.dropped.total,
        exporters: Object.entries(stats.exporters).map(([name, counters]) => {
          const column = columnOfExporter.get(name);
          return { name, ...(column ? { column } : {}), ...counters };
        }),
        stored,
      },
      errors: [...errors],
    };
  }

  return {
    state() {
      cached ??= buildState();
      return cached;
    },
    exchange: (id) => exchanges.get(id),
    runScenario(name) {
      const scenario = scenarios.find((candidate) => candidate.name === name);
      if (!scenario) {
        throw new Error(
          `Unknown scenario "${name}". Scenarios: ${scenarios.map((known) => known.name).join(", ")}.`,
        );
      }
      return enqueue(scenario).id;
    },
    async whenDone(runId) {
      const run = runs.find((candidate) => candidate.id === runId);
      if (!run) return undefined;
      await run.done;
      return viewRun(run, columns);
    },
    runAll: () => scenarios.map((scenario) => enqueue(scenario).id),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    redact: (text) => redactText(text, secrets),
    async close() {
      if (closed) return;
      closed = true;
      await queue;
      await handler.shutdown({ timeoutMs: 10_000 });
      await columnsHandle.close();
      listeners.clear();
    },
  };
}

async function chooseModels(forceFake: boolean): Promise<ModelFactory> {
  if (!forceFake && readEnv("OPENAI_API_KEY")) {
    const { openaiModels } = await import("../openai-models");
    return openaiModels();
  }
  return fakeModels();
}

function columnInfo(column: InspectorColumn): ColumnInfo {
  return {
    id: column.id,
    label: column.label,
    wire: column.wire,
    mode: column.mode,
    ...(column.note ? { note: column.note } : {}),
    ...(column.storedUnit ? { storedUnit: column.storedUnit } : {}),
  };
}

function counters(stats: ExportStats | undefined, name: string): RunCounters {
  const exporter = stats?.exporters[name];
  return {
    exported: exporter?.exported ?? 0,
    failed: exporter?.failed ?? 0,
    retried: exporter?.retried ?? 0,
    requeued: exporter?.requeued ?? 0,
    unknown: exporter?.unknown ?? 0,
    dropped: exporter?.dropped ?? 0,
  };
}

function viewRun(run: RunRecord, columns: InspectorColumn[]): RunView {
  const rows = flattenTree(buildSpanTrees(run.spans));
  const spanIds = new Map<string, string>();
  for (const span of run.spans) spanIds.set(toOtlpSpanId(span.runId), span.runId);
  const context = { runIdOfSpanId: (spanId: string) => spanIds.get(spanId) };

  const requests: RunView["requests"] = {};
  const vendorSpans: RunView["vendorSpans"] = {};
  const extracted = new Map<ColumnId, Array<VendorModelCall & { delivered: boolean }>>();
  for (const column of columns) {
    if (column.mode === "unavailable") continue;
    const summaries: RequestSummary[] = [];
    const calls: Array<VendorModelCall & { delivered: boolean }> = [];
    const spansById = new Map<string, VendorSpan>();
    for (const exchange of run.exchanges) {
      if (exchange.column !== column.id) continue;
      const items = column.extract(exchange, context);
      const delivered = exchange.status !== undefined && exchange.status >= 200 && exchange.status < 300;
      for (const call of items.modelCalls) calls.push({ ...call, delivered });
      for (const span of items.spans)
        if (delivered || !spansById.has(span.spanId)) spansById.set(span.spanId, span);
      summaries.push({
        id: exchange.id,
        method: exchange.method,
        path: exchange.path,
        ...(exchange.status === undefined ? {} : { status: exchange.status }),
        ...(exchange.error ? { error: exchange.error } : {}),
        bodyKind: exchange.requestBodyKind,
        bytes: exchange.requestBytes,
        ...(exchange.durationMs === undefined ? {} : { durationMs: exchange.durationMs }),
        modelCalls: items.modelCalls.length,
        spans: items.spans.length,
      });
    }
    requests[column.id] = summaries;
    if (spansById.size > 0) vendorSpans[column.id] = [...spansById.values()];
    extracted.set(column.id, calls);
  }

  const modelCalls: ModelCallView[] = [];
  for (const row of rows) {
    const span = run.spans.find((candidate) => candidate.runId === row.runId);
    const records = span?.llmRecords ?? [];
    records.forEach((record, promptIndex) => {
      const vendors: ModelCallView["vendors"] = {};
      for (const column of columns) {
        if (column.mode === "unavailable") continue;
        const match = matchModelCall(extracted.get(column.id) ?? [], record, promptIndex);
        vendors[column.id] = match
          ? {
              wireType: match.wireType,
              fields: match.fields,
              differs: [],
              exchangeId: match.exchangeId,
              delivered: match.delivered,
              raw: match.raw,
            }
          : null;
      }
      const core = fieldsOfRecord(record);
      modelCalls.push({
        recordId: record.recordId,
        runId: record.runId,
        title: records.length > 1 ? `${row.name} · prompt ${promptIndex + 1}` : row.name,
        core,
        vendors,
        differs: markDifferences(vendors, core),
      });
    });
  }

  const counterNames = new Set([...Object.keys(run.after?.exporters ?? run.before?.exporters ?? {})]);
  const runCounters: Record<string, RunCounters> = {};
  for (const name of counterNames) {
    const after = counters(run.after, name);
    const before = counters(run.before, name);
    runCounters[name] = {
      exported: after.exported - before.exported,
      failed: after.failed - before.failed,
      retried: after.retried - before.retried,
      requeued: after.requeued - before.requeued,
      unknown: after.unknown - before.unknown,
      dropped: after.dropped - before.dropped,
    };
  }

  return {
    id: run.id,
    scenario: run.scenario.name,
    status: run.status,
    ...(run.startedAt === undefined ? {} : { startedAt: run.startedAt }),
    ...(run.durationMs === undefined ? {} : { durationMs: run.durationMs }),
    ...(run.error ? { error: run.error } : {}),
    spans: rows,
    modelCalls,
    requests,
    vendorSpans,
    counters: runCounters,
    errors: [...run.errors],
  };
}

/** Depth-first rows of the trees, with times relative to the earliest span. */
function flattenTree(roots: SpanTreeNode[]): SpanRow[] {
  const rows: SpanRow[] = [];
  const origin = Math.min(...roots.map((root) => root.span.timing.startTime));
  const stack = [...roots].reverse().map((node) => ({ node, depth: 0 }));
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    const span = node.span;
    rows.push({
      runId: span.runId,
      ...(span.parentRunId ? { parentRunId: span.parentRunId } : {}),
      depth,
      kind: span.kind,
      name: span.name,
      status: span.status,
      ...(span.error ? { error: `${span.error.name}: ${span.error.message}` } : {}),
      startOffsetMs: span.timing.startTime - origin,
      durationMs: span.timing.latencyMs,
      ...(span.llmRecordIds ? { recordIds: span.llmRecordIds } : {}),
      ...(span.toolName ? { toolName: span.toolName } : {}),
    });
    for (let index = node.children.length - 1; index >= 0; index--) {
      stack.push({ node: node.children[index]!, depth: depth + 1 });
    }
  }
  return rows;
}

/**
 * The vendor item of one prompt: by record id when the wire carries it; else by run id, told apart
 * by prompt text, else by position. A delivered copy wins over a failed attempt, a later one over an
 * earlier one.
 */
function matchModelCall<T extends VendorModelCall & { delivered: boolean }>(
  calls: T[],
  record: LLMRunRecord,
  promptIndex: number,
): T | undefined {
  const best = (candidates: T[]) =>
    candidates.reduce<T | undefined>((chosen, candidate) => {
      if (!chosen) return candidate;
      if (candidate.delivered !== chosen.delivered) return candidate.delivered ? candidate : chosen;
      return candidate.exchangeId >= chosen.exchangeId ? candidate : chosen;
    }, undefined);
  const byRecord = calls.filter((call) => call.recordId === record.recordId);
  if (byRecord.length > 0) return best(byRecord);
  const byRun = calls.filter((call) => call.recordId === undefined && call.runId === record.runId);
  if (byRun.length === 0) return undefined;
  const byPrompt = byRun.filter((call) => call.prompt !== undefined && call.prompt === record.input.prompt);
  if (byPrompt.length > 0) return best(byPrompt);
  const chosen = best(byRun);
  if (!chosen) return undefined;
  // Several prompts of one run without prompt text: their order within the request.
  const sameRequest = byRun.filter((call) => call.exchangeId === chosen.exchangeId);
  return sameRequest[promptIndex] ?? chosen;
}

/**
 * Flags, per field, the vendors whose value differs from the most common one (on a tie, the one
 * equal to what core captured); returns the fields on which vendors disagree.
 */
function markDifferences(vendors: ModelCallView["vendors"], core: FieldValues): FieldName[] {
  const differs: FieldName[] = [];
  const cells = Object.values(vendors).filter(
    (cell): cell is VendorCell => cell !== null && cell !== undefined,
  );
  for (const field of FIELD_NAMES) {
    const counts = new Map<string, number>();
    for (const cell of cells) {
      const value = cell.fields[field]?.canonical;
      if (value !== undefined) counts.set(value, (counts.get(value) ?? 0) + 1);
    }
    if (counts.size < 2) continue;
    differs.push(field);
    const top = Math.max(...counts.values());
    const tied = [...counts.entries()].filter(([, count]) => count === top).map(([value]) => value);
    const coreValue = core[field]?.canonical;
    const majority = coreValue !== undefined && tied.includes(coreValue) ? coreValue : tied[0]!;
    for (const cell of cells) {
      const value = cell.fields[field]?.canonical;
      if (value !== undefined && value !== majority) cell.differs.push(field);
    }
  }
  return differs;
}
