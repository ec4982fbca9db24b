// Linux MOM hosts: approved steps run as argv through execa with no shell (`cp -a`, `mv`,
// `ln -s`, `rm`); facts come from the file system itself. The argv is held to the shapes the
// plan builder emits before anything starts, like the Windows layer does with its lines.
import { access, constants, readlink } from "node:fs/promises";
import { posix } from "node:path";
import { CHANGE_ID_SOURCE } from "../../domain/change-id.ts";
import type { Step } from "../../domain/plan.ts";
import { probeRecordLock, toLockObservation } from "./locks-linux.ts";
import {
  type CommandOutcome,
  fileProbes,
  lstatOrMissing,
  type PathState,
  type Platform,
  type Probe,
  probeWrite,
  type RunOptions,
  type ServiceProbe,
} from "./platform.ts";
import { execaStarter, type ProcessStarter } from "./process.ts";
import { linuxServiceControl, runArgv, type ServiceCommands } from "./service-linux.ts";
import { compareTrees } from "./tree-compare.ts";

export interface LinuxPlatformOptions {
  start?: ProcessStarter;
  factTimeoutMs?: number;
  /** A host without systemd (and the tests, the sandbox): the EM service's start, stop and status commands. */
  serviceCommands?: ServiceCommands;
}

const ASIDE = new RegExp(`^(.+)\\.pre-${CHANGE_ID_SOURCE}$`);

/** Is `argv` one the plan builder emits for this step kind? Returns the reason when not. */
export function argvProblem(kind: Step["kind"], argv: readonly string[]): string | null {
  for (const word of argv) {
    if (typeof word !== "string" || word.length === 0 || /\p{Cc}/u.test(word)) {
      return `argument ${JSON.stringify(word)} is empty or holds a control character`;
    }
  }
  const [command, ...args] = argv;
  const shape = (expected: string, ok: boolean) => (ok ? null : `a ${kind} step runs only \`${expected}\``);
  switch (kind) {
    case "seed-share": {
      const [flag, from = "", to = ""] = args;
      return (
        shape(
          "cp -a <EM_HOME>/<dir>/. <share>/<dir>/",
          command === "cp" && flag === "-a" && args.length === 3,
        ) ??
        absoluteProblem(from.replace(/\/\.$/, ""), "source", from.endsWith("/.")) ??
        absoluteProblem(to.replace(/\/$/, ""), "target", to.endsWith("/")) ??
        (posix.basename(from.slice(0, -2)) === posix.basename(to.slice(0, -1))
          ? null
          : "cp source and target must end in the same directory name")
      );
    }
    case "move-aside":
    case "restore": {
      const [from = "", to = ""] = args;
      const problem =
        shape("mv <dir> <dir>.pre-CHG-<n>", command === "mv" && args.length === 2) ??
        nameProblem(from) ??
        nameProblem(to);
      if (problem) return problem;
      const aside = kind === "move-aside" ? to : from;
      const plain = kind === "move-aside" ? from : to;
      return ASIDE.exec(aside)?.[1] === plain
        ? null
        : `mv is only for <dir> <-> <dir>.pre-CHG-<n>, not ${from} -> ${to}`;
    }
    case "mklink": {
      const [flag, target = "", name = ""] = args;
      return (
        shape("ln -s <share>/<dir> <dir>", command === "ln" && flag === "-s" && args.length === 3) ??
        absoluteProblem(target, "link target", true) ??
        nameProblem(name) ??
        (posix.basename(target) === name ? null : `link name ${name} is not the target's last component`)
      );
    }
    case "remove-link": {
      const [name = ""] = args;
      return shape("rm <dir>", command === "rm" && args.length === 1) ?? nameProblem(name);
    }
    case "verify-link":
      return "verify-link is read back by the runner, never run as a command";
    case "check-failover":
    case "set-failover-properties":
    case "restore-properties":
      return `${kind} is done by the runner itself, never run as a command`;
    case "stop-service":
    case "start-service":
      return `${kind} runs the runner's own service control, never a command from a job`;
    default: {
      const unhandled: never = kind;
      return `unknown step kind ${String(unhandled)}`;
    }
  }
}

/** A plain name inside EM_HOME; a leading `-` would be read as an option. */
function nameProblem(name: string): string | null {
  if (name.includes("/") || name === "." || name === ".." || name.startsWith("-") || name === "") {
    return `${JSON.stringify(name)} must be a plain directory name inside EM_HOME`;
  }
  return null;
}

function absoluteProblem(path: string, what: string, shapeOk: boolean): string | null {
  if (!shapeOk || !path.startsWith("/") || path === "/") {
    return `${what} ${JSON.stringify(path)} is not in the approved form`;
  }
  if (path.split("/").some((part, i) => i > 0 && (part === "" || part === "." || part === ".."))) {
    return `${what} ${JSON.stringify(path)} has an empty or relative component`;
  }
  return null;
}

export function createLinuxPlatform(options: LinuxPlatformOptions = {}): Platform {
  const start = options.start ?? execaStarter;
  const factTimeoutMs = options.factTimeoutMs ?? 30_000;
  // Messages in a stable language, file names still shown as UTF-8.
  const env = { LC_ALL: "C.UTF-8" };
  const control = (name: string) =>
    linuxServiceControl(name, {
      start,
      factTimeoutMs,
      env,
      ...(options.serviceCommands === undefined ? {} : { commands: options.serviceCommands }),
    });

  return {
    name: "linux",
    join: (base, name) => `${base}/${name}`,
    samePath: (a, b) => a === b,
    isUnder: (path, root) => {
      const r = root.length > 1 ? root.replace(/\/+$/, "") : root;
      return path === r || path.startsWith(r === "/" ? "/" : `${r}/`);
    },
    async inspect(path): Promise<PathState> {
      const info = await lstatOrMissing(path);
      if (info === null) return { kind: "missing" };
      if (info.isSymbolicLink()) return { kind: "symlink", target: await readlink(path) };
      if (info.isDirectory()) return { kind: "directory" };
      return { kind: "file" };
    },
    ...fileProbes,
    writable: (path) =>
      access(path, constants.W_OK | constants.X_OK).then(
        () => true,
        () => false,
      ),
    writeProbe: (dir) => probeWrite(dir, posix.join),
    serviceControl: (name) => control(name),
    async serviceState(name): Promise<ServiceProbe> {
      const { state, detail } = await control(name).state();
      return { state, detail };
    },
    // Recovery actions are a Windows service setting; systemd's Restart= is the unit's business.
    serviceRecovery: async () => null,
    lockProbe: async (path, servicePid) => toLockObservation(await probeRecordLock(path, { servicePid })),
    compareTree: (source, target, timeMs) =>
      compareTrees(source, target, timeMs === undefined ? {} : { timeMs }),
    // Not checked on Linux: the runner's write test proves its own user's access (docs/windows-hosts.md).
    serviceAccount: async () => null,
    async symlinkPrivilege(emHome): Promise<Probe> {
      // Any Linux user may create symlinks; what matters is writing (and searching) EM_HOME.
      const ok = await access(emHome, constants.W_OK | constants.X_OK).then(
        () => true,
        () => false,
      );
      return { ok, detail: ok ? `${emHome} is writable` : `${emHome} is not writable by this user` };
    },
    symlinkL2R: async () => ({
      ok: true,
      detail: "not applicable on Linux: symlinks to NFS paths always resolve",
    }),
    async run(step: Step, runOptions: RunOptions): Promise<CommandOutcome> {
      const problem = argvProblem(step.kind, step.argv);
      if (problem !== null) {
        return {
          refused: problem,
          ok: false,
          exitCode: null,
          output: `refused: ${problem}`,
          timedOut: false,
        };
      }
      return runArgv(step.argv, runOptions, { start, env });
    },
  };
}
