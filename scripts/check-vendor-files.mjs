#!/usr/bin/env node
// Every vendor package has the same file set (contributing/add-a-vendor.md), so reading one teaches
// the others. This check fails when a vendor package lacks one of the files or holds a source file
// that fits none of the roles. Run: node scripts/check-vendor-files.mjs
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const packagesDir = join(root, "packages");

/** Files every vendor package has; `<v>` is the vendor's folder name. */
const REQUIRED = [
  "src/index.ts",
  "src/version.ts",
  "src/<v>-settings.ts",
  "src/<v>-error.ts",
  "src/<v>-api.ts",
  "src/map-record-to-<v>.ts",
  "src/<v>-exporter.ts",
  "src/<v>-callback-handler.ts",
  "src/testing/index.ts",
  "src/testing/<v>-emulator.ts",
  "README.md",
  "package.json",
  "tsconfig.json",
  "tsup.config.ts",
  "vitest.config.ts",
];

/** Roles a non-test source file may have (beyond the required files). */
const ALLOWED = [
  /^src\/<v>-[a-z0-9-]+-transport\.ts$/, // one per vendor API
  /^src\/<v>-client\.ts$/, // where the vendor has a client API
  /^src\/map-[a-z0-9-]+-to-<v>\.ts$/, // more pure mappers
  /^src\/<v>-[a-z0-9-]+\.ts$/, // vendor-specific helpers (prompt, session, attributes …)
  /^src\/convert-<v>-[a-z0-9-]+\.ts$/,
  /^src\/testing\/<v>-[a-z0-9-]+\.ts$/,
];

const problems = [];
const vendors = readdirSync(packagesDir).filter(
  (name) => name !== "observability-core" && statSync(join(packagesDir, name)).isDirectory(),
);
for (const vendor of vendors) {
  const dir = join(packagesDir, vendor);
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  if (pkg.name !== `@langchain-observability/${vendor}`) {
    problems.push(`${vendor}: package.json name is ${pkg.name}, expected @langchain-observability/${vendor}`);
  }
  for (const file of REQUIRED) {
    const path = file.replaceAll("<v>", vendor);
    if (!existsSync(join(dir, path))) problems.push(`${vendor}: missing ${path}`);
  }
  const patterns = ALLOWED.map((pattern) => new RegExp(pattern.source.replaceAll("<v>", vendor)));
  const required = new Set(REQUIRED.map((file) => file.replaceAll("<v>", vendor)));
  for (const file of listSources(join(dir, "src"))) {
    const path = relative(dir, file);
    if (path.endsWith(".test.ts") || path.endsWith(".test-d.ts") || required.has(path)) continue;
    if (/-test-helpers\.ts$/.test(path)) continue;
    // A `.web.ts` sibling is the same role for runtimes without Node's modules (see the runtimes docs).
    const role = path.replace(/\.web\.ts$/, ".ts");
    if (!patterns.some((pattern) => pattern.test(role)) && !required.has(role)) {
      problems.push(`${vendor}: ${path} fits no role of contributing/add-a-vendor.md`);
    }
  }
}

if (problems.length > 0) {
  console.error(`Vendor file sets differ from contributing/add-a-vendor.md:\n- ${problems.join("\n- ")}`);
  process.exit(1);
}
console.log(`Vendor file sets match (${vendors.join(", ")}).`);

function listSources(dir) {
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...listSources(path));
    else if (entry.name.endsWith(".ts")) files.push(path);
  }
  return files;
}
