// Absolute POSIX paths for Linux MOMs: EM_HOME and the NFS-mounted share root.
// The runner passes them as argv without a shell, but the preview shows them inside a shell-like
// line and operators copy such lines: everything a double-quoted shell word or cmd.exe would
// interpret is refused, so the text reads the same everywhere it is pasted.
import type { Issue } from "./host.ts";
import { pathCharIssue } from "./path-chars.ts";
import {
  atPositions,
  describeChar,
  exampleToken,
  type Field,
  findChars,
  type Problem,
  showText,
} from "./problem.ts";

/** Linux PATH_MAX (bytes, terminating NUL included): a path must be shorter than this. */
export const LINUX_PATH_MAX = 4096;
const NAME_MAX_BYTES = 255;

const SHELL_METACHARACTERS: Readonly<Record<string, string>> = {
  '"': "it ends the double quotes around the path",
  $: "it expands variables and commands inside double quotes",
  "`": "it runs a command inside double quotes",
  "\\": "it escapes the next character (and is no path separator on Linux)",
  "!": "it triggers history expansion in interactive shells",
  "%": "it expands variables in cmd.exe and job specs in shells",
  "^": "it is cmd's escape character and a history shortcut",
  "&": "it runs a second command",
  "(": "it opens a subshell",
  ")": "it closes a subshell",
  "'": "it is a shell quote",
  "<": "it redirects input",
  ">": "it redirects output",
  "|": "it pipes into another command",
  ";": "it ends the command and starts another",
};
const REFUSED_ASCII = `${Object.keys(SHELL_METACHARACTERS).join("")}/`;

function refusedAnywhere(ch: string): boolean {
  return ch in SHELL_METACHARACTERS || pathCharIssue(ch, LINUX) !== undefined;
}

const LINUX = { platform: "linux", refused: REFUSED_ASCII } as const;

function textIssues(value: string): Issue[] {
  return findChars(value, refusedAnywhere).map(({ ch, positions }) => {
    const at = `${describeChar(ch)} ${atPositions(positions)}`;
    const issue = pathCharIssue(ch, LINUX);
    if (issue !== undefined) return { rule: issue.rule, message: `${at} ${issue.why}.` };
    return {
      rule: "shell-metacharacter",
      message: `${at} is refused in a Linux path: ${SHELL_METACHARACTERS[ch]}.`,
    };
  });
}

const utf8 = new TextEncoder();
const byteLength = (text: string): number => utf8.encode(text).length;

export interface PosixPathOptions {
  /** Names the path in messages: "EM_HOME", "the share mount path". */
  label: string;
  /** Directories placed under the path: `<path>/<dir><suffix>` must stay under PATH_MAX. */
  dirs: readonly string[];
  /** Appended to the longest dir for the length check (EM_HOME: `.pre-CHG-999999`). */
  suffix: string;
}

/** Rules for an absolute POSIX path; the normalised path (one trailing `/` dropped) when none is broken. */
export function posixPathIssues(
  value: string,
  options: PosixPathOptions,
): { normalised?: string; issues: Issue[] } {
  if (value === "") return { issues: [{ rule: "path-empty", message: `${options.label} is empty.` }] };
  const issues = textIssues(value);
  if (!value.startsWith("/")) {
    const windowsLike = /^[A-Za-z]:|^\\\\/.test(value);
    issues.push({
      rule: "posix-not-absolute",
      message:
        `${showText(value)} is not an absolute path: on Linux ${options.label} starts with \`/\`` +
        `${windowsLike ? " (this looks like a Windows path: leave platform=linux out for Windows MOMs)" : ""}.`,
    });
    return { issues };
  }
  const normalised = value.length > 1 ? value.replace(/\/$/, "") : value;
  if (normalised === "/") {
    issues.push({ rule: "posix-root", message: `${options.label} cannot be the root directory \`/\`.` });
    return { issues };
  }
  let position = 2;
  for (const component of normalised.slice(1).split("/")) {
    if (component === "") {
      issues.push({
        rule: "path-empty-component",
        message: `empty directory name: two slashes in a row at position ${position - 1}.`,
      });
    } else if (component === "." || component === "..") {
      issues.push({
        rule: "path-dot-component",
        message: `${showText(component)} at position ${position} is a relative step; write the full path without \`.\` or \`..\`.`,
      });
    } else if (byteLength(component) > NAME_MAX_BYTES) {
      issues.push({
        rule: "path-component-too-long",
        message: `component ${showText(component)} is ${byteLength(component)} bytes; Linux allows at most ${NAME_MAX_BYTES}.`,
      });
    }
    position += [...component].length + 1;
  }
  const longest = options.dirs.reduce((a, b) => (b.length > a.length ? b : a), "");
  const deepest = `${normalised}/${longest}${options.suffix}`;
  if (byteLength(deepest) >= LINUX_PATH_MAX) {
    issues.push({
      rule: "path-too-long",
      message: `${showText(deepest)} would be ${byteLength(deepest)} bytes; Linux paths must stay under ${LINUX_PATH_MAX}.`,
    });
  }
  return issues.length === 0 ? { normalised, issues } : { issues };
}

function correctPosixPath(value: string): string | undefined {
  const text = [...value].filter((ch) => !refusedAnywhere(ch)).join("");
  if (!text.startsWith("/")) return undefined;
  const components: string[] = [];
  for (const component of text.split("/")) {
    if (component === "" || component === ".") continue;
    if (component === "..") {
      if (components.pop() === undefined) return undefined;
    } else {
      components.push(component);
    }
  }
  return components.length === 0 ? undefined : `/${components.join("/")}`;
}

/**
 * Validates an absolute POSIX path typed as `field`. `generic` is the example offered when the
 * user's value has no mechanical correction.
 */
export function validatePosixPath(
  value: string,
  field: Field,
  options: PosixPathOptions & { generic: string },
): { value?: string; problems: Problem[] } {
  const { normalised, issues } = posixPathIssues(value, options);
  if (normalised !== undefined) return { value: normalised, problems: [] };
  const corrected = correctPosixPath(value);
  const fixed =
    corrected !== undefined && posixPathIssues(corrected, options).normalised !== undefined
      ? corrected
      : options.generic;
  const example = exampleToken(field, fixed);
  return { problems: issues.map((issue) => ({ field, ...issue, example })) };
}

export const GENERIC_LINUX_EM_HOME = "/opt/CA/Introscope";
export const GENERIC_LINUX_SHARE = "/mnt/mom-failover";
