// The playground inspector page: plain DOM, no framework. It reads GET /api/state after each
// server-sent `state` event and renders it; raw requests are fetched on demand.

const FIELDS = [
  "model",
  "messages",
  "output",
  "tokens",
  "latency",
  "tags",
  "metadata",
  "user",
  "session",
  "error",
];
const MODEL_KINDS = new Set(["llm", "chat"]);

const view = {
  state: undefined,
  /** The scenario shown in the middle. */
  scenario: undefined,
  /** The model-call span selected in the tree (its run id). */
  modelRunId: undefined,
  /** Raw payloads opened (keys like `item:<recordId>:<column>` or `exchange:<id>`). */
  open: new Set(),
  /** Recorded requests fetched so far, by id. */
  exchanges: new Map(),
};

/** Creates an element: `h("div", { class: "x", dataset: { a: "1" }, onclick }, child, …)`. */
function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "dataset") Object.assign(element.dataset, value);
    else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

function formatMs(value) {
  if (value === undefined) return "";
  return value >= 100 ? `${Math.round(value)} ms` : `${value.toFixed(1)} ms`;
}

function formatBytes(value) {
  return value >= 1024 ? `${(value / 1024).toFixed(1)} KB` : `${value} B`;
}

function columnLabel(id) {
  return view.state?.columns.find((column) => column.id === id)?.label ?? id;
}

async function post(path) {
  const response = await fetch(path, { method: "POST" });
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  return response.json();
}

async function runScenario(name) {
  view.scenario = name;
  view.modelRunId = undefined;
  await post(`/api/scenarios/${encodeURIComponent(name)}/run`);
}

// ---- rendering --------------------------------------------------------------------------------

function render() {
  const state = view.state;
  if (!state) return;
  document.getElementById("models").textContent =
    state.models === "fake" ? "LangChain fake models" : "OpenAI models";
  renderColumns(state);
  renderScenarios(state);
  renderRun(state);
  renderStats(state);
  renderErrors(state);
}

function renderColumns(state) {
  const container = document.getElementById("columns");
  container.replaceChildren(
    ...state.columns.map((column) =>
      h(
        "span",
        {
          class: `badge mode-${column.mode}`,
          title: [column.wire, column.note].filter(Boolean).join(" — "),
          "data-testid": `column-${column.id}`,
          dataset: { mode: column.mode },
        },
        `${column.label}: ${column.mode === "emulator" ? "emulator" : column.mode === "real" ? "REAL vendor" : "unavailable"}`,
      ),
    ),
  );
}

function renderScenarios(state) {
  const list = document.getElementById("scenario-list");
  list.replaceChildren(
    ...state.scenarios.map((scenario) =>
      h(
        "li",
        {
          class: `scenario ${scenario.name === view.scenario ? "selected" : ""}`,
          "data-testid": `scenario-${scenario.name}`,
          dataset: { status: scenario.status ?? "never" },
        },
        h(
          "button",
          {
            type: "button",
            class: "scenario-name",
            onclick: () => {
              view.scenario = scenario.name;
              view.modelRunId = undefined;
              render();
            },
          },
          scenario.name,
        ),
        h("span", { class: `status status-${scenario.status ?? "never"}` }, scenario.status ?? "not run"),
        h(
          "button",
          {
            type: "button",
            class: "run-button",
            "data-testid": `run-${scenario.name}`,
            onclick: () => runScenario(scenario.name).catch(showFailure),
          },
          scenario.status ? "Rerun" : "Run",
        ),
        h("p", { class: "description" }, scenario.description),
      ),
    ),
  );
}

function renderRun(state) {
  const container = document.getElementById("run");
  const scenario = state.scenarios.find((candidate) => candidate.name === view.scenario);
  const run = scenario?.runId ? state.runs.find((candidate) => candidate.id === scenario.runId) : undefined;
  if (!scenario) return;
  if (!run) {
    container.replaceChildren(
      h("h2", {}, scenario.name),
      h("p", { class: "hint" }, `${scenario.description}. Not run yet: press Run.`),
    );
    return;
  }
  const modelSpans = run.spans.filter((span) => MODEL_KINDS.has(span.kind));
  if (view.modelRunId && !modelSpans.some((span) => span.runId === view.modelRunId)) {
    view.modelRunId = undefined;
  }
  const parts = [
    h(
      "header",
      { class: "run-header" },
      h("h2", {}, run.scenario),
      h(
        "span",
        {
          class: `status status-${run.status}`,
          "data-testid": "run-status",
          dataset: { status: run.status },
        },
        run.status,
      ),
      run.durationMs === undefined ? null : h("span", { class: "muted" }, formatMs(run.durationMs)),
      run.error ? h("span", { class: "run-error" }, `scenario error: ${run.error}`) : null,
    ),
    h("p", { class: "description" }, scenario.description),
    renderTree(run),
    renderModelCalls(run),
    renderRunCounters(run),
    renderRequests(run, state),
  ];
  container.replaceChildren(...parts.filter((part) => part !== null));
}

function renderTree(run) {
  const section = h("section", { class: "tree", "data-testid": "tree" }, h("h3", {}, "LangChain run tree"));
  if (run.spans.length === 0) {
    section.append(
      h(
        "p",
        { class: "hint" },
        run.status === "running" || run.status === "queued" ? "waiting for spans…" : "no spans",
      ),
    );
    return section;
  }
  const total = Math.max(...run.spans.map((span) => span.startOffsetMs + span.durationMs), 0.001);
  for (const span of run.spans) {
    const isModel = MODEL_KINDS.has(span.kind);
    const bar = h("div", { class: `bar kind-${span.kind} status-${span.status}` });
    bar.style.left = `${(span.startOffsetMs / total) * 100}%`;
    bar.style.width = `${Math.max((span.durationMs / total) * 100, 0.4)}%`;
    const label = h(
      "span",
      { class: "span-label" },
      h("span", { class: `kind kind-${span.kind}` }, span.kind),
      " ",
      span.name,
      span.status === "success" ? null : h("span", { class: `status status-${span.status}` }, span.status),
    );
    label.style.paddingLeft = `${span.depth * 16}px`;
    const row = h(
      isModel ? "button" : "div",
      {
        class: `span-row ${isModel ? "model" : ""} ${span.runId === view.modelRunId ? "selected" : ""}`,
        "data-testid": "span-row",
        dataset: { kind: span.kind, name: span.name, runId: span.runId },
        title: span.error ?? `${span.kind} ${span.name}: ${formatMs(span.durationMs)}`,
        type: isModel ? "button" : undefined,
        onclick: isModel
          ? () => {
              view.modelRunId = span.runId;
              render();
            }
          : undefined,
      },
      label,
      h("span", { class: "bar-track" }, bar),
      h("span", { class: "duration" }, formatMs(span.durationMs)),
    );
    section.append(row);
  }
  section.append(
    h("p", { class: "hint" }, "Click a model call (llm / chat) to compare what each vendor received for it."),
  );
  return section;
}

function renderModelCalls(run) {
  if (!view.modelRunId) return null;
  const calls = run.modelCalls.filter((call) => call.runId === view.modelRunId);
  const section = h("section", { class: "model-calls", "data-testid": "model-call" });
  if (calls.length === 0) {
    section.append(h("p", { class: "hint" }, "No record of this model call (yet)."));
    return section;
  }
  for (const call of calls) section.append(renderModelCall(call));
  return section;
}

function renderModelCall(call) {
  const columns = view.state.columns.filter((column) => column.mode !== "unavailable");
  const header = h(
    "tr",
    {},
    h("th", {}, "field"),
    h(
      "th",
      { "data-testid": "column-head-core" },
      "LangChain (core record)",
      h("small", {}, "what core captured"),
    ),
    ...columns.map((column) => {
      const cell = call.vendors[column.id];
      const key = `item:${call.recordId}:${column.id}`;
      return h(
        "th",
        { "data-testid": `column-head-${column.id}` },
        column.label,
        h("small", {}, cell ? cell.wireType : "nothing received"),
        cell && !cell.delivered ? h("span", { class: "status status-error" }, "not accepted") : null,
        cell
          ? h(
              "button",
              {
                type: "button",
                class: "raw-toggle",
                "data-testid": `raw-toggle-${column.id}`,
                onclick: () => {
                  if (view.open.has(key)) view.open.delete(key);
                  else view.open.add(key);
                  render();
                },
              },
              view.open.has(key) ? "hide raw" : "raw",
            )
          : null,
      );
    }),
  );
  const rows = FIELDS.map((field) =>
    h(
      "tr",
      { class: call.differs.includes(field) ? "differs" : "", dataset: { field } },
      h(
        "th",
        { scope: "row" },
        field,
        call.differs.includes(field) ? h("span", { class: "diff-mark" }, "≠") : null,
      ),
      h("td", { "data-testid": `field-${field}-core` }, shownValue(call.core[field])),
      ...columns.map((column) => {
        const cell = call.vendors[column.id];
        const value = cell?.fields[field];
        return h(
          "td",
          {
            class: [value === undefined ? "absent" : "", cell?.differs.includes(field) ? "diff" : ""].join(
              " ",
            ),
            "data-testid": `field-${field}-${column.id}`,
            dataset: { differs: cell?.differs.includes(field) ? "true" : "false" },
          },
          cell ? shownValue(value) : "",
        );
      }),
    ),
  );
  const raws = columns
    .filter((column) => call.vendors[column.id] && view.open.has(`item:${call.recordId}:${column.id}`))
    .map((column) =>
      h(
        "figure",
        { class: "raw" },
        h("figcaption", {}, `${column.label}: ${call.vendors[column.id].wireType} as sent (redacted)`),
        h("pre", { "data-testid": `raw-${column.id}` }, JSON.stringify(call.vendors[column.id].raw, null, 2)),
      ),
    );
  return h(
    "div",
    { class: "model-call" },
    h("h3", {}, `Model call: ${call.title}`, h("small", {}, ` record ${call.recordId}`)),
    h(
      "p",
      { class: "legend" },
      h("span", { class: "diff swatch" }, "differs"),
      " from what most vendors have · ",
      h("span", { class: "absent swatch" }, "— not sent"),
      " the vendor's payload has no such field",
    ),
    h(
      "div",
      { class: "table-scroll" },
      h("table", { class: "fields" }, h("thead", {}, header), h("tbody", {}, rows)),
    ),
    ...raws,
  );
}

function shownValue(cell) {
  return cell === undefined ? "—" : cell.display;
}

function renderRunCounters(run) {
  const names = Object.keys(run.counters);
  if (names.length === 0) return null;
  return h(
    "section",
    { class: "counters" },
    h("h3", {}, "During this run"),
    h(
      "table",
      { class: "stats-table" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ...["exporter", "exported", "failed", "retried", "requeued", "unknown", "dropped"].map((name) =>
            h("th", {}, name),
          ),
        ),
      ),
      h(
        "tbody",
        {},
        names.map((name) => {
          const counters = run.counters[name];
          return h(
            "tr",
            { "data-testid": `run-counters-${name}` },
            h("th", { scope: "row" }, name),
            ...["exported", "failed", "retried", "requeued", "unknown", "dropped"].map((key) =>
              h("td", { class: counters[key] > 0 && key !== "exported" ? "warn" : "" }, counters[key]),
            ),
          );
        }),
      ),
    ),
  );
}

function renderRequests(run, state) {
  const section = h("section", { class: "requests" }, h("h3", {}, "What each vendor received"));
  for (const column of state.columns) {
    const requests = run.requests[column.id] ?? [];
    const spans = run.vendorSpans[column.id] ?? [];
    const stored = state.stats.stored[column.id];
    const card = h(
      "div",
      { class: `vendor-card mode-${column.mode}`, "data-testid": `requests-${column.id}` },
      h(
        "h4",
        {},
        column.label,
        h("span", { class: `badge mode-${column.mode}` }, column.mode),
        h("small", {}, column.wire),
      ),
      column.note ? h("p", { class: "note" }, column.note) : null,
      column.mode === "real"
        ? h("p", { class: "note" }, "Real vendor: requests as the handler sent them, credentials redacted.")
        : null,
      stored === undefined
        ? null
        : h(
            "p",
            { class: "muted" },
            `the emulator has stored ${stored} ${column.storedUnit ?? "items"} in all (every run)`,
          ),
    );
    if (column.mode !== "unavailable" && requests.length === 0) {
      card.append(h("p", { class: "muted" }, "no request during this run"));
    }
    for (const request of requests) {
      const key = `exchange:${request.id}`;
      const ok = request.status !== undefined && request.status >= 200 && request.status < 300;
      card.append(
        h(
          "div",
          { class: "request", "data-testid": "request" },
          h("code", {}, `${request.method} ${request.path}`),
          " → ",
          h(
            "span",
            { class: `status ${ok ? "status-done" : "status-error"}` },
            request.status ?? request.error ?? "no answer yet",
          ),
          h(
            "span",
            { class: "muted" },
            ` · ${request.modelCalls} model call(s)`,
            request.spans ? ` · ${request.spans} span(s)` : "",
            ` · ${formatBytes(request.bytes)}`,
            request.bodyKind === "otlp-protobuf" ? " protobuf (decoded)" : "",
            request.durationMs === undefined ? "" : ` · ${formatMs(request.durationMs)}`,
          ),
          h(
            "button",
            {
              type: "button",
              class: "raw-toggle",
              "data-testid": `request-raw-${request.id}`,
              onclick: () => toggleExchange(request.id).catch(showFailure),
            },
            view.open.has(key) ? "hide raw" : "raw",
          ),
          view.open.has(key)
            ? h(
                "pre",
                { class: "raw", "data-testid": `exchange-${request.id}` },
                view.exchanges.has(request.id)
                  ? JSON.stringify(view.exchanges.get(request.id), null, 2)
                  : "loading…",
              )
            : null,
        ),
      );
    }
    if (spans.length > 0) {
      card.append(
        h(
          "details",
          { class: "decoded-spans" },
          h("summary", {}, `${spans.length} decoded span(s)`),
          h(
            "ul",
            {},
            spans.map((span) =>
              h(
                "li",
                {},
                h("code", {}, span.name),
                span.kind ? ` ${span.kind}` : "",
                span.status ? ` · ${span.status}` : "",
                span.requestLog ? " · with request log" : "",
              ),
            ),
          ),
        ),
      );
    }
    section.append(card);
  }
  return section;
}

async function toggleExchange(id) {
  const key = `exchange:${id}`;
  if (view.open.has(key)) {
    view.open.delete(key);
    render();
    return;
  }
  view.open.add(key);
  render();
  if (!view.exchanges.has(id)) {
    const response = await fetch(`/api/exchanges/${id}`);
    view.exchanges.set(id, await response.json());
    render();
  }
}

function renderStats(state) {
  const stats = state.stats;
  const keys = ["exported", "failed", "retried", "requeued", "unknown", "pending", "dropped"];
  const short = {
    exported: "exp",
    failed: "fail",
    retried: "retry",
    requeued: "requ",
    unknown: "unkn",
    pending: "pend",
    dropped: "drop",
  };
  document.getElementById("stats").replaceChildren(
    h(
      "p",
      { class: "totals" },
      `captured ${stats.captured} · exported ${stats.exported} · failed ${stats.failed} · retried ${stats.retried} · requeued ${stats.requeued} · pending ${stats.pending} · dropped ${stats.dropped}`,
    ),
    h(
      "table",
      { class: "stats-table" },
      h(
        "thead",
        {},
        h("tr", {}, h("th", {}, "exporter"), ...keys.map((key) => h("th", { title: key }, short[key]))),
      ),
      h(
        "tbody",
        {},
        stats.exporters.map((exporter) =>
          h(
            "tr",
            { "data-testid": `stats-${exporter.name}` },
            h(
              "th",
              { scope: "row", title: exporter.column ? columnLabel(exporter.column) : "run tree" },
              exporter.name,
            ),
            ...keys.map((key) =>
              h(
                "td",
                { class: exporter[key] > 0 && key !== "exported" ? "warn" : "", dataset: { key } },
                exporter[key],
              ),
            ),
          ),
        ),
      ),
    ),
    h(
      "p",
      { class: "muted legend" },
      "exp exported · fail failed · retry requests resent · requ records requeued · unkn outcome unknown · pend pending · drop dropped",
    ),
  );
}

function renderErrors(state) {
  const list = document.getElementById("errors");
  if (state.errors.length === 0) {
    list.replaceChildren(h("li", { class: "muted" }, "none"));
    return;
  }
  list.replaceChildren(
    ...[...state.errors].reverse().map((report) =>
      h(
        "li",
        {
          "data-testid": "error-report",
          dataset: { column: report.column ?? "", scenario: report.scenario ?? "" },
        },
        h("time", {}, new Date(report.time).toLocaleTimeString()),
        report.scenario ? h("span", { class: "badge" }, report.scenario) : null,
        report.column ? h("span", { class: "badge" }, columnLabel(report.column)) : null,
        h("span", { class: "message" }, report.message),
      ),
    ),
  );
}

function showFailure(error) {
  const status = document.getElementById("connection");
  status.textContent = `error: ${error instanceof Error ? error.message : String(error)}`;
  status.className = "badge status-error";
}

// ---- live updates -----------------------------------------------------------------------------

let loading = false;
let stale = false;

async function refresh() {
  if (loading) {
    stale = true;
    return;
  }
  loading = true;
  try {
    do {
      stale = false;
      const response = await fetch("/api/state");
      view.state = await response.json();
      if (!view.scenario) {
        const latest = [...view.state.runs].reverse().find((run) => run.status !== "queued");
        view.scenario = latest?.scenario;
      }
      render();
      document.body.dataset.version = String(view.state.version);
    } while (stale);
  } finally {
    loading = false;
  }
}

function connect() {
  const connection = document.getElementById("connection");
  const events = new EventSource("/api/events");
  events.addEventListener("state", () => refresh().catch(showFailure));
  events.addEventListener("open", () => {
    connection.textContent = "live";
    connection.className = "badge status-done";
  });
  events.addEventListener("error", () => {
    connection.textContent = "reconnecting…";
    connection.className = "badge status-error";
  });
}

document.getElementById("run-all").addEventListener("click", () => post("/api/run-all").catch(showFailure));
connect();
refresh().catch(showFailure);
