import { defineConfig } from "vitest/config";

/** Test settings every package shares; results also go to test-results.json for `.ci/run`. */
export function createTestConfig() {
  return defineConfig({
    define: { __PACKAGE_VERSION__: JSON.stringify("0.0.0-test") },
    test: {
      include: ["src/**/*.test.ts", "test/**/*.test.ts"],
      exclude: ["**/node_modules/**", "**/dist/**", "**/*.int.test.ts"],
      reporters: ["default", ["json", { outputFile: "test-results.json" }]],
      // Bounds that only catch a hang: on 2 loaded cores a test of a few ms can take seconds.
      testTimeout: 60_000,
      hookTimeout: 60_000,
      unstubEnvs: true,
      restoreMocks: true,
    },
  });
}
