// `/momlink runners`, `/momlink verify <host>` and `/momlink rollback CHG-n`, through the real Bolt
// app with real runners (and without any, as a bot with no runner API runs).
import { rm, symlink } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { relativeTime } from "../../src/slack/commands/runners.ts";
import { SLACK_DATE, slackDate } from "../support/dates.ts";
import { PRIMARY, type Rig, SECONDARY, startRig } from "./rig.ts";
import { ALICE, BOB, type Momlink, planMessagesIn, startMomlink, T0, threadReplies } from "./support.ts";

let rig: Rig | undefined;
let plain: Momlink | undefined;
afterEach(async () => {
  await rig?.stop();
  await plain?.stop();
  rig = undefined;
  plain = undefined;
});

const ackText = (reply: { body: unknown }) => (reply.body as { text: string }).text;

describe("/momlink runners", () => {
  it("lists each runner with its platform, version, when it was last seen, and whether it is online", async () => {
    rig = await startRig();
    await rig.startRunner(PRIMARY);
    await rig.startRunner(SECONDARY);
    await rig.bot.dispatcher.addRunner({ name: "mom-c", host: "mom-c", platform: "windows" });
    await rig.runners.get(SECONDARY)?.stop(); // mom-b's agent stops
    rig.clock.advanceMinutes(5);
    // mom-a's long-poll times out and it asks again: seen just now.
    const again = new Promise<void>((resolve) => {
      const off = rig?.bot.dispatcher.on("waiting", () => {
        off?.();
        resolve();
      });
    });
    rig.bot.dispatchTimers.fireAll();
    await again;

    const reply = await rig.bot.m.command("runners", ALICE);
    expect(ackText(reply).split("\n")).toEqual([
      "*Runners* (1 of 3 online)",
      `• *mom-a* for mom-a · linux · v0.1.0 · last seen just now (${slackDate(new Date(T0.getTime() + 5 * 60_000))}) · *online*`,
      `• *mom-b* for mom-b · linux · v0.1.0 · last seen 5 min ago (${slackDate(T0)}) · offline`,
      "• *mom-c* for mom-c · windows · never seen · added, not registered yet",
    ]);
  });

  it("says when this bot runs without a runner API", async () => {
    plain = await startMomlink();
    const reply = await plain.command("runners", ALICE);
    expect(ackText(reply)).toMatch(
      /^This momlink runs without a runner API \(MOMLINK_RUNNER_PORT is not set\)/,
    );
  });

  const times: [number, string][] = [
    [0, "just now"],
    [42_000, "42 s ago"],
    [5 * 60_000, "5 min ago"],
    [3 * 3_600_000, "3 h ago"],
    [50 * 3_600_000, "2 d ago"],
  ];
  it.each(times)("says a runner seen %i ms ago was seen %s", (ms, words) => {
    const now = new Date("2025-03-04T10:12:00Z");
    expect(relativeTime(new Date(now.getTime() - ms).toISOString(), now)).toBe(words);
  });
});

describe("/momlink verify <host>", () => {
  it("checks the host's last succeeded change, names each dir that drifted, and leaves the record alone", async () => {
    rig = await startRig();
    await rig.startRunner(PRIMARY);
    await rig.startRunner(SECONDARY);
    const m = rig.bot.m;
    await m.command(rig.planText(), ALICE);
    const message = planMessagesIn(m.fake)[0]!;
    await m.click(message.ts, "momlink_approve", BOB);
    await rig.until(async () => (await m.store.get("CHG-1"))?.state === "succeeded", "CHG-1 to succeed");
    await rig.bot.orchestrator.settled();

    // Someone re-points mom-b's data by hand.
    await rm(join(rig.sandbox.secondaryEmHome, "data"));
    await symlink("/srv/elsewhere", join(rig.sandbox.secondaryEmHome, "data"));
    const reply = await m.command(`verify ${SECONDARY}`, ALICE);
    expect(ackText(reply)).toBe("Asking the runners to check mom-b…");
    await rig.bot.orchestrator.settled();

    const lines = (m.fake.api.ephemerals.at(-1)?.text ?? "").split("\n");
    expect(lines).toEqual([
      expect.stringMatching(
        new RegExp(
          `^✗ \\*Verify CHG-1\\* \\(asked by <@U0ALICE01> at ${SLACK_DATE}\\): the hosts are not as approved$`,
        ),
      ),
      "• mom-a (primary): every dir links to its target",
      `• mom-b (secondary): data in ${rig.sandbox.secondaryEmHome} is a link to /srv/elsewhere, not a link to ${rig.sandbox.share}/data`,
    ]);
    expect(threadReplies(m.fake, message.ts).at(-1)?.text).toBe(lines.join("\n"));
    expect((await m.store.get("CHG-1"))?.state).toBe("succeeded");
  });

  it("refuses an over-long change id as not an id, instead of verifying a rounded number", async () => {
    rig = await startRig();
    await rig.bot.m.command("verify CHG-99999999999999999999999", ALICE);
    expect(rig.bot.m.fake.api.ephemerals.at(-1)?.text).toBe(
      "momlink did not verify CHG-99999999999999999999999: `CHG-99999999999999999999999` is not a change id: its number has 23 digits, and momlink's have at most 9",
    );
  });

  it("says when a host has no change to verify against", async () => {
    rig = await startRig();
    await rig.bot.m.command("verify mom-z", ALICE);
    expect(rig.bot.m.fake.api.ephemerals.at(-1)?.text).toBe(
      "momlink did not verify mom-z: mom-z has no succeeded change to verify against (`/momlink history mom-z` lists its changes)",
    );
  });
});

describe("/momlink rollback", () => {
  it("refuses the requester alone, and is refused on a bot without runners", async () => {
    plain = await startMomlink();
    const usage = await plain.command("rollback", ALICE);
    expect(ackText(usage)).toBe("Usage: `/momlink rollback CHG-n`, e.g. `/momlink rollback CHG-12`.");
    await plain.command("rollback CHG-1", BOB);
    expect(plain.fake.api.ephemerals.at(-1)?.text).toMatch(
      /^momlink did not roll back CHG-1: this momlink runs without runners \(MOMLINK_RUNNER_PORT is not set\)/,
    );
  });

  it("is approver-only from the command too", async () => {
    rig = await startRig();
    await rig.startRunner(PRIMARY);
    await rig.startRunner(SECONDARY);
    const m = rig.bot.m;
    await m.command(rig.planText(), ALICE);
    // mom-b's service is started after pre-flight: its runner stops before any step, the change fails.
    rig.service[SECONDARY] = "active";
    await m.click(planMessagesIn(m.fake)[0]!.ts, "momlink_approve", BOB);
    await rig.until(async () => (await m.store.get("CHG-1"))?.state === "failed", "CHG-1 to fail");
    expect((await m.store.get("CHG-1"))?.failure?.reason).toMatch(
      /^mom-b \(secondary\): nothing ran there: stopped before any step: the host changed since the plan was approved; .*serviceStopped was true, is false$/,
    );

    await m.command("rollback CHG-1", ALICE);
    expect(m.fake.api.ephemerals.at(-1)?.text).toMatch(
      /^momlink did not roll back CHG-1: only an approver can roll back CHG-1/,
    );
    await m.command("rollback CHG-1", BOB);
    expect(m.fake.api.ephemerals.at(-1)?.text).toBe(
      "Rolling back CHG-1: the runners undo the secondary first, then the primary; the change's thread follows it.",
    );
    await rig.until(
      async () => (await m.store.get("CHG-1"))?.state === "rolled_back",
      "CHG-1 to be rolled back",
    );
  });
});
