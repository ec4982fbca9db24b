#!/usr/bin/env node
// The CLI is TypeScript run by Node's own type stripping (on by default from Node 22.18 and 23.6).
// On an older 22.x the flag is still needed: re-run this same command once with it, so
// `npx momlink` works on every Node the runner supports without a build step.
//
// Node's compile cache keeps each file's stripped and compiled form between runs, so a start after
// the first skips the stripping (bench/startup.ts: about half of `momlink plan`'s time and a
// quarter of the runner's memory). It lives beside the code, in node_modules/.cache, not in the
// shared temporary directory: Node runs what the cache holds, so the cache must be exactly as
// trusted as the files next to it. NODE_COMPILE_CACHE=<dir> puts it elsewhere, and
// NODE_DISABLE_COMPILE_CACHE=1 turns it off; a directory that cannot be written only costs speed.
import { enableCompileCache } from "node:module";
import { fileURLToPath } from "node:url";

enableCompileCache(
  process.env.NODE_COMPILE_CACHE ??
    fileURLToPath(new URL("../node_modules/.cache/momlink/compile", import.meta.url)),
);

if (process.features.typescript) {
  // The runner agent's V8 settings go in before any other module loads (even commander and the
  // CLI's own), or what those loads grow stays: src/runner/heap.ts says why and what it saves.
  if (process.argv[2] === "runner" && process.argv[3] === "start") {
    (await import("../src/runner/heap.ts")).leanRunnerEngine();
  }
  await import("../src/cli.ts");
} else {
  const { execa } = await import("execa");
  const entry = fileURLToPath(import.meta.url);
  const child = execa(
    process.execPath,
    ["--experimental-strip-types", "--no-warnings=ExperimentalWarning", entry, ...process.argv.slice(2)],
    { stdio: "inherit", reject: false },
  );
  // A service manager stops the process it started: pass its signals on, so the agent shuts down cleanly.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
  const result = await child;
  process.exitCode = result.exitCode ?? 1;
}
