// Whether some process holds the EM's failover lock on a Linux MOM host. The EM takes it with
// Java's FileChannel.lock, which on Linux is an exclusive POSIX record lock (fcntl F_SETLKW,
// F_WRLCK, from 0 to the end of the file). The kernel lists every such lock in /proc/locks by
// device and inode; `stat` of the lock file gives the same pair, so a line that matches both is
// a lock on that file, with the pid of the process that holds it.
//
// What it must keep true:
// - It only reads (/proc/locks, stat, /proc/<pid>/stat): it never tries to take the lock, which
//   could make a starting EM lose it and come up as the standby.
// - A process waiting for the lock (a `->` line) is not its holder; a shared (READ) lock is not
//   the EM's exclusive one; flock() locks are a different kind Java does not use.
// - Unreadable means "unknown" with the reason, never "not held". A missing lock file is held by
//   no one.
// - /proc/locks is not one atomic snapshot: the kernel prints it a page per read() by position,
//   so a lock taken or released elsewhere between two pages can repeat or skip a line (seen on a
//   busy CI machine: one pid listed twice as the holder). The file's lines are read until two
//   reads agree on them (a few reads at most), and a line repeated within a read counts once.
// - /proc/locks shows this kernel's locks only: on an NFS share, a lock the other MOM host holds
//   is not in this host's list (the NFS server knows it). Across hosts, compare both hosts' probes.
//
// Use: `probeRecordLock(path, { servicePid })`, then `toLockObservation()` for the failover
// evidence (failover-evidence.ts). `parseProcLocks` is the pure parser of /proc/locks lines.
import { readFile, stat } from "node:fs/promises";
import type { LockObservation } from "../../domain/failover-evidence.ts";

export interface ProcLock {
  /** The lock's ordinal in /proc/locks (a waiter repeats the number of the lock it waits for). */
  id: number;
  /** A process blocked waiting for this lock (`N: -> ...`), not holding it. */
  blocked: boolean;
  /** POSIX (fcntl/lockf), OFDLCK (open file description), FLOCK, LEASE, DELEG... */
  type: string;
  /** ADVISORY, MANDATORY; for leases ACTIVE, BREAKING, BREAKER. */
  mode: string;
  /** READ, WRITE, UNLCK... */
  access: string;
  /** Null for -1 (an OFD lock has no owning process) and 0 (the owner is not visible from here). */
  pid: number | null;
  major: number;
  minor: number;
  inode: bigint;
  start: bigint;
  /** Null: to the end of the file (`EOF`). */
  end: bigint | null;
}

const LINE =
  /^(\d+):\s+(?:(->)\s+)?(\S+)\s+(\S+)\s+(\S+)\s+(-?\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s+(\d+)\s+(\d+|EOF)\s*$/i;

/** Every lock line of /proc/locks; lines in another shape (`<none>` inodes, future formats) are returned apart. */
export function parseProcLocks(text: string): { locks: ProcLock[]; unparsed: string[] } {
  const locks: ProcLock[] = [];
  const unparsed: string[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const m = LINE.exec(line);
    if (!m) {
      unparsed.push(line);
      continue;
    }
    const [, id, arrow, type, mode, access, pid, major, minor, inode, start, end] = m as unknown as string[];
    const owner = Number(pid);
    locks.push({
      id: Number(id),
      blocked: arrow === "->",
      type: type as string,
      mode: mode as string,
      access: access as string,
      pid: owner > 0 ? owner : null,
      major: Number.parseInt(major as string, 16),
      minor: Number.parseInt(minor as string, 16),
      inode: BigInt(inode as string),
      start: BigInt(start as string),
      end: end === "EOF" ? null : BigInt(end as string),
    });
  }
  return { locks, unparsed };
}

/** glibc's major()/minor() of a `stat` st_dev (the numbers /proc/locks prints in hex). */
export function deviceNumbers(dev: bigint): { major: number; minor: number } {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & 0xfffff000n);
  const minor = (dev & 0xffn) | ((dev >> 12n) & 0xffffff00n);
  return { major: Number(major), minor: Number(minor) };
}

export interface LockHolder {
  pid: number | null;
  type: "POSIX" | "OFDLCK";
  access: "WRITE" | "READ";
  /** `0-EOF`, `10-109`. */
  range: string;
  /** The holder is the EM service's process or one of its descendants; null when no service pid was given or the ancestry is unreadable. */
  isService: boolean | null;
}

export type RecordLockProbe =
  | { state: "held"; holders: LockHolder[]; waiters: number[]; source: string; detail: string }
  | { state: "not-held"; shared: LockHolder[]; waiters: number[]; source: string; detail: string }
  | { state: "unknown"; source: string; detail: string };

export interface RecordLockOptions {
  /** The EM service's main pid (systemd MainPID), to tell its lock from someone else's. */
  servicePid?: number | null;
  /** Where proc is mounted. Default /proc. */
  procRoot?: string;
}

export async function probeRecordLock(
  path: string,
  options: RecordLockOptions = {},
): Promise<RecordLockProbe> {
  const proc = options.procRoot ?? "/proc";
  const source = `${proc}/locks`;
  const info = await statLockedFile(path, source);
  if ("state" in info) return info;
  const { major, minor } = deviceNumbers(info.dev);
  const file = `${path} (device ${hex2(major)}:${hex2(minor)}, inode ${info.ino})`;
  const onThisFile = (text: string) =>
    distinct(
      parseProcLocks(text).locks.filter(
        (l) =>
          l.major === major &&
          l.minor === minor &&
          l.inode === info.ino &&
          (l.type === "POSIX" || l.type === "OFDLCK"),
      ),
    );
  let onFile: ProcLock[] | null = null;
  for (let read = 1; read <= SETTLE_READS; read++) {
    let text: string;
    try {
      text = await readFile(source, "utf8");
    } catch (error) {
      return {
        state: "unknown",
        source,
        detail: `cannot read ${source}: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
    const locks = onThisFile(text);
    const settled = onFile !== null && sameLocks(onFile, locks);
    onFile = locks;
    if (settled) break;
  }
  if (onFile === null) return { state: "unknown", source, detail: `${source} was not read` };
  const waiters = onFile.filter((l) => l.blocked && l.pid !== null).map((l) => l.pid as number);
  const holders = await lockHolders(onFile, options.servicePid ?? null, proc);
  return lockVerdict(holders, waiters, source, file);
}

/** Reads of /proc/locks before its lines for one file are taken as they are (two that agree end it sooner). */
const SETTLE_READS = 4;

/** What a lock line says, without its ordinal (which a torn read renumbers). */
function lockKey(l: ProcLock): string {
  return [l.blocked ? "->" : "", l.type, l.access, l.pid ?? "-", l.start, l.end ?? "EOF"].join(" ");
}

/** One entry per distinct lock: a torn read can print a line twice, and one owner's locks on a range merge. */
function distinct(locks: ProcLock[]): ProcLock[] {
  const seen = new Set<string>();
  return locks.filter((l) => !seen.has(lockKey(l)) && seen.add(lockKey(l)));
}

function sameLocks(a: ProcLock[], b: ProcLock[]): boolean {
  const keys = (x: ProcLock[]) => x.map(lockKey).sort().join("\n");
  return keys(a) === keys(b);
}

/** The file's device and inode; a missing file is not held (no EM created it), another error unknown. */
async function statLockedFile(
  path: string,
  source: string,
): Promise<{ dev: bigint; ino: bigint } | RecordLockProbe> {
  try {
    return await stat(path, { bigint: true });
  } catch (error) {
    const code = error instanceof Error && "code" in error ? String(error.code) : "";
    if (code === "ENOENT") {
      return {
        state: "not-held",
        shared: [],
        waiters: [],
        source,
        detail: `${path} does not exist: no EM has created it`,
      };
    }
    return {
      state: "unknown",
      source,
      detail: `cannot stat ${path}: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

/** The granted read and write locks on the file, each told whether the EM service holds it. */
async function lockHolders(
  onFile: ProcLock[],
  servicePid: number | null,
  proc: string,
): Promise<LockHolder[]> {
  const holders: LockHolder[] = [];
  for (const lock of onFile.filter((l) => !l.blocked && (l.access === "WRITE" || l.access === "READ"))) {
    holders.push({
      pid: lock.pid,
      type: lock.type as "POSIX" | "OFDLCK",
      access: lock.access as "WRITE" | "READ",
      range: `${lock.start}-${lock.end ?? "EOF"}`,
      isService: await isServiceProcess(lock.pid, servicePid, proc),
    });
  }
  return holders;
}

/** Held when someone has a write lock; else not held, naming the shared locks and the waiters. */
function lockVerdict(
  holders: LockHolder[],
  waiters: number[],
  source: string,
  file: string,
): RecordLockProbe {
  const exclusive = holders.filter((h) => h.access === "WRITE");
  const waiting = waiters.length > 0 ? `; waiting for it: pid ${waiters.join(", ")}` : "";
  if (exclusive.length > 0) {
    const who = exclusive.map(
      (h) =>
        `${h.pid === null ? "a process not visible here" : `pid ${h.pid}`} (${h.type} write lock ${h.range})`,
    );
    return {
      state: "held",
      holders: exclusive,
      waiters,
      source,
      detail: `${who.join(", ")} on ${file}${waiting}`,
    };
  }
  const shared =
    holders.length > 0 ? `; shared (read) locks by pid ${holders.map((h) => h.pid ?? "?").join(", ")}` : "";
  return {
    state: "not-held",
    shared: holders,
    waiters,
    source,
    detail: `no exclusive lock on ${file}${shared}${waiting}`,
  };
}

/** The probe as failover evidence: whose lock it is, in the words the decision uses. */
export function toLockObservation(probe: RecordLockProbe): LockObservation {
  switch (probe.state) {
    case "held": {
      const holder = probe.holders.find((h) => h.isService === true) ?? probe.holders[0];
      const identity =
        holder?.isService === true
          ? "this-em"
          : holder?.isService === false
            ? "another-process"
            : "unidentified";
      return {
        state: "held",
        holder: identity,
        pid: holder?.pid ?? null,
        source: probe.source,
        detail: probe.detail,
      };
    }
    case "not-held":
    case "unknown":
      return { state: probe.state, source: probe.source, detail: probe.detail };
    default: {
      const unhandled: never = probe;
      throw new Error(`unknown probe state ${String(unhandled)}`);
    }
  }
}

/** `pid` is `servicePid` or one of its descendants (an EM launcher starts the JVM as a child). */
async function isServiceProcess(
  pid: number | null,
  servicePid: number | null,
  proc: string,
): Promise<boolean | null> {
  if (servicePid === null || pid === null) return null;
  let current = pid;
  for (let depth = 0; depth < 64; depth += 1) {
    if (current === servicePid) return true;
    if (current <= 1) return false;
    const stat = await readFile(`${proc}/${current}/stat`, "utf8").catch(() => null);
    if (stat === null) return null;
    // `pid (comm) state ppid ...`: comm may hold spaces and parentheses, so read after the last `)`.
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (!Number.isInteger(ppid)) return null;
    current = ppid;
  }
  return null;
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, "0");
}
