// The Windows pre-flight probes that ask a program or the file system something: service state,
// SymlinkEvaluation, the console code page, junction or link. Each one reads a number, a registry
// value or the result of a direct test (windows-parse.ts), never a translated sentence, and
// answers "unknown" with the raw text when it cannot decide — never a definite guess.
import { lstat, mkdtemp, rmdir, stat, symlink, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AccountFacts } from "../../domain/facts.ts";
import type { Probe, ServiceProbe } from "./platform.ts";
import {
  accountLabel,
  FILESYSTEM_KEY,
  IO_REPARSE_TAG_SYMLINK,
  parseCodePage,
  parseRegValues,
  parseReparseTag,
  parseScQueryState,
  parseWhoamiUser,
  regString,
  SC_EXIT,
  SERVICE_STATES,
  SYMLINK_POLICY_KEY,
  sameAccount,
  serviceKey,
  serviceNameProblem,
  symlinkEvaluationFromRegistry,
} from "./windows-parse.ts";

/** What a System32 tool answered: its exit code and its output decoded from the console code page. */
export interface ToolAnswer {
  exitCode: number | null;
  text: string;
  timedOut: boolean;
  startError?: string;
}
/** Runs `<SystemRoot>\System32\<exe>` with an argv (no shell) and a time limit. */
export type RunTool = (exe: string, args: string[]) => Promise<ToolAnswer>;

/** Tool output for a sentence in a fact: one line, no control characters, bounded. */
export function rawText(text: string, limit = 300): string {
  const flat = text
    .replace(/\p{Cc}+/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
  return flat.length > limit ? `${flat.slice(0, limit)}...` : flat === "" ? "(no output)" : flat;
}

function failedToRun(answer: ToolAnswer, what: string): string | null {
  if (answer.startError !== undefined) return `${what} did not start: ${rawText(answer.startError, 200)}`;
  if (answer.timedOut) return `${what} did not answer in time`;
  return null;
}

/** `sc query <name>`: state 1 is stopped; 2-7 (pending, running, paused) are not. */
export async function serviceStateProbe(runTool: RunTool, name: string): Promise<ServiceProbe> {
  const problem = serviceNameProblem(name);
  if (problem !== null)
    return { state: "unknown", detail: `service name ${JSON.stringify(name)}: ${problem}` };
  const what = `sc query "${name}"`;
  const answer = await runTool("sc.exe", ["query", name]);
  const notRun = failedToRun(answer, what);
  if (notRun !== null) return { state: "unknown", detail: notRun };
  if (answer.exitCode === SC_EXIT.noSuchService) {
    return {
      state: "unknown",
      detail: `no service named "${name}" is installed (${what}: exit 1060); sc query takes the service name, not the display name (sc getkeyname "<display name>" prints it)`,
    };
  }
  if (answer.exitCode === SC_EXIT.accessDenied) {
    return {
      state: "unknown",
      detail: `${what}: access denied (exit 5); the runner must run as an Administrator or LocalSystem`,
    };
  }
  const state = answer.exitCode === 0 ? parseScQueryState(answer.text) : null;
  if (state === null) {
    return {
      state: "unknown",
      detail: `${what} gave no state number (exit ${String(answer.exitCode)}): ${rawText(answer.text)}`,
    };
  }
  return {
    state: state === 1 ? "stopped" : "running",
    detail: `${what}: state ${state} (${SERVICE_STATES[state]})`,
  };
}

/**
 * The EM service's logon account (its ObjectName in the registry, which `sc qc` shows as
 * SERVICE_START_NAME: reg prints it untranslated, sc's labels may not be) against the runner's own
 * (`whoami /user`: the SID decides for built-in accounts, whose names are translated).
 */
export async function accountProbe(
  runTool: RunTool,
  serviceName: string,
  computerName: string,
): Promise<AccountFacts> {
  const nameProblem = serviceNameProblem(serviceName);
  let em: string | null = null;
  let emWhy = nameProblem === null ? "" : `service name ${JSON.stringify(serviceName)}: ${nameProblem}`;
  if (nameProblem === null) {
    const key = serviceKey(serviceName);
    const answer = await runTool("reg.exe", ["query", key, "/v", "ObjectName"]);
    em = answer.exitCode === 0 ? regString(parseRegValues(answer.text), "ObjectName") : null;
    if (em === null) {
      emWhy =
        failedToRun(answer, "reg query") ??
        `${key} has no ObjectName (reg query exit ${String(answer.exitCode)}: ${rawText(answer.text, 160)})`;
    }
  }
  const who = await runTool("whoami.exe", ["/user", "/fo", "csv", "/nh"]);
  const self = failedToRun(who, "whoami") === null && who.exitCode === 0 ? parseWhoamiUser(who.text) : null;
  const runnerWhy = self === null ? `whoami /user gave no account: ${rawText(who.text, 160)}` : "";
  const runner = self === null ? null : `${accountLabel(self)} (${self.sid})`;
  if (em === null || self === null) {
    return { em, runner, same: null, detail: [emWhy, runnerWhy].filter(Boolean).join("; ") };
  }
  const same = sameAccount(em, self, computerName);
  const detail =
    same === true
      ? `the EM service runs as ${em}, like this runner (${runner})`
      : same === false
        ? `the EM service runs as ${em}; this runner runs as ${runner}`
        : `the EM service runs as ${em}, a form that cannot be compared with this runner's ${runner} here`;
  return { em, runner, same, detail };
}

/** The file system calls the direct link test makes (injected in tests). */
export interface LinkTestFs {
  mkdtemp(prefix: string): Promise<string>;
  symlink(target: string, path: string, type: "dir"): Promise<void>;
  lstat(path: string): Promise<{ isSymbolicLink(): boolean }>;
  stat(path: string): Promise<{ isDirectory(): boolean }>;
  unlink(path: string): Promise<void>;
  rmdir(path: string): Promise<void>;
}
const nodeFs: LinkTestFs = { mkdtemp, symlink, lstat, stat, unlink, rmdir };

/**
 * The direct test: a link in a temporary directory to the share root, followed with stat. Null
 * when it proves nothing (the share root is not reachable, no link could be made, or the link
 * did not appear, as under Wine); otherwise whether this host follows local links to the share.
 * The link is removed on its own (unlink), never by a recursive delete that could walk the share.
 */
export async function followTestLink(shareRoot: string, fs: LinkTestFs = nodeFs): Promise<Probe | null> {
  const reachable = await fs.stat(shareRoot).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!reachable) return null;
  let dir: string;
  try {
    dir = await fs.mkdtemp(join(tmpdir(), "momlink-l2r-"));
  } catch {
    return null;
  }
  const link = join(dir, "share");
  try {
    await fs.symlink(shareRoot, link, "dir");
    if (!(await fs.lstat(link)).isSymbolicLink()) return null;
    try {
      const through = await fs.stat(link);
      return through.isDirectory() ? { ok: true, detail: `followed a test link to ${shareRoot}` } : null;
    } catch (error) {
      return {
        ok: false,
        detail: `a test link to ${shareRoot} (reachable itself) could not be followed: ${rawText(errorText(error), 200)}`,
      };
    }
  } catch {
    return null; // no link could be made: the privilege probe reports why
  } finally {
    await fs.unlink(link).catch(() => undefined);
    await fs.rmdir(dir).catch(() => undefined);
  }
}

/**
 * SymlinkEvaluation L2R: the direct test when it decides, else the registry (the group policy key
 * wins when SymLinkState=1), else unknown with what was found. Both readings are in the detail.
 */
export async function symlinkL2RProbe(runTool: RunTool, shareRoot: string, fs?: LinkTestFs): Promise<Probe> {
  const direct = await followTestLink(shareRoot, fs);
  if (direct?.ok === true) return direct;
  const read = async (key: string) => {
    const answer = await runTool("reg.exe", ["query", key]);
    return answer.exitCode === 0 && failedToRun(answer, "reg query") === null
      ? parseRegValues(answer.text)
      : null;
  };
  const registry = symlinkEvaluationFromRegistry(await read(SYMLINK_POLICY_KEY), await read(FILESYSTEM_KEY));
  if (direct !== null) {
    // The link could not be followed: that is what the EM would meet, whatever the registry says.
    return { ok: false, detail: `${direct.detail}; registry: ${registry.detail}` };
  }
  return { ok: registry.ok, detail: `registry: ${registry.detail}` };
}

/** The console code page from `chcp` inside cmd.exe (`Aktive Codepage: 850.` included), or null. */
export function codePageFrom(answer: ToolAnswer): number | null {
  return failedToRun(answer, "chcp") === null ? parseCodePage(answer.text) : null;
}

/**
 * Junction or directory symlink? A target that is a UNC path can only be a symlink (junctions
 * cannot point at UNC paths). Otherwise `fsutil reparsepoint query` names the reparse tag, a hex
 * number in every language. If fsutil cannot tell, the link is called a junction: both a junction
 * and a link elsewhere block the plan, so nothing rides on it.
 */
export async function reparseKind(
  runTool: RunTool,
  path: string,
  target: string,
): Promise<"symlink" | "junction"> {
  if (target.startsWith("\\\\")) return "symlink";
  const answer = await runTool("fsutil.exe", ["reparsepoint", "query", path]);
  return parseReparseTag(answer.text) === IO_REPARSE_TAG_SYMLINK ? "symlink" : "junction";
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = "code" in error ? ` (${String(error.code)})` : "";
    return `${error.message}${code}`;
  }
  return String(error);
}
