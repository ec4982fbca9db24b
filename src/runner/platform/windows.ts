// The only module that knows about cmd.exe. An approved builtin line (mklink, move, rmdir) runs
// EXACTLY as approved: `cmd.exe /d /s /c "<line>"` with verbatim arguments, EM_HOME as working
// directory and NoDefaultCurrentDirectoryInExePath set (with /s, cmd strips the outer quotes and
// parses the line itself, the way the operator would have typed it). Programs (robocopy, sc, reg)
// never go through cmd.exe: they start by absolute System32 path with an argv, so nothing planted
// in EM_HOME (robocopy.bat, cmd.bat) can run in their place. Before any process starts, the line or
// argv is held to the closed vocabulary the plan builder emits; anything else is refused, whoever
// calls — defence in depth behind the plan re-derivation.
import { win32 } from "node:path";
import { componentEdgeIssue, pathCharIssue } from "../../domain/path-chars.ts";
import { describeChar } from "../../domain/problem.ts";
import type { CommandOutcome, RunOptions } from "./platform.ts";
import { execaStarter, type ProcessStarter, type StartResult } from "./process.ts";
import { type CodePageSource, decodeOutput, systemExe } from "./windows-system.ts";

// ---------------------------------------------------------------------------------------------
// The closed vocabulary

export type CmdVerb = "mklink" | "move" | "rmdir";
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
];

const SHAPES: readonly { verb: CmdVerb; pattern: RegExp }[] = [
  { verb: "mklink", pattern: /^mklink \/D "([^"]*)" "([^"]*)"$/ },
  { verb: "move", pattern: /^move "([^"]*)" "([^"]*)"$/ },
  { verb: "rmdir", pattern: /^rmdir "([^"]*)"$/ },
];

const ASIDE = /^(.+)\.pre-CHG-[1-9][0-9]{0,8}$/;

function show(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  return /[\p{Cc}\p{Cf}\p{Zs}]/u.test(ch) ? `U+${code.toString(16).toUpperCase().padStart(4, "0")}` : ch;
}

/**
 * The first character of `text` that no approved line or argument may hold, with its position and
 * why; null when there is none. Builtin lines and robocopy's argv paths are held to the same rule.
 */
function charProblem(text: string): string | null {
  let position = 0;
  for (const ch of text) {
    position++;
    if (/\p{Cc}/u.test(ch)) {
      return `control character ${show(ch)} at position ${position}: cmd.exe would end or split the command there`;
    }
    if (ch in CMD_SYNTAX) return `${ch} at position ${position}: ${CMD_SYNTAX[ch]}`;
    // The domain's own rule for path characters (path-chars.ts), so the runner refuses exactly
    // what the validators refuse: look-alikes that best fit or NFKC turn into syntax (＂ ʺ ¥ …),
    // typographic quotes, invisible characters, U+FFFD and lone surrogates.
    const issue = (ch.codePointAt(0) ?? 0) >= 0x80 ? pathCharIssue(ch) : undefined;
    if (issue !== undefined) return `${describeChar(ch)} at position ${position} ${issue.why}`;
  }
  return null;
}

/**
 * Is `line` one the plan builder could have emitted? Checks characters first (so the reason names
 * the dangerous one), then the exact shape of one of the four commands, then each argument.
 */
export function checkCmdLine(line: string): CmdLineCheck {
  if (typeof line !== "string" || line.length === 0) return { ok: false, reason: "the line is empty" };
  if (line.length > MAX_LINE) return { ok: false, reason: `the line is ${line.length} characters long` };
  const unsafe = charProblem(line);
  if (unsafe !== null) return { ok: false, reason: unsafe };
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

/** The one robocopy argv an approved plan may hold (seed-share): a drive-path source, a UNC target. */
export const ROBOCOPY_EXE = "%SystemRoot%\\System32\\robocopy.exe";
const ROBOCOPY_SHAPE = `${ROBOCOPY_EXE} "<X:\\EM_HOME>\\<dir>" "\\\\server\\share\\...\\<dir>" /E /COPY:DAT /R:1 /W:1 /XJ /NP`;
const ROBOCOPY_TAIL = ["/E", "/COPY:DAT", "/R:1", "/W:1", "/XJ", "/NP"];

/** Is `argv` the robocopy the plan builder emits? No purge, no mirror, no other switch, same dir name. */
export function robocopyArgvProblem(argv: readonly string[]): string | null {
  const [exe, source = "", target = "", ...tail] = argv;
  if (
    exe !== ROBOCOPY_EXE ||
    tail.length !== ROBOCOPY_TAIL.length ||
    tail.some((w, i) => w !== ROBOCOPY_TAIL[i])
  ) {
    return `a seed-share step runs only \`${ROBOCOPY_SHAPE}\``;
  }
  for (const [what, path] of [
    ["source", source],
    ["target", target],
  ] as const) {
    // A quote never belongs in an argument (Node would escape it, and robocopy parse it back).
    const unsafe = path.includes('"') ? "a double quote" : charProblem(path);
    if (unsafe !== null)
      return `robocopy ${what} ${JSON.stringify(path)} holds a character no plan emits: ${unsafe}`;
  }
  return (
    drivePathProblem(source, "source") ??
    uncProblem(target, "target") ??
    (sameName(win32.basename(source), win32.basename(target))
      ? null
      : "robocopy source and target must end in the same directory name")
  );
}

// ---------------------------------------------------------------------------------------------
// Running an approved step

export interface CmdRunOptions extends RunOptions {
  /** Injected in tests: proves refused lines never start a process. */
  start?: ProcessStarter;
  /** `%SystemRoot%` (default: the runner's environment): cmd.exe and robocopy.exe live under it. */
  systemRoot?: string;
  /** Console code page for output that is neither ASCII nor UTF-8 (default: unknown, non-ASCII shown as U+FFFD). */
  codePage?: CodePageSource;
}

/**
 * cmd.exe's children must not look for programs in the working directory (EM_HOME) first: a
 * builtin never does, but this closes the door for anything cmd.exe would search for. Microsoft,
 * NeedCurrentDirectoryForExePath: set to any value, the current directory is not searched.
 */
export const CMD_ENV: Readonly<Record<string, string>> = { NoDefaultCurrentDirectoryInExePath: "1" };

/** robocopy reports "copied / extra / mismatched" as bits 0-2: 0-7 is success, 8+ failure. */
export function robocopySucceeded(exitCode: number | null): boolean {
  return exitCode !== null && exitCode >= 0 && exitCode <= 7;
}

export function refusal(reason: string, what: string): CommandOutcome {
  return {
    refused: reason,
    ok: false,
    exitCode: null,
    output: `refused before starting ${what}: ${reason}`,
    timedOut: false,
  };
}

function runOptionsProblem(options: RunOptions): string | null {
  return absoluteDirProblem(options.cwd) ?? (options.timeoutMs > 0 ? null : "no time limit given");
}

/** Runs one approved builtin line in `cwd`, or refuses it before any process starts. */
export async function runCmdLine(line: string, options: CmdRunOptions): Promise<CommandOutcome> {
  const check = checkCmdLine(line);
  if (!check.ok) return refusal(check.reason, "cmd.exe");
  const problem = runOptionsProblem(options);
  if (problem) return refusal(problem, "cmd.exe");

  const file = systemExe("cmd.exe", options.systemRoot);
  const result = await (options.start ?? execaStarter)({
    file,
    // With /s and the line in one pair of quotes, cmd.exe strips exactly those quotes and parses
    // the rest as typed. /d: no AutoRun commands from the registry. (execa 10 adds /q, echo off,
    // in front for every cmd.exe it starts; it does not touch parsing — the Wine lane shows it.)
    args: ["/d", "/s", "/c", `"${line}"`],
    cwd: options.cwd,
    timeoutMs: options.timeoutMs,
    outputLimit: options.outputLimit,
    verbatim: true,
    env: { ...CMD_ENV },
  });
  return outcome(file, result, result.exitCode === 0, options);
}

/** Runs the approved robocopy argv by absolute path, no shell, or refuses it before it starts. */
export async function runRobocopy(argv: readonly string[], options: CmdRunOptions): Promise<CommandOutcome> {
  const problem = robocopyArgvProblem(argv);
  if (problem) return refusal(problem, "robocopy");
  return runProgram(systemExe("robocopy.exe", options.systemRoot), argv.slice(1), {
    ...options,
    succeeded: robocopySucceeded,
  });
}

/**
 * Runs a System32 program (robocopy, sc) by its absolute path with an argv, no shell, in `cwd`;
 * the caller has checked the argv against the closed vocabulary. `succeeded` reads its exit code.
 */
export async function runProgram(
  file: string,
  args: readonly string[],
  options: CmdRunOptions & { succeeded: (exitCode: number | null) => boolean },
): Promise<CommandOutcome> {
  const problem = runOptionsProblem(options);
  if (problem) return refusal(problem, win32.basename(file, ".exe"));
  const result = await (options.start ?? execaStarter)({
    file,
    args: [...args],
    cwd: options.cwd,
    timeoutMs: options.timeoutMs,
    outputLimit: options.outputLimit,
  });
  return outcome(file, result, options.succeeded(result.exitCode), options);
}

async function outcome(
  file: string,
  result: StartResult,
  succeeded: boolean,
  options: CmdRunOptions,
): Promise<CommandOutcome> {
  const output = await decodeOutput(result.output, options.codePage ?? null);
  const notes = [
    result.startError ? `${win32.basename(file)} did not start: ${result.startError}` : "",
    result.timedOut ? `stopped after ${options.timeoutMs} ms` : "",
  ].filter(Boolean);
  return {
    ok: !result.timedOut && succeeded,
    exitCode: result.exitCode,
    output: [output, ...notes].filter(Boolean).join("\n"),
    timedOut: result.timedOut,
    program: file,
  };
}

function absoluteDirProblem(cwd: string): string | null {
  if (typeof cwd !== "string" || !/^[A-Za-z]:\\/.test(cwd) || /["\p{Cc}]/u.test(cwd)) {
    return `working directory ${JSON.stringify(cwd)} is not an absolute local path`;
  }
  return null;
}
