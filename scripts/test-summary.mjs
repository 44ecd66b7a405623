#!/usr/bin/env node
// Sums the vitest JSON reports of every workspace package into the one closing line CI reads:
// "N passed, M failed" (", K skipped" when any were skipped).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
for (const group of ["packages", "apps", "tests"]) {
  const groupDirectory = join(root, group);
  if (!existsSync(groupDirectory)) continue;
  for (const name of readdirSync(groupDirectory)) {
    const manifest = join(groupDirectory, name, "package.json");
    if (!existsSync(manifest)) continue;
    if (!JSON.parse(readFileSync(manifest, "utf8")).scripts?.test) continue;
    const reportPath = join(groupDirectory, name, "test-results.json");
    if (!existsSync(reportPath)) {
      missing.push(`${group}/${name}`);
      continue;
    }
    const report = JSON.parse(readFileSync(reportPath, "utf8"));
    passed += report.numPassedTests ?? 0;
    failed += report.numFailedTests ?? 0;
    skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    // A test file that failed to load has no test results of its own: count it as one failure.
    for (const file of report.testResults ?? []) {
      if (file.status === "failed" && (file.assertionResults ?? []).length === 0) failed++;
    }
  }
}
if (missing.length > 0) {
  console.error(`no test report from: ${missing.join(", ")} (counted as failed)`);
  failed += missing.length;
}
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`);
process.exitCode = failed > 0 ? 1 : 0;
