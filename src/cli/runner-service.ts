// `momlink runner start`'s options for the EM service and the failover evidence, checked before
// the agent starts: how the runner stops, starts and queries the EM (systemd or sc.exe by name;
// on a Linux host without systemd, three configured commands), how long it waits for each, and
// the EM log lines it looks for. Each becomes a pre-flight fact, so what a plan shows and its
// hash binds is what this runner will do. A bad value is a usage error naming the option.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { serviceControlSchema } from "../domain/facts.ts";
import { type LogPattern, logPatternsSchema } from "../domain/failover-evidence.ts";
import type { Platform } from "../domain/pair.ts";
import { DEFAULT_SERVICE_CONTROL } from "../domain/plan.ts";
import type { ServiceCommands } from "../runner/platform/service-linux.ts";
import { unitNameProblem } from "../runner/platform/service-linux.ts";

export interface ServiceOptionsInput {
  serviceName: string;
  serviceStart?: string;
  serviceStop?: string;
  serviceStatus?: string;
  serviceStopWait?: string;
  serviceStartWait?: string;
  failoverLogPatterns?: string;
}

export interface ServiceSettings {
  serviceCommands?: ServiceCommands;
  serviceStopWaitSeconds: number;
  serviceStartWaitSeconds: number;
  logPatterns?: LogPattern[];
}

const ARGV = z.array(z.string().min(1)).min(1).max(32);

export const SERVICE_COMMAND_EXAMPLE = `--service-start '["/etc/init.d/introscope","start"]' --service-stop '["/etc/init.d/introscope","stop"]' --service-status '["/etc/init.d/introscope","status"]'`;

/** The settings, or every problem with them (one sentence each, naming the option). */
export function serviceSettings(
  input: ServiceOptionsInput,
  platform: Platform,
): { ok: true; value: ServiceSettings } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const commands = serviceCommands(input, platform, problems);
  const wait = (option: string, text: string | undefined, fallback: number) => {
    if (text === undefined) return fallback;
    const seconds = /^\d{1,4}$/.test(text) ? Number(text) : Number.NaN;
    if (seconds >= 1 && seconds <= 3600) return seconds;
    problems.push(
      `${option} takes whole seconds from 1 to 3600 (got ${JSON.stringify(text)}), e.g. ${option} 300`,
    );
    return fallback;
  };
  const stopWait = wait(
    "--service-stop-wait",
    input.serviceStopWait,
    DEFAULT_SERVICE_CONTROL.stopWaitSeconds,
  );
  const startWait = wait(
    "--service-start-wait",
    input.serviceStartWait,
    DEFAULT_SERVICE_CONTROL.startWaitSeconds,
  );
  const facts = {
    via: commands !== undefined ? "command" : platform === "windows" ? "sc" : "systemd",
    name: input.serviceName,
    ...(commands === undefined ? {} : { stop: commands.stop, start: commands.start }),
    stopWaitSeconds: stopWait,
    startWaitSeconds: startWait,
  };
  // The name and commands are shown in approved lines: the same rule as the facts the bot receives.
  const shown = serviceControlSchema.safeParse(facts);
  if (!shown.success) {
    for (const issue of shown.error.issues) {
      const what =
        issue.path[0] === "name"
          ? `--service-name ${JSON.stringify(input.serviceName)}`
          : `--service-${String(issue.path[0])}`;
      problems.push(
        `${what} ${issue.message}: momlink shows it in the approved lines of a services=manage plan`,
      );
    }
  }
  if (platform === "linux" && commands === undefined) {
    const unit = unitNameProblem(input.serviceName);
    if (unit !== null) problems.push(`--service-name: ${unit}`);
  }
  const logPatterns = patterns(input.failoverLogPatterns, problems);
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    value: {
      ...(commands === undefined ? {} : { serviceCommands: commands }),
      serviceStopWaitSeconds: stopWait,
      serviceStartWaitSeconds: startWait,
      ...(logPatterns === undefined ? {} : { logPatterns }),
    },
  };
}

function serviceCommands(
  input: ServiceOptionsInput,
  platform: Platform,
  problems: string[],
): ServiceCommands | undefined {
  const given = { start: input.serviceStart, stop: input.serviceStop, status: input.serviceStatus };
  const named = Object.entries(given).filter(([, v]) => v !== undefined);
  if (named.length === 0) return undefined;
  if (platform === "windows") {
    problems.push(
      "--service-start/--service-stop/--service-status are for Linux hosts; on Windows the runner uses sc.exe with --service-name",
    );
    return undefined;
  }
  if (named.length !== 3) {
    problems.push(
      `give --service-start, --service-stop and --service-status together (or none, for systemd), e.g. ${SERVICE_COMMAND_EXAMPLE}`,
    );
    return undefined;
  }
  const argv = (option: string, text: string): string[] => {
    try {
      const words = ARGV.safeParse(JSON.parse(text));
      if (words.success) return words.data;
    } catch {
      // reported below
    }
    problems.push(
      `--service-${option} takes a JSON array of the command's words (no shell), e.g. --service-${option} '["/etc/init.d/introscope","${option}"]'`,
    );
    return [];
  };
  return {
    start: argv("start", input.serviceStart ?? ""),
    stop: argv("stop", input.serviceStop ?? ""),
    status: argv("status", input.serviceStatus ?? ""),
  };
}

function patterns(file: string | undefined, problems: string[]): LogPattern[] | undefined {
  if (file === undefined) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    problems.push(`--failover-log-patterns ${file}: ${(error as Error).message}`);
    return undefined;
  }
  const parsed = logPatternsSchema.safeParse(data);
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0];
  problems.push(
    `--failover-log-patterns ${file}: ${first === undefined ? "not a list of patterns" : `${first.path.join(".") || "the file"}: ${first.message}`}; it holds a JSON list like [{"event":"acquired-primary","text":"Acquired primary lock"}]`,
  );
  return undefined;
}
