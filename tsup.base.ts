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
    sourcemap: false,
    clean: true,
    target: "node20",
    // Code shared by the entries (`index`, `testing`, `otlp` …) goes in chunks, in ESM and in CJS,
    // instead of into a copy per entry.
    splitting: true,
    treeshake: true,
    define: { __PACKAGE_VERSION__: JSON.stringify(manifest.version) },
    // Printed without indentation and line breaks, names and code kept (no identifier
    // mangling, so stack traces still name our functions): about a quarter off what users install
    // (issue 16: ≤ 1 MB with the dependencies). A formatter (Prettier, the editor's) restores a
    // readable file; there are no source maps, which would double the install again.
    minifyWhitespace: true,
  };
}
