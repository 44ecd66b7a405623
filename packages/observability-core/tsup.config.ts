import { defineConfig } from "tsup";
import { createPackageBuild } from "../../tsup.base.ts";
import { cleanAllButWebBuild, createWebBuild } from "../../tsup.web.ts";

export default defineConfig([
  {
    ...createPackageBuild(process.cwd(), {
      index: "src/index.ts",
      testing: "src/testing/index.ts",
      otlp: "src/otlp/index.ts",
    }),
    splitting: true,
    clean: cleanAllButWebBuild(),
  },
  // Workers, edge functions, browsers: the same API without Node's modules (see src/runtime/).
  { ...createWebBuild(process.cwd(), { index: "src/index.ts", otlp: "src/otlp/index.ts" }), splitting: true },
]);
