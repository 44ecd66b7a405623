/**
 * The app every runtime of the matrix runs: a LangChain fake chat model called once through each
 * vendor's handler and once through a fan-out handler to all three, then every handler flushed.
 * Runtime-neutral: it imports only the published packages and `@langchain/core`.
 */

import { FakeListChatModel } from "@langchain/core/utils/testing";
import { ArthurCallbackHandler, exportArthur } from "@langchain-observability/arthur";
import {
  ConfigurationError,
  type FlushResult,
  ObservabilityCallbackHandler,
} from "@langchain-observability/core";
import { exportPromptLayer, PromptLayerCallbackHandler } from "@langchain-observability/promptlayer";
import { exportTrubrics, TrubricsCallbackHandler } from "@langchain-observability/trubrics";

/**
 * Connection options of each vendor. Empty objects make the handlers read the vendors' env vars
 * (Node, Bun, Deno); Workers and edge functions pass the values from their platform's bindings.
 */
export interface MatrixAppOptions {
  runtime: string;
  trubrics: { apiKey?: string; baseUrl?: string };
  arthur: { apiKey?: string; baseUrl?: string };
  /** The Arthur GenAI Engine (OTLP traces), through the same package's handler. */
  arthurEngine: { apiKey?: string; engineUrl?: string; taskId?: string };
  promptlayer: { apiKey?: string; baseUrl?: string };
  arthurModelId: string;
  /**
   * Call `flush()` on every handler before reporting. A script that leaves it out relies on core's
   * drain when the event loop empties (`beforeExit`, in Node, Bun and Deno). @default true
   */
  flush?: boolean;
}

export interface MatrixAppReport {
  /** The answers the model gave, by handler. */
  answers: Record<string, string>;
  flush: Record<string, Pick<FlushResult, "ok" | "timedOut" | "exported" | "failed" | "dropped" | "pending">>;
  /** How many ids `plIdCallback` got. */
  promptLayerIds: number;
  /** Errors the handlers reported through `onError`. */
  errors: string[];
  /**
   * What `ArthurCallbackHandler.fromCredentials` does with a login and no password where no one can
   * type it (no terminal; in web builds, no `node:readline` at all): a `ConfigurationError`.
   */
  arthurLoginWithoutPassword: { configurationError: boolean; namesOption: boolean };
}

/** The prompt of one handler's call in one runtime: what the matrix looks for at the vendors. */
export function matrixPrompt(runtime: string, handler: string): string {
  return `${runtime}: what does ${handler} record?`;
}

export async function runMatrixApp(options: MatrixAppOptions): Promise<MatrixAppReport> {
  const errors: string[] = [];
  const onError = (error: unknown) => errors.push(error instanceof Error ? error.message : String(error));
  const common = { tags: ["runtime-matrix", options.runtime], userId: "matrix-user", onError };
  let promptLayerIds = 0;
  const handlers = {
    trubrics: new TrubricsCallbackHandler({ ...options.trubrics, ...common }),
    arthur: await ArthurCallbackHandler.fromCredentials(options.arthurModelId, {
      ...options.arthur,
      ...common,
    }),
    "arthur-engine": new ArthurCallbackHandler({ ...options.arthurEngine, ...common }),
    promptlayer: new PromptLayerCallbackHandler({
      ...options.promptlayer,
      ...common,
      plTags: ["runtime-matrix"],
      plIdCallback: () => {
        promptLayerIds++;
      },
    }),
    "fan-out": new ObservabilityCallbackHandler({
      ...common,
      exporters: [
        exportTrubrics({ ...options.trubrics }),
        exportArthur({ ...options.arthur, modelId: options.arthurModelId }),
        exportPromptLayer({ ...options.promptlayer }),
      ],
    }),
  };
  const answers: Record<string, string> = {};
  for (const [name, handler] of Object.entries(handlers)) {
    const model = new FakeListChatModel({ responses: [`${options.runtime} answer for ${name}`] });
    const message = await model.invoke(matrixPrompt(options.runtime, name), { callbacks: [handler] });
    answers[name] = String(message.content);
  }
  const flush: MatrixAppReport["flush"] = {};
  for (const [name, handler] of Object.entries(options.flush === false ? {} : handlers)) {
    const { ok, timedOut, exported, failed, dropped, pending } = await handler.flush({ timeoutMs: 60_000 });
    flush[name] = { ok, timedOut, exported, failed, dropped, pending };
  }
  return {
    answers,
    flush,
    promptLayerIds,
    errors,
    arthurLoginWithoutPassword: await tryArthurLogin(options),
  };
}

async function tryArthurLogin(
  options: MatrixAppOptions,
): Promise<MatrixAppReport["arthurLoginWithoutPassword"]> {
  try {
    await ArthurCallbackHandler.fromCredentials(options.arthurModelId, {
      ...(options.arthur.baseUrl ? { baseUrl: options.arthur.baseUrl } : {}),
      arthurLogin: "matrix-user@example.com",
    });
    return { configurationError: false, namesOption: false };
  } catch (error) {
    return {
      configurationError: ConfigurationError.isInstance(error),
      namesOption: error instanceof Error && error.message.includes("`arthurPassword`"),
    };
  }
}
