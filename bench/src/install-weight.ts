import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { median, printTable } from "./measure";

const root = join(import.meta.dirname, "..", "..");

interface Footprint {
  packages: number;
  bytes: number;
}

/** Packages and bytes below node_modules (each folder with a package.json counts once). */
function footprint(directory: string): Footprint {
  let packages = 0;
  let bytes = 0;
  const walk = (path: string, inNodeModules: boolean) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      if (entry.isSymbolicLink()) continue;
      if (entry.isDirectory()) {
        if (inNodeModules && existsSync(join(full, "package.json")) && !entry.name.startsWith("."))
          packages++;
        walk(full, entry.name === "node_modules" || (inNodeModules && entry.name.startsWith("@")));
      } else {
        bytes += statSync(full).size;
      }
    }
  };
  walk(join(directory, "node_modules"), true);
  return { packages, bytes };
}

function npm(directory: string, args: string[]) {
  execFileSync("npm", [...args, "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"], {
    cwd: directory,
    stdio: ["ignore", "ignore", "inherit"],
  });
}

function coldImportMs(directory: string, specifiers: string[]): number {
  const code = `const t = performance.now(); ${specifiers.map((specifier) => `await import(${JSON.stringify(specifier)});`).join(" ")} console.log(performance.now() - t);`;
  const runs = Array.from({ length: 5 }, () =>
    Number(
      execFileSync(process.execPath, ["--input-type=module", "-e", code], {
        cwd: directory,
        encoding: "utf8",
      }).trim(),
    ),
  );
  return median(runs);
}

function version(packageName: string): string {
  const manifest = join(root, "node_modules", ".pnpm");
  const match = readdirSync(manifest).find((entry) => entry.startsWith(`${packageName.replace("/", "+")}@`));
  return match ? match.slice(packageName.length + 1).split("_")[0]! : "latest";
}

/** Packs our packages, installs each vendor into a fresh project next to @langchain/core, and weighs it. */
export async function measureInstallWeight() {
  const work = mkdtempSync(join(tmpdir(), "lco-install-"));
  try {
    const tarballs: Record<string, string> = {};
    for (const [name, folder] of [
      ["core", "observability-core"],
      ["trubrics", "trubrics"],
      ["arthur", "arthur"],
      ["promptlayer", "promptlayer"],
    ] as const) {
      const output = execFileSync("pnpm", ["pack", "--pack-destination", work], {
        cwd: join(root, "packages", folder),
        encoding: "utf8",
      });
      const file = output.trim().split("\n").pop()!.trim();
      tarballs[name] = file.startsWith("/") ? file : join(work, file);
    }
    const baseline = join(work, "baseline");
    execFileSync("mkdir", ["-p", baseline]);
    execFileSync("npm", ["init", "-y"], { cwd: baseline, stdio: "ignore" });
    npm(baseline, ["install", `@langchain/core@${version("@langchain/core")}`]);
    const base = footprint(baseline);
    const baseImport = coldImportMs(baseline, ["@langchain/core/callbacks/base"]);

    const candidates: Array<{ name: string; install: string[]; imports: string[]; packed?: string }> = [
      {
        name: "@langchain-observability/trubrics",
        install: [tarballs.core!, tarballs.trubrics!],
        imports: ["@langchain-observability/trubrics"],
        packed: tarballs.trubrics!,
      },
      {
        name: "@langchain-observability/arthur",
        install: [tarballs.core!, tarballs.arthur!],
        imports: ["@langchain-observability/arthur"],
        packed: tarballs.arthur!,
      },
      {
        name: "@langchain-observability/promptlayer",
        install: [tarballs.core!, tarballs.promptlayer!],
        imports: ["@langchain-observability/promptlayer"],
        packed: tarballs.promptlayer!,
      },
      {
        name: "Langfuse (@langfuse/langchain + @langfuse/otel + OTel SDK)",
        install: [
          `@langfuse/langchain@${version("@langfuse/langchain")}`,
          `@langfuse/otel@${version("@langfuse/otel")}`,
          `@opentelemetry/sdk-trace-node@${version("@opentelemetry/sdk-trace-node")}`,
        ],
        imports: ["@langfuse/langchain", "@langfuse/otel", "@opentelemetry/sdk-trace-node"],
      },
    ];
    const rows = [];
    for (const candidate of candidates) {
      const project = join(work, `project-${rows.length}`);
      cpSync(baseline, project, { recursive: true });
      npm(project, ["install", ...candidate.install]);
      const after = footprint(project);
      rows.push({
        package: candidate.name,
        packedKiB: candidate.packed ? statSync(candidate.packed).size / 1024 : null,
        corePackedKiB: candidate.packed ? statSync(tarballs.core!).size / 1024 : null,
        addedPackages: after.packages - base.packages,
        addedMiB: (after.bytes - base.bytes) / 2 ** 20,
        coldImportMs: coldImportMs(project, candidate.imports),
        baselineImportMs: baseImport,
        met: candidate.packed
          ? after.packages - base.packages <= 3 && after.bytes - base.bytes <= 2 ** 20
          : undefined,
      });
    }
    printTable(
      `5. Install weight and start-up (fresh npm install next to @langchain/core ${version("@langchain/core")}: ${base.packages} packages, ${(base.bytes / 2 ** 20).toFixed(1)} MiB; its own import ${baseImport.toFixed(0)} ms)`,
      [
        "package",
        "packed KiB (+ core)",
        "added packages",
        "added MiB",
        "cold import ms",
        "target ≤ 1 MB, ≤ 3 packages",
      ],
      rows.map((row) => [
        row.package,
        row.packedKiB === null ? "" : `${row.packedKiB.toFixed(0)} (+ ${row.corePackedKiB!.toFixed(0)})`,
        row.addedPackages,
        row.addedMiB,
        row.coldImportMs,
        row.met === undefined ? "" : row.met ? "yes" : "NO",
      ]),
    );
    return rows;
  } finally {
    rmSync(work, { recursive: true, force: true });
    void readFileSync;
  }
}
