// The command lines of a plan, per platform: each built from quoted, re-checked arguments
// (quote.ts). A Windows builtin (mklink, move, rmdir) is one cmd.exe line; a program (robocopy on
// Windows, everything on Linux) is an argv, and its display line is derived from that argv here,
// in one place, so what is approved is exactly what runs.
import type { ServiceControlFacts } from "./facts.ts";
import type { Platform } from "./pair.ts";
import type { Step } from "./plan.ts";
import { cmdQuote, shQuote } from "./quote.ts";

export type Command = Pick<Step, "line" | "argv">;

export interface Commands {
  join(base: string, name: string): string;
  seed(local: string, target: string): Command;
  move(from: string, to: string): Command;
  mklink(dir: string, target: string): Command;
  verify(dir: string, target: string): Command;
  removeLink(dir: string): Command;
  /** The EM service stopped or started, by the runner's own service control (never through cmd.exe or a shell). */
  service(verb: "stop" | "start", control: ServiceControlFacts): Command;
  /** A step the runner does itself (file I/O, a wait): the line says what, and is never run. */
  note(text: string): Command;
}

export function commandsFor(platform: Platform): Commands {
  return platform === "windows" ? WINDOWS : LINUX;
}

/**
 * robocopy is a program, not a cmd builtin: it runs by absolute path with an argv, never through
 * cmd.exe (which would look for a planted `robocopy.bat` in EM_HOME first). `%SystemRoot%` is the
 * one variable of an approved line: the runner resolves it from its own environment, no shell.
 */
export const WINDOWS_ROBOCOPY = "%SystemRoot%\\System32\\robocopy.exe";
/**
 * /E with subdirectories, no purge: never deletes on the share. /COPY:DAT: data, attributes,
 * times, no owner or ACL (local SIDs mean nothing on a NAS). /R:1 /W:1: no 30-hour retry loop.
 * /XJ: junctions inside EM_HOME are not followed. /NP: no per-file percentages in the output.
 */
export const ROBOCOPY_SWITCHES = ["/E", "/COPY:DAT", "/R:1", "/W:1", "/XJ", "/NP"] as const;
/** sc.exe, like robocopy: a program by absolute path with an argv; the runner does the waiting. */
export const WINDOWS_SC = "%SystemRoot%\\System32\\sc.exe";

const WINDOWS: Commands = {
  join: (base, name) => `${base}\\${name}`,
  seed: (local, target) =>
    argv(cmdQuote, WINDOWS_ROBOCOPY, { path: local }, { path: target }, ...ROBOCOPY_SWITCHES),
  move: (from, to) => cmd(`move ${cmdQuote(from)} ${cmdQuote(to)}`),
  mklink: (dir, target) => cmd(`mklink /D ${cmdQuote(dir)} ${cmdQuote(target)}`),
  // Not run: the runner reads the link back. Quoting only repeats the checks on what is shown.
  verify: (dir, target) => {
    cmdQuote(dir);
    cmdQuote(target);
    return cmd(`REM verify ${dir} -> ${target}`);
  },
  // rmdir on a directory link removes the link only. Never `rd /s` or `del`: they walk into the share.
  removeLink: (dir) => cmd(`rmdir ${cmdQuote(dir)}`),
  service: (verb, control) => argv(cmdQuote, WINDOWS_SC, verb, { path: control.name }),
  note: (text) => cmd(`REM ${text}`),
};

const LINUX: Commands = {
  join: (base, name) => `${base}/${name}`,
  seed: (local, target) => argv(shQuote, "cp", "-a", { path: `${local}/.` }, { path: `${target}/` }),
  move: (from, to) => argv(shQuote, "mv", { path: from }, { path: to }),
  mklink: (dir, target) => argv(shQuote, "ln", "-s", { path: target }, { path: dir }),
  verify: (dir, target) => {
    shQuote(dir);
    shQuote(target);
    return { line: `# verify ${dir} -> ${target}`, argv: [] };
  },
  // No -r: on a link rm removes the link; on a real directory it fails instead of deleting data.
  removeLink: (dir) => argv(shQuote, "rm", { path: dir }),
  service: (verb, control) => {
    const words = control.via === "command" ? (control[verb] ?? []) : ["systemctl", verb, control.name];
    return argv(shQuote, ...words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : { path: w })));
  },
  note: (text) => ({ line: `# ${text}`, argv: [] }),
};

function cmd(line: string): Command {
  return { line, argv: [] };
}

/**
 * Builds the argv and its display line together so the two cannot disagree: the one place a
 * program's line is derived from its argv (paths quoted for the platform's shell, words as is).
 */
function argv(quote: (path: string) => string, ...words: (string | { path: string })[]): Command {
  return {
    argv: words.map((w) => (typeof w === "string" ? w : w.path)),
    line: words.map((w) => (typeof w === "string" ? w : quote(w.path))).join(" "),
  };
}
