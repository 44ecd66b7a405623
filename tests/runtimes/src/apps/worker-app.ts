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
  PROMPTLAYER_API_KEY: string;
  PROMPTLAYER_BASE_URL: string;
}

// biome-ignore lint/style/noDefaultExport: a Worker module is its default export, as workerd requires.
export default {
  async fetch(_request: Request, env: MatrixWorkerEnv): Promise<Response> {
    const report = await runMatrixApp({
      runtime: "workerd",
      arthurModelId: env.ARTHUR_MODEL_ID,
      trubrics: { apiKey: env.TRUBRICS_API_KEY, host: env.TRUBRICS_HOST },
      arthur: { apiKey: env.ARTHUR_API_KEY, arthurUrl: env.ARTHUR_ENDPOINT_URL },
      promptlayer: { apiKey: env.PROMPTLAYER_API_KEY, baseUrl: env.PROMPTLAYER_BASE_URL },
    });
    return Response.json(report);
  },
};
