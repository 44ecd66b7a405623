import { defineConfig } from "vitest/config";

/** Test settings every package shares; results also go to test-results.json for `.ci/run`. */
export function createTestConfig() {
  return defineConfig({
    define: { __PACKAGE_VERSION__: JSON.stringify("0.0.0-test") },
    test: {
      include: ["src/**/*.test.ts", "test/**/*.test.ts"],
      exclude: ["**/node_modules/**", "**/dist/**", "**/*.int.test.ts"],
      reporters: ["default", ["json", { outputFile: "test-results.json" }]],
      testTimeout: 20_000,
      hookTimeout: 20_000,
      unstubEnvs: true,
      restoreMocks: true,
    },
  });
}
