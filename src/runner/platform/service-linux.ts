// The EM service's control on a Linux MOM host: systemd by default (`systemctl stop|start <unit>`,
// `systemctl show` for the state), or the commands the runner's administrator configured for a
// host without systemd (and for the tests and the sandbox, the stand-in EM's emctl): a start, a
// stop and a status command, each an argv run with no shell.
//
// What it must keep true:
// - It runs only its own commands: the step checks the approved line against `facts` first.
// - The status command answers like an LSB init script: exit 0 running, 1-3 not running
//   (3 stopped, 1 and 2 dead with a pid or lock file left), anything else unknown; a
//   `MainPID=<n>` line, when printed, names the EM's main process (the lock's holder is checked
//   against it). An unknown state is never a stopped one.
// - systemd's `show` rather than `is-active`: is-active calls an unknown unit "inactive", which
//   would pass a misspelt unit name off as a stopped service.
import type { CommandOutcome, RunOptions, ServiceControl, ServiceState } from "./platform.ts";
import type { ProcessStarter } from "./process.ts";

/** `--service-start`, `--service-stop` and `--service-status` of `momlink runner start`. */
export interface ServiceCommands {
  start: string[];
  stop: string[];
  status: string[];
}

export interface LinuxServiceOptions {
  start: ProcessStarter;
  factTimeoutMs: number;
  env: Record<string, string>;
  commands?: ServiceCommands;
}

const UNIT = /^[A-Za-z0-9:_.@-]{1,256}$/;

/** Why `unit` cannot be a systemd unit name momlink runs commands with, or null. */
export function unitNameProblem(unit: string): string | null {
  return UNIT.test(unit) && !unit.startsWith("-")
    ? null
    : `${JSON.stringify(unit)} is not a systemd unit name (letters, digits and : _ . @ -)`;
}

export function linuxServiceControl(name: string, options: LinuxServiceOptions): ServiceControl {
  const { commands } = options;
  if (commands !== undefined) return commandControl(name, commands, options);
  return systemdControl(name, options);
}

function systemdControl(unit: string, options: LinuxServiceOptions): ServiceControl {
  const problem = unitNameProblem(unit);
  const source = `systemctl show ${unit}`;
  return {
    facts: { via: "systemd", name: unit },
    async state(): Promise<ServiceState> {
      if (problem !== null) return { state: "unknown", detail: problem, source, pid: null };
      const result = await options.start({
        file: "systemctl",
        args: ["show", "--property=LoadState,ActiveState,MainPID", "--", unit],
        timeoutMs: options.factTimeoutMs,
        outputLimit: 4096,
        env: options.env,
      });
      const text = Buffer.from(result.output).toString("utf8");
      if (result.startError !== undefined) {
        return {
          state: "unknown",
          detail: `systemctl is not available here (${result.startError.slice(0, 200)})`,
          source,
          pid: null,
        };
      }
      const load = /^LoadState=(.*)$/m.exec(text)?.[1];
      const active = /^ActiveState=(.*)$/m.exec(text)?.[1];
      if (result.exitCode !== 0 || load === undefined || active === undefined) {
        return {
          state: "unknown",
          detail: `systemctl show ${unit}: ${text.trim().slice(0, 400)}`,
          source,
          pid: null,
        };
      }
      if (load === "not-found") {
        return { state: "unknown", detail: `systemd knows no unit ${unit}`, source, pid: null };
      }
      const stopped = active === "inactive" || active === "failed";
      return {
        state: stopped ? "stopped" : "running",
        detail: `systemd unit ${unit}: ${active}`,
        source,
        pid: mainPid(text),
      };
    },
    run: (verb, runOptions) =>
      problem !== null
        ? Promise.resolve(refused(problem))
        : runArgv(["systemctl", verb, unit], runOptions, options),
  };
}

function commandControl(
  name: string,
  commands: ServiceCommands,
  options: LinuxServiceOptions,
): ServiceControl {
  const source = `the configured status command (${commands.status.join(" ")})`;
  return {
    facts: { via: "command", name, stop: [...commands.stop], start: [...commands.start] },
    async state(): Promise<ServiceState> {
      const [file = "", ...args] = commands.status;
      const result = await options.start({
        file,
        args,
        timeoutMs: options.factTimeoutMs,
        outputLimit: 4096,
        env: options.env,
      });
      const text = Buffer.from(result.output).toString("utf8").trim();
      if (result.startError !== undefined) {
        return { state: "unknown", detail: `${file} did not start: ${result.startError}`, source, pid: null };
      }
      const said = `exit ${String(result.exitCode)}${text === "" ? "" : `: ${text.replace(/\s+/g, " ").slice(0, 300)}`}`;
      switch (result.exitCode) {
        case 0:
          return {
            state: "running",
            detail: `the status command says running (${said})`,
            source,
            pid: mainPid(text),
          };
        case 1:
        case 2:
        case 3:
          return {
            state: "stopped",
            detail: `the status command says not running (${said})`,
            source,
            pid: null,
          };
        default:
          return { state: "unknown", detail: `the status command cannot tell (${said})`, source, pid: null };
      }
    },
    run: (verb, runOptions) => runArgv(commands[verb], runOptions, options),
  };
}

/** `MainPID=1234` as systemctl show and emctl print it; 0 (no process) is none. */
function mainPid(text: string): number | null {
  const pid = Number(/^MainPID=(\d+)\s*$/m.exec(text)?.[1] ?? 0);
  return Number.isInteger(pid) && pid > 1 ? pid : null;
}

/** Runs an argv with no shell, in `cwd`, bounded: the one way a Linux runner starts a program. */
export async function runArgv(
  argv: readonly string[],
  runOptions: RunOptions,
  options: Pick<LinuxServiceOptions, "start" | "env">,
): Promise<CommandOutcome> {
  const [file = "", ...args] = argv;
  const result = await options.start({
    file,
    args,
    cwd: runOptions.cwd,
    timeoutMs: runOptions.timeoutMs,
    outputLimit: runOptions.outputLimit,
    env: options.env,
  });
  const notes = [
    result.startError ? `${file} did not start: ${result.startError}` : "",
    result.timedOut ? `stopped after ${runOptions.timeoutMs} ms` : "",
  ].filter(Boolean);
  const output = new TextDecoder("utf-8").decode(result.output);
  return {
    ok: result.exitCode === 0 && !result.timedOut,
    exitCode: result.exitCode,
    output: [output, ...notes].filter(Boolean).join("\n"),
    timedOut: result.timedOut,
  };
}

function refused(reason: string): CommandOutcome {
  return { refused: reason, ok: false, exitCode: null, output: `refused: ${reason}`, timedOut: false };
}
