#!/usr/bin/env node
// The CLI is TypeScript run by Node's own type stripping (on by default from Node 22.18 and 23.6).
// On an older 22.x the flag is still needed: re-run this same command once with it, so
// `npx momlink` works on every Node the runner supports without a build step.
import { fileURLToPath } from "node:url";

if (process.features.typescript) {
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
