// `emctl start|stop|status`: the stand-in EM's service control as a command, for a Linux runner
// whose service control is a configured start/stop/status command (a real host would run
// `systemctl start|stop|show <unit>` instead). Prints `systemctl show`-style lines; exit codes
// follow LSB init scripts: status 0 running, 3 stopped, 1 dead with its pid file left behind;
// start and stop 0 on success, 1 with the reason on stderr, 2 for a usage error.
//
//   node src/sandbox/stand-in-em/emctl.ts start --em-home <EM_HOME> --host mom-a --run-dir <dir>
//        [--poll-ms 200] [--failover on|off|properties] [--python python3] [--timeout-ms 10000]
//
// standInServiceCommands() in control.ts builds these argv for a given EM_HOME.
import { parseArgs } from "node:util";
import {
  type StandInOptions,
  type StandInStatus,
  standInStatus,
  startStandIn,
  stopStandIn,
} from "./control.ts";

const USAGE =
  "usage: emctl start|stop|status --em-home <EM_HOME> --host <name> --run-dir <dir> [--poll-ms N] [--failover on|off|properties] [--python <python3>] [--timeout-ms N]";

function describe(status: StandInStatus): string {
  switch (status.state) {
    case "running":
      return `LoadState=loaded\nActiveState=active\nSubState=running\nMainPID=${status.pid}\nRole=${status.role}\n`;
    case "stopped":
      return "LoadState=loaded\nActiveState=inactive\nSubState=dead\nMainPID=0\n";
    case "dead":
      return `LoadState=loaded\nActiveState=failed\nSubState=failed\nMainPID=0\nResult=${status.detail}\n`;
    default: {
      const unhandled: never = status;
      return String(unhandled);
    }
  }
}

function options(): { verb: string; options: StandInOptions } | string {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        "em-home": { type: "string" },
        host: { type: "string" },
        "run-dir": { type: "string" },
        "poll-ms": { type: "string" },
        failover: { type: "string" },
        python: { type: "string" },
        "timeout-ms": { type: "string" },
      },
    });
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  const { values, positionals } = parsed;
  const [verb = ""] = positionals;
  const text = (name: string) => (typeof values[name] === "string" ? (values[name] as string) : undefined);
  const emHome = text("em-home");
  const host = text("host");
  const runDir = text("run-dir");
  if (!["start", "stop", "status"].includes(verb) || positionals.length !== 1)
    return "say start, stop or status";
  if (emHome === undefined || host === undefined || runDir === undefined) {
    return "--em-home, --host and --run-dir are required";
  }
  const failover = text("failover");
  if (failover !== undefined && failover !== "on" && failover !== "off" && failover !== "properties") {
    return `--failover is on, off or properties, not ${failover}`;
  }
  const number = (name: string) => {
    const value = text(name);
    return value === undefined || !/^\d{1,7}$/.test(value) ? undefined : Number(value);
  };
  for (const name of ["poll-ms", "timeout-ms"]) {
    if (text(name) !== undefined && number(name) === undefined)
      return `--${name} takes a number of milliseconds`;
  }
  const pollMs = number("poll-ms");
  const timeoutMs = number("timeout-ms");
  const python = text("python");
  return {
    verb,
    options: {
      emHome,
      host,
      runDir,
      ...(pollMs === undefined ? {} : { pollMs }),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(failover === undefined ? {} : { failover }),
      ...(python === undefined ? {} : { python }),
    },
  };
}

async function main(): Promise<number> {
  const request = options();
  if (typeof request === "string") {
    process.stderr.write(`emctl: ${request}\n${USAGE}\n`);
    return 2;
  }
  try {
    if (request.verb === "start") {
      process.stdout.write(describe(await startStandIn(request.options)));
      return 0;
    }
    if (request.verb === "stop") {
      const stopped = await stopStandIn(request.options);
      if (stopped.killed)
        process.stderr.write("emctl: the stand-in EM did not stop on SIGTERM in time: killed\n");
      process.stdout.write(describe(stopped));
      return 0;
    }
    const status = await standInStatus(request.options);
    process.stdout.write(describe(status));
    return status.state === "running" ? 0 : status.state === "stopped" ? 3 : 1;
  } catch (error) {
    process.stderr.write(
      `emctl ${request.verb}: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  }
}

process.exitCode = await main();
