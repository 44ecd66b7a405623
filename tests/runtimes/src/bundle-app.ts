import { build } from "esbuild";

/** The conditions each target's bundler uses: Vercel/Next.js edge functions, and wrangler for Workers. */
export const BUNDLE_TARGETS = {
  "edge-light": { conditions: ["edge-light", "worker", "browser"], format: "iife" },
  workerd: { conditions: ["workerd", "worker", "browser"], format: "esm" },
} as const;

/**
 * Bundles an app as a user's tool does for an edge or Workers target — the equivalent of
 * `esbuild app --bundle --platform=browser --conditions=<target's>` — and returns the code.
 * Fails (with esbuild's errors) if anything it imports needs Node's modules.
 */
export async function bundleApp(
  entryPoint: string,
  target: keyof typeof BUNDLE_TARGETS,
  options: { alias?: Record<string, string> } = {},
): Promise<string> {
  const result = await build({
    entryPoints: [entryPoint],
    bundle: true,
    write: false,
    platform: "browser",
    conditions: [...BUNDLE_TARGETS[target].conditions],
    format: BUNDLE_TARGETS[target].format,
    target: "es2022",
    logLevel: "silent",
    ...(options.alias ? { alias: options.alias } : {}),
  });
  return result.outputFiles[0]!.text;
}
