import { createArthurEngineExporter, createArthurExporter } from "@langchain-observability/arthur";
import {
  ARTHUR_EMULATOR_TASK_ID,
  ARTHUR_ROUTES,
  startArthurEmulator,
} from "@langchain-observability/arthur/testing";
import type { Exporter } from "@langchain-observability/core";
import { createOtlpExporter } from "@langchain-observability/core/otlp";
import { decodeOtlpTraceRequest, type Emulator, startEmulator } from "@langchain-observability/core/testing";
import { createPromptLayerExporter, PromptLayerClient } from "@langchain-observability/promptlayer";
import { startPromptLayerEmulator } from "@langchain-observability/promptlayer/testing";
import { exportTrubrics } from "@langchain-observability/trubrics";
import { decodeFirestoreFields, startTrubricsEmulator } from "@langchain-observability/trubrics/testing";
import { readEnv } from "../read-env";
import type { RecordedExchange } from "./recording-fetch";
import {
  type ExtractContext,
  type ExtractedItems,
  extractArthurInferences,
  extractOtlp,
  extractPromptLayerSpans,
  extractPromptLayerTrackRequest,
  extractTrubrics,
  extractTrubricsPromptDocument,
} from "./vendor-fields";

/** The inspector's columns: one per vendor API. */
export type ColumnId = "trubrics" | "arthur" | "arthur-engine" | "promptlayer" | "otlp";
export const COLUMN_IDS: ColumnId[] = ["trubrics", "arthur", "arthur-engine", "promptlayer", "otlp"];

/** What the page shows of a column. */
export interface ColumnInfo {
  id: ColumnId;
  label: string;
  /** What the vendor receives, e.g. "LLM events (publish_llm_events)". */
  wire: string;
  /** Where it goes: an emulator on 127.0.0.1, the real vendor (credentials in the environment), or nowhere. */
  mode: "emulator" | "real" | "unavailable";
  note?: string;
  /** What the emulator's stored count counts ("LLM events", "spans" …). */
  storedUnit?: string;
}

/** One vendor API of the inspector: its exporter, and how to read what it sent. */
export interface InspectorColumn extends ColumnInfo {
  /** The exporter on the inspector's handler (absent when unavailable). */
  exporter?: Exporter<never>;
  /** Reads the model calls and spans out of one recorded request. */
  extract(exchange: RecordedExchange, context: ExtractContext): ExtractedItems;
  /** The next `times` ingestion requests get 503 + `Retry-After: 0` (emulator only). */
  outage(times: number): void;
  /** Items the emulator stored (undefined for a real vendor). */
  storedCount(): number | undefined;
}

export interface InspectorColumns {
  columns: InspectorColumn[];
  /** PromptLayer's client (registry and tracking calls), on its emulator or the real service. */
  promptLayerClient: PromptLayerClient;
  close(): Promise<void>;
}

export interface StartColumnsOptions {
  /** Use the emulators even with credentials in the environment. @default false */
  forceEmulators?: boolean;
  /** The recording fetch of a column (every exporter and client sends through one). */
  fetchFor(column: ColumnId): typeof globalThis.fetch;
  /** PromptLayer's `plIdCallback`: the request id of each logged record. */
  onPromptLayerId(requestId: number, client: PromptLayerClient): Promise<void>;
}

const EMULATOR_KEYS = {
  trubrics: "playground-trubrics-key",
  arthur: "playground-arthur-key",
  arthurEngine: "playground-arthur-engine-key",
  promptlayer: "pl_playground_key",
};
const OUTAGE_HEADERS = { "retry-after": "0" };

const PROMPT_TEMPLATE = {
  promptName: "example",
  version: 1,
  promptTemplate: {
    type: "completion" as const,
    content: [{ type: "text" as const, text: "Write a one-line slogan for a company that sells {product}." }],
    input_variables: ["product"],
    template_format: "f-string" as const,
  },
};

const isPost = (exchange: RecordedExchange) => exchange.method === "POST";

/**
 * Starts what each column sends to — the vendor's emulator on 127.0.0.1, or the real vendor when its
 * credentials are in the environment — and builds each column's exporter on the column's recording
 * fetch. The generic OTLP column always goes to a loopback receiver.
 */
export async function startInspectorColumns(options: StartColumnsOptions): Promise<InspectorColumns> {
  const closers: Array<() => Promise<void>> = [];
  const real = (...names: string[]) =>
    options.forceEmulators !== true && names.every((name) => readEnv(name) !== undefined);
  try {
    const columns: InspectorColumn[] = [];

    // ---- Trubrics: the ingestion API ----
    const trubricsReal = real("TRUBRICS_API_KEY") || real("TRUBRICS_EMAIL", "TRUBRICS_PASSWORD");
    const trubricsEmulator = trubricsReal
      ? undefined
      : await startTrubricsEmulator({ apiKeys: [EMULATOR_KEYS.trubrics] });
    if (trubricsEmulator) closers.push(() => trubricsEmulator.close());
    columns.push({
      id: "trubrics",
      label: "Trubrics",
      wire:
        trubricsReal && !real("TRUBRICS_API_KEY")
          ? "prompt documents (legacy platform, Firestore)"
          : "LLM events (publish_llm_events)",
      mode: trubricsEmulator ? "emulator" : "real",
      exporter: exportTrubrics({
        ...(trubricsEmulator ? { apiKey: EMULATOR_KEYS.trubrics, baseUrl: trubricsEmulator.url } : {}),
        fetch: options.fetchFor("trubrics"),
      }) as Exporter<never>,
      extract: (exchange) => {
        if (!isPost(exchange)) return { modelCalls: [], spans: [] };
        if (exchange.path.endsWith("/publish_llm_events"))
          return extractTrubrics(exchange.requestBody, exchange.id);
        // The legacy platform (email and password) writes one Firestore document per record.
        const fields = (exchange.requestBody as { fields?: Record<string, unknown> } | undefined)?.fields;
        if (exchange.path.endsWith("/prompts") && fields)
          return extractTrubricsPromptDocument(decodeFirestoreFields(fields), exchange.id);
        return { modelCalls: [], spans: [] };
      },
      outage: (times) =>
        trubricsEmulator?.failNext({
          route: trubricsEmulator.routes.publishLlmEvents,
          status: 503,
          headers: OUTAGE_HEADERS,
          times,
        }),
      storedCount: () => trubricsEmulator?.receivedLlmEvents.length,
      storedUnit: "LLM events",
    });

    // ---- Arthur: the legacy REST v3 inferences, and the GenAI Engine's OTLP traces ----
    const arthurReal = real("ARTHUR_API_KEY", "ARTHUR_MODEL_ID");
    const engineReal = real("ARTHUR_ENGINE_URL", "ARTHUR_TASK_ID", "ARTHUR_API_KEY");
    const arthurEmulator =
      arthurReal && engineReal
        ? undefined
        : await startArthurEmulator({
            apiKeys: [EMULATOR_KEYS.arthur],
            engine: { apiKeys: [EMULATOR_KEYS.arthurEngine], taskIds: [ARTHUR_EMULATOR_TASK_ID] },
          });
    if (arthurEmulator) closers.push(() => arthurEmulator.close());
    columns.push({
      id: "arthur",
      label: "Arthur (legacy)",
      wire: "inferences (REST v3)",
      mode: arthurReal ? "real" : "emulator",
      exporter: createArthurExporter({
        ...(arthurReal || !arthurEmulator
          ? { modelId: readEnv("ARTHUR_MODEL_ID") }
          : { apiKey: EMULATOR_KEYS.arthur, baseUrl: arthurEmulator.url, modelId: "arthur-llm-model" }),
        fetch: options.fetchFor("arthur"),
      }) as Exporter<never>,
      extract: (exchange) =>
        isPost(exchange) && exchange.path.endsWith("/inferences")
          ? extractArthurInferences(exchange.requestBody, exchange.id)
          : { modelCalls: [], spans: [] },
      outage: (times) =>
        arthurEmulator?.failNext({
          route: ARTHUR_ROUTES.inferences,
          status: 503,
          headers: OUTAGE_HEADERS,
          times,
        }),
      storedCount: () => (arthurReal ? undefined : arthurEmulator?.inferences.length),
      storedUnit: "inferences",
    });
    columns.push({
      id: "arthur-engine",
      label: "Arthur (engine)",
      wire: "OTLP spans, OpenInference (/api/v1/traces)",
      mode: engineReal ? "real" : "emulator",
      exporter: createArthurEngineExporter({
        ...(engineReal || !arthurEmulator
          ? {}
          : {
              engineUrl: arthurEmulator.url,
              taskId: ARTHUR_EMULATOR_TASK_ID,
              apiKey: EMULATOR_KEYS.arthurEngine,
            }),
        fetch: options.fetchFor("arthur-engine"),
      }) as Exporter<never>,
      extract: (exchange, context) =>
        isPost(exchange) && exchange.requestBodyKind === "otlp-protobuf"
          ? extractOtlp(exchange.requestBody, exchange.id, context)
          : { modelCalls: [], spans: [] },
      outage: (times) =>
        arthurEmulator?.failNext({
          route: ARTHUR_ROUTES.traces,
          status: 503,
          headers: OUTAGE_HEADERS,
          times,
        }),
      storedCount: () => (engineReal ? undefined : arthurEmulator?.spans.length),
      storedUnit: "spans",
    });

    // ---- PromptLayer: /spans-bulk (the default transport): spans, model calls with their request logs ----
    const promptlayerReal = real("PROMPTLAYER_API_KEY");
    const promptlayerEmulator = promptlayerReal
      ? undefined
      : await startPromptLayerEmulator({
          apiKeys: [EMULATOR_KEYS.promptlayer],
          templates: [PROMPT_TEMPLATE],
        });
    if (promptlayerEmulator) closers.push(() => promptlayerEmulator.close());
    const promptlayerConnection = promptlayerEmulator
      ? { apiKey: EMULATOR_KEYS.promptlayer, baseUrl: promptlayerEmulator.url }
      : {};
    const promptLayerClient = new PromptLayerClient({
      ...promptlayerConnection,
      fetch: options.fetchFor("promptlayer"),
    });
    columns.push({
      id: "promptlayer",
      label: "PromptLayer",
      wire: "spans with request logs (/spans-bulk)",
      mode: promptlayerEmulator ? "emulator" : "real",
      exporter: createPromptLayerExporter({
        ...promptlayerConnection,
        plTags: ["playground"],
        plIdCallback: (requestId) => options.onPromptLayerId(Number(requestId), promptLayerClient),
        fetch: options.fetchFor("promptlayer"),
      }) as Exporter<never>,
      extract: (exchange, context) => {
        if (!isPost(exchange)) return { modelCalls: [], spans: [] };
        if (exchange.path.endsWith("/spans-bulk"))
          return extractPromptLayerSpans(exchange.requestBody, exchange.id, context);
        if (exchange.path.endsWith("/track-request"))
          return extractPromptLayerTrackRequest(exchange.requestBody, exchange.id);
        return { modelCalls: [], spans: [] };
      },
      outage: (times) =>
        promptlayerEmulator?.failNext({
          route: promptlayerEmulator.routes.spansBulk,
          status: 503,
          headers: OUTAGE_HEADERS,
          times,
        }),
      storedCount: () => promptlayerEmulator?.spans.length,
      storedUnit: "spans",
    });

    // ---- A generic OTLP backend: core's OTLP exporter to a loopback receiver ----
    const receiver = await startOtlpReceiver();
    closers.push(() => receiver.close());
    columns.push({
      id: "otlp",
      label: "OTLP backend",
      wire: "OTLP spans, GenAI conventions (/v1/traces)",
      mode: "emulator",
      note: "core's createOtlpExporter to a loopback receiver (decoded with decodeOtlpTraceRequest)",
      exporter: createOtlpExporter({
        url: `${receiver.url}/v1/traces`,
        headers: {},
        semanticConventions: "gen-ai",
        serviceName: "langchain-observability-playground",
        fetch: options.fetchFor("otlp"),
      }) as Exporter<never>,
      extract: (exchange, context) =>
        isPost(exchange) && exchange.requestBodyKind === "otlp-protobuf"
          ? extractOtlp(exchange.requestBody, exchange.id, context)
          : { modelCalls: [], spans: [] },
      outage: (times) =>
        receiver.failNext({ route: "POST /v1/traces", status: 503, headers: OUTAGE_HEADERS, times }),
      storedCount: () => receiver.received.length,
      storedUnit: "spans",
    });

    return {
      columns,
      promptLayerClient,
      async close() {
        await Promise.all(closers.map((close) => close()));
      },
    };
  } catch (error) {
    await Promise.all(closers.map((close) => close().catch(() => {})));
    throw error;
  }
}

/**
 * A minimal OTLP/HTTP traces receiver on 127.0.0.1 (core's emulator kit): it decodes each protobuf
 * request with core's `decodeOtlpTraceRequest`, stores the spans and answers as a collector does.
 */
export function startOtlpReceiver(): Promise<Emulator<unknown>> {
  return startEmulator<unknown>({
    respond(request, context) {
      if (request.method !== "POST" || !request.path.endsWith("/v1/traces")) return undefined;
      try {
        const decoded = decodeOtlpTraceRequest(request.rawBody);
        for (const resource of decoded.resourceSpans) {
          for (const scope of resource.scopeSpans) for (const span of scope.spans) context.store(span);
        }
        // An empty ExportTraceServiceResponse: everything accepted.
        return { status: 200, headers: { "content-type": "application/x-protobuf" }, body: new Uint8Array() };
      } catch (error) {
        return { status: 400, body: { message: error instanceof Error ? error.message : String(error) } };
      }
    },
  });
}
