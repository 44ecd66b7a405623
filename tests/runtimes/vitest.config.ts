import { defineConfig, mergeConfig } from "vitest/config";
import { createTestConfig } from "../../vitest.base.ts";

// One runtime at a time: each starts a process or an isolate that competes for the machine's cores.
export default mergeConfig(
  createTestConfig(),
  defineConfig({ test: { fileParallelism: false, testTimeout: 300_000, hookTimeout: 60_000 } }),
);
