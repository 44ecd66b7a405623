/**
 * Entry of the matrix app for Cloudflare Workers (workerd): options come from the Worker's `env`
 * bindings, not from env vars, as on the real platform. The report is the response.
 */
import { runMatrixApp } from "./matrix-app.ts";

interface MatrixWorkerEnv {
  TRUBRICS_API_KEY: string;
  TRUBRICS_HOST: string;
  ARTHUR_API_KEY: string;
  ARTHUR_ENDPOINT_URL: string;
  ARTHUR_MODEL_ID: string;
  ARTHUR_ENGINE_URL: string;
  ARTHUR_TASK_ID: string;
  PROMPTLAYER_API_KEY: string;
  PROMPTLAYER_BASE_URL: string;
  /**
   * `process-env`: pass no connection options, so the handlers read the vendors' env vars, which
   * workerd copies from the bindings into `process.env` under `nodejs_compat`.
   */
  MATRIX_SETTINGS_FROM?: "bindings" | "process-env";
}

// biome-ignore lint/style/noDefaultExport: a Worker module is its default export, as workerd requires.
export default {
  async fetch(_request: Request, env: MatrixWorkerEnv): Promise<Response> {
    const fromBindings = env.MATRIX_SETTINGS_FROM !== "process-env";
    const report = await runMatrixApp({
      runtime: "workerd",
      arthurModelId: env.ARTHUR_MODEL_ID,
      trubrics: fromBindings ? { apiKey: env.TRUBRICS_API_KEY, baseUrl: env.TRUBRICS_HOST } : {},
      arthur: fromBindings ? { apiKey: env.ARTHUR_API_KEY, baseUrl: env.ARTHUR_ENDPOINT_URL } : {},
      arthurEngine: fromBindings
        ? { apiKey: env.ARTHUR_API_KEY, engineUrl: env.ARTHUR_ENGINE_URL, taskId: env.ARTHUR_TASK_ID }
        : {},
      promptlayer: fromBindings ? { apiKey: env.PROMPTLAYER_API_KEY, baseUrl: env.PROMPTLAYER_BASE_URL } : {},
    });
    return Response.json(report);
  },
};
