import { defineConfig } from "tsup";
import { createPackageBuild } from "../../tsup.base.ts";
import { cleanAllButWebBuild, createWebBuild } from "../../tsup.web.ts";

export default defineConfig([
  {
    ...createPackageBuild(process.cwd(), { index: "src/index.ts", testing: "src/testing/index.ts" }),
    clean: cleanAllButWebBuild(),
  },
  // Workers, edge functions, browsers: arthur-password-prompt.web.ts instead of node:readline.
  createWebBuild(process.cwd(), { index: "src/index.ts" }),
]);
