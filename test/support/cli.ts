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
  pid: number;
  /** Everything it printed so far, stdout and stderr interleaved as received. */
  output(): string;
  /** Resolves with the output once it shows `text` (rejects if the process exits first). */
  waitFor(text: string): Promise<string>;
  /** Resolves when the process exits on its own (or is stopped), with everything it printed. */
  exited: Promise<{ exitCode: number | undefined; output: string }>;
  /** Sends `signal` and resolves once the process has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** SIGTERM, then wait for the exit. */
  stop(): Promise<void>;
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
  let ended: { exitCode: number | undefined } | null = null;
  const waiting = new Set<{ text: string; resolve: (output: string) => void; reject: (e: Error) => void }>();
  const early = () => new Error(`momlink ${args[0]} exited (${String(ended?.exitCode)}) early:\n${seen}`);
  const check = (chunk: Buffer) => {
    seen += chunk.toString("utf8");
    for (const waiter of [...waiting]) {
      if (!seen.includes(waiter.text)) continue;
      waiting.delete(waiter);
      waiter.resolve(seen);
    }
  };
  child.stdout?.on("data", check);
  child.stderr?.on("data", check);
  const exited = child.then((result) => {
    ended = { exitCode: result.exitCode };
    for (const waiter of [...waiting]) waiter.reject(early());
    waiting.clear();
    return { exitCode: result.exitCode, output: seen };
  });
  const waitFor = (text: string) =>
    new Promise<string>((resolve, reject) => {
      if (seen.includes(text)) resolve(seen);
      else if (ended !== null) reject(early());
      else waiting.add({ text, resolve, reject });
    });
  for (const text of options.until) await waitFor(text);
  return {
    pid: child.pid ?? 0,
    output: () => seen,
    waitFor,
    exited,
    kill: async (signal) => {
      child.kill(signal);
      await exited;
    },
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}
