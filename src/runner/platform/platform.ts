// Everything that differs between a Windows and a Linux MOM host sits behind this interface.
// Steps ask questions (what is at this path?) and run approved steps through it; only
// windows.ts knows about cmd.exe, only linux.ts about coreutils. Each platform imports this file;
// the one that picks a platform (index.ts) imports them, so nothing imports in a circle.
import { randomBytes } from "node:crypto";
import { lstat, readdir, stat, unlink, writeFile } from "node:fs/promises";
import type { AccountFacts, RecoveryFacts, ServiceControlFacts, ShareSync } from "../../domain/facts.ts";
import type { LockObservation } from "../../domain/failover-evidence.ts";
import type { Platform as PlatformName } from "../../domain/pair.ts";
import type { Step } from "../../domain/plan.ts";

export type { PlatformName };

/** What a path holds, seen without following it. */
export type PathState =
  | { kind: "missing" }
  | { kind: "directory" }
  | { kind: "file" }
  /** A directory symbolic link (Windows: `<SYMLINKD>`), with its target exactly as stored. */
  | { kind: "symlink"; target: string }
  /** A Windows junction or another directory reparse point that is not a symbolic link. */
  | { kind: "junction"; target: string };

/** A read-only probe: `ok` null means the runner could not tell (reported, never assumed). */
export interface Probe {
  ok: boolean | null;
  detail: string;
}

export interface ServiceProbe {
  state: "running" | "stopped" | "unknown";
  detail: string;
}

/** The EM service as its control sees it: the state, where that came from, and its main process. */
export interface ServiceState extends ServiceProbe {
  /** The probe that answered (`sc query "IScopeEM"`, `systemctl show ...`, the configured status command). */
  source: string;
  /** The service's main process, when the control tells it (systemd MainPID, a `MainPID=` line): the lock's holder is checked against it. */
  pid: number | null;
}

/**
 * How this host's runner stops and starts the EM service, as its administrator configured it
 * (`--service-name`, or `--service-start/--service-stop/--service-status` on Linux). A job never
 * says what to run: the stop-service and start-service steps run this control's own commands,
 * after checking that the approved line is exactly what the control would run.
 */
export interface ServiceControl {
  /** What pre-flight reports (the waits are the executor's): the plan's lines are built from it. */
  readonly facts: Omit<ServiceControlFacts, "stopWaitSeconds" | "startWaitSeconds">;
  state(): Promise<ServiceState>;
  /** Runs this control's own stop or start command; `ok` also when the service already was so. */
  run(verb: "stop" | "start", options: RunOptions): Promise<CommandOutcome>;
}

export interface RunOptions {
  /** EM_HOME: every approved line runs with it as the working directory. */
  cwd: string;
  timeoutMs: number;
  outputLimit: number;
}

export interface CommandOutcome {
  /** Refused before any process started: the line or argv is outside the closed vocabulary. */
  refused?: string;
  ok: boolean;
  exitCode: number | null;
  /** UTF-8, bounded (head and tail kept when long). */
  output: string;
  timedOut: boolean;
  /** The program that was started, by its absolute path (Windows: `%SystemRoot%` resolved). */
  program?: string;
}

export interface Platform {
  readonly name: PlatformName;
  /** `<base><sep><name>` the way the plan builder joins paths for this platform. */
  join(base: string, name: string): string;
  /** Path equality as the file system sees it (case-insensitive on Windows). */
  samePath(a: string, b: string): boolean;
  /** `path` is `root` or below it, on whole path components. */
  isUnder(path: string, root: string): boolean;
  inspect(path: string): Promise<PathState>;
  /** A directory (following links) or not. */
  isDirectory(path: string): Promise<boolean>;
  isFile(path: string): Promise<boolean>;
  /** Entry names of a directory (following links), or null when it cannot be listed. */
  list(path: string): Promise<string[] | null>;
  writable(path: string): Promise<boolean>;
  /** Writes and removes a uniquely named file in `dir` (following links): can this process really write there? */
  writeProbe(dir: string): Promise<Probe>;
  serviceState(name: string): Promise<ServiceProbe>;
  /** The EM service's control (see ServiceControl); `serviceState` asks the same control. */
  serviceControl(name: string): ServiceControl;
  /** Windows: the EM service's recovery actions after a failure; null where they are not checked (Linux). */
  serviceRecovery(name: string): Promise<RecoveryFacts | null>;
  /**
   * Whether some process holds Java's exclusive lock on the failover lock file `path` (read only:
   * never tries the lock). `servicePid` tells the EM's own lock from another process's, where the
   * platform can see holders (Linux).
   */
  lockProbe(path: string, servicePid: number | null): Promise<LockObservation>;
  /** The EM service's logon account against the runner's own (Windows); null where it is not checked (Linux). */
  serviceAccount(name: string): Promise<AccountFacts | null>;
  /** Whether this process may create the directory links the plan needs inside `emHome`. */
  symlinkPrivilege(emHome: string): Promise<Probe>;
  /**
   * The share directory `target` against the primary's `source`: in sync, or what differs
   * (read-only). `timeMs` bounds it (default: short enough for pre-flight).
   */
  compareTree(source: string, target: string, timeMs?: number): Promise<ShareSync>;
  /** Whether a local link to the share (a remote target) can be followed (Windows SymlinkEvaluation L2R). */
  symlinkL2R(shareRoot: string): Promise<Probe>;
  /** Runs one approved mutating step (Windows: `step.line`; Linux: `step.argv`). */
  run(step: Step, options: RunOptions): Promise<CommandOutcome>;
}

/** The write probe both platforms share: plain file I/O, no command line involved. */
export async function probeWrite(dir: string, join: (base: string, name: string) => string): Promise<Probe> {
  const name = `.momlink-write-probe-${randomBytes(6).toString("hex")}`;
  const file = join(dir, name);
  try {
    await writeFile(file, "momlink write probe\n", { flag: "wx" });
  } catch (error) {
    return {
      ok: false,
      detail: `cannot write in ${dir}: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  try {
    await unlink(file);
  } catch (error) {
    return { ok: null, detail: `wrote ${name} in ${dir} but could not remove it: ${String(error)}` };
  }
  return { ok: true, detail: `wrote and removed a test file in ${dir}` };
}

/** The read-only probes that are plain file I/O on both platforms (they follow links). */
export const fileProbes: Pick<Platform, "isDirectory" | "isFile" | "list"> = {
  isDirectory: (path) =>
    stat(path).then(
      (s) => s.isDirectory(),
      () => false,
    ),
  isFile: (path) =>
    stat(path).then(
      (s) => s.isFile(),
      () => false,
    ),
  list: (path) =>
    readdir(path).then(
      (names) => names,
      () => null,
    ),
};

/** What is at `path` itself (a link is not followed), or null when nothing is (ENOENT, ENOTDIR). */
export async function lstatOrMissing(path: string): Promise<Awaited<ReturnType<typeof lstat>> | null> {
  try {
    return await lstat(path);
  } catch (error) {
    if (isCode(error, "ENOENT") || isCode(error, "ENOTDIR")) return null;
    throw error;
  }
}

function isCode(error: unknown, code: string): boolean {
  return error instanceof Error && "code" in error && error.code === code;
}

/** Bounded text for reports: a step event carries at most this many characters. */
export const EVENT_OUTPUT_LIMIT = 16_384;

export function clip(text: string, limit = EVENT_OUTPUT_LIMIT): string {
  if (text.length <= limit) return text;
  const marker = "\n[... output shortened ...]\n";
  const keep = Math.max(0, limit - marker.length);
  const head = Math.floor(keep / 2);
  return `${text.slice(0, head)}${marker}${text.slice(text.length - (keep - head))}`;
}

export function describePathState(state: PathState): string {
  switch (state.kind) {
    case "missing":
      return "nothing (missing)";
    case "directory":
      return "a real directory";
    case "file":
      return "a file";
    case "symlink":
      return `a directory link to ${JSON.stringify(state.target)}`;
    case "junction":
      return `a junction to ${JSON.stringify(state.target)}`;
    default: {
      const unhandled: never = state;
      throw new Error(`unhandled path state ${JSON.stringify(unhandled)}`);
    }
  }
}
