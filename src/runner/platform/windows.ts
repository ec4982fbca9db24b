// The only module that knows about cmd.exe. An approved step line runs EXACTLY as approved:
// `cmd.exe /d /s /c "<line>"` with verbatim arguments and EM_HOME as working directory (with /s,
// cmd strips the outer quotes and parses the line itself, the way the operator would have typed
// it). Before any process starts, the line is held to the closed vocabulary the plan builder
// emits; anything else is refused, whoever calls — defence in depth behind the plan re-derivation.
import { access, constants, lstat, mkdtemp, readlink, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { win32 } from "node:path";
import { componentEdgeIssue, pathCharIssue } from "../../domain/path-chars.ts";
import type { Step } from "../../domain/plan.ts";
import { describeChar } from "../../domain/problem.ts";
import {
  type CommandOutcome,
  fileProbes,
  type PathState,
  type Platform,
  type Probe,
  probeWrite,
  type RunOptions,
  type ServiceProbe,
} from "./index.ts";
import { execaStarter, type ProcessStarter } from "./process.ts";

// ---------------------------------------------------------------------------------------------
// The closed vocabulary

export type CmdVerb = "mklink" | "move" | "rmdir" | "robocopy";
export interface CmdCommand {
  verb: CmdVerb;
  /** The arguments as cmd.exe passes them on: quotes removed. */
  args: string[];
}
export type CmdLineCheck = { ok: true; value: CmdCommand } | { ok: false; reason: string };

const CMD_SYNTAX: Readonly<Record<string, string>> = {
  "%": "cmd.exe expands %VAR% there, even inside quotes",
  "!": "cmd.exe expands !VAR! there when delayed expansion is on, even inside quotes",
  "^": "it is cmd.exe's escape character",
  "&": "it starts a second command",
  "|": "it pipes into another command",
  "<": "it redirects input",
  ">": "it redirects output",
  "(": "it groups commands",
  ")": "it groups commands",
};

/** Longest line cmd.exe accepts is 8191 characters; ours are far shorter. */
const MAX_LINE = 8000;

const VOCABULARY = [
  'mklink /D "<dir>" "\\\\server\\share\\...\\<dir>"',
  'move "<dir>" "<dir>.pre-CHG-<n>"',
  'move "<dir>.pre-CHG-<n>" "<dir>"',
  'rmdir "<dir>"',
  'robocopy "<X:\\EM_HOME>\\<dir>" "\\\\server\\share\\...\\<dir>" /E /COPY:DAT /R:1 /W:1',
];

const SHAPES: readonly { verb: CmdVerb; pattern: RegExp }[] = [
  { verb: "mklink", pattern: /^mklink \/D "([^"]*)" "([^"]*)"$/ },
  { verb: "move", pattern: /^move "([^"]*)" "([^"]*)"$/ },
  { verb: "rmdir", pattern: /^rmdir "([^"]*)"$/ },
  { verb: "robocopy", pattern: /^robocopy "([^"]*)" "([^"]*)" \/E \/COPY:DAT \/R:1 \/W:1$/ },
];

const ASIDE = /^(.+)\.pre-CHG-[1-9][0-9]{0,8}$/;

function show(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  return /[\p{Cc}\p{Cf}\p{Zs}]/u.test(ch) ? `U+${code.toString(16).toUpperCase().padStart(4, "0")}` : ch;
}

/**
 * Is `line` one the plan builder could have emitted? Checks characters first (so the reason names
 * the dangerous one), then the exact shape of one of the four commands, then each argument.
 */
export function checkCmdLine(line: string): CmdLineCheck {
  if (typeof line !== "string" || line.length === 0) return { ok: false, reason: "the line is empty" };
  if (line.length > MAX_LINE) return { ok: false, reason: `the line is ${line.length} characters long` };
  const chars = [...line];
  let position = 0;
  for (const ch of chars) {
    position++;
    if (/\p{Cc}/u.test(ch)) {
      return {
        ok: false,
        reason: `control character ${show(ch)} at position ${position}: cmd.exe would end or split the command there`,
      };
    }
    if (ch in CMD_SYNTAX) {
      return { ok: false, reason: `${ch} at position ${position}: ${CMD_SYNTAX[ch]}` };
    }
    // The domain's own rule for path characters (path-chars.ts), so the runner refuses exactly
    // what the validators refuse: look-alikes that best fit or NFKC turn into syntax (＂ ʺ ¥ …),
    // typographic quotes, invisible characters, U+FFFD and lone surrogates.
    const issue = (ch.codePointAt(0) ?? 0) >= 0x80 ? pathCharIssue(ch) : undefined;
    if (issue !== undefined) {
      return { ok: false, reason: `${describeChar(ch)} at position ${position} ${issue.why}` };
    }
  }
  if ((line.match(/"/g) ?? []).length % 2 !== 0) {
    return { ok: false, reason: "unbalanced double quote: the rest of the line would change meaning" };
  }
  for (const { verb, pattern } of SHAPES) {
    const match = pattern.exec(line);
    if (!match) continue;
    const args = match.slice(1).map((a) => a ?? "");
    const problem = argumentProblem(verb, args);
    return problem === null ? { ok: true, value: { verb, args } } : { ok: false, reason: problem };
  }
  return {
    ok: false,
    reason: `not one of the runner's commands (free text is never run); expected exactly one of: ${VOCABULARY.join(" | ")}`,
  };
}

function argumentProblem(verb: CmdVerb, args: string[]): string | null {
  const [a = "", b = ""] = args;
  switch (verb) {
    case "mklink":
      return (
        nameProblem(a, "link name") ??
        uncProblem(b, "link target") ??
        (sameName(a, win32.basename(b)) ? null : `link name ${a} is not the target's last component`)
      );
    case "move": {
      const problem = nameProblem(a, "source") ?? nameProblem(b, "destination");
      if (problem) return problem;
      const asideOf = (name: string) => ASIDE.exec(name)?.[1];
      if ((asideOf(b) !== undefined && sameName(asideOf(b) ?? "", a)) || sameName(asideOf(a) ?? "", b)) {
        return null;
      }
      return `move is only for <dir> <-> <dir>.pre-CHG-<n>, not ${a} -> ${b}`;
    }
    case "rmdir":
      return nameProblem(a, "directory");
    case "robocopy":
      return (
        drivePathProblem(a, "source") ??
        uncProblem(b, "target") ??
        (sameName(win32.basename(a), win32.basename(b))
          ? null
          : "robocopy source and target must end in the same directory name")
      );
    default: {
      const unhandled: never = verb;
      return `unknown verb ${String(unhandled)}`;
    }
  }
}

const sameName = (a: string, b: string) => a.length > 0 && a.toLowerCase() === b.toLowerCase();

/** One path component: no separators or wildcards, not `.`/`..`, no edge spaces or trailing dot. */
function componentProblem(component: string, what: string): string | null {
  if (component === "") return `${what} has an empty component`;
  if (component === "." || component === "..") return `${what} has a relative component ${component}`;
  const bad = /[\\/:*?<>|]/.exec(component);
  if (bad) return `${what} contains ${bad[0]} in ${JSON.stringify(component)}`;
  const edge = componentEdgeIssue(component);
  if (edge !== undefined) return `${what} component ${JSON.stringify(component)} ${edge.why}`;
  return null;
}

function nameProblem(name: string, what: string): string | null {
  if (/[\\/]/.test(name)) return `${what} ${JSON.stringify(name)} must be a plain name inside EM_HOME`;
  return componentProblem(name, what);
}

function uncProblem(path: string, what: string): string | null {
  if (!path.startsWith("\\\\"))
    return `${what} ${JSON.stringify(path)} is not a UNC path (\\\\server\\share\\...)`;
  const parts = path.slice(2).split("\\");
  if (parts.length < 3) return `${what} ${JSON.stringify(path)} needs \\\\server\\share\\<dir>`;
  if (parts[0] === "?" || parts[0] === ".") return `${what} is a device path, not a share`;
  for (const part of parts) {
    const problem = componentProblem(part, what);
    if (problem) return problem;
  }
  return null;
}

function drivePathProblem(path: string, what: string): string | null {
  const match = /^[A-Za-z]:\\(.+)$/.exec(path);
  if (!match)
    return `${what} ${JSON.stringify(path)} is not an absolute path like D:\\Introscope\\EM\\config`;
  for (const part of (match[1] ?? "").split("\\")) {
    const problem = componentProblem(part, what);
    if (problem) return problem;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Running a line

export interface CmdRunOptions extends RunOptions {
  /** Injected in tests: proves refused lines never start a process. */
  start?: ProcessStarter;
  /** Absolute path of cmd.exe (default `%SystemRoot%\System32\cmd.exe`, never a PATH search). */
  cmdExe?: string;
  /** Console code page for output that is neither ASCII nor UTF-8 (default: unknown, non-ASCII shown as U+FFFD). */
  codePage?: number | (() => Promise<number | null>);
}

/** robocopy reports "copied / extra / mismatched" as bits 0-2: 0-7 is success, 8+ failure. */
export function cmdSucceeded(verb: CmdVerb, exitCode: number | null): boolean {
  if (exitCode === null) return false;
  return verb === "robocopy" ? exitCode >= 0 && exitCode <= 7 : exitCode === 0;
}

/** Runs one approved line in `cwd`, or refuses it before any process starts. */
export async function runCmdLine(line: string, options: CmdRunOptions): Promise<CommandOutcome> {
  const refuse = (reason: string): CommandOutcome => ({
    refused: reason,
    ok: false,
    exitCode: null,
    output: `refused before starting cmd.exe: ${reason}`,
    timedOut: false,
  });
  const check = checkCmdLine(line);
  if (!check.ok) return refuse(check.reason);
  const cwdProblem = absoluteDirProblem(options.cwd);
  if (cwdProblem) return refuse(cwdProblem);
  if (!(options.timeoutMs > 0)) return refuse("no time limit given");

  const start = options.start ?? execaStarter;
  const result = await start({
    file: options.cmdExe ?? systemExe("cmd.exe"),
    // With /s and the line in one pair of quotes, cmd.exe strips exactly those quotes and parses
    // the rest as typed. /d: no AutoRun commands from the registry. (execa 10 adds /q, echo off,
    // in front for every cmd.exe it starts; it does not touch parsing — the Wine lane shows it.)
    args: ["/d", "/s", "/c", `"${line}"`],
    cwd: options.cwd,
    timeoutMs: options.timeoutMs,
    outputLimit: options.outputLimit,
    verbatim: true,
  });
  const { codePage } = options;
  const output = await decodeOutput(result.output, async () =>
    typeof codePage === "function" ? codePage() : (codePage ?? null),
  );
  const notes = [
    result.startError ? `cmd.exe did not start: ${result.startError}` : "",
    result.timedOut ? `stopped after ${options.timeoutMs} ms` : "",
  ].filter(Boolean);
  return {
    ok: !result.timedOut && cmdSucceeded(check.value.verb, result.exitCode),
    exitCode: result.exitCode,
    output: [output, ...notes].filter(Boolean).join("\n"),
    timedOut: result.timedOut,
  };
}

function absoluteDirProblem(cwd: string): string | null {
  if (typeof cwd !== "string" || !/^[A-Za-z]:\\/.test(cwd) || /["\p{Cc}]/u.test(cwd)) {
    return `working directory ${JSON.stringify(cwd)} is not an absolute local path`;
  }
  return null;
}

function systemExe(name: string, systemRoot = process.env.SystemRoot): string {
  // The runner's own environment, not the job's; a drive path or the documented default.
  const root =
    systemRoot !== undefined && /^[A-Za-z]:\\[^"\p{Cc}]*$/u.test(systemRoot) ? systemRoot : "C:\\Windows";
  return win32.join(root, "System32", name);
}

// ---------------------------------------------------------------------------------------------
// Output decoding. cmd.exe builtins and robocopy write to a pipe in the console (OEM) code page,
// and `chcp 65001` inside an approved line is not allowed: decode here instead.

const OEM_TABLES: Readonly<Record<number, string>> = {
  437: "\u00c7\u00fc\u00e9\u00e2\u00e4\u00e0\u00e5\u00e7\u00ea\u00eb\u00e8\u00ef\u00ee\u00ec\u00c4\u00c5\u00c9\u00e6\u00c6\u00f4\u00f6\u00f2\u00fb\u00f9\u00ff\u00d6\u00dc\u00a2\u00a3\u00a5\u20a7\u0192\u00e1\u00ed\u00f3\u00fa\u00f1\u00d1\u00aa\u00ba\u00bf\u2310\u00ac\u00bd\u00bc\u00a1\u00ab\u00bb\u2591\u2592\u2593\u2502\u2524\u2561\u2562\u2556\u2555\u2563\u2551\u2557\u255d\u255c\u255b\u2510\u2514\u2534\u252c\u251c\u2500\u253c\u255e\u255f\u255a\u2554\u2569\u2566\u2560\u2550\u256c\u2567\u2568\u2564\u2565\u2559\u2558\u2552\u2553\u256b\u256a\u2518\u250c\u2588\u2584\u258c\u2590\u2580\u03b1\u00df\u0393\u03c0\u03a3\u03c3\u00b5\u03c4\u03a6\u0398\u03a9\u03b4\u221e\u03c6\u03b5\u2229\u2261\u00b1\u2265\u2264\u2320\u2321\u00f7\u2248\u00b0\u2219\u00b7\u221a\u207f\u00b2\u25a0\u00a0",
  850: "\u00c7\u00fc\u00e9\u00e2\u00e4\u00e0\u00e5\u00e7\u00ea\u00eb\u00e8\u00ef\u00ee\u00ec\u00c4\u00c5\u00c9\u00e6\u00c6\u00f4\u00f6\u00f2\u00fb\u00f9\u00ff\u00d6\u00dc\u00f8\u00a3\u00d8\u00d7\u0192\u00e1\u00ed\u00f3\u00fa\u00f1\u00d1\u00aa\u00ba\u00bf\u00ae\u00ac\u00bd\u00bc\u00a1\u00ab\u00bb\u2591\u2592\u2593\u2502\u2524\u00c1\u00c2\u00c0\u00a9\u2563\u2551\u2557\u255d\u00a2\u00a5\u2510\u2514\u2534\u252c\u251c\u2500\u253c\u00e3\u00c3\u255a\u2554\u2569\u2566\u2560\u2550\u256c\u00a4\u00f0\u00d0\u00ca\u00cb\u00c8\u0131\u00cd\u00ce\u00cf\u2518\u250c\u2588\u2584\u00a6\u00cc\u2580\u00d3\u00df\u00d4\u00d2\u00f5\u00d5\u00b5\u00fe\u00de\u00da\u00db\u00d9\u00fd\u00dd\u00af\u00b4\u00ad\u00b1\u2017\u00be\u00b6\u00a7\u00f7\u00b8\u00b0\u00a8\u00b7\u00b9\u00b3\u00b2\u25a0\u00a0",
};

/** Code pages the WHATWG decoders in Node know by another name. */
const WHATWG_LABELS: Readonly<Record<number, string>> = {
  866: "ibm866",
  874: "windows-874",
  932: "shift_jis",
  936: "gbk",
  949: "euc-kr",
  950: "big5",
  1250: "windows-1250",
  1251: "windows-1251",
  1252: "windows-1252",
  1253: "windows-1253",
  1254: "windows-1254",
  1255: "windows-1255",
  1256: "windows-1256",
  1257: "windows-1257",
  1258: "windows-1258",
  65001: "utf-8",
};

/** Console bytes as text: UTF-8 when they are valid UTF-8, else the console code page. */
export function decodeConsole(bytes: Uint8Array, codePage: number | null | undefined): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    // not UTF-8: fall through to the code page
  }
  const table = codePage === null || codePage === undefined ? undefined : OEM_TABLES[codePage];
  if (table !== undefined) {
    return Array.from(bytes, (b) => (b < 0x80 ? String.fromCharCode(b) : (table[b - 0x80] ?? "\ufffd"))).join(
      "",
    );
  }
  const label = codePage === null || codePage === undefined ? undefined : WHATWG_LABELS[codePage];
  if (label !== undefined) {
    try {
      return new TextDecoder(label).decode(bytes);
    } catch {
      // this Node lacks the decoder: fall through
    }
  }
  // Unknown code page: keep ASCII, mark the rest instead of guessing.
  return Array.from(bytes, (b) => (b < 0x80 ? String.fromCharCode(b) : "\ufffd")).join("");
}

async function decodeOutput(bytes: Uint8Array, codePage: () => Promise<number | null>): Promise<string> {
  if (bytes.every((b) => b < 0x80)) return Buffer.from(bytes).toString("latin1");
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return decodeConsole(bytes, await codePage()); // only now is the code page worth a process
  }
}

// ---------------------------------------------------------------------------------------------
// Read-only facts

export interface WindowsPlatformOptions {
  start?: ProcessStarter;
  /** `%SystemRoot%` for cmd.exe, sc.exe and fsutil.exe (default: the runner's environment). */
  systemRoot?: string;
  factTimeoutMs?: number;
}

/** Reparse tag of a symbolic link (winnt.h); a junction is IO_REPARSE_TAG_MOUNT_POINT, 0xa0000003. */
const IO_REPARSE_TAG_SYMLINK = 0xa000000c;

export function createWindowsPlatform(options: WindowsPlatformOptions = {}): Platform {
  const start = options.start ?? execaStarter;
  const factTimeoutMs = options.factTimeoutMs ?? 30_000;
  const exe = (name: string) => systemExe(name, options.systemRoot);
  const runTool = async (name: string, args: string[]) => {
    const result = await start({ file: exe(name), args, timeoutMs: factTimeoutMs, outputLimit: 16_384 });
    return { ...result, text: await decodeOutput(result.output, codePage) };
  };

  let codePageAnswer: Promise<number | null> | undefined;
  const codePage = (): Promise<number | null> => {
    codePageAnswer ??= start({
      file: exe("cmd.exe"),
      args: ["/d", "/s", "/c", '"chcp"'],
      timeoutMs: factTimeoutMs,
      outputLimit: 1024,
      verbatim: true,
    }).then(
      (r) => {
        const found = /(\d+)\s*$/.exec(Buffer.from(r.output).toString("latin1"));
        const cp = found ? Number(found[1]) : 0;
        return cp > 0 ? cp : null;
      },
      () => null,
    );
    return codePageAnswer;
  };

  /**
   * Junction or directory symlink? A target that is a UNC path can only be a symlink (junctions
   * cannot point at UNC paths). Otherwise `fsutil reparsepoint query` names the reparse tag; its
   * hex value does not depend on the display language. If fsutil cannot tell, the link is called
   * a junction: both a junction and a link elsewhere block the plan, so nothing rides on it.
   */
  const reparseKind = async (path: string, target: string): Promise<"symlink" | "junction"> => {
    if (target.startsWith("\\\\")) return "symlink";
    const result = await runTool("fsutil.exe", ["reparsepoint", "query", path]);
    const tag = /0x([0-9a-f]{8})/i.exec(result.text);
    return tag && Number.parseInt(tag[1] ?? "", 16) === IO_REPARSE_TAG_SYMLINK ? "symlink" : "junction";
  };

  return {
    name: "windows",
    join: (base, name) => `${base}\\${name}`,
    samePath: (a, b) => a.toLowerCase() === b.toLowerCase(),
    isUnder: (path, root) => {
      const p = path.toLowerCase().replaceAll("/", "\\");
      const r = root.toLowerCase().replaceAll("/", "\\").replace(/\\+$/, "");
      return p === r || p.startsWith(`${r}\\`);
    },
    async inspect(path): Promise<PathState> {
      let info: Awaited<ReturnType<typeof lstat>>;
      try {
        info = await lstat(path);
      } catch (error) {
        if (isCode(error, "ENOENT") || isCode(error, "ENOTDIR")) return { kind: "missing" };
        throw error;
      }
      // Node reports both directory symlinks and junctions as symbolic links.
      if (info.isSymbolicLink()) {
        const target = await readlink(path);
        const kind = await reparseKind(path, target);
        return { kind, target };
      }
      if (info.isDirectory()) return { kind: "directory" };
      return { kind: "file" };
    },
    ...fileProbes,
    // Windows: W_OK reflects the read-only attribute, not ACLs; verify-link writes for real.
    writable: (path) =>
      access(path, constants.W_OK).then(
        () => true,
        () => false,
      ),
    writeProbe: (dir) => probeWrite(dir, (base, name) => `${base}\\${name}`),
    async serviceState(name): Promise<ServiceProbe> {
      if (!/^[A-Za-z0-9_.-]{1,256}$/.test(name)) {
        return {
          state: "unknown",
          detail: `service name ${JSON.stringify(name)} is not a plain service name`,
        };
      }
      const result = await runTool("sc.exe", ["query", name]);
      if (result.exitCode === 1060) {
        return { state: "unknown", detail: `no service named ${name} is installed (sc query: 1060)` };
      }
      // The state names are constants in sc's output whatever the display language.
      const state =
        /\b\d+\s+(STOPPED|START_PENDING|STOP_PENDING|RUNNING|CONTINUE_PENDING|PAUSE_PENDING|PAUSED)\b/.exec(
          result.text,
        )?.[1];
      if (state === undefined) {
        return {
          state: "unknown",
          detail: `sc query ${name} gave no state: ${result.text.trim().slice(0, 400)}`,
        };
      }
      return { state: state === "STOPPED" ? "stopped" : "running", detail: `sc query ${name}: ${state}` };
    },
    async symlinkPrivilege(): Promise<Probe> {
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
    },
    async symlinkL2R(): Promise<Probe> {
      const result = await runTool("fsutil.exe", ["behavior", "query", "SymlinkEvaluation"]);
      const found = /Local to remote symbolic links are (enabled|disabled)/i.exec(result.text);
      if (!found) {
        return {
          ok: null,
          detail: `fsutil behavior query SymlinkEvaluation: ${result.text.trim().slice(0, 400)}`,
        };
      }
      return { ok: found[1]?.toLowerCase() === "enabled", detail: found[0] };
    },
    async run(step: Step, runOptions: RunOptions): Promise<CommandOutcome> {
      const expected = VERB_OF[step.kind];
      const check = checkCmdLine(step.line);
      if (expected === undefined || (check.ok && check.value.verb !== expected)) {
        const reason = `a ${step.kind} step does not run ${check.ok ? check.value.verb : "this line"}`;
        return { refused: reason, ok: false, exitCode: null, output: `refused: ${reason}`, timedOut: false };
      }
      return runCmdLine(step.line, { ...runOptions, start, cmdExe: exe("cmd.exe"), codePage });
    },
  };
}

const VERB_OF: Readonly<Partial<Record<Step["kind"], CmdVerb>>> = {
  "seed-share": "robocopy",
  "move-aside": "move",
  restore: "move",
  mklink: "mklink",
  "remove-link": "rmdir",
};

function isCode(error: unknown, code: string): boolean {
  return error instanceof Error && "code" in error && error.code === code;
}
