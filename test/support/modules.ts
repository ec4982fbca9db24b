// What a source file imports, read from its text (no bundler, no type checker): the specifiers of
// its import and export-from statements and of literal dynamic imports, and the module graph an
// entry loads at run time. The boundary tests use it to keep the runner off the bot's modules.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export interface ImportOptions {
  /** Include `import type` / `export type` statements (erased at run time, still a dependency). */
  types: boolean;
  /** Include literal `import("...")` expressions. */
  dynamic: boolean;
}

/** The specifiers `file` imports, as written. An inline `{ type X }` still loads its module. */
export function importsOf(file: string, options: ImportOptions): string[] {
  const text = readFileSync(file, "utf8");
  const statement = options.types
    ? /^\s*(?:import|export)\s+[^;]*?\sfrom\s+"([^"]+)"/gms
    : /^\s*(?:import|export)\s+(?!type\s)[^;]*?\sfrom\s+"([^"]+)"/gms;
  const specifiers = [...text.matchAll(statement)].map((m) => m[1]);
  specifiers.push(...[...text.matchAll(/^\s*import\s+"([^"]+)"/gm)].map((m) => m[1]));
  // `typeof import("x")` names a type: erased, it loads nothing.
  const dynamic = /(?<!typeof\s+)\bimport\(\s*"([^"]+)"\s*\)/g;
  if (options.dynamic) specifiers.push(...[...text.matchAll(dynamic)].map((m) => m[1]));
  return specifiers.filter((s): s is string => s !== undefined);
}

/**
 * Every module `entry` loads at run time: static imports and re-exports that are not `import type`,
 * plus literal dynamic imports when asked. Files come back as absolute paths, packages as named.
 */
export function moduleGraph(entry: string, followDynamic: boolean): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    if (!file.startsWith("/") || file.endsWith(".json")) return;
    for (const specifier of importsOf(file, { types: false, dynamic: followDynamic })) {
      if (specifier.startsWith(".")) visit(resolve(dirname(file), specifier));
      else seen.add(specifier);
    }
  };
  visit(entry);
  return [...seen];
}

/** Every .ts and .mjs file under `dir`, as absolute paths. */
export function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(ts|mjs)$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}
