// The runner shares only protocol/ and domain/ with the bot (and the logger): it runs on the MOM
// hosts, where the bot's server code has no business, and a change to the dispatcher must never
// change what a runner accepts. Read from the source, type imports included.
import { relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { importsOf, moduleGraph, ROOT, sourceFiles } from "../support/modules.ts";

/** Where each folder's relative imports may land (besides its own files). */
const ALLOWED: Record<string, string[]> = {
  "src/runner": ["src/runner/", "src/domain/", "src/protocol/", "src/log.ts", "package.json"],
  "src/protocol": ["src/protocol/", "src/domain/"],
};

function strayImports(folder: string): string[] {
  const allowed = ALLOWED[folder] ?? [];
  const stray: string[] = [];
  for (const file of sourceFiles(resolve(ROOT, folder))) {
    for (const specifier of importsOf(file, { types: true, dynamic: true })) {
      if (!specifier.startsWith(".")) continue;
      const target = relative(ROOT, resolve(file, "..", specifier));
      if (!allowed.some((prefix) => target === prefix || target.startsWith(prefix))) {
        stray.push(`${relative(ROOT, file)} imports ${target}`);
      }
    }
  }
  return stray;
}

describe("what the runner shares with the bot", () => {
  it.each(Object.keys(ALLOWED))("%s imports only the folders it may share with the bot", (folder) => {
    expect(strayImports(folder)).toEqual([]);
  });

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
