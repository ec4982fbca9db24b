import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  deviceNumbers,
  parseProcLocks,
  probeRecordLock,
  type RecordLockProbe,
  toLockObservation,
} from "../../../src/runner/platform/locks-linux.ts";
import { type StandInOptions, startStandIn, stopStandIn } from "../../../src/sandbox/stand-in-em/index.ts";

const recorded = readFileSync(
  new URL("../../fixtures/proc-locks/linux-6.18-debian12.txt", import.meta.url),
  "utf8",
);

describe("parseProcLocks", () => {
  it("reads the lines recorded on this project's machine", () => {
    const { locks, unparsed } = parseProcLocks(recorded);
    expect(unparsed).toEqual([]);
    expect(
      locks.map((l) => [
        l.id,
        l.blocked,
        l.type,
        l.access,
        l.pid,
        `${l.major}:${l.minor}`,
        l.inode,
        l.start,
        l.end,
      ]),
    ).toEqual([
      [1, false, "POSIX", "READ", 17439, "254:0", 2146307n, 10n, 109n],
      [2, false, "OFDLCK", "WRITE", null, "254:0", 2146578n, 0n, null],
      [3, false, "POSIX", "WRITE", 17439, "254:0", 2146563n, 0n, null],
      [3, true, "POSIX", "WRITE", 17490, "254:0", 2146563n, 0n, null],
      [4, false, "POSIX", "WRITE", 16765, "254:0", 2146730n, 0n, 0n],
      [5, false, "FLOCK", "WRITE", 17288, "254:0", 2146844n, 0n, null],
      [6, false, "POSIX", "READ", 16416, "254:0", 2146676n, 128n, 128n],
      [7, false, "POSIX", "READ", 16416, "254:0", 2146671n, 1073741826n, 1073742335n],
    ]);
  });

  // Shapes from the kernel's lock_get_status (fs/locks.c) that the recording does not hold.
  const table: [string, string, Partial<ReturnType<typeof parseProcLocks>["locks"][number]> | "unparsed"][] =
    [
      [
        "a lease",
        "9: LEASE  ACTIVE    READ 812 08:01:393219 0 EOF",
        { type: "LEASE", mode: "ACTIVE", pid: 812 },
      ],
      ["an NFS delegation", "10: DELEG  ACTIVE    READ 0 00:2f:1234 0 EOF", { type: "DELEG", pid: null }],
      [
        "a waiter nested one level deeper",
        "3:  -> POSIX  ADVISORY  WRITE 901 fd:01:77 0 EOF",
        { blocked: true, pid: 901 },
      ],
      [
        "a mandatory lock of an old kernel",
        "4: POSIX  MANDATORY WRITE 55 08:02:12 0 EOF",
        { mode: "MANDATORY", access: "WRITE" },
      ],
      ["a big device number", "5: POSIX  ADVISORY  WRITE 55 103:05:12 0 EOF", { major: 259, minor: 5 }],
      ["a lock on a file with no inode", "6: POSIX  ADVISORY  WRITE 55 <none>:0 0 EOF", "unparsed"],
    ];

  it.each(table)("reads %s", (_, line, expected) => {
    const { locks, unparsed } = parseProcLocks(`${line}\n`);
    if (expected === "unparsed") expect([locks, unparsed]).toEqual([[], [line]]);
    else expect(locks[0]).toMatchObject(expected);
  });
});

describe("deviceNumbers", () => {
  // st_dev as glibc encodes it → major, minor (as /proc/locks prints them, in hex).
  const table: [bigint, number, number][] = [
    [0xfe00n, 0xfe, 0x00],
    [0x801n, 8, 1],
    [66309n, 259, 5], // an NVMe partition
    [1050668n, 8, 300], // a minor above 255
    [(4096n << 32n) | 0x510n, 4101, 0x10], // a major above 4095
  ];

  it.each(table)("decodes %s", (dev, major, minor) => {
    expect(deviceNumbers(dev)).toEqual({ major, minor });
  });
});

describe("probeRecordLock over a recorded /proc", () => {
  let root = "";
  let lockFile = "";
  let proc = "";
  let device = "";
  let inode = 0n;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "momlink-locks-"));
    lockFile = join(root, "primary_em.lck");
    await writeFile(lockFile, "");
    const info = await stat(lockFile, { bigint: true });
    const { major, minor } = deviceNumbers(info.dev);
    device = `${major.toString(16).padStart(2, "0")}:${minor.toString(16).padStart(2, "0")}`;
    inode = info.ino;
    proc = join(root, "proc");
    // A launcher (pid 100) started the JVM (pid 101) that holds the lock; pid 300 is unrelated.
    for (const [pid, ppid] of [
      [100, 1],
      [101, 100],
      [300, 1],
    ]) {
      await mkdir(join(proc, String(pid)), { recursive: true });
      await writeFile(join(proc, String(pid), "stat"), `${pid} (java (EM) x) S ${ppid} ${pid} ${pid} 0 -1\n`);
    }
  });

  afterAll(() => rm(root, { recursive: true, force: true }));

  const withLocks = async (lines: string[], servicePid?: number): Promise<RecordLockProbe> => {
    await writeFile(
      join(proc, "locks"),
      lines.map((l) => l.replace("DEV:INO", `${device}:${inode}`)).join("\n"),
    );
    return probeRecordLock(lockFile, { procRoot: proc, ...(servicePid === undefined ? {} : { servicePid }) });
  };

  it("finds the EM's exclusive lock and knows the JVM is a child of the service's process", async () => {
    const probe = await withLocks(["1: POSIX  ADVISORY  WRITE 101 DEV:INO 0 EOF"], 100);
    expect(probe).toMatchObject({
      state: "held",
      holders: [{ pid: 101, type: "POSIX", access: "WRITE", range: "0-EOF", isService: true }],
    });
    expect(toLockObservation(probe)).toMatchObject({ state: "held", holder: "this-em", pid: 101 });
  });

  it("counts a lock once when a torn read of /proc/locks prints its line twice", async () => {
    // The kernel prints /proc/locks a page per read(), by position: a lock released elsewhere
    // between two pages makes the next page start one line early, so a line comes out twice.
    const probe = await withLocks(
      [
        "1: POSIX  ADVISORY  WRITE 101 DEV:INO 0 EOF",
        "2: POSIX  ADVISORY  READ 300 fe:00:1 0 EOF",
        "2: POSIX  ADVISORY  WRITE 101 DEV:INO 0 EOF",
      ],
      100,
    );
    expect(probe).toMatchObject({ state: "held", holders: [{ pid: 101, isService: true }] });
    expect(probe.state === "held" && probe.holders).toHaveLength(1);
  });

  it("tells another process's lock from the service's", async () => {
    const probe = await withLocks(["1: POSIX  ADVISORY  WRITE 300 DEV:INO 0 EOF"], 100);
    expect(toLockObservation(probe)).toMatchObject({ state: "held", holder: "another-process", pid: 300 });
    expect(toLockObservation(await withLocks(["1: POSIX  ADVISORY  WRITE 300 DEV:INO 0 EOF"]))).toMatchObject(
      {
        holder: "unidentified",
      },
    );
  });

  it("does not count a waiter, a shared lock, a flock lock or another file's lock as the EM's", async () => {
    const probe = await withLocks([
      "1: POSIX  ADVISORY  WRITE 300 fe:00:1 0 EOF",
      "2: POSIX  ADVISORY  READ 300 DEV:INO 0 EOF",
      "2: -> POSIX  ADVISORY  WRITE 101 DEV:INO 0 EOF",
      "3: FLOCK  ADVISORY  WRITE 300 DEV:INO 0 EOF",
    ]);
    expect(probe).toMatchObject({
      state: "not-held",
      waiters: [101],
      shared: [{ pid: 300, access: "READ" }],
    });
    expect(probe.detail).toMatch(
      /^no exclusive lock on .*primary_em.lck \(device .*, inode \d+\); shared \(read\) locks by pid 300; waiting for it: pid 101$/,
    );
  });

  it("says unknown, with the reason, when /proc/locks cannot be read", async () => {
    const probe = await probeRecordLock(lockFile, { procRoot: join(root, "no-proc") });
    expect(probe.state).toBe("unknown");
    expect(probe.detail).toMatch(/cannot read .*no-proc\/locks: ENOENT/);
  });

  it("counts a lock file that does not exist as held by no one", async () => {
    const probe = await probeRecordLock(join(root, "secondary_em.lck"), { procRoot: proc });
    expect(probe).toMatchObject({ state: "not-held", detail: expect.stringMatching(/does not exist/) });
  });
});

describe("probeRecordLock against the stand-in EM's real lock", () => {
  let root = "";
  let options: StandInOptions;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "momlink-locks-em-"));
    options = { emHome: join(root, "em"), host: "mom-a", runDir: join(root, "run"), pollMs: 50 };
    await mkdir(join(options.emHome, "config"), { recursive: true });
  });

  afterAll(async () => {
    await stopStandIn(options);
    await rm(root, { recursive: true, force: true });
  });

  it("sees the running EM holding primary_em.lck with its pid, and secondary_em.lck free", async () => {
    const started = await startStandIn(options);
    if (started.state !== "running") throw new Error("not started");
    const lockDir = join(options.emHome, "config", "internal", "server");
    const primary = await probeRecordLock(join(lockDir, "primary_em.lck"), { servicePid: started.pid });
    expect(primary).toMatchObject({
      state: "held",
      holders: [{ pid: started.pid, type: "POSIX", access: "WRITE", range: "0-EOF", isService: true }],
    });
    expect(toLockObservation(primary)).toMatchObject({ holder: "this-em", pid: started.pid });
    expect(await probeRecordLock(join(lockDir, "secondary_em.lck"))).toMatchObject({ state: "not-held" });

    await stopStandIn(options);
    expect(await probeRecordLock(join(lockDir, "primary_em.lck"))).toMatchObject({ state: "not-held" });
  });
});
