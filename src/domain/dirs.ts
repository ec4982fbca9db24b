// `dirs=`: which EM_HOME sub-directories to link. Each is one name from a configured allow-list;
// each target is `<share>\<dir>` and each link is `<EM_HOME>\<dir>`, so a name is never a path.
import { closest, describeChar, type Problem, showText } from "./problem.ts";

/**
 * The failover lock files live in `config\internal\server`, so `config` is always linked
 * (DOMAIN.md, KB 143526) and always first.
 */
export const ALWAYS_LINKED_DIR = "config";

/**
 * Used when `dirs=` is absent: DESIGN.md's grammar line `[dirs=config,data,traces]`, not the
 * whole allow-list — logs and thread dumps are per-host output that is rarely shared.
 */
export const DEFAULT_DIRS = ["config", "data", "traces"] as const;

export interface ParsedDirs {
  value: string[];
  /** True when the user left `config` out and momlink added it. */
  configAdded: boolean;
  problems: Problem[];
}

/** Names in `allowed` (matched ignoring case), spelled as the allow-list spells them. */
function lookup(name: string, allowed: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  if (lower === ALWAYS_LINKED_DIR) return ALWAYS_LINKED_DIR;
  return allowed.find((candidate) => candidate.toLowerCase() === lower);
}

function withConfigFirst(names: readonly string[]): string[] {
  return [ALWAYS_LINKED_DIR, ...names.filter((name) => name !== ALWAYS_LINKED_DIR)];
}

/** The default list, keeping only names the configured allow-list permits. */
export function defaultDirs(allowed: readonly string[]): string[] {
  return withConfigFirst(
    DEFAULT_DIRS.map((name) => lookup(name, allowed)).filter((name) => name !== undefined),
  );
}

/**
 * Parses a comma list (spaces around commas tolerated). Every problem names the item; the
 * example is the list with the bad items left out (or the default when nothing valid is left).
 */
export function parseDirs(value: string | undefined, allowed: readonly string[]): ParsedDirs {
  if (value === undefined) return { value: defaultDirs(allowed), configAdded: false, problems: [] };
  const choices = [...new Set([ALWAYS_LINKED_DIR, ...allowed])];
  const allowedText = choices.join(", ");
  const issues: { rule: string; message: string }[] = [];
  const found: string[] = [];
  // Only spaces are forgiven around items: a tab or newline in a name is reported, not trimmed.
  const blank = /^ *$/.test(value);
  if (blank) {
    issues.push({ rule: "dirs-empty", message: `dirs is empty; list one or more of ${allowedText}.` });
  }
  const items = blank ? [] : value.split(",").map((item) => item.replace(/^ +| +$/g, ""));
  items.forEach((item, index) => {
    if (item === "") {
      issues.push({
        rule: "dirs-empty-item",
        message: `item ${index + 1} of the dirs list is empty (two commas in a row, or a comma at an end).`,
      });
      return;
    }
    const name = lookup(item, allowed);
    if (name === undefined) {
      const odd = [...item].find((ch) => !/^[A-Za-z0-9._-]$/.test(ch));
      if (odd !== undefined) {
        issues.push({
          rule: "dirs-not-a-name",
          message:
            `${showText(item)} is not a directory name: ${describeChar(odd)} is not allowed; dirs takes names ` +
            `from ${allowedText}, never paths.`,
        });
        return;
      }
      const guess = closest(item, choices);
      issues.push({
        rule: "dirs-unknown",
        message:
          `${showText(item)} is not an allowed directory${guess === undefined ? "" : ` (did you mean ${guess}?)`}; ` +
          `allowed: ${allowedText}.`,
      });
      return;
    }
    if (found.includes(name)) {
      issues.push({ rule: "dirs-duplicate", message: `${name} is listed more than once.` });
      return;
    }
    found.push(name);
  });
  const configAdded = !found.includes(ALWAYS_LINKED_DIR);
  const dirs = withConfigFirst(found);
  if (issues.length === 0) return { value: dirs, configAdded, problems: [] };
  const example = `dirs=${(found.length > 0 ? dirs : defaultDirs(allowed)).join(",")}`;
  return {
    value: dirs,
    configAdded,
    problems: issues.map((issue) => ({ field: "dirs", ...issue, example })),
  };
}
