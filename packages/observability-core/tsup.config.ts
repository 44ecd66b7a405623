import { defineConfig } from "tsup";
import { createPackageBuild } from "../../tsup.base.ts";

export default defineConfig({
  ...createPackageBuild(process.cwd(), {
    index: "src/index.ts",
    testing: "src/testing/index.ts",
    otlp: "src/otlp/index.ts",
  }),
  splitting: true,
});
