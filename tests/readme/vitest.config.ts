import { defineConfig, mergeConfig } from "vitest/config";
import { createTestConfig } from "../../vitest.base.ts";

// Each snippet is a child process (Node + tsx); generous bounds only catch a hang.
export default mergeConfig(createTestConfig(), defineConfig({ test: { testTimeout: 300_000 } }));
