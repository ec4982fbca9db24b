// Observing processes the test did not start itself (a step's program, started by a runner that
// the test killed): whether a pid still lives, which processes are left in a process group, and
// files that appear or grow (through watch.ts's waitFor). Linux /proc; the tests that use these
// skip elsewhere.
import { readdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { waitFor } from "./watch.ts";

/** Alive and not a zombie: a killed process whose parent has not reaped it yet counts as gone. */
export async function isAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  // Field 3, after the parenthesised command name (which may itself hold spaces or parentheses).
  const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
  return state !== undefined && state !== "" && state !== "Z" && state !== "X";
}

/** Pids of the live processes whose process group is `pgid` (field 5 of /proc/<pid>/stat). */
export async function groupMembers(pgid: number): Promise<number[]> {
  const members: number[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, "utf8").catch(() => "");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) === pgid && fields[0] !== "Z" && fields[0] !== "X") members.push(Number(name));
  }
  return members;
}

/** Resolves once none of `pids` is alive (re-checked every 25 ms: no pidfd in Node); rejects after `timeoutMs`. */
export function untilGone(pids: readonly number[], timeoutMs = 10_000): Promise<true> {
  return waitFor(
    `processes ${pids.join(", ")} to end`,
    async () => ((await Promise.all(pids.map(isAlive))).some(Boolean) ? undefined : true),
    { everyMs: 25, timeoutMs },
  );
}

/** Resolves with the file's text once `ready(text)` holds, re-checked on every change in its directory. */
export function untilFile(
  path: string,
  ready: (text: string) => boolean,
  timeoutMs = 20_000,
): Promise<string> {
  const text = () => readFile(path, "utf8").catch(() => undefined);
  return waitFor(
    `${path} to be ready`,
    async () => {
      const now = await text();
      return now !== undefined && ready(now) ? now : undefined;
    },
    { watch: [dirname(path)], timeoutMs, describe: async () => (await text()) ?? "(no such file)" },
  );
}
