// The stand-in EM with real processes: two "MOM hosts" whose config is a symbolic link to one
// shared directory (as momlink's change leaves them), the locks seen through the Linux lock
// probe, the verdicts through the failover decision, and the service control driven like a
// systemd unit, through its command as a runner would.
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { assessPair } from "../../src/domain/failover-decision.ts";
import type { HostEvidence } from "../../src/domain/failover-evidence.ts";
import { probeRecordLock, toLockObservation } from "../../src/runner/platform/locks-linux.ts";
import {
  STAND_IN_CONTROL_CLI,
  STAND_IN_EM_SCRIPT,
  type StandInOptions,
  type StandInStatus,
  standInServiceCommands,
  standInStatus,
  startStandIn,
  stopStandIn,
} from "../../src/sandbox/stand-in-em/index.ts";
import { waitFor } from "../support/watch.ts";

const LOG = join("logs", "IntroscopeEnterpriseManager.log");
/** KB 143526's lines of an EM that becomes the primary; one that waits logs the first four. */
const PRIMARY_START = [
  "The Introscope Enterprise Manager is configured as a Primary EM",
  "Acquiring secondary lock...",
  "Acquired secondary lock",
  "Acquiring primary lock...",
  "Acquired primary lock",
  "Released secondary lock",
  "Proceeding with startup",
];
const LOCKS = join("config", "internal", "server");

let root = "";
let share = "";
let a: StandInOptions;
let b: StandInOptions;

/** Two EM_HOMEs whose `config` links to the one shared config, like after a momlink change. */
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "momlink-stand-in-"));
  share = join(root, "share");
  await mkdir(join(share, "config"), { recursive: true });
  await writeFile(
    join(share, "config", "IntroscopeEnterpriseManager.properties"),
    "introscope.enterprisemanager.failover.enable=true\n",
  );
  const host = async (name: string): Promise<StandInOptions> => {
    const emHome = join(root, name, "em");
    await mkdir(emHome, { recursive: true });
    await symlink(join(share, "config"), join(emHome, "config"));
    return { emHome, host: name, runDir: join(root, name, "run"), pollMs: 50 };
  };
  a = await host("mom-a");
  b = await host("mom-b");
});

afterEach(async () => {
  await Promise.all([stopStandIn(a), stopStandIn(b)]);
  await rm(root, { recursive: true, force: true });
});

const running = (status: StandInStatus) => {
  if (status.state !== "running") throw new Error(`expected a running EM, got ${JSON.stringify(status)}`);
  return status;
};
const log = (options: StandInOptions) => readFile(join(options.emHome, LOG), "utf8").catch(() => "");
const failoverLines = (text: string) =>
  text
    .split("\n")
    .filter((l) => l.includes("[Manager.HotFailover]"))
    .map((l) => l.slice(l.indexOf("[Manager.HotFailover]") + 22));

/** The evidence a runner on `options`'s host would collect, through the same probes. */
async function evidence(options: StandInOptions): Promise<HostEvidence> {
  const status = await standInStatus(options);
  const servicePid = status.state === "running" ? status.pid : null;
  const lock = async (name: string) =>
    toLockObservation(await probeRecordLock(join(options.emHome, LOCKS, name), { servicePid }));
  return {
    host: options.host,
    service: {
      state: status.state === "running" ? "running" : "stopped",
      source: "emctl status",
      detail: status.state,
    },
    primaryLock: await lock("primary_em.lck"),
    secondaryLock: await lock("secondary_em.lck"),
    log: {
      kind: "read",
      path: join(options.emHome, LOG),
      firstLine: 1,
      lines: (await log(options)).split("\n"),
    },
  };
}

describe("the stand-in EM pair on a shared config", () => {
  it("the first takes primary_em.lck and logs the KB's lines in the KB's order", async () => {
    const first = running(await startStandIn(a));
    expect(first.role).toBe("primary");
    expect(failoverLines(await log(a))).toEqual(PRIMARY_START);
    const primary = await probeRecordLock(join(a.emHome, LOCKS, "primary_em.lck"), { servicePid: first.pid });
    expect(primary).toMatchObject({ state: "held", holders: [{ pid: first.pid, isService: true }] });
    // The lock is on the shared file: seen through the link, it is the share's inode.
    const viaLink = await stat(join(a.emHome, LOCKS, "primary_em.lck"));
    const onShare = await stat(join(share, "config", "internal", "server", "primary_em.lck"));
    expect(viaLink.ino).toBe(onShare.ino);
  });

  it("the second stands by on secondary_em.lck, and the pair reads as primary active, secondary standing by", async () => {
    const first = running(await startStandIn(a));
    const second = running(await startStandIn(b));
    expect(second.role).toBe("standby");
    expect(failoverLines(await log(b))).toEqual(PRIMARY_START.slice(0, 4));
    const seenFromB = await evidence(b);
    expect(seenFromB.primaryLock).toMatchObject({ state: "held", holder: "another-process", pid: first.pid });
    expect(seenFromB.secondaryLock).toMatchObject({ state: "held", holder: "this-em", pid: second.pid });
    const pair = assessPair(await evidence(a), seenFromB);
    expect([pair.verdict, pair.primary.basis, pair.secondary.basis]).toEqual([
      "primary-active-secondary-standing-by",
      "lock and log",
      "lock and log",
    ]);
  });

  it("stopping the first makes the second take over: the lock moves to it", async () => {
    const first = running(await startStandIn(a));
    const second = running(await startStandIn(b));
    const primaryLock = join(b.emHome, LOCKS, "primary_em.lck");
    expect(await probeRecordLock(primaryLock)).toMatchObject({ holders: [{ pid: first.pid }] });

    await stopStandIn(a);
    expect(await log(a)).toMatch(/\[Manager\] Orderly shutdown on SIGTERM: releasing the failover locks\n$/);
    const taken = await waitFor(
      "mom-b to log that it took the primary lock",
      // Taken over: the log line and then the role the stand-in reports (written in that order).
      async () => {
        const status = (await log(b)).includes("Proceeding with startup")
          ? await standInStatus(b)
          : undefined;
        return status?.state === "running" && status.role === "primary" ? true : undefined;
      },
      { watch: [join(b.emHome, "logs")], describe: () => log(b) },
    );
    expect(taken).toBe(true);
    expect(failoverLines(await log(b)).slice(-4)).toEqual(PRIMARY_START.slice(3));
    expect(await probeRecordLock(primaryLock, { servicePid: second.pid })).toMatchObject({
      state: "held",
      holders: [{ pid: second.pid, isService: true }],
    });
    expect(await probeRecordLock(join(b.emHome, LOCKS, "secondary_em.lck"))).toMatchObject({
      state: "not-held",
    });
    expect(running(await standInStatus(b)).role).toBe("primary");
    // The pair as the decision sees it now: the secondary host is the active EM.
    expect(assessPair(await evidence(a), await evidence(b)).verdict).toBe("secondary-active");
  });

  it("a secondary started first takes the primary lock: the roles come out swapped", async () => {
    running(await startStandIn(b));
    running(await startStandIn(a));
    expect(assessPair(await evidence(a), await evidence(b)).verdict).toBe("roles-swapped");
  });

  it("two EMs on unshared configs both claim primary: a split brain", async () => {
    const lonely: StandInOptions = {
      ...b,
      emHome: join(root, "mom-b", "em-unlinked"),
      runDir: join(root, "mom-b", "run2"),
    };
    await mkdir(join(lonely.emHome, "config"), { recursive: true });
    running(await startStandIn(a));
    running(await startStandIn(lonely));
    try {
      expect(assessPair(await evidence(a), await evidence(lonely)).verdict).toBe("both-claim-primary");
    } finally {
      await stopStandIn(lonely);
    }
  });
});

describe("the stand-in EM program", () => {
  it("exits 0 on SIGTERM and its locks are free at once", async () => {
    const roleFile = join(root, "role.json");
    const child = execa(
      "python3",
      [STAND_IN_EM_SCRIPT, "--em-home", a.emHome, "--host", "mom-a", "--role-file", roleFile],
      {
        reject: false,
      },
    );
    await waitFor(
      "the EM to settle",
      async () =>
        (await readFile(roleFile, "utf8").catch(() => "")).includes('"primary"') ? true : undefined,
      {
        watch: [root],
      },
    );
    const lock = join(a.emHome, LOCKS, "primary_em.lck");
    expect(await probeRecordLock(lock)).toMatchObject({ state: "held", holders: [{ pid: child.pid }] });
    child.kill("SIGTERM");
    const result = await child;
    expect([result.exitCode, result.signal ?? null]).toEqual([0, null]);
    expect(await probeRecordLock(lock)).toMatchObject({ state: "not-held" });
  });

  it("reads failover from the properties when asked, as a real EM does at start", async () => {
    const props = join(share, "config", "IntroscopeEnterpriseManager.properties");
    await writeFile(props, "introscope.enterprisemanager.failover.enable=false\n");
    expect(running(await startStandIn({ ...a, failover: "properties" })).role).toBe("standalone");
    expect(await probeRecordLock(join(a.emHome, LOCKS, "primary_em.lck"))).toMatchObject({
      state: "not-held",
    });
    await stopStandIn(a);

    await writeFile(
      props,
      "introscope.enterprisemanager.failover.enable=true\nintroscope.enterprisemanager.failover.primary=mom-a\nintroscope.enterprisemanager.failover.secondary=mom-b\n",
    );
    expect(running(await startStandIn({ ...b, failover: "properties" })).role).toBe("primary");
    expect(failoverLines(await log(b))[0]).toBe(
      "The Introscope Enterprise Manager is configured as a Secondary EM",
    );
  });

  it("a start that cannot settle fails with the EM's own words and leaves no pid file", async () => {
    const broken: StandInOptions = {
      ...a,
      emHome: join(root, "broken", "em"),
      runDir: join(root, "broken", "run"),
    };
    await mkdir(broken.emHome, { recursive: true });
    await symlink(join(root, "no-such-share", "config"), join(broken.emHome, "config"));
    await expect(startStandIn(broken)).rejects.toThrow(
      /exited during its start:\n.*stand-in EM on mom-a: .*No such file or directory/s,
    );
    expect(await standInStatus(broken)).toEqual({ state: "stopped" });
  });

  it("never signals a process its pid file names unless that process is this EM_HOME's stand-in", async () => {
    await mkdir(a.runDir, { recursive: true });
    await writeFile(join(a.runDir, "stand-in-em.pid"), `${process.pid}\n`);
    expect(await standInStatus(a)).toMatchObject({ state: "dead", pid: process.pid });
    expect(await stopStandIn(a)).toEqual({ state: "stopped" });
    expect(await standInStatus(a)).toEqual({ state: "stopped" });
  });
});

describe("emctl: the service control as a runner's configured commands", () => {
  const run = (argv: string[]) => execa(argv[0] as string, argv.slice(1), { reject: false });

  it("starts, reports and stops like a systemd unit, idempotently", async () => {
    const commands = standInServiceCommands(a);
    const before = await run(commands.status);
    expect([before.exitCode, before.stdout]).toEqual([
      3,
      "LoadState=loaded\nActiveState=inactive\nSubState=dead\nMainPID=0",
    ]);

    const started = await run(commands.start);
    expect(started.exitCode).toBe(0);
    const pid = Number(/^MainPID=(\d+)$/m.exec(started.stdout)?.[1]);
    expect(started.stdout).toBe(
      `LoadState=loaded\nActiveState=active\nSubState=running\nMainPID=${pid}\nRole=primary`,
    );
    // The EM outlives the command that started it, like a daemon.
    expect(await probeRecordLock(join(a.emHome, LOCKS, "primary_em.lck"))).toMatchObject({
      holders: [{ pid }],
    });

    const again = await run(commands.start);
    expect([again.exitCode, /^MainPID=(\d+)$/m.exec(again.stdout)?.[1]]).toEqual([0, String(pid)]);
    const status = await run(commands.status);
    expect([status.exitCode, status.stdout.includes("ActiveState=active")]).toEqual([0, true]);

    const stopped = await run(commands.stop);
    expect([stopped.exitCode, stopped.stdout.includes("ActiveState=inactive")]).toEqual([0, true]);
    expect(await probeRecordLock(join(a.emHome, LOCKS, "primary_em.lck"))).toMatchObject({
      state: "not-held",
    });
    expect((await run(commands.stop)).exitCode).toBe(0);
    expect((await run(commands.status)).exitCode).toBe(3);
  });

  it("refuses a bad command line with the usage", async () => {
    const start = standInServiceCommands(a).start;
    const emctl = start.slice(0, start.indexOf(STAND_IN_CONTROL_CLI) + 1);
    const result = await run([...emctl, "restart", "--em-home", a.emHome]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/^emctl: say start, stop or status\nusage: emctl start\|stop\|status/);
  });
});
