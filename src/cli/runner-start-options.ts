// The flags of `momlink runner start`, apart from cli.ts so that file stays a short table of
// subcommands. Commander only (and a type from runner-service.ts, erased): cli.ts imports this on
// every start, so it must load nothing else; the runner's modules load once `runner start` runs.
import { type Command, Option } from "commander";
import type { ServiceOptionsInput } from "./runner-service.ts";

/** What commander hands the action, before cli/runner.ts checks it (the service flags: runner-service.ts). */
export interface RunnerStartFlags extends ServiceOptionsInput {
  config: string;
  allowEmHome?: string[];
  allowShare?: string[];
  platform?: "windows" | "linux";
  unknownServiceIsStopped?: boolean;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace";
}

/** Adds runner start's flags to `command` (the EM_HOME and share roots, the EM service, logging). */
export function withRunnerStartOptions(command: Command): Command {
  return command
    .requiredOption("--config <file>", "the file `momlink runner register` wrote")
    .option("--allow-em-home <path...>", "an EM_HOME root this runner may change (required; repeatable)")
    .option(
      "--allow-share <root...>",
      "a share this runner may seed and link to: a Linux mount path or a Windows UNC prefix like \\\\san-server\\mom-failover (required; repeatable)",
    )
    .option(
      "--service-name <name>",
      "the EM's Windows service or systemd unit, checked to be stopped",
      "IScopeEM",
    )
    .addOption(
      new Option(
        "--platform <platform>",
        "must match the registration (default: the registered platform)",
      ).choices(["windows", "linux"]),
    )
    .option(
      "--unknown-service-is-stopped",
      "count an EM service the runner cannot query as stopped (EM not run as a service; never for services=manage)",
    )
    .option(
      "--service-start <json>",
      'Linux without systemd: the EM\'s start command as a JSON array, e.g. \'["/etc/init.d/introscope","start"]\'',
    )
    .option("--service-stop <json>", "Linux without systemd: the EM's stop command (JSON array)")
    .option(
      "--service-status <json>",
      "Linux without systemd: the EM's status command (JSON array; exit 0 running, 3 stopped)",
    )
    .option(
      "--service-stop-wait <seconds>",
      "services=manage: how long to wait for the EM to stop (default 120)",
    )
    .option(
      "--service-start-wait <seconds>",
      "services=manage: how long to wait for the EM to run and prove its failover role (default 300)",
    )
    .option("--failover-log-patterns <file>", "JSON list of the EM log lines the failover evidence looks for")
    .addOption(
      new Option("--log-level <level>", "log level")
        .choices(["fatal", "error", "warn", "info", "debug", "trace"])
        .default("info"),
    );
}
