#!/usr/bin/env node
// The CLI is TypeScript run by Node's own type stripping (on by default from Node 22.18 and 23.6).
// On an older 22.x the flag is still needed: re-run this same command once with it, so
// `npx momlink` works on every Node the runner supports without a build step.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

if (process.features.typescript) {
  await import("../src/cli.ts");
} else {
  const entry = fileURLToPath(import.meta.url);
  // execa is not used here: this shim must work before any TypeScript (or dependency) loads.
  const child = spawnSync(
    process.execPath,
    ["--experimental-strip-types", "--no-warnings=ExperimentalWarning", entry, ...process.argv.slice(2)],
    { stdio: "inherit" },
  );
  process.exit(child.status ?? 1);
}
