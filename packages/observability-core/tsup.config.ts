import { defineConfig } from "tsup";
import { createPlatformBuild } from "../../tsup.web.ts";

// One build for Node and the web: `runtime/platform-transport.ts` (node:http) and its `.web.ts`
// sibling are picked by the `imports` conditions in package.json (see tsup.web.ts).
export default defineConfig(
  createPlatformBuild(process.cwd(), {
    index: "src/index.ts",
    testing: "src/testing/index.ts",
    otlp: "src/otlp/index.ts",
  }),
);
