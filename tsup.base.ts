import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Options } from "tsup";

/** The build every published package shares: ESM + CJS + types, with its version injected. */
export function createPackageBuild(packageDirectory: string, entry: Record<string, string>): Options {
  const manifest = JSON.parse(readFileSync(join(packageDirectory, "package.json"), "utf8")) as {
    version: string;
  };
  return {
    entry,
    format: ["esm", "cjs"],
    dts: true,
    // No source maps: the output is unminified, readable JS, and maps would double the install size.
    sourcemap: false,
    clean: true,
    target: "node20",
    splitting: false,
    treeshake: true,
    define: { __PACKAGE_VERSION__: JSON.stringify(manifest.version) },
  };
}
