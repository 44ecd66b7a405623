import { existsSync, readdirSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import type { Options } from "tsup";
import { createPackageBuild } from "./tsup.base.ts";

type EsbuildPlugin = NonNullable<Options["esbuildPlugins"]>[number];

/** A module `x.ts` with a sibling `x.web.ts`: the Node and the web version of one piece. */
interface PlatformModule {
  /** `x`: the file name, also the package's private import `#x`. */
  name: string;
  node: string;
  web: string;
}

function findPlatformModules(sourceDirectory: string): PlatformModule[] {
  const found: PlatformModule[] = [];
  for (const entry of readdirSync(sourceDirectory, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".web.ts")) continue;
    const web = join(entry.parentPath, entry.name);
    const node = web.replace(/\.web\.ts$/, ".ts");
    if (existsSync(node)) found.push({ name: basename(node, ".ts"), node, web });
  }
  return found;
}

/**
 * One build for every runtime. A module `x.ts` with a sibling `x.web.ts` (a Node-only import such as
 * `node:http` or `node:readline` in the first, none in the second) is not bundled into the entries:
 * they import `#x` instead, and the package's `imports` field picks `dist/x.js` (Node, Bun, Deno)
 * or `dist/x.web.js` (the `workerd`, `edge-light`, `worker`, `browser` conditions of bundlers for
 * Workers, edge functions, browsers), so no web bundler ever sees the Node module. Before, a second
 * build of everything for the web (`dist/web/`) did this, doubling what users install.
 * `tests/runtimes` bundles each package for those targets and checks no Node module is in it.
 */
export function createPlatformBuild(packageDirectory: string, entry: Record<string, string>): Options {
  const modules = findPlatformModules(join(packageDirectory, "src"));
  const platformEntries: Record<string, string> = {};
  for (const module of modules) {
    platformEntries[module.name] = relative(packageDirectory, module.node);
    platformEntries[`${module.name}.web`] = relative(packageDirectory, module.web);
  }
  const platformImports: EsbuildPlugin = {
    name: "platform-imports",
    setup(build) {
      build.onResolve({ filter: /^\.\.?\// }, (args) => {
        if (args.kind === "entry-point") return undefined;
        const base = resolve(args.resolveDir, args.path.replace(/\.(ts|js)$/, ""));
        const module = modules.find((candidate) => candidate.node === `${base}.ts`);
        return module ? { path: `#${module.name}`, external: true } : undefined;
      });
    },
  };
  const build = createPackageBuild(packageDirectory, { ...entry, ...platformEntries });
  return {
    ...build,
    // Declarations for the public entries only: the platform modules are private.
    dts: { entry },
    esbuildPlugins: [platformImports],
  };
}
