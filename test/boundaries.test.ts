// The layering of src/ (docs/architecture.md), read from the source, type imports included:
// domain/ is pure and imports nothing outside itself; the change layer (change/) imports domain/
// and its own ports; the Slack adapter imports no dispatch/; the runner shares only protocol/ and
// domain/ with the bot (and the logger): it runs on the MOM hosts, where the bot's server code has
// no business, and a change to the dispatcher must never change what a runner accepts.
import { relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { importsOf, moduleGraph, ROOT, sourceFiles } from "./support/modules.ts";

/** Where each folder's relative imports may land (its own files included). */
const ALLOWED: Record<string, string[]> = {
  "src/domain": ["src/domain/"],
  // The logger is a type here (the use-cases are handed one).
  "src/change": ["src/change/", "src/domain/", "src/log.ts"],
  "src/runner": ["src/runner/", "src/domain/", "src/protocol/", "src/log.ts", "package.json"],
  "src/protocol": ["src/protocol/", "src/domain/"],
};

/** Where a folder's relative imports must never land. */
const FORBIDDEN: Record<string, string[]> = {
  "src/slack": ["src/dispatch/"],
};

/** Every relative import of a file under `folder`, as `file imports target` (paths from the root). */
function importsUnder(folder: string): { file: string; target: string }[] {
  return sourceFiles(resolve(ROOT, folder)).flatMap((file) =>
    importsOf(file, { types: true, dynamic: true })
      .filter((specifier) => specifier.startsWith("."))
      .map((specifier) => ({
        file: relative(ROOT, file),
        target: relative(ROOT, resolve(file, "..", specifier)),
      })),
  );
}

const under = (target: string, prefixes: readonly string[]) =>
  prefixes.some((prefix) => target === prefix || target.startsWith(prefix));

function strayImports(folder: string): string[] {
  const allowed = ALLOWED[folder] ?? [];
  return importsUnder(folder)
    .filter(({ target }) => !under(target, allowed))
    .map(({ file, target }) => `${file} imports ${target}`);
}

function forbiddenImports(folder: string): string[] {
  const forbidden = FORBIDDEN[folder] ?? [];
  return importsUnder(folder)
    .filter(({ target }) => under(target, forbidden))
    .map(({ file, target }) => `${file} imports ${target}`);
}

describe("the layering of src/", () => {
  it.each(Object.keys(ALLOWED))("%s imports only the folders it may", (folder) => {
    expect(strayImports(folder)).toEqual([]);
  });

  it.each(Object.keys(FORBIDDEN))("%s imports none of the folders it must not", (folder) => {
    expect(forbiddenImports(folder)).toEqual([]);
  });

  it("reads every folder it rules on (a renamed folder would pass with nothing in it)", () => {
    for (const folder of [...Object.keys(ALLOWED), ...Object.keys(FORBIDDEN)]) {
      expect(importsUnder(folder).length, folder).toBeGreaterThan(0);
    }
  });
});

describe("what the runner shares with the bot", () => {
  it("has no import of the bot's dispatch/ anywhere in src/runner", () => {
    const dispatch = sourceFiles(resolve(ROOT, "src/runner")).flatMap((file) =>
      importsOf(file, { types: true, dynamic: true })
        .filter((s) => s.includes("dispatch/"))
        .map((s) => `${relative(ROOT, file)}: ${s}`),
    );
    expect(dispatch).toEqual([]);
  });
});

describe("what `momlink runner start` loads", () => {
  // The CLI's entry loaded statically, then the runner command with what it loads on demand.
  const loaded = () => [
    ...moduleGraph(resolve(ROOT, "src/cli.ts"), false),
    ...moduleGraph(resolve(ROOT, "src/cli/runner.ts"), true),
  ];

  it("loads none of the bot's modules: no Bolt, no Slack layer, no dispatcher, no store", () => {
    const bot = loaded().filter(
      (m) =>
        m.startsWith("@slack/") ||
        m === "node:sqlite" ||
        /src\/(slack|dispatch|store|sandbox|serve\.ts|config\.ts|startup\.ts)/.test(m),
    );
    expect(bot).toEqual([]);
  });

  it("loads no pino-pretty (a service logs JSON lines) and imports node:http and node:https only by process.getBuiltinModule", () => {
    // An ESM import of node:http reads every export, and its lazy WebSocket getters load undici.
    expect(loaded().filter((m) => ["pino-pretty", "node:http", "node:https"].includes(m))).toEqual([]);
  });
});
