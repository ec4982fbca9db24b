// What a start does with requests an earlier process received and never finished (change/inbox.ts),
// through the real Bolt app: rows put in the inbox as a killed bot leaves them, then a new bot on
// the same database and Slack. (The kill itself, with real processes: test/e2e/acked-requests.)
import { afterEach, describe, expect, it } from "vitest";
import { openSqliteStore } from "../../src/store/sqlite.ts";
import { slackDate } from "../support/dates.ts";
import {
  ALICE,
  BOB,
  CHANNEL,
  DAVE,
  type Momlink,
  PLAN_TEXT,
  planMessagesIn,
  startMomlink,
  T0,
} from "./support.ts";

let first: Momlink | undefined;
let m: Momlink | undefined;
afterEach(async () => {
  await m?.stop();
  await first?.stop();
  first = undefined;
  m = undefined;
});

/** A bot that planned CHG-1, stopped; its database (with `rows` added) opened by a new bot on the same Slack. */
async function restartedWith(
  rows: (store: ReturnType<typeof openSqliteStore>, hash: string) => Promise<void>,
) {
  first = await startMomlink();
  await first.command(PLAN_TEXT, ALICE);
  const hash = (await first.store.get("CHG-1"))!.planHash;
  await first.stop({ keepFake: true });
  // The rows are the killed process's (received under its owner id); the new bot is another owner.
  const killed = openSqliteStore(first.dbPath);
  await rows(killed, hash);
  await killed.close();
  const store = openSqliteStore(first.dbPath);
  m = await startMomlink({ fake: first.fake, dbPath: first.dbPath, store });
  return m;
}

describe("requests left unfinished by an earlier process", () => {
  it("are decided at start as they would have been, and a refusal is told privately with its reason", async () => {
    const bot = await restartedWith(async (store, hash) => {
      for (const [actor, second] of [
        [DAVE, "1"],
        [BOB, "2"],
      ] as const) {
        await store.inbox.receive({
          key: `action:${actor}:1741083120.00000${second}`,
          kind: "approve",
          changeId: "CHG-1",
          actor,
          channel: CHANNEL,
          payload: { hash },
          receivedAt: T0,
        });
      }
    });
    expect(await bot.handle.finishReceived()).toBe(2);

    expect(await bot.store.get("CHG-1")).toMatchObject({ state: "approved", approvals: [{ actor: BOB }] });
    expect(bot.fake.api.ephemerals.map((e) => [e.user, e.text])).toEqual([
      [
        DAVE,
        `momlink restarted before it had finished your approval of CHG-1 (received ${slackDate(T0)}): it was not recorded: you are not an approver for momlink (approvers: @mom-approvers).`,
      ],
      [
        BOB,
        `momlink restarted before it had finished your approval of CHG-1 (received ${slackDate(T0)}): it is recorded, and CHG-1 is now approved.`,
      ],
    ]);
    const message = planMessagesIn(bot.fake)[0]!;
    expect(bot.fake.api.callsTo("chat.update").map((c) => c.params.ts)).toContain(message.ts);
    expect(await bot.store.inbox.unfinished()).toEqual([]);
    expect(await bot.handle.finishReceived()).toBe(0); // read once, at registration
  });

  it("set aside a row this build cannot read, with an error in the log, instead of retrying it at every start", async () => {
    const bot = await restartedWith(async (store) => {
      await store.inbox.receive({
        key: "action:U0BOB0001:1.1",
        kind: "teleport",
        changeId: "CHG-1",
        actor: BOB,
        channel: CHANNEL,
        payload: {},
        receivedAt: T0,
      });
    });
    expect(await bot.handle.finishReceived()).toBe(0);

    expect(await bot.store.inbox.unfinished()).toEqual([]);
    expect(bot.logs.some((l) => l.msg === "an unreadable request was set aside" && l.level === 50)).toBe(
      true,
    );
    expect((await bot.store.get("CHG-1"))?.state).toBe("awaiting_approval");
  });
});
