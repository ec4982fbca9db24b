// Runs the real `momlink` binary the way a user does: fresh process, its own working directory
// (so no developer .env is read) and an environment with no Slack or momlink variables but those given.
import { fileURLToPath } from "node:url";
import { execa } from "execa";

export const MOMLINK_BIN = fileURLToPath(new URL("../../bin/momlink.js", import.meta.url));

export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || key.startsWith("SLACK_") || key.startsWith("MOMLINK_") || key === "PORT")
      continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

export function runMomlink(
  args: string[],
  options: { cwd: string; env?: Record<string, string>; input?: string },
) {
  return execa(process.execPath, [MOMLINK_BIN, ...args], {
    cwd: options.cwd,
    env: cleanEnv(options.env),
    extendEnv: false,
    reject: false,
    input: options.input ?? "",
  });
}
