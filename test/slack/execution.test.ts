// A change from plan to links and back, through the real Bolt app (signed HTTP, the fake Slack
// API) and real runners creating real symbolic links in temporary directories.
import { lstat, mkdir, readlink, rm, symlink } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { JobExecutor } from "../../src/runner/client.ts";
import { treeDigest } from "../runner/fixtures.ts";
import { SLACK_DATE } from "../support/dates.ts";
import { PRIMARY, type Rig, SECONDARY, startRig } from "./rig.ts";
import {
  ALICE,
  actionsBlock,
  BOB,
  blocksOf,
  CAROL,
  planMessagesIn,
  threadReplies,
  visibleText,
} from "./support.ts";

let rig: Rig;
beforeEach(async () => {
  rig = await startRig();
});
afterEach(async () => {
  await rig.stop();
});

const m = () => rig.bot.m;
const message = () => planMessagesIn(m().fake)[0]!;
const record = async () => (await m().store.get("CHG-1"))!;
const replies = () => threadReplies(m().fake, message().ts).map((r) => r.text);

async function bothRunners(): Promise<void> {
  await rig.startRunner(PRIMARY);
  await rig.startRunner(SECONDARY);
}

/** Everything the Slack side was asked to do so far has been done. */
async function quiet(): Promise<void> {
  await rig.bot.orchestrator.settled();
  await m().drain();
}

async function waitForState(state: string): Promise<void> {
  await rig.until(async () => (await m().store.get("CHG-1"))?.state === state, `CHG-1 to be ${state}`);
  await quiet();
}

/** A click on a button the message does not show (a stale or forged message): the server still decides. */
function forgedClick(actionId: string, user: string) {
  const payload = m().fake.api.blockActions({
    messageTs: message().ts,
    actionId: "momlink_reject",
    userId: user,
  });
  const action = (payload.actions as Record<string, unknown>[])[0]!;
  action.action_id = actionId;
  return m().send("interactive", payload);
}

describe("pre-flight", () => {
  it("shows what both runners found and the steps it implies, and binds the facts to the plan", async () => {
    await bothRunners();
    await m().command(rig.planText(), ALICE);

    const plan = (await record()).plan;
    expect((await record()).state).toBe("awaiting_approval");
    expect(plan.hosts.map((h) => h.facts?.host)).toEqual([PRIMARY, SECONDARY]);
    const text = visibleText(message());
    for (const host of [PRIMARY, SECONDARY]) {
      expect(text).toContain(
        `*Pre-flight on ${host} (${host === PRIMARY ? "primary" : "secondary"}), as its runner found it:*`,
      );
    }
    expect(text).toContain(`✓ EM_HOME ${rig.sandbox.primaryEmHome} exists`);
    expect(text).toContain("✓ holds an Enterprise Manager (config/IntroscopeEnterpriseManager.properties)");
    expect(text).toContain("✓ EM service stopped");
    expect(text).toContain(`✓ config: a real directory; share ${rig.sandbox.share}/config: missing`);
    // Seeding only on the primary, into the empty share; no worst-case [if …] steps.
    expect(text).not.toContain("[if ");
    expect(plan.hosts[0].steps.map((s) => s.kind)).toContain("seed-share");
    expect(plan.hosts[1].steps.map((s) => s.kind)).not.toContain("seed-share");
    expect(actionsBlock(message())?.elements.map((e) => (e as { action_id: string }).action_id)).toEqual([
      "momlink_approve",
      "momlink_reject",
    ]);
  });

  // [what pre-flight finds, how, the blocker, a fact line the message must show]
  const blocked: [string, () => Promise<void>, RegExp, string?][] = [
    [
      "a link to somewhere else at a link path",
      () => symlink("/srv/elsewhere", join(rig.sandbox.secondaryEmHome, "traces")),
      /traces on mom-b is already a link to \/srv\/elsewhere, not to .*: remove it by hand/,
    ],
    [
      "a file at a link path",
      async () => {
        await rm(join(rig.sandbox.primaryEmHome, "data"), { recursive: true });
        await import("node:fs/promises").then((fs) =>
          fs.writeFile(join(rig.sandbox.primaryEmHome, "data"), "x"),
        );
      },
      /data on mom-a is a file, not a directory/,
    ],
    [
      "the EM service running on a host",
      async () => {
        rig.service[SECONDARY] = "active";
      },
      /the Enterprise Manager service is running on mom-b: stop it on both hosts/,
    ],
    [
      "an EM service the runner cannot query (unknown, never shown as running or stopped)",
      async () => {
        rig.service[SECONDARY] = "not-found";
      },
      /the state of the Enterprise Manager service on mom-b is unknown \(systemd knows no unit IScopeEM\): .*--service-name.*--unknown-service-is-stopped/,
      "? EM service state unknown: systemd knows no unit IScopeEM; the runner must see it stopped;",
    ],
  ];
  it.each(blocked)(
    "blocks the plan when pre-flight finds %s, and refuses an approval with the reason",
    async (_name, setup, reason, factLine) => {
      await setup();
      await bothRunners();
      await m().command(rig.planText(["config", "data", "traces"]), ALICE);

      expect(visibleText(message())).toMatch(/\*Blocked\* — pre-flight found/);
      expect(visibleText(message())).toMatch(reason);
      if (factLine !== undefined) {
        expect(visibleText(message())).toContain(factLine);
        expect(visibleText(message())).not.toMatch(/EM service RUNNING/);
      }
      // No Approve button on a blocked plan; a click from a stale message is refused all the same.
      const buttons = actionsBlock(message())?.elements.map((e) => (e as { action_id: string }).action_id);
      expect(buttons).toEqual(["momlink_reject"]);
      await forgedClick("momlink_approve", BOB);
      expect((await record()).state).toBe("awaiting_approval");
      const denial = m().fake.api.ephemerals.at(-1)?.text ?? "";
      expect(denial).toMatch(/^Your approval was not recorded: CHG-1 cannot be approved: pre-flight found /);
      expect(denial).toMatch(reason);
    },
  );

  it("says which runner did not answer, and shows the worst case for its host", async () => {
    await rig.startRunner(PRIMARY);
    let answer!: () => void;
    const late = new Promise<void>((resolve) => {
      answer = resolve;
    });
    // mom-b is registered and long-polling, but its pre-flight answers only when the test says so.
    await rig.startRunner(SECONDARY, (real) => ({
      ...real,
      preflight: async (job) => {
        await late;
        return real.preflight(job);
      },
    }));
    const planned = m().command(rig.planText(), ALICE);
    await rig.until(
      async () => (await rig.bot.dispatcher.job("CHG-1-v1-preflight-primary"))?.state === "done",
      "mom-a's facts",
    );
    rig.bot.orchestratorTimers.fireAll(); // the 30 s wait for mom-b runs out
    await planned;

    expect((await record()).plan.hosts.map((h) => h.facts === null)).toEqual([false, true]);
    expect(visibleText(message())).toContain(
      "_Pre-flight: runner mom-b on mom-b did not answer within 30 s_",
    );
    expect(visibleText(message())).toContain("[if config is a real directory]");

    // Its answer, arriving late, does not change the plan under review; the message says so.
    answer();
    await rig.until(
      async () => (await rig.bot.dispatcher.job("CHG-1-v1-preflight-secondary"))?.state === "done",
      "mom-b's late facts",
    );
    await m().handle.refreshMessage("CHG-1");
    expect((await record()).plan.hosts[1].facts).toBeNull();
    expect(visibleText(message())).toContain(
      "_Pre-flight: runner mom-b on mom-b answered after the 30 s pre-flight wait: plan again to use its facts_",
    );
  });
});

describe("an approved change", () => {
  it("runs on the primary, then the secondary: real links to the share, the primary's files on it, originals moved aside", async () => {
    const primaryConfig = await treeDigest(join(rig.sandbox.primaryEmHome, "config"));
    const primaryData = await treeDigest(join(rig.sandbox.primaryEmHome, "data"));
    const secondaryConfig = await treeDigest(join(rig.sandbox.secondaryEmHome, "config"));
    await bothRunners();
    const handed: string[] = [];
    await m().command(rig.planText(), ALICE);
    rig.bot.dispatcher.on("handed-over", (job) => handed.push(`${job.kind} ${job.host}`));

    await m().click(message().ts, "momlink_approve", BOB);
    await waitForState("succeeded");

    expect(handed).toEqual([`execute ${PRIMARY}`, `execute ${SECONDARY}`]);
    for (const emHome of [rig.sandbox.primaryEmHome, rig.sandbox.secondaryEmHome]) {
      for (const dir of ["config", "data"]) {
        expect((await lstat(join(emHome, dir))).isSymbolicLink()).toBe(true);
        expect(await readlink(join(emHome, dir))).toBe(join(rig.sandbox.share, dir));
      }
    }
    expect(await treeDigest(join(rig.sandbox.share, "config"))).toBe(primaryConfig);
    expect(await treeDigest(join(rig.sandbox.share, "data"))).toBe(primaryData);
    expect(await treeDigest(join(rig.sandbox.primaryEmHome, "config.pre-CHG-1"))).toBe(primaryConfig);
    expect(await treeDigest(join(rig.sandbox.secondaryEmHome, "config.pre-CHG-1"))).toBe(secondaryConfig);

    const text = visibleText(message());
    expect(text).toContain("*Succeeded* — links in place on mom-a, mom-b");
    expect(blocksOf(message())[0]).toMatchObject({
      type: "header",
      text: { text: "✅ CHG-1: mom-a → mom-b" },
    });
    // Closed: who approved, when, against which hash; no "expires" any more.
    expect(text).toMatch(new RegExp(`Approved by <@${BOB}> at ${SLACK_DATE} against this hash`));
    expect(text).toContain(`Plan hash \`${(await record()).planHash.slice(0, 12)}\``);
    expect(text).not.toContain("expires");
    expect(text).toContain(
      "*Execute on mom-a* (primary): done\n✓ seed-share config\n✓ move-aside config\n✓ mklink config",
    );
    expect(text).toContain("*Execute on mom-b* (secondary): done\n✓ move-aside config");
    expect(text).not.toContain("▶");
    // Shown in place: the same message, updated as the runners went.
    expect(planMessagesIn(m().fake)).toHaveLength(1);
    // How many renders reach Slack depends on timing: the update gate coalesces them (at most one
    // a second per message); what is certain is that the message was updated, not posted again.
    expect(message().updates).toBeGreaterThanOrEqual(1);
    // Each host's outcome, and the requester told how it ended (once: later refreshes say nothing).
    const told = [
      "CHG-1: ✓ Execute on mom-a (primary): 8 steps ran; every link read back and points at its target",
      "CHG-1: ✓ Execute on mom-b (secondary): 6 steps ran; every link read back and points at its target",
      `<@${ALICE}>: ✅ CHG-1 succeeded: the links are in place on mom-a and mom-b`,
    ];
    expect(replies().slice(1)).toHaveLength(told.length);
    expect(replies().slice(1)).toEqual(expect.arrayContaining(told));
    await m().handle.refreshMessage("CHG-1");
    expect(replies().slice(1)).toHaveLength(told.length);
    // Every time anything said about the change is a date token with a dated UTC fallback.
    await m().command("show CHG-1", ALICE);
    const said = [
      ...m().fake.api.messages.map((x) => JSON.stringify([x.text, x.blocks ?? []])),
      ...m().fake.api.ephemerals.map((x) => JSON.stringify([x.text, x.blocks ?? []])),
    ].join("\n");
    const tokens = said.match(/<!date\^[^>]*>/g) ?? [];
    expect(tokens.length).toBeGreaterThan(3);
    for (const token of tokens) expect(token).toMatch(new RegExp(`^${SLACK_DATE}$`));
    expect(said.replace(/<!date\^[^>]*>/g, "")).not.toMatch(/\d\d:\d\d( UTC)?/);
    expect((await m().store.audit("CHG-1")).map((e) => e.event)).toEqual([
      "create",
      "preflight-complete",
      "approve",
      "start-execution",
      "succeed",
    ]);

    // `/momlink show` tells the same story as the message, progress included.
    await m().command("show CHG-1", CAROL);
    const shown = visibleText(m().fake.api.ephemerals.at(-1) ?? {});
    expect(shown).toContain("*Execute on mom-b* (secondary): done\n✓ move-aside config");
  });

  it("shows a running step as it runs", async () => {
    await rig.startRunner(PRIMARY);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    await rig.startRunner(SECONDARY, (real) => holdAfterFirstStep(real, gate));
    await m().command(rig.planText(), ALICE);
    await m().click(message().ts, "momlink_approve", BOB);

    await rig.until(
      () => visibleText(message()).includes("(secondary): running\n▶ move-aside config"),
      "the secondary's running step",
    );
    const running = visibleText(message());
    expect(running).toContain("*Execute on mom-a* (primary): done");
    expect(running).toContain(
      "*Execute on mom-b* (secondary): running\n▶ move-aside config\n· mklink config",
    );
    expect(running).toContain("*Executing* on mom-a, mom-b");
    release();
    await waitForState("succeeded");
  });
});

/** Emits the first step's start, then waits for `gate` before running the job for real. */
function holdAfterFirstStep(real: JobExecutor, gate: Promise<void>): JobExecutor {
  return {
    preflight: (job) => real.preflight(job),
    run: async (job, onEvent) => {
      if (job.kind !== "execute") return real.run(job, onEvent);
      onEvent({ index: 0, kind: "move-aside", dir: "config", status: "started", output: "" });
      await gate;
      return real.run(job, (event) => {
        if (event.index === 0 && event.status === "started") return;
        onEvent(event);
      });
    },
  };
}

describe("a failing step", () => {
  it("fails the change with the step's output, and an approver's rollback restores both hosts byte for byte", async () => {
    const primaryBefore = await treeDigest(rig.sandbox.primaryEmHome);
    const secondaryBefore = await treeDigest(rig.sandbox.secondaryEmHome);
    await bothRunners();
    await m().command(rig.planText(), ALICE);
    // Someone took the name the secondary's data would be moved aside to.
    const taken = join(rig.sandbox.secondaryEmHome, "data.pre-CHG-1");
    await mkdir(taken);

    await m().click(message().ts, "momlink_approve", BOB);
    await waitForState("failed");

    expect((await record()).failure?.reason).toMatch(
      /^mom-b \(secondary\): step 4 \(move-aside data\) failed: not run: .*the moved-aside name is taken, resolve it by hand$/,
    );
    // The primary is linked, the secondary half: config linked, data not.
    expect((await lstat(join(rig.sandbox.primaryEmHome, "data"))).isSymbolicLink()).toBe(true);
    expect((await lstat(join(rig.sandbox.secondaryEmHome, "config"))).isSymbolicLink()).toBe(true);
    expect((await lstat(join(rig.sandbox.secondaryEmHome, "data"))).isDirectory()).toBe(true);
    const failedReply = threadReplies(m().fake, message().ts).find((r) => r.text.startsWith("CHG-1: ✗"))!;
    expect(failedReply.text).toMatch(
      /^CHG-1: ✗ Execute on mom-b \(secondary\): step 4 \(move-aside data\) failed: not run: /,
    );
    expect(visibleText(failedReply)).toContain("*step 4: move-aside data* failed:");
    expect(visibleText(failedReply)).toContain('mv "data" "data.pre-CHG-1"');
    expect(visibleText(failedReply)).toContain("the moved-aside name is taken");
    const text = visibleText(message());
    expect(text).toContain("*Failed*: mom-b (secondary): step 4 (move-aside data) failed");
    // The requester is told in the thread, and the failure is broadcast to the channel too.
    const announced = m()
      .fake.api.callsTo("chat.postMessage")
      .filter((c) =>
        String(c.params.text).startsWith(`<@${ALICE}>: ❌ CHG-1 failed: mom-b (secondary): step 4`),
      );
    expect(announced.map((c) => [c.params.thread_ts, c.params.reply_broadcast])).toEqual([
      [message().ts, "true"],
    ]);
    expect(text).toContain(
      "*Execute on mom-b* (secondary): failed\n✓ move-aside config\n✓ mklink config\n✓ verify-link config\n✗ move-aside data\n· mklink data",
    );
    expect(actionsBlock(message())?.elements.map((e) => (e as { action_id: string }).action_id)).toEqual([
      "momlink_rollback",
    ]);

    // The requester alone cannot undo it.
    await m().click(message().ts, "momlink_rollback", ALICE);
    expect((await record()).state).toBe("failed");
    expect(m().fake.api.ephemerals.at(-1)?.text).toMatch(
      /^Your rollback was not started: only an approver can roll back CHG-1/,
    );

    // As the failure said: resolved by hand, then rolled back by an approver.
    await rm(taken, { recursive: true });
    const handed: string[] = [];
    rig.bot.dispatcher.on("handed-over", (job) => handed.push(`${job.kind} ${job.host}`));
    await m().click(message().ts, "momlink_rollback", BOB);
    await waitForState("rolled_back");

    expect(handed).toEqual([`rollback ${SECONDARY}`, `rollback ${PRIMARY}`]);
    expect(await treeDigest(rig.sandbox.primaryEmHome)).toBe(primaryBefore);
    expect(await treeDigest(rig.sandbox.secondaryEmHome)).toBe(secondaryBefore);
    expect(visibleText(message())).toContain("*Rolled back* on mom-a, mom-b");
    expect(visibleText(message())).toContain("*Rollback on mom-b* (secondary): done");
    expect(actionsBlock(message())).toBeUndefined();
    const rollbackReplies = replies().slice(replies().findIndex((r) => r.includes("rollback approved")));
    expect(rollbackReplies).toHaveLength(4);
    expect(rollbackReplies).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          new RegExp(
            `^<@${ALICE}>: rollback approved by <@U0BOB0001> at ${SLACK_DATE}: undoing on mom-b, then mom-a$`,
          ),
        ),
        // mom-b's data was never moved (its move-aside failed): those two undo steps had nothing to do.
        "CHG-1: ✓ Rollback on mom-b (secondary): 2 steps ran, 2 already in place; the links are gone and the moved-aside directories back",
        "CHG-1: ✓ Rollback on mom-a (primary): 4 steps ran; the links are gone and the moved-aside directories back",
        `<@${ALICE}>: ↩ CHG-1 is rolled back on mom-a and mom-b: the links are gone and the moved-aside directories back`,
      ]),
    );
    expect((await m().store.audit("CHG-1")).map((e) => `${e.event} ${e.actor}`).slice(-3)).toEqual([
      "fail system",
      `rollback ${BOB}`,
      "rolled-back system",
    ]);
  });
});

describe("a runner lost mid-change", () => {
  it("leaves the change needing verification with its hosts locked; verify tells the truth and records it", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let didItsWork!: () => void;
    const worked = new Promise<void>((resolve) => {
      didItsWork = resolve;
    });
    // mom-a does its work, then goes silent before reporting (a killed process, a lost network).
    await rig.startRunner(PRIMARY, (real) => ({
      preflight: (job) => real.preflight(job),
      run: async (job, onEvent) => {
        const result = await real.run(job, onEvent);
        if (job.kind === "execute") {
          didItsWork();
          await held;
        }
        return result;
      },
    }));
    await rig.startRunner(SECONDARY);
    await m().command(rig.planText(), ALICE);
    await m().click(message().ts, "momlink_approve", BOB);
    await worked;
    await rig.until(
      async () => (await rig.bot.dispatcher.events("CHG-1-v4-execute-primary")).length === 16,
      "mom-a's step events",
    );

    rig.clock.advanceMs(61_000);
    await rig.bot.dispatcher.tick();
    await waitForState("needs_verification");

    expect((await record()).lostRunner).toEqual({ host: PRIMARY, at: rig.clock.now().toISOString() });
    expect(visibleText(message())).toContain(
      "*Needs verification* — lost the runner on mom-a mid-change; mom-a, mom-b stay locked",
    );
    expect(visibleText(message())).toContain(
      "*Execute on mom-a* (primary): runner lost: unknown until verified",
    );
    expect(replies()).toContain(
      "CHG-1: ⚠ Execute on mom-a (primary): the runner on mom-a stopped reporting during the execute: what it did is unknown until /momlink verify CHG-1",
    );
    expect(replies()).toContain(
      `<@${ALICE}>: ⚠ CHG-1 lost its runner mid-change: nothing is known of mom-a and mom-b until \`/momlink verify CHG-1\` checks them`,
    );
    expect(actionsBlock(message())?.elements.map((e) => (e as { action_id: string }).action_id)).toEqual([
      "momlink_rollback",
    ]);
    // The secondary never ran: nothing is retried blindly.
    expect(await rig.bot.dispatcher.job("CHG-1-v4-execute-secondary")).toBeNull();
    // The lock holds: a new plan for these hosts is refused, naming the open change and the way out.
    await m().command(rig.planText(), CAROL);
    expect(planMessagesIn(m().fake)).toHaveLength(1);
    expect(m().fake.api.ephemerals.at(-1)?.text).toMatch(
      /^momlink refused the plan: mom-a and mom-b have an open change, <[^|]+\|CHG-1> \(needs verification, .*check the hosts with `\/momlink verify CHG-1`/,
    );

    // mom-a's runner comes back (its old process reports late and is refused), then verify.
    release();
    await rig.runners.get(PRIMARY)!.stop();
    await rig.startRunner(PRIMARY);
    const reply = await m().command("verify CHG-1", BOB);
    expect(reply.status).toBe(200);
    await quiet();

    expect((await record()).state).toBe("failed");
    const verify = replies().at(-1) ?? "";
    expect(verify).toMatch(
      new RegExp(
        `^✗ \\*Verify CHG-1\\* \\(asked by <@U0BOB0001> at ${SLACK_DATE}\\): the hosts are not as approved`,
      ),
    );
    expect(verify).toContain("• mom-a (primary): every dir links to its target");
    expect(verify).toContain(
      `• mom-b (secondary): config in ${rig.sandbox.secondaryEmHome} is a real directory, not a link to ${rig.sandbox.share}/config`,
    );
    expect(verify).toContain(
      `• mom-b (secondary): data in ${rig.sandbox.secondaryEmHome} is a real directory, not a link to ${rig.sandbox.share}/data`,
    );
    expect(verify).toContain("_CHG-1 was waiting for verification: recorded as failed._");
    const audit = (await m().store.audit("CHG-1")).at(-1)!;
    expect(audit).toMatchObject({
      event: "verified",
      actor: BOB,
      toState: "failed",
      details: { outcome: "failed" },
    });
    // The asker sees the same lines.
    expect(m().fake.api.ephemerals.at(-1)?.text).toBe(verify);
  });
});

describe("a bot restarted mid-change", () => {
  it("continues from the database: the secondary runs once, after the primary's late result, and the change succeeds", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started!: () => void;
    const primaryStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    const runs: string[] = [];
    await rig.startRunner(PRIMARY, (real) => ({
      preflight: (job) => real.preflight(job),
      run: async (job, onEvent) => {
        runs.push(`${job.kind} ${job.host}`);
        if (job.kind === "execute") {
          started();
          await held;
        }
        return real.run(job, onEvent);
      },
    }));
    await rig.startRunner(SECONDARY, (real) => ({
      preflight: (job) => real.preflight(job),
      run: async (job, onEvent) => {
        runs.push(`${job.kind} ${job.host}`);
        return real.run(job, onEvent);
      },
    }));
    await m().command(rig.planText(), ALICE);
    await m().click(message().ts, "momlink_approve", BOB);
    await primaryStarted; // handed out, running on mom-a
    const ts = message().ts;

    const bot = await rig.restartBot();
    await bot.orchestrator.resume();
    release();
    await waitForState("succeeded");

    expect(runs).toEqual([`execute ${PRIMARY}`, `execute ${SECONDARY}`]);
    expect(
      (await bot.dispatcher.jobsFor("CHG-1")).map((j) => `${j.job.kind} ${j.job.role} ${j.state}`),
    ).toEqual([
      "preflight primary done",
      "preflight secondary done",
      "execute primary done",
      "execute secondary done",
    ]);
    expect(visibleText(message())).toContain("*Succeeded*");
    expect(message().ts).toBe(ts);
    for (const emHome of [rig.sandbox.primaryEmHome, rig.sandbox.secondaryEmHome]) {
      expect(await readlink(join(emHome, "config"))).toBe(join(rig.sandbox.share, "config"));
    }
  });
});
