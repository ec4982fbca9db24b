// An acknowledged click is a durable fact, with nothing in-process: `momlink serve` (HTTP mode,
// group approvers, the runner API on) against the fake Slack. Slack is made to hang on the calls a
// decision waits for (the approver group's members; the plan message's post), every kind of
// request is sent and acked, and the bot is killed with SIGKILL in that gap. Started again with
// a Slack that answers, it finishes each one: recorded in the store, the message updated, the
// person told privately; and a redelivered click is dropped, though the process that saw it died.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type FakeSlack,
  interactiveBody,
  postSigned,
  slashCommandBody,
  startFakeSlack,
  TEST_BOT_TOKEN,
  TEST_SIGNING_SECRET,
} from "../harness/index.ts";
import { freePort, type RunningMomlink, runMomlink, spawnMomlink } from "../support/cli.ts";

const ALICE = "U0ALICE01"; // requester
const BOB = "U0BOB0001"; // in the approver group
const CAROL = "U0CAROL01"; // in the approver group
const GROUP = { id: "S0APPROVE1", handle: "mom-approvers", users: [BOB, CAROL] };

let fake: FakeSlack;
let dir: string;
let env: Record<string, string>;
let slackUrl: string;
let bot: RunningMomlink | undefined;

async function startBot(): Promise<RunningMomlink> {
  bot = await spawnMomlink(["serve"], { cwd: dir, env, until: ["momlink is running"] });
  return bot;
}

async function send(kind: "command" | "interactive", payload: object): Promise<unknown> {
  const body =
    kind === "command" ? slashCommandBody(payload as Record<string, string>) : interactiveBody(payload);
  const response = await postSigned(slackUrl, body, { secret: TEST_SIGNING_SECRET });
  expect(response.status).toBe(200);
  const text = await response.text();
  return text === "" ? undefined : JSON.parse(text);
}

const command = (user: string, text: string) =>
  send("command", fake.api.slashCommand({ text, userId: user }));

async function record(id: string) {
  const run = await runMomlink(["records", "show", id, "--json"], { cwd: dir, env });
  if (run.exitCode !== 0) throw new Error(String(run.stderr));
  return JSON.parse(String(run.stdout)) as {
    state: string;
    approvals: Array<{ actor: string }>;
    rollbackApprovals: Array<{ actor: string }>;
    rejection: { actor: string; reason: string } | null;
    cancellation: { actor: string; reason: string | null } | null;
    events: Array<{ event: string; actor: string }>;
  };
}

/** The channel message of a change, once posted. */
async function planMessage(id: string, since = 0) {
  const post = await fake.api.waitFor(
    "chat.postMessage",
    (c) => new RegExp(`^\\S+ ${id} `).test(String(c.params.text)),
    {
      since,
      timeoutMs: 15_000,
    },
  );
  return String(post.response.ts);
}

const told = (user: string, fragment: string, since: number) =>
  fake.api.waitFor(
    "chat.postEphemeral",
    (c) => c.params.user === user && String(c.params.text).includes(fragment),
    { since, timeoutMs: 15_000 },
  );

beforeAll(async () => {
  fake = await startFakeSlack({
    users: [
      { id: ALICE, name: "alice" },
      { id: BOB, name: "bob" },
      { id: CAROL, name: "carol" },
    ],
    usergroups: [GROUP],
  });
  dir = mkdtempSync(join(tmpdir(), "momlink-acked-"));
  const [port, runnerPort] = [await freePort(), await freePort()];
  slackUrl = `http://127.0.0.1:${port}/slack/events`;
  env = {
    MOMLINK_DB: join(dir, "momlink.db"),
    LOG_LEVEL: "info",
    SLACK_BOT_TOKEN: TEST_BOT_TOKEN,
    SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
    SLACK_API_URL: fake.url,
    PORT: String(port),
    MOMLINK_APPROVERS: GROUP.id,
    // Runners on (no runner registered): approved changes fail at once, and can be rolled back.
    MOMLINK_RUNNER_PORT: String(runnerPort),
    MOMLINK_RUNNER_HOST: "127.0.0.1",
  };
});

afterAll(async () => {
  await bot?.stop();
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("a bot killed right after acking", () => {
  it("finishes every acked click, form and command at its next start, and drops a redelivered click", async () => {
    // --- first run: four changes; CHG-4 approved (and failed: no runner); a reject form opened on CHG-2.
    await startBot();
    const ts: Record<string, string> = {};
    const pairs = [
      "mom-a secondary=mom-b",
      "mom-c secondary=mom-d",
      "mom-e secondary=mom-f",
      "mom-g secondary=mom-h",
    ];
    for (const [i, pair] of pairs.entries()) {
      await command(ALICE, `plan primary=${pair} em-home=D:\\EM share=\\\\san-server\\mom-failover`);
      ts[`CHG-${i + 1}`] = await planMessage(`CHG-${i + 1}`);
    }
    await send(
      "interactive",
      fake.api.blockActions({ messageTs: ts["CHG-4"]!, actionId: "momlink_approve", userId: BOB }),
    );
    await fake.api.waitFor("chat.update", (c) => /^\S+ CHG-4 .*: failed$/.test(String(c.params.text)), {
      timeoutMs: 15_000,
    });
    await send(
      "interactive",
      fake.api.blockActions({ messageTs: ts["CHG-2"]!, actionId: "momlink_reject", userId: CAROL }),
    );
    const opened = await fake.api.waitFor("views.open", undefined, { timeoutMs: 15_000 });
    const rejectView = (opened.response.view as { id: string }).id;
    await bot!.stop();

    // --- second run: Slack hangs on group members and on posting; every request is acked, then SIGKILL.
    fake.api.holdCalls("usergroups.users.list");
    fake.api.holdCalls("chat.postMessage");
    await startBot();
    const hanging = fake.api.mark();
    const approveClick = fake.api.blockActions({
      messageTs: ts["CHG-1"]!,
      actionId: "momlink_approve",
      userId: BOB,
    });
    expect(await send("interactive", approveClick)).toBeUndefined();
    expect(
      await send(
        "interactive",
        fake.api.viewSubmission({
          viewId: rejectView,
          values: { reason: { value: "wrong share" } },
          userId: CAROL,
        }),
      ),
    ).toBeUndefined();
    await command(ALICE, "cancel CHG-3 not needed");
    await send(
      "interactive",
      fake.api.blockActions({ messageTs: ts["CHG-4"]!, actionId: "momlink_rollback", userId: BOB }),
    );
    expect(
      await command(
        ALICE,
        "plan primary=mom-i secondary=mom-j em-home=D:\\EM share=\\\\san-server\\mom-failover",
      ),
    ).toEqual({
      response_type: "ephemeral",
      text: "Planning mom-i + mom-j: the preview will be posted in this channel for approval.",
    });
    await fake.api.waitFor("usergroups.users.list", undefined, { since: hanging, timeoutMs: 15_000 });
    await planMessage("CHG-5", hanging); // held: never answered
    expect((await record("CHG-1")).approvals).toEqual([]); // nothing decided yet
    await bot!.kill("SIGKILL");

    // --- third run: Slack answers again; everything acked before the kill is finished.
    fake.api.releaseCalls("usergroups.users.list");
    fake.api.releaseCalls("chat.postMessage");
    const restarted = fake.api.mark();
    const third = await startBot();
    await told(BOB, "your approval of CHG-1", restarted);
    await told(CAROL, "your rejection of CHG-2", restarted);
    await told(ALICE, "your cancellation of CHG-3", restarted);
    await told(BOB, "your approval of the rollback of CHG-4", restarted);
    const planTold = await told(ALICE, "your plan", restarted);
    expect(String(planTold.params.text)).toMatch(/: CHG-5 is posted in this channel for approval\.$/);

    const chg1 = await record("CHG-1");
    expect(chg1.approvals.map((a) => a.actor)).toEqual([BOB]);
    expect(chg1.events.filter((e) => e.event === "approve")).toEqual([
      expect.objectContaining({ actor: BOB }),
    ]);
    await fake.api.waitFor("chat.update", (c) => c.params.ts === ts["CHG-1"], {
      since: restarted,
      timeoutMs: 15_000,
    });
    expect(await record("CHG-2")).toMatchObject({
      state: "rejected",
      rejection: { actor: CAROL, reason: "wrong share" },
    });
    expect(await record("CHG-3")).toMatchObject({
      state: "cancelled",
      cancellation: { actor: ALICE, reason: "not needed" },
    });
    const chg4 = await record("CHG-4");
    expect(chg4.rollbackApprovals.map((a) => a.actor)).toEqual([BOB]);
    expect(chg4.events.map((e) => `${e.event} ${e.actor}`)).toContain(`rollback ${BOB}`);
    await planMessage("CHG-5", restarted);
    expect((await record("CHG-5")).state).toBe("awaiting_approval");

    // Slack sends the acked click again: the restarted bot knows it, and does not decide it twice.
    expect(await send("interactive", approveClick)).toBeUndefined();
    await third.waitFor("redelivered request ignored (already received)");
    expect((await record("CHG-1")).events.filter((e) => e.event === "approve")).toHaveLength(1);
  });
});
