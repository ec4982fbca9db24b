// The Windows platform a runner works through: read-only facts from the file system and System32
// tools (windows-probes.ts reads them without reading translated text), and approved steps run
// through the closed vocabulary of windows.ts. Nothing here builds a command line of its own.
import { access, constants, mkdtemp, readlink, rm, symlink } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { win32 } from "node:path";
import type { Step } from "../../domain/plan.ts";
import { probeReadLock, type ReadLockFs } from "./locks-windows.ts";
import {
  type CommandOutcome,
  fileProbes,
  lstatOrMissing,
  type PathState,
  type Platform,
  type Probe,
  probeWrite,
} from "./platform.ts";
import { execaStarter, type ProcessStarter } from "./process.ts";
import { recoveryProbe, windowsServiceControl } from "./service-windows.ts";
import {
  CMD_ENV,
  type CmdRunOptions,
  type CmdVerb,
  checkCmdLine,
  refusal,
  runCmdLine,
  runRobocopy,
} from "./windows.ts";
import { robocopyCompare } from "./windows-compare.ts";
import {
  accountProbe,
  codePageFrom,
  type LinkTestFs,
  type RunTool,
  reparseKind,
  serviceStateProbe,
  symlinkL2RProbe,
} from "./windows-probes.ts";
import { decodeOutput, systemExe } from "./windows-system.ts";

export interface WindowsPlatformOptions {
  start?: ProcessStarter;
  /** `%SystemRoot%` for cmd.exe, robocopy.exe, sc.exe, reg.exe and fsutil.exe (default: the runner's environment). */
  systemRoot?: string;
  factTimeoutMs?: number;
  /** The direct SymlinkEvaluation test's file system calls (tests). */
  linkTestFs?: LinkTestFs;
  /** How long each robocopy /L dry run may take (default 12 s: two fit in the bot's 30 s pre-flight wait). */
  compareTimeoutMs?: number;
  /** This computer's NetBIOS name, for a service account written `.\user` (default: %COMPUTERNAME%). */
  computerName?: string;
  /** The lock probe's file calls (tests). */
  lockFs?: ReadLockFs;
}

export function createWindowsPlatform(options: WindowsPlatformOptions = {}): Platform {
  const start = options.start ?? execaStarter;
  const factTimeoutMs = options.factTimeoutMs ?? 30_000;
  const exe = (name: string) => systemExe(name, options.systemRoot);
  const runTool: RunTool = async (name, args) => {
    const result = await start({ file: exe(name), args, timeoutMs: factTimeoutMs, outputLimit: 16_384 });
    return {
      exitCode: result.exitCode,
      text: await decodeOutput(result.output, codePage),
      timedOut: result.timedOut,
      ...(result.startError === undefined ? {} : { startError: result.startError }),
    };
  };

  const codePage = codePageReader(start, exe("cmd.exe"), factTimeoutMs);

  return {
    name: "windows",
    join: (base, name) => `${base}\\${name}`,
    samePath: (a, b) => a.toLowerCase() === b.toLowerCase(),
    isUnder: (path, root) => {
      const p = path.toLowerCase().replaceAll("/", "\\");
      const r = root.toLowerCase().replaceAll("/", "\\").replace(/\\+$/, "");
      return p === r || p.startsWith(`${r}\\`);
    },
    inspect: (path) => inspectPath(runTool, path),
    ...fileProbes,
    // Windows: W_OK reflects the read-only attribute, not ACLs; verify-link writes for real.
    writable: (path) =>
      access(path, constants.W_OK).then(
        () => true,
        () => false,
      ),
    writeProbe: (dir) => probeWrite(dir, (base, name) => `${base}\\${name}`),
    serviceState: (name) => serviceStateProbe(runTool, name),
    serviceControl: (name) =>
      windowsServiceControl(name, {
        runTool,
        start,
        codePage,
        ...(options.systemRoot === undefined ? {} : { systemRoot: options.systemRoot }),
      }),
    serviceRecovery: (name) => recoveryProbe(runTool, name),
    // Windows cannot name a lock's holder: the probe says "held" or not, and the decision names it.
    lockProbe: (path) => probeReadLock(path, options.lockFs),
    compareTree: (source, target, timeMs) =>
      robocopyCompare(source, target, {
        start,
        robocopy: exe("robocopy.exe"),
        codePage,
        timeoutMs: timeMs ?? options.compareTimeoutMs ?? 12_000,
      }),
    serviceAccount: (name) =>
      accountProbe(runTool, name, options.computerName ?? process.env.COMPUTERNAME ?? hostname()),
    symlinkPrivilege: symlinkPrivilegeProbe,
    symlinkL2R: (shareRoot) => symlinkL2RProbe(runTool, shareRoot, options.linkTestFs),
    run: (step, runOptions) =>
      runStep(step, {
        ...runOptions,
        start,
        codePage,
        ...(options.systemRoot === undefined ? {} : { systemRoot: options.systemRoot }),
      }),
  };
}

/** The console's OEM code page (chcp), asked once and only when some output must be decoded. */
function codePageReader(
  start: ProcessStarter,
  cmdExe: string,
  timeoutMs: number,
): () => Promise<number | null> {
  let codePageAnswer: Promise<number | null> | undefined;
  return (): Promise<number | null> => {
    codePageAnswer ??= start({
      file: cmdExe,
      args: ["/d", "/s", "/c", '"chcp"'],
      timeoutMs,
      outputLimit: 1024,
      verbatim: true,
      env: { ...CMD_ENV },
    }).then(
      (r) =>
        codePageFrom({
          exitCode: r.exitCode,
          // Digits are ASCII in every OEM code page: no decoding needed to read the number.
          text: Buffer.from(r.output).toString("latin1"),
          timedOut: r.timedOut,
          ...(r.startError === undefined ? {} : { startError: r.startError }),
        }),
      () => null,
    );
    return codePageAnswer;
  };
}

/** What is at `path`: Node reports both directory symlinks and junctions as links; fsutil tells them apart. */
async function inspectPath(runTool: RunTool, path: string): Promise<PathState> {
  const info = await lstatOrMissing(path);
  if (info === null) return { kind: "missing" };
  // Node reports both directory symlinks and junctions as symbolic links.
  if (info.isSymbolicLink()) {
    const target = await readlink(path);
    const kind = await reparseKind(runTool, path, target);
    return { kind, target };
  }
  if (info.isDirectory()) return { kind: "directory" };
  return { kind: "file" };
}

/** Whether this token may create directory links: creating a real one is the only exact test. */
async function symlinkPrivilegeProbe(): Promise<Probe> {
  // Creating a real directory link is the only test that answers for this token exactly.
  const dir = await mkdtemp(win32.join(tmpdir(), "momlink-probe-"));
  try {
    await symlink(dir, win32.join(dir, "link"), "dir");
    return { ok: true, detail: "created and removed a test directory link" };
  } catch (error) {
    const code = error instanceof Error && "code" in error ? String(error.code) : "";
    return {
      ok: code === "EPERM" ? false : null,
      detail: `creating a test directory link failed: ${error instanceof Error ? error.message : String(error)}`,
    };
  } finally {
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Runs one approved step: robocopy's argv for a seed, else the step's one cmd.exe line, checked against its kind. */
async function runStep(step: Step, how: CmdRunOptions): Promise<CommandOutcome> {
  // The one program step: its argv runs, never its display line.
  if (step.kind === "seed-share") return runRobocopy(step.argv, how);
  const expected = VERB_OF[step.kind];
  const check = checkCmdLine(step.line);
  if (expected === undefined || step.argv.length > 0 || (check.ok && check.value.verb !== expected)) {
    const reason = `a ${step.kind} step does not run ${check.ok && step.argv.length === 0 ? check.value.verb : "this"}`;
    return refusal(reason, "cmd.exe");
  }
  return runCmdLine(step.line, how);
}

const VERB_OF: Readonly<Partial<Record<Step["kind"], CmdVerb>>> = {
  "move-aside": "move",
  restore: "move",
  mklink: "mklink",
  "remove-link": "rmdir",
};
