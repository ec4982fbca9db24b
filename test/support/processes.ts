// Observing processes the test did not start itself (a step's program, started by a runner that
// the test killed): whether a pid still lives, which processes are left in a process group, and
// files that appear or grow. Linux /proc; the tests that use these skip elsewhere.
import { watch } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { setTimeout as delay } from "node:timers/promises";

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

/**
 * Resolves once none of `pids` is alive, or rejects after `timeoutMs`. There is no way to wait for
 * the exit of a process that is not one's own child (no pidfd in Node), so this re-checks the
 * condition every 25 ms until the deadline: it observes, it does not assume.
 */
export async function untilGone(pids: readonly number[], timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const alive = [];
    for (const pid of pids) if (await isAlive(pid)) alive.push(pid);
    if (alive.length === 0) return;
    if (Date.now() > deadline) throw new Error(`still running after ${timeoutMs} ms: ${alive.join(", ")}`);
    await delay(25);
  }
}

/**
 * Resolves with the file's text once `ready(text)` holds, woken by the file system (inotify) on
 * every change in the file's directory; rejects after `timeoutMs`.
 */
export function untilFile(
  path: string,
  ready: (text: string) => boolean,
  timeoutMs = 20_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const watcher = watch(dirname(path), { persistent: false });
    const timer = setTimeout(
      () => finish(new Error(`${path} was not ready within ${timeoutMs} ms`)),
      timeoutMs,
    );
    function finish(error: Error | null, text = "") {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      watcher.close();
      if (error === null) resolve(text);
      else reject(error);
    }
    const check = () => {
      readFile(path, "utf8").then(
        (text) => {
          if (ready(text)) finish(null, text);
        },
        () => {},
      );
    };
    watcher.on("change", (_event, name) => {
      if (name === null || String(name) === basename(path)) check();
    });
    watcher.on("error", (error) => finish(error));
    check();
  });
}
