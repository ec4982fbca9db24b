// Is the share a complete copy of the primary's directory? Linux compares the two trees itself:
// every entry by relative path and kind, files by size and modification time (to the second, as
// `cp -a` keeps it), symbolic links by target, never following one. Bounded in entries and time:
// a tree too big to compare in pre-flight is "not compared", never "in sync".
import { lstat, readdir, readlink } from "node:fs/promises";
import { join } from "node:path";
import { type ShareSync, SYNC_EXAMPLES_MAX } from "../../domain/facts.ts";

export interface CompareLimits {
  /** Entries read per tree before giving up (default 200,000). */
  maxEntries?: number;
  /** Milliseconds before giving up (default 20 s: pre-flight waits 30 s by default). */
  timeMs?: number;
  now?: () => number;
}

type Entry =
  | { kind: "dir" }
  | { kind: "file"; size: number; mtime: number }
  | { kind: "link"; target: string };

class TooBig extends Error {}

async function listTree(
  root: string,
  limits: Required<CompareLimits>,
  deadline: number,
): Promise<Map<string, Entry>> {
  const entries = new Map<string, Entry>();
  const walk = async (dir: string, prefix: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      if (entries.size >= limits.maxEntries || limits.now() > deadline) throw new TooBig();
      const path = join(dir, name);
      const relative = prefix === "" ? name : `${prefix}/${name}`;
      const info = await lstat(path);
      if (info.isSymbolicLink()) entries.set(relative, { kind: "link", target: await readlink(path) });
      else if (info.isDirectory()) {
        entries.set(relative, { kind: "dir" });
        await walk(path, relative);
      } else entries.set(relative, { kind: "file", size: info.size, mtime: Math.floor(info.mtimeMs / 1000) });
    }
  };
  await walk(root, "");
  return entries;
}

function same(a: Entry, b: Entry): boolean {
  if (a.kind === "file" && b.kind === "file") return a.size === b.size && a.mtime === b.mtime;
  if (a.kind === "link" && b.kind === "link") return a.target === b.target;
  return a.kind === b.kind;
}

/** `target` against `source`: what the share lacks, holds in another version, or holds besides. */
export async function compareTrees(
  source: string,
  target: string,
  options: CompareLimits = {},
): Promise<ShareSync> {
  const limits: Required<CompareLimits> = {
    maxEntries: options.maxEntries ?? 200_000,
    timeMs: options.timeMs ?? 20_000,
    now: options.now ?? Date.now,
  };
  const deadline = limits.now() + limits.timeMs;
  let primary: Map<string, Entry>;
  let share: Map<string, Entry>;
  try {
    primary = await listTree(source, limits, deadline);
    share = await listTree(target, limits, deadline);
  } catch (error) {
    const why =
      error instanceof TooBig
        ? `more than ${limits.maxEntries} entries or ${limits.timeMs / 1000} s: too big to compare in pre-flight`
        : `could not be listed: ${error instanceof Error ? error.message : String(error)}`;
    return {
      inSync: null,
      missing: 0,
      differing: 0,
      extra: 0,
      examples: [],
      detail: `${source} and ${target} ${why}`,
    };
  }
  const missing: string[] = [];
  const differing: string[] = [];
  const extra: string[] = [];
  for (const [path, entry] of primary) {
    const copy = share.get(path);
    if (copy === undefined) {
      if (entry.kind !== "dir") missing.push(path);
    } else if (!same(entry, copy)) differing.push(path);
  }
  for (const [path, entry] of share) if (entry.kind !== "dir" && !primary.has(path)) extra.push(path);
  const files = [...primary.values()].filter((e) => e.kind !== "dir").length;
  return {
    inSync: missing.length + differing.length + extra.length === 0,
    missing: missing.length,
    differing: differing.length,
    extra: extra.length,
    examples: [
      ...missing.map((p) => `missing ${p}`),
      ...differing.map((p) => `differs ${p}`),
      ...extra.map((p) => `extra ${p}`),
    ].slice(0, SYNC_EXAMPLES_MAX),
    detail: `compared the ${files} files of ${source} with ${target} by size and modification time`,
  };
}
