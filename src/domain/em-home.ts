// EM_HOME: where the Enterprise Manager is installed on a MOM host. The links are created inside
// it (`cd /d "<EM_HOME>"` then `mklink /D "<dir>" ...`), and the real directory is moved aside
// to `<dir>.pre-<change id>` next to them, so that name must fit too.
import type { Issue } from "./host.ts";
import type { Platform } from "./pair.ts";
import { GENERIC_LINUX_EM_HOME, validatePosixPath } from "./posix-path.ts";
import { atPositions, exampleToken, findChars, type Problem, showText } from "./problem.ts";
import {
  COMPONENT_FORBIDDEN,
  directoryIssues,
  refusedAnywhereOnWindows,
  repairWindowsName,
  WINDOWS_MAX_PATH,
  windowsTextIssues,
} from "./unc.ts";

export type EmHomeField = "em-home" | "secondary-em-home";

/** The longest moved-aside suffix budgeted for: change ids up to CHG-999999. */
export const MOVE_ASIDE_SUFFIX_BUDGET = ".pre-CHG-999999";
export const GENERIC_WINDOWS_EM_HOME = "D:\\Introscope\\EM";

// Without the requested dirs, budget for the longest default one.
const DEFAULT_LONGEST_DIRS: readonly string[] = ["threaddumps"];

function windowsEmHomeIssues(
  value: string,
  dirs: readonly string[],
): { normalised?: string; issues: Issue[] } {
  if (value === "") return { issues: [{ rule: "path-empty", message: "EM_HOME is empty." }] };
  const { issues, reported } = windowsTextIssues(value);
  const remote = notOnLocalDisk(value);
  if (remote !== undefined) return { issues: [...issues, remote] };
  const slashes = findChars(value, (ch) => ch === "/");
  if (slashes.length > 0) {
    issues.push({
      rule: "forward-slash",
      message: `\`/\` ${atPositions(slashes[0]?.positions ?? [])}: Windows paths use backslashes.`,
    });
  }
  const path = value.replaceAll("/", "\\");
  const drive = /^([A-Za-z]):(.*)$/s.exec(path);
  if (drive === null) {
    issues.push({
      rule: "em-home-relative",
      message:
        `${showText(value)} is not an absolute path with a drive letter: EM_HOME must be like D:\\Introscope\\EM` +
        `${path.startsWith("\\") ? " (a leading \\ means the root of whatever drive is current)" : ""}.`,
    });
    return { issues };
  }
  const letter = drive[1] ?? "D";
  let rest = drive[2] ?? "";
  // Position (1-based) of the first component's first character in what the user typed.
  let position = rest.startsWith("\\") ? 4 : 3;
  if (rest !== "" && !rest.startsWith("\\")) {
    issues.push(driveRelativeIssue(letter, rest));
    rest = `\\${rest}`;
  }
  rest = rest.replace(/\\$/, "");
  if (rest === "") {
    issues.push({
      rule: "em-home-drive-root",
      message: `EM_HOME cannot be the root of drive ${letter}:; give the directory the EM is installed in.`,
    });
    return { issues };
  }
  for (const component of rest.slice(1).split("\\")) {
    issues.push(...directoryIssues(component, position, reported, "EM_HOME component"));
    position += [...component].length + 1;
  }
  const normalised = `${letter}:${rest}`;
  const tooLong = movedAsideTooLong(normalised, dirs);
  if (tooLong !== undefined) issues.push(tooLong);
  return issues.length === 0 ? { normalised, issues } : { issues };
}

/** A device or long-path form, or a network path: EM_HOME is on the MOM host's own disk. */
function notOnLocalDisk(value: string): Issue | undefined {
  if (/^[\\/]{2}[?.][\\/]/.test(value) || /^[\\/]\?\?[\\/]/.test(value)) {
    return {
      rule: "em-home-device-path",
      message: `${showText(value.slice(0, 4))} starts a Win32 device or long-path form; give EM_HOME as D:\\path.`,
    };
  }
  if (/^[\\/]{2}/.test(value)) {
    return {
      rule: "em-home-unc",
      message:
        "EM_HOME is a network path; it must be the EM's install directory on the MOM host's own disk " +
        "(like D:\\Introscope\\EM): only the linked directories live on the share.",
    };
  }
  return undefined;
}

/** `D:Introscope`: relative to drive D:'s current directory, or what a POSIX shell left of D:\Introscope. */
function driveRelativeIssue(letter: string, rest: string): Issue {
  return {
    rule: "em-home-drive-relative",
    message:
      `${showText(`${letter}:${rest}`)} is relative to the current directory of drive ${letter}:; write ${letter}:\\${rest}.` +
      // What bash leaves of an unquoted D:\Introscope\EM: D:IntroscopeEM, no separator at all.
      (/[\\/]/.test(rest)
        ? ""
        : " If a POSIX shell removed its backslashes (D:\\Introscope\\EM typed unquoted), single-quote Windows paths: em-home='D:\\Introscope\\EM'."),
  };
}

/** The longest dir moved aside (`<dir>.pre-<change id>`) must still fit under MAX_PATH. */
function movedAsideTooLong(normalised: string, dirs: readonly string[]): Issue | undefined {
  const longest = dirs.reduce((a, b) => (b.length > a.length ? b : a), "");
  const movedAside = `${normalised}\\${longest}${MOVE_ASIDE_SUFFIX_BUDGET}`;
  if (movedAside.length < WINDOWS_MAX_PATH) return undefined;
  return {
    rule: "path-too-long",
    message:
      `moving ${longest} aside creates ${showText(movedAside)} (${movedAside.length} characters, budgeting ` +
      `change ids up to CHG-999999); Windows paths must stay under ${WINDOWS_MAX_PATH}, so this EM_HOME can ` +
      `be at most ${WINDOWS_MAX_PATH - 1 - movedAside.length + normalised.length} characters.`,
  };
}

function correctWindowsEmHome(value: string): string | undefined {
  const text = [...value]
    .filter((ch) => !refusedAnywhereOnWindows(ch))
    .join("")
    .replaceAll("/", "\\");
  const drive = /^([A-Za-z]):(.*)$/s.exec(text);
  if (drive === null) return undefined;
  const components: string[] = [];
  for (const component of (drive[2] ?? "").split("\\")) {
    if (component === "" || component === ".") continue;
    if (component === "..") {
      if (components.pop() === undefined) return undefined;
      continue;
    }
    const fixed = repairWindowsName(component, COMPONENT_FORBIDDEN);
    if (fixed !== "") components.push(fixed);
  }
  return components.length === 0 ? undefined : `${drive[1]}:\\${components.join("\\")}`;
}

/**
 * Validates EM_HOME (or the secondary's EM_HOME). Windows: an absolute path on a local drive,
 * trailing backslash dropped, spaces allowed. Linux: an absolute POSIX path (see posix-path.ts).
 * `dirs` are the directories to be linked (for the length budget); default: the longest allowed.
 */
export function validateEmHome(
  value: string,
  field: EmHomeField,
  platform: Platform,
  options: { dirs?: readonly string[] } = {},
): { value?: string; problems: Problem[] } {
  const dirs = options.dirs !== undefined && options.dirs.length > 0 ? options.dirs : DEFAULT_LONGEST_DIRS;
  if (platform === "linux") {
    return validatePosixPath(value, field, {
      label: "EM_HOME",
      dirs,
      suffix: MOVE_ASIDE_SUFFIX_BUDGET,
      generic: GENERIC_LINUX_EM_HOME,
    });
  }
  const { normalised, issues } = windowsEmHomeIssues(value, dirs);
  if (normalised !== undefined) return { value: normalised, problems: [] };
  const corrected = correctWindowsEmHome(value);
  const fixed =
    corrected !== undefined && windowsEmHomeIssues(corrected, dirs).normalised !== undefined
      ? corrected
      : GENERIC_WINDOWS_EM_HOME;
  const example = exampleToken(field, fixed);
  return { problems: issues.map((issue) => ({ field, ...issue, example })) };
}
