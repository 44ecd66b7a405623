import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { printTable } from "./measure";

/** The edge budget of issue 17: each vendor package with core, minified and gzipped, without `@langchain/core`. */
export const BUNDLE_BUDGET_BYTES = 25_000;

const benchDirectory = join(import.meta.dirname, "..");

export interface BundleSizeRow {
  package: string;
  minifiedBytes: number;
  gzippedBytes: number;
  /** Packages from node_modules in the bundle (ours are workspace packages; `@langchain/core` stays out). */
  bundledPackages: string[];
  met: boolean | undefined;
}

/**
 * Bundles each package as a user's tool does for an edge function — everything it exports, for the
 * `edge-light`, `worker`, `browser` conditions, minified — with `@langchain/core` left out, and
 * gzips the result (level 9). Langfuse's LangChain handler is bundled the same way for comparison,
 * with the OpenTelemetry SDK parts it needs outside Node (`@langfuse/otel`, `sdk-trace-base`).
 */
export async function measureBundleSizes(): Promise<BundleSizeRow[]> {
  const candidates: Array<{ name: string; entry: string; budgeted: boolean }> = [
    {
      name: "@langchain-observability/trubrics",
      entry: 'export * from "@langchain-observability/trubrics";',
      budgeted: true,
    },
    {
      name: "@langchain-observability/arthur",
      entry: 'export * from "@langchain-observability/arthur";',
      budgeted: true,
    },
    {
      name: "@langchain-observability/promptlayer",
      entry: 'export * from "@langchain-observability/promptlayer";',
      budgeted: true,
    },
    {
      name: "@langchain-observability/core alone",
      entry: 'export * from "@langchain-observability/core";',
      budgeted: false,
    },
    {
      name: "Langfuse (@langfuse/langchain)",
      entry: 'export * from "@langfuse/langchain";',
      budgeted: false,
    },
    {
      name: "Langfuse + @langfuse/otel + sdk-trace-base",
      entry: [
        'export * from "@langfuse/langchain";',
        'export { LangfuseSpanProcessor } from "@langfuse/otel";',
        'export { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";',
      ].join("\n"),
      budgeted: false,
    },
  ];
  const rows: BundleSizeRow[] = [];
  for (const candidate of candidates) {
    const result = await build({
      stdin: { contents: candidate.entry, resolveDir: benchDirectory, loader: "js" },
      bundle: true,
      write: false,
      minify: true,
      metafile: true,
      platform: "browser",
      conditions: ["edge-light", "worker", "browser"],
      format: "esm",
      target: "es2022",
      external: ["@langchain/core", "@langchain/core/*"],
      logLevel: "silent",
    });
    const code = result.outputFiles[0]!.contents;
    const gzippedBytes = gzipSync(code, { level: 9 }).length;
    rows.push({
      package: candidate.name,
      minifiedBytes: code.length,
      gzippedBytes,
      bundledPackages: bundledPackages(Object.keys(result.metafile.inputs)),
      met: candidate.budgeted ? gzippedBytes < BUNDLE_BUDGET_BYTES : undefined,
    });
  }
  printTable(
    "6. Edge bundle size (esbuild --bundle --minify --platform=browser --conditions=edge-light,worker,browser; @langchain/core external; gzip -9)",
    ["package", "minified KB", "min + gzip KB", "npm packages in it", "budget < 25 KB"],
    rows.map((row) => [
      row.package,
      row.minifiedBytes / 1000,
      row.gzippedBytes / 1000,
      row.bundledPackages.length <= 2 ? row.bundledPackages.join(", ") : `${row.bundledPackages.length}`,
      row.met === undefined ? "" : row.met ? "yes" : "NO",
    ]),
  );
  return rows;
}

/** Package names of a bundle's inputs (`node_modules/<name>/…`, the last `node_modules` wins). */
function bundledPackages(inputs: string[]): string[] {
  const names = new Set<string>();
  for (const input of inputs) {
    const match = /.*node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (match) names.add(match[1]!);
  }
  return [...names].sort();
}
