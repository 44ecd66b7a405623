import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Options } from "tsup";
import { createPackageBuild } from "./tsup.base.ts";

type EsbuildPlugin = NonNullable<Options["esbuildPlugins"]>[number];

/**
 * A module `x.ts` with a sibling `x.web.ts` is replaced by that sibling: this is how a Node-only
 * import (`node:http`, `node:readline`) stays out of what Workers, edge functions and browsers load.
 */
const webSiblings: EsbuildPlugin = {
  name: "web-siblings",
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, (args) => {
      const base = resolve(args.resolveDir, args.path.replace(/\.(ts|js)$/, ""));
      const sibling = `${base}.web.ts`;
      return existsSync(sibling) ? { path: sibling } : undefined;
    });
  },
};

/**
 * The web build of a package's entries, in `dist/web/` beside the Node build, for the `workerd`,
 * `edge-light`, `worker` and `browser` conditions of its `exports`. Built for the browser
 * platform, so a Node built-in that slips in fails the build instead of a user's bundle. Types are
 * the Node build's (the API is the same).
 */
export function createWebBuild(packageDirectory: string, entry: Record<string, string>): Options {
  return {
    ...createPackageBuild(packageDirectory, entry),
    outDir: "dist/web",
    dts: false,
    // The Node build (same dist folder, built in parallel) cleans; it spares dist/web.
    clean: false,
    platform: "browser",
    target: "es2022",
    esbuildPlugins: [webSiblings],
  };
}

/** What the Node build of a package with a web build passes as `clean`: everything but `dist/web`. */
export function cleanAllButWebBuild(): string[] {
  return ["!web/**"];
}
