// Runs the real `momlink` binary the way a user does: fresh process, its own working directory
// (so no developer .env is read) and an environment with no Slack or momlink variables but those given.

import { createServer } from "node:net";
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

/** A port that was free a moment ago on 127.0.0.1, for a process that must be told its port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export interface RunningMomlink {
  /** SIGTERM, then wait for the exit. */
  stop(): Promise<void>;
  /** Resolves when the process exits on its own (or is stopped), with everything it printed. */
  exited: Promise<{ exitCode: number | undefined; output: string }>;
  /** What it printed so far (stdout and stderr, interleaved as received). */
  output(): string;
}

/**
 * Starts a long-running `momlink` process (serve, runner start) and resolves once its output has
 * shown every `until` text; rejects with that output if it exits first. The process comes back
 * inside an object: a subprocess is itself a promise, and returning it bare would wait for its exit.
 */
export async function spawnMomlink(
  args: string[],
  options: { cwd: string; env?: Record<string, string>; until: string[] },
): Promise<RunningMomlink> {
  const child = execa(process.execPath, [MOMLINK_BIN, ...args], {
    cwd: options.cwd,
    env: cleanEnv(options.env),
    extendEnv: false,
    reject: false,
    buffer: false,
  });
  let seen = "";
  const exited = child.then((result) => ({ exitCode: result.exitCode, output: seen }));
  await new Promise<void>((resolve, reject) => {
    const pending = new Set(options.until);
    const check = (chunk: Buffer) => {
      seen += chunk.toString("utf8");
      for (const text of pending) if (seen.includes(text)) pending.delete(text);
      if (pending.size === 0) resolve();
    };
    child.stdout?.on("data", check);
    child.stderr?.on("data", check);
    void exited.then((result) =>
      reject(new Error(`momlink ${args[0]} exited (${result.exitCode}) early:\n${seen}`)),
    );
  });
  return {
    stop: async () => {
      child.kill("SIGTERM");
      await child.catch(() => undefined);
    },
    exited,
    output: () => seen,
  };
}
