import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runProcess } from "./run-process.ts";
import { PACKAGE_DIRECTORY, removeTemporaryDirectories, temporaryDirectory } from "./runtime-paths.ts";

afterEach(() => removeTemporaryDirectories());

const ESBUILD = join(PACKAGE_DIRECTORY, "node_modules", ".bin", "esbuild");
const NODE_BUILT_INS =
  /\b(?:require\(|from\s*|import\()\s*["'](?:node:)?(?:http|https|readline|stream|net|tls)["']/;

describe("bundling each package for edge and Workers targets", () => {
  for (const vendor of ["trubrics", "arthur", "promptlayer", "core/otlp"]) {
    for (const conditions of ["edge-light,worker,browser", "workerd,worker,browser"]) {
      it(`esbuild app.mjs --bundle --platform=browser --conditions=${conditions} succeeds for ${vendor}`, async () => {
        const directory = temporaryDirectory("edge-bundle");
        const app = join(PACKAGE_DIRECTORY, `.edge-bundle-${vendor.replace("/", "-")}.mjs`);
        // The app sits in this package so that its imports resolve as in a user's project.
        writeFileSync(app, `export * from "@langchain-observability/${vendor}";\n`);
        const outfile = join(directory, "out.js");
        try {
          const run = await runProcess(
            ESBUILD,
            [app, "--bundle", "--platform=browser", `--conditions=${conditions}`, `--outfile=${outfile}`],
            { cwd: PACKAGE_DIRECTORY },
          );
          expect(run.stderr).not.toMatch(/error/i);
          expect(run.exitCode).toBe(0);
        } finally {
          rmSync(app, { force: true });
        }
        const bundle = readFileSync(outfile, "utf8");
        expect(bundle).not.toMatch(NODE_BUILT_INS);
        expect(bundle).toContain("langchain-observability-core/");
      });
    }
  }
});
