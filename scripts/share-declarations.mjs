#!/usr/bin/env node
// Run after `tsup` in a package (its `build` script). tsup writes every declaration file twice,
// `.d.ts` for the `import` condition and `.d.cts` for `require`, chunks included. A declaration chunk
// that imports no package (only other such chunks: record and wire types, errors) means the same in
// both, so the ESM files import its CommonJS copy (an ES module may import a CommonJS one) and its
// ESM copy is deleted. A file that imports a package (`@langchain/core` …) keeps both copies: each
// must see that package's types in its own format, or an ESM user's LangChain classes and ours
// would be two unrelated types. `attw --profile node16` and the typecheck of the packages check it.
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const distDirectory = join(process.cwd(), "dist");
const files = readdirSync(distDirectory);
const chunkName = (file) => file.replace(/-[A-Za-z0-9_]{8}\.d\.c?ts$/, "");
const importsOf = (file) =>
  [...readFileSync(join(distDirectory, file), "utf8").matchAll(/from ['"]([^'"]+)['"]/g)].map(
    (match) => match[1],
  );

// CommonJS declaration chunks (`exporter-C4OhbEGR.d.cts`), keyed by name without the hash.
const commonJsChunks = new Map(
  files.filter((file) => /-[A-Za-z0-9_]{8}\.d\.cts$/.test(file)).map((file) => [chunkName(file), file]),
);
const isShareable = (file, seen = new Set()) => {
  if (seen.has(file)) return true;
  seen.add(file);
  return importsOf(file).every((specifier) => {
    if (!specifier.startsWith("./")) return false;
    const imported = `${specifier.slice(2).replace(/\.cjs$/, "")}.d.cts`;
    return files.includes(imported) && isShareable(imported, seen);
  });
};
const shared = new Map(
  [...commonJsChunks].filter(([, file]) => isShareable(file)).map(([name, file]) => [name, file]),
);

for (const file of files.filter((name) => name.endsWith(".d.ts"))) {
  const path = join(distDirectory, file);
  if (shared.has(chunkName(file)) && /-[A-Za-z0-9_]{8}\.d\.ts$/.test(file)) {
    rmSync(path);
    continue;
  }
  const text = readFileSync(path, "utf8").replace(/from '\.\/([^']+)\.js'/g, (whole, target) => {
    const commonJs = shared.get(target.replace(/-[A-Za-z0-9_]{8}$/, ""));
    return commonJs ? `from './${commonJs.replace(/\.d\.cts$/, ".cjs")}'` : whole;
  });
  writeFileSync(path, text);
}
