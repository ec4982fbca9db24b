// The EM service's control on a Windows MOM host: `sc.exe stop|start <name>` by its System32 path
// with an argv (never through cmd.exe, so nothing planted in EM_HOME runs instead), the state from
// `sc query`'s state number, and the recovery actions from the registry. The wait for the service
// to stop or run is the runner's (steps/service-wait.ts), never cmd's: sc returns at once with a
// pending state.
//
// What it must keep true:
// - It runs only `[sc.exe, stop|start, <its own name>]`, checked again right before it starts.
// - sc's "not active" on a stop (1062) and "already running" on a start (1056) are no failures:
//   the service already is as asked, and the wait reads the state anyway.
// - Probes read numbers and registry data, never translated text; unknown stays unknown.
import { WINDOWS_SC } from "../../domain/commands.ts";
import type { RecoveryFacts } from "../../domain/facts.ts";
import type { CommandOutcome, RunOptions, ServiceControl } from "./platform.ts";
import type { ProcessStarter } from "./process.ts";
import { refusal, runProgram } from "./windows.ts";
import { parseRegValues, serviceKey, serviceNameProblem } from "./windows-parse.ts";
import { type RunTool, rawText, serviceStateProbe } from "./windows-probes.ts";
import { type CodePageSource, systemExe } from "./windows-system.ts";

/** sc.exe's "the service has not been started" (stop) and "already running" (start). */
export const SC_ALREADY = { stop: 1062, start: 1056 } as const;

export interface WindowsServiceOptions {
  runTool: RunTool;
  start: ProcessStarter;
  systemRoot?: string;
  codePage: CodePageSource;
}

/** Is `argv` the sc.exe line the plan builder emits for this service? */
export function scArgvProblem(argv: readonly string[], name: string): string | null {
  const [exe, verb, target, ...rest] = argv;
  if (exe !== WINDOWS_SC || (verb !== "stop" && verb !== "start") || rest.length > 0) {
    return `a service step runs only \`${WINDOWS_SC} stop|start "<service>"\``;
  }
  return target === name
    ? null
    : `the service ${JSON.stringify(target)} is not this runner's ${JSON.stringify(name)}`;
}

export function windowsServiceControl(name: string, options: WindowsServiceOptions): ServiceControl {
  const problem = serviceNameProblem(name);
  return {
    facts: { via: "sc", name },
    async state() {
      const probe = await serviceStateProbe(options.runTool, name);
      return { ...probe, source: `sc query "${name}"`, pid: null };
    },
    async run(verb: "stop" | "start", runOptions: RunOptions): Promise<CommandOutcome> {
      const argv = [WINDOWS_SC, verb, name];
      const refused = problem ?? scArgvProblem(argv, name);
      if (refused !== null) return refusal(refused, "sc.exe");
      return runProgram(systemExe("sc.exe", options.systemRoot), argv.slice(1), {
        ...runOptions,
        start: options.start,
        codePage: options.codePage,
        succeeded: (code) => code === 0 || code === SC_ALREADY[verb],
        ...(options.systemRoot === undefined ? {} : { systemRoot: options.systemRoot }),
      });
    },
  };
}

/** SC_ACTION_TYPE of SERVICE_FAILURE_ACTIONS (winsvc.h). */
const ACTIONS: Readonly<Record<number, string>> = {
  0: "none",
  1: "restart",
  2: "reboot",
  3: "run a command",
};

/**
 * The registry's `FailureActions` (REG_BINARY, a SERVICE_FAILURE_ACTIONS as `sc failure` writes
 * it): reset period, two string offsets, the action count, the actions' offset, then per action
 * a type and a delay in milliseconds, all little-endian DWORDs. What the first failure does.
 */
export function parseFailureActions(hex: string): RecoveryFacts {
  const bytes = /^[0-9a-f]*$/i.test(hex) && hex.length % 2 === 0 ? Buffer.from(hex, "hex") : null;
  if (bytes === null || bytes.length < 20) {
    return { restarts: null, detail: `FailureActions is not a SERVICE_FAILURE_ACTIONS: ${rawText(hex, 80)}` };
  }
  const reset = bytes.readUInt32LE(0);
  const count = bytes.readUInt32LE(12);
  const actions: { type: number; delay: number }[] = [];
  for (let i = 0; i < Math.min(count, 16); i += 1) {
    const at = 20 + i * 8;
    if (at + 8 > bytes.length) break;
    actions.push({ type: bytes.readUInt32LE(at), delay: bytes.readUInt32LE(at + 4) });
  }
  const first = actions[0];
  if (first === undefined) return { restarts: false, detail: "no recovery action is set" };
  const list = actions
    .map((a) => `${ACTIONS[a.type] ?? `action ${a.type}`}${a.type === 1 ? ` after ${a.delay / 1000} s` : ""}`)
    .join(", ");
  return {
    restarts: first.type === 1,
    detail: `on failure: ${list}; the count resets after ${reset} s`,
  };
}

/** The EM service's recovery actions, read from the registry (`sc qfailure` shows the same, in translated words). */
export async function recoveryProbe(runTool: RunTool, name: string): Promise<RecoveryFacts> {
  const problem = serviceNameProblem(name);
  if (problem !== null) return { restarts: null, detail: `service name ${JSON.stringify(name)}: ${problem}` };
  const key = serviceKey(name);
  const answer = await runTool("reg.exe", ["query", key, "/v", "FailureActions"]);
  if (answer.startError !== undefined || answer.timedOut) {
    return {
      restarts: null,
      detail: `reg query ${key} did not answer: ${rawText(answer.startError ?? "timed out", 160)}`,
    };
  }
  const value = answer.exitCode === 0 ? parseRegValues(answer.text).get("failureactions") : undefined;
  if (value === undefined) {
    // No value: no recovery action was ever set (the Services console's default "Take no action").
    return answer.exitCode === 1
      ? {
          restarts: false,
          detail: `${key} has no FailureActions value: no recovery action is set (or no such service)`,
        }
      : {
          restarts: null,
          detail: `reg query ${key} exit ${String(answer.exitCode)}: ${rawText(answer.text, 160)}`,
        };
  }
  if (value.type !== "REG_BINARY") {
    return { restarts: null, detail: `${key}\\FailureActions is ${value.type}, not REG_BINARY` };
  }
  return parseFailureActions(value.data.trim());
}
