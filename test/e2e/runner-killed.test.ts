// A runner killed with SIGKILL in the middle of seeding the share, with nothing in-process:
// `momlink serve` (HTTP mode, a 3-second job lease) and two `momlink runner start` processes. The
// seed runs long: the primary's runner finds a stand-in `cp` first on its PATH that records its
// pid and keeps writing into the share, a line every 50 ms, until it is killed. The runner
// heartbeats the job alive past its lease; then it is killed, and its copy must die with it; the bot
// declares the silent job lost; the restarted runner reports the cut-short step and never reruns it.
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PRIMARY, SECONDARY } from "../runner/fixtures.ts";
import type { RunningMomlink } from "../support/cli.ts";
import { groupMembers, isAlive, untilFile, untilGone } from "../support/processes.ts";
import { ALICE, BOB, type Deployment, deploy, sandboxPlan } from "./support.ts";

/** Lines the stand-in cp writes every 50 ms: this many prove the job outlived several leases. */
const LINES_PAST_THE_LEASE = 100;

/** A stand-in for a long `cp -a <EM_HOME>/<dir>/. <share>/<dir>/` (argv $1 -a, $2 from, $3 to). */
const FAKE_CP = `#!/bin/sh
mkdir -p "$3"
echo $$ >> "$FAKE_CP_PIDS"
while :; do
  echo "copying" >> "$3copied.part"
  sleep 0.05
done
`;

let bot: Deployment;
let pidFile: string;
let journalFile: string;
let primaryRunner: RunningMomlink;

/** The primary's runner, with the stand-in cp first on its PATH. */
const startPrimary = (until: string[]) =>
  bot.startRunner(PRIMARY, {
    env: { PATH: `${join(bot.hosts.root, "fake-bin")}:${process.env.PATH ?? ""}`, FAKE_CP_PIDS: pidFile },
    until,
  });

beforeAll(async () => {
  bot = await deploy({ MOMLINK_JOB_LEASE_SECONDS: "3" });
  const { root } = bot.hosts;
  pidFile = join(root, "cp.pids");
  journalFile = join(root, `${PRIMARY}.runner.journal.json`);
  await mkdir(join(root, "fake-bin"));
  await writeFile(join(root, "fake-bin", "cp"), FAKE_CP);
  await chmod(join(root, "fake-bin", "cp"), 0o755);
  primaryRunner = await startPrimary(["runner started"]);
  await bot.startRunner(SECONDARY);
}, 60_000);

afterAll(async () => {
  await bot.close();
});

describe.skipIf(process.platform !== "linux")("a runner killed in the middle of seeding the share", () => {
  it("keeps a long seed alive past the lease: it heartbeats at the lease the bot announced", async () => {
    const { fake } = bot;
    const posted = fake.api.waitFor("chat.postMessage", (c) => String(c.params.text).includes("CHG-1"), {
      timeoutMs: 20_000,
    });
    await bot.command(ALICE, sandboxPlan(bot.hosts, "config"));
    await bot.click(String((await posted).response.ts), "momlink_approve", BOB);

    // At least 100 x 50 ms of copying: longer than the 3-second lease and the bot's sweep together.
    await untilFile(pidFile, (text) => text.trim() !== "", 20_000);
    const copied = join(bot.hosts.share, "config", "copied.part");
    await untilFile(copied, (text) => text.split("\n").length > LINES_PAST_THE_LEASE, 30_000);
    expect(await bot.recordState()).toBe("executing");
  }, 45_000);

  it("takes the copy down with it: no process of the step is left", async () => {
    const [cpPid = 0] = (await readFile(pidFile, "utf8")).trim().split("\n").map(Number);
    expect(await isAlive(cpPid)).toBe(true);
    // The step was journaled before it started, beside the runner's config.
    expect(JSON.parse(await readFile(journalFile, "utf8"))).toMatchObject({
      job: { changeId: "CHG-1", kind: "execute" },
      step: { kind: "seed-share", dir: "config" },
    });

    await primaryRunner.kill("SIGKILL");
    await untilGone([cpPid]);
    expect(await groupMembers(cpPid)).toEqual([]);
  });

  it("is declared lost by the bot once the lease runs out: the change waits for verification", async () => {
    await bot.fake.api.waitFor(
      "chat.postMessage",
      (c) => String(c.params.text).includes("stopped reporting during the execute"),
      { timeoutMs: 20_000 },
    );
    expect(await bot.recordState()).toBe("needs_verification");
  });

  it("reports the cut-short step when restarted, and never runs it again", async () => {
    const restarted = await startPrimary(["runner started", "the bot had already closed job"]);
    const lines = restarted
      .output()
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { level: number; msg: string });
    const lost = lines.find((l) => l.msg.includes("this runner stopped (killed, crashed or lost power)"));
    expect(lost?.level).toBe(50); // error: loud
    expect(lost?.msg).toContain("during step 1 (seed-share config) of execute job");
    expect(lost?.msg).toContain("The step is not run again.");
    expect(lost?.msg).toContain(
      `Check by hand on ${PRIMARY}: the copy into ${join(bot.hosts.share, "config")} may be partial`,
    );
    expect(lines.find((l) => l.msg.includes("the bot had already closed job"))?.msg).toContain("HTTP 409");

    expect((await readFile(pidFile, "utf8")).trim().split("\n")).toHaveLength(1);
    expect(existsSync(journalFile)).toBe(false);
    expect(await bot.recordState()).toBe("needs_verification");
  });
});
