// The share root on Windows: `\\host\share[\component...]` (DOMAIN.md, UNC path rules).
// Each link target is `<share>\<dir>`; the same text ends up quoted inside cmd.exe lines, so on
// top of what Windows forbids, everything cmd.exe would interpret is refused.
import { correctHost, hostIssues, type Issue, isLoopbackHost, sameMachine, sameMachineNote } from "./host.ts";
import { componentEdgeIssue, pathCharIssue } from "./path-chars.ts";
import { atPositions, describeChar, exampleToken, findChars, type Problem, showText } from "./problem.ts";

/** Windows' MAX_PATH: a path must be shorter than this (in UTF-16 units, as Windows counts). */
export const WINDOWS_MAX_PATH = 260;

const CMD_METACHARACTERS: Readonly<Record<string, string>> = {
  "%": "it expands environment variables (%USERPROFILE%)",
  "!": "it expands variables when delayed expansion is on (!VAR!)",
  "^": "it is cmd's escape character",
  "&": "it starts a second command",
  "|": "it pipes into another command",
  "<": "it redirects input from a file",
  ">": "it redirects output into a file",
  "(": "it opens a command block",
  ")": "it closes a command block",
  '"': "it ends the quotes that keep the path one argument",
  "'": "it quotes a command in FOR /F (and in POSIX shells)",
};

/**
 * Character rules that hold anywhere in a Windows path: control, invisible, broken-text and
 * typographic-quote characters, cmd.exe metacharacters, and non-ASCII look-alikes of refused
 * characters (path-chars.ts, shared with the runner's own line check).
 * `reported(ch)` tells later part-level checks which characters are already named.
 */
export function windowsTextIssues(value: string): { issues: Issue[]; reported: (ch: string) => boolean } {
  const issues: Issue[] = [];
  const reported = (ch: string): boolean => ch in CMD_METACHARACTERS || pathCharIssue(ch) !== undefined;
  for (const { ch, positions } of findChars(value, reported)) {
    const at = `${describeChar(ch)} ${atPositions(positions)}`;
    const issue = pathCharIssue(ch);
    if (issue !== undefined) {
      issues.push({ rule: issue.rule, message: `${at} ${issue.why}.` });
    } else {
      issues.push({
        rule: "cmd-metacharacter",
        message:
          `${at} is a cmd.exe metacharacter (${CMD_METACHARACTERS[ch]}); momlink refuses it anywhere ` +
          "in a path so that an approved command line can only mean one thing.",
      });
    }
  }
  return { issues, reported };
}

/** True for characters `windowsTextIssues` refuses (what a mechanical correction drops). */
export function refusedAnywhereOnWindows(ch: string): boolean {
  return windowsTextIssues(ch).issues.length > 0;
}

const RESERVED_DEVICE = /^(?:CON|PRN|AUX|NUL|COM[1-9¹²³]|LPT[1-9¹²³]|CONIN\$|CONOUT\$)$/i;

/** True for CON, PRN, AUX, NUL, COM1–9, LPT1–9 (and CONIN$/CONOUT$), any case, any extension. */
export function isReservedDeviceName(name: string): boolean {
  // Windows ignores the extension and trailing spaces before it: `nul.txt` and `CON .log` are devices.
  return RESERVED_DEVICE.test((name.split(".")[0] ?? "").trimEnd());
}

export interface NameRules {
  /** How the message names the part: "share name", "component", "EM_HOME component". */
  label: string;
  /** Characters Windows forbids in this kind of part (besides control characters). */
  forbidden: string;
  maxLength: number;
  tooLongRule: string;
  characterRule: string;
  /** Position (1-based, in characters) of the part's first character in the whole value. */
  position: number;
  /** Characters already named by `windowsTextIssues`. */
  reported: (ch: string) => boolean;
}

/** Rules for one non-empty part of a Windows path (a share name or a path component). */
export function windowsNameIssues(name: string, rules: NameRules): Issue[] {
  const issues: Issue[] = [];
  const part = `${rules.label} ${showText(name)}`;
  if (name === "." || name === "..") {
    issues.push({
      rule: "path-dot-component",
      message: `${part} at position ${rules.position} is a relative step; write the full path without \`.\` or \`..\`.`,
    });
    return issues;
  }
  if (isReservedDeviceName(name)) {
    issues.push({
      rule: "path-reserved-name",
      message: `${part} is the reserved device name ${(name.split(".")[0] ?? "").trimEnd().toUpperCase()}: Windows opens the device, not a directory (an extension does not help).`,
    });
  }
  const forbidden = findChars(
    name,
    (ch) => rules.forbidden.includes(ch) && !rules.reported(ch) && ch !== "/",
    rules.position - 1,
  );
  for (const { ch, positions } of forbidden) {
    issues.push({
      rule: rules.characterRule,
      message: `${describeChar(ch)} ${atPositions(positions)} is not allowed in a Windows ${rules.label}.`,
    });
  }
  const edge = componentEdgeIssue(name);
  if (edge !== undefined) issues.push({ rule: edge.rule, message: `${part} ${edge.why}.` });
  if (name.length > rules.maxLength) {
    issues.push({
      rule: rules.tooLongRule,
      message: `${part} is ${name.length} characters; Windows allows at most ${rules.maxLength}.`,
    });
  }
  return issues;
}

/** A component with forbidden characters, leading spaces and a trailing dot/space dropped ("" when nothing is left). */
export function repairWindowsName(name: string, forbidden: string): string {
  return [...name]
    .filter((ch) => !forbidden.includes(ch) && !refusedAnywhereOnWindows(ch))
    .join("")
    .replace(/^ +/, "")
    .replace(/[. ]+$/, "");
}

export const SHARE_FORBIDDEN = `"\\/[]:|<>+=;,*?`;
export const COMPONENT_FORBIDDEN = `<>:"/\\|?*`;
const ADMIN_SHARE = /^(?:[a-z]\$|admin\$|ipc\$|print\$)$/i;

export interface UncContext {
  primary?: string | undefined;
  secondary?: string | undefined;
  /** The directories that will be linked: `<share>\<dir>` must fit in MAX_PATH for each. */
  dirs: readonly string[];
}

const charLength = (text: string): number => [...text].length;

function uncIssues(value: string, ctx: UncContext): { normalised?: string; issues: Issue[] } {
  if (value === "") return { issues: [{ rule: "unc-empty", message: "the share is empty." }] };
  const { issues, reported } = windowsTextIssues(value);
  if (formIssues(value, issues)) return { issues };

  // One trailing backslash is accepted and dropped; more than one leaves an empty component.
  const body = value.replaceAll("/", "\\").slice(2).replace(/\\$/, "");
  const parts = body.split("\\");
  let position = 3;
  const positions = parts.map((part) => {
    const start = position;
    position += charLength(part) + 1;
    return start;
  });
  issues.push(...shareHostIssues(parts[0] ?? "", ctx, reported));
  issues.push(...shareNameIssues(value, parts[1], positions[1] ?? 0, reported));
  parts.slice(2).forEach((component, i) => {
    issues.push(...directoryIssues(component, positions[i + 2] ?? 0, reported));
  });

  const normalised = `\\\\${body}`;
  const longest = ctx.dirs.reduce((a, b) => (b.length > a.length ? b : a), "");
  const target = longest === "" ? normalised : `${normalised}\\${longest}`;
  if (target.length >= WINDOWS_MAX_PATH) {
    issues.push({
      rule: "path-too-long",
      message:
        `the link target ${showText(target)} would be ${target.length} characters; Windows paths must stay ` +
        `under ${WINDOWS_MAX_PATH} (MAX_PATH). Use a shorter share path.`,
    });
  }
  return issues.length === 0 ? { normalised, issues } : { issues };
}

/**
 * The form of the whole value (device paths, drive letters, slashes, one leading backslash),
 * pushed onto `issues`; true when the value is not a UNC path at all and nothing more can be said.
 */
function formIssues(value: string, issues: Issue[]): boolean {
  if (/^[\\/]{2}[?.][\\/]/.test(value) || /^[\\/]\?\?[\\/]/.test(value)) {
    issues.push({
      rule: "unc-device-path",
      message:
        `${showText(value.slice(0, 4))} starts a Win32 device or long-path form; mklink targets and the EM ` +
        "need a plain UNC path `\\\\host\\share\\...`.",
    });
    return true;
  }
  if (/^[A-Za-z]:/.test(value)) {
    issues.push({
      rule: "unc-drive-letter",
      message:
        `${showText(value.slice(0, 2))} is a drive letter. Mapped drives belong to one logon session; the EM runs ` +
        "as a Windows service that cannot see them, so it fails to start (Broadcom KB000044582). " +
        "Give the UNC path of the share instead.",
    });
    return true;
  }
  const slashes = findChars(value, (ch) => ch === "/");
  if (slashes.length > 0) {
    const mixed = value.includes("\\");
    issues.push({
      rule: "forward-slash",
      message:
        `\`/\` ${atPositions(slashes[0]?.positions ?? [])}: a UNC path uses backslashes only` +
        `${mixed ? " (this one mixes / and \\)" : ""}.`,
    });
  }
  const path = value.replaceAll("/", "\\");
  if (path.startsWith("\\\\")) return false;
  if (path.startsWith("\\")) {
    // What a POSIX shell leaves of \\srv\share: unquoted \srvshare, in double quotes \srv\share.
    const eaten = !path.slice(1).includes("\\");
    issues.push({
      rule: "unc-shell-mangled",
      message:
        `${showText(value)} starts with one backslash, not two${eaten ? " and has no other" : ""}: it looks like a ` +
        "POSIX shell removed backslashes. Quote the value in single quotes: share='\\\\san-server\\mom-failover'.",
    });
  } else {
    issues.push({
      rule: "unc-not-unc",
      message: `${showText(value)} is not a UNC path: it must start with \\\\host\\share.`,
    });
  }
  return true;
}

/** The share's host: a valid name, not this machine, not one of the pair's own MOM hosts. */
function shareHostIssues(host: string, ctx: UncContext, reported: (ch: string) => boolean): Issue[] {
  if (host === "") return [{ rule: "unc-missing-host", message: "the host after \\\\ is missing." }];
  const hostProblems = hostIssues(host, { offset: 2, alreadyReported: reported });
  if (hostProblems.length > 0) return hostProblems;
  if (isLoopbackHost(host)) {
    return [
      {
        rule: "unc-loopback-host",
        message: `host ${showText(host)} is this machine: each MOM would link to its own disk, not to shared storage.`,
      },
    ];
  }
  const mom =
    ctx.primary !== undefined && sameMachine(host, ctx.primary)
      ? { role: "primary", name: ctx.primary }
      : ctx.secondary !== undefined && sameMachine(host, ctx.secondary)
        ? { role: "secondary", name: ctx.secondary }
        : undefined;
  if (mom === undefined) return [];
  return [
    {
      rule: "unc-share-on-mom-host",
      message:
        `host ${showText(host)} is the ${mom.role} MOM host${sameMachineNote(mom.name, host)}; that is not ` +
        "shared storage: when it goes down the other MOM loses the shared config too. Use a file server or NAS.",
    },
  ];
}

/** The share name after the host: present, not empty, not an administrative share, a valid name. */
function shareNameIssues(
  value: string,
  share: string | undefined,
  position: number,
  reported: (ch: string) => boolean,
): Issue[] {
  if (share === undefined) {
    return [
      {
        rule: "unc-missing-share",
        message: `${showText(value)} names no share: a UNC path is \\\\host\\share[\\directory...].`,
      },
    ];
  }
  if (share === "") {
    return [
      {
        rule: "path-empty-component",
        message: `the share name is empty (two backslashes in a row at position ${position - 1}).`,
      },
    ];
  }
  if (ADMIN_SHARE.test(share)) {
    return [
      {
        rule: "unc-admin-share",
        message:
          `${showText(share)} is an administrative share: it exposes a whole drive or system resource, only ` +
          "administrators may use it, and the MOMs' service account should not. Create a dedicated share.",
      },
    ];
  }
  return windowsNameIssues(share, {
    label: "share name",
    forbidden: SHARE_FORBIDDEN,
    maxLength: 80,
    tooLongRule: "unc-share-too-long",
    characterRule: "unc-share-character",
    position,
    reported,
  });
}

/** A directory of a Windows path (below a share, or of EM_HOME): not empty, a valid Windows name. */
export function directoryIssues(
  component: string,
  position: number,
  reported: (ch: string) => boolean,
  label = "component",
): Issue[] {
  if (component === "") {
    return [
      {
        rule: "path-empty-component",
        message: `empty directory name: two backslashes in a row at position ${position - 1}.`,
      },
    ];
  }
  return windowsNameIssues(component, {
    label,
    forbidden: COMPONENT_FORBIDDEN,
    maxLength: 255,
    tooLongRule: "path-component-too-long",
    characterRule: "path-forbidden-character",
    position,
    reported,
  });
}

/** The user's share with every mechanical fix applied, or undefined when none is possible. */
function correctUnc(value: string): string | undefined {
  const device = /^[\\/]{2}[?.][\\/]UNC[\\/](.*)$/i.exec(value);
  let text = device === null ? value : `\\\\${device[1] ?? ""}`;
  // A double-quoting shell halves the leading \\ but keeps \share: the user meant one more.
  if (/^\\[^\\/]+\\/.test(text)) text = `\\${text}`;
  if (/^[\\/]{2}[?.][\\/]/.test(text) || /^[\\/]\?\?[\\/]/.test(text) || /^[A-Za-z]:/.test(text))
    return undefined;
  text = [...text]
    .filter((ch) => !refusedAnywhereOnWindows(ch))
    .join("")
    .replaceAll("/", "\\");
  if (!text.startsWith("\\\\")) return undefined;
  const [host, share, ...rest] = text
    .slice(2)
    .split("\\")
    .filter((part) => part !== "");
  if (host === undefined || share === undefined) return undefined;
  const fixedHost = hostIssues(host).length === 0 ? host : correctHost(host);
  const fixedShare = repairWindowsName(share, SHARE_FORBIDDEN);
  if (fixedHost === undefined || fixedShare === "") return undefined;
  const components: string[] = [];
  for (const component of rest) {
    if (component === ".") continue;
    if (component === "..") {
      if (components.pop() === undefined) return undefined;
      continue;
    }
    const fixed = repairWindowsName(component, COMPONENT_FORBIDDEN);
    if (fixed !== "") components.push(fixed);
  }
  return `\\\\${[fixedHost, fixedShare, ...components].join("\\")}`;
}

function genericShare(ctx: UncContext): string {
  const onMom = (host: string): boolean =>
    [ctx.primary, ctx.secondary].some((mom) => mom !== undefined && sameMachine(host, mom));
  return onMom("san-server") ? "\\\\nas-server\\mom-failover" : "\\\\san-server\\mom-failover";
}

/**
 * Validates the share root. On success `value` is the normalised share (one trailing backslash
 * dropped, case preserved); otherwise every problem found, each with the same corrected example.
 */
export function validateUncShare(value: string, ctx: UncContext): { value?: string; problems: Problem[] } {
  const { normalised, issues } = uncIssues(value, ctx);
  if (normalised !== undefined) return { value: normalised, problems: [] };
  const corrected = correctUnc(value);
  const fixed =
    corrected !== undefined && uncIssues(corrected, ctx).normalised !== undefined
      ? corrected
      : genericShare(ctx);
  const example = exampleToken("share", fixed);
  return { problems: issues.map((issue) => ({ field: "share", ...issue, example })) };
}
