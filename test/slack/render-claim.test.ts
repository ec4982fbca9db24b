// Two replicas' presenters (two gates, two pools on one real PostgreSQL, one fake Slack from
// test/harness) rendering the same change message at once (issue 12, src/slack/render-claim.ts):
// Slack's last view is always the newest state and no update repeats the one before it. Each
// round makes the race that leaves an older view without the message lock: replica A renders and
// is held on its way to Slack; the store moves on; replica B renders the newer view (and sends it,
// without the lock); then A is let go. Bounded: a few rounds, every wait with a time limit.
import { webApi } from "@slack/bolt";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type MessageRenders, RenderLockUnavailable } from "../../src/change/ports/message-renders.ts";
import type { ChangeView } from "../../src/change/ports/presenter.ts";
import { LOCAL_CHANNEL } from "../../src/console/local-slack/payloads.ts";
import type { ChangeRecord } from "../../src/domain/record.ts";
import { createLogger } from "../../src/log.ts";
import { createSlackPresenter, type SlackPresenter } from "../../src/slack/presenter.ts";
import { sendUnlessShown, stampOf } from "../../src/slack/render-claim.ts";
import { openPostgresStore } from "../../src/store/postgres/change-store.ts";
import { openPostgres, type PostgresConnection } from "../../src/store/postgres/connect.ts";
import type { ChangeStore } from "../../src/store/store.ts";
import { type FakeSlack, fakeClientOptions, startFakeSlack, TEST_BOT_TOKEN } from "../harness/index.ts";
import {
  A1,
  approveAs,
  changeInput,
  driveTo,
  LATER,
  mustApply,
  POLICY,
} from "../store/change-store.contract.ts";
import {
  findPostgresBin,
  POSTGRES_INSTALL_HINT,
  type PostgresServer,
  startPostgres,
} from "../support/postgres.ts";
import { waitFor } from "../support/watch.ts";
import { visibleText } from "./support.ts";

const bin = findPostgresBin();
if (bin === null) console.warn(`skipping the two-replica render tests: ${POSTGRES_INSTALL_HINT}`);

const ROUNDS = 5;
/** No pacing between writes: the race, not Slack's limits, is under test (rate-limits.test.ts has those). */
const UNPACED = { messageIntervalMs: 0, channelWrites: 1000, channelWindowMs: 1000 };

let pg: PostgresServer;
let fake: FakeSlack;
let databases = 0;
const closers: Array<() => Promise<void>> = [];

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Where a replica's next chat.update stops, once it rendered, until the test lets it go. */
interface Hold {
  reached: ReturnType<typeof deferred>;
  go: ReturnType<typeof deferred>;
}

interface Replica {
  store: ChangeStore;
  presenter: SlackPresenter;
  /** Set to stop this replica's next chat.update, already rendered, before it reaches Slack. */
  hold: Hold | null;
}

/** One replica: its own pool and store on the shared database, its own presenter and gate. */
async function replica(url: string): Promise<Replica> {
  const store = await openPostgresStore(url, { maxConnections: 4 });
  closers.push(() => store.close());
  const client = new webApi.WebClient(TEST_BOT_TOKEN, fakeClientOptions(fake));
  const self: Replica = { store, presenter: undefined as never, hold: null };
  const update = client.chat.update.bind(client.chat);
  client.chat.update = async (args) => {
    const hold = self.hold;
    self.hold = null;
    if (hold !== null) {
      hold.reached.resolve();
      await hold.go.promise;
    }
    return update(args);
  };
  self.presenter = createSlackPresenter({
    client,
    logger: createLogger({ level: "silent" }),
    policy: POLICY,
    now: () => LATER,
    runners: true,
    limits: UNPACED,
    renders: store.renders,
  });
  return self;
}

describe.skipIf(bin === null)("two replicas updating one change message", () => {
  beforeAll(async () => {
    pg = await startPostgres();
  }, 90_000);
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await fake?.close();
  });
  afterAll(async () => {
    await pg?.close();
  });

  it("Slack ends every round on the newest view, and no update repeats the one before it", async () => {
    fake = await startFakeSlack();
    const url = await pg.createDatabase(`renders_${++databases}`);
    const a = await replica(url);
    const b = await replica(url);
    const watcher: PostgresConnection = openPostgres(url, { max: 1 });
    closers.push(() => watcher.close());

    // The runners' progress as the store holds it: it only moves on (a step event per position).
    let position = 1;
    const progressNow = () => ({
      preflightNotes: [`runner at position ${position}`],
      runs: [],
      failover: null,
    });
    const viewFrom = (store: ChangeStore, id: string) => async (): Promise<ChangeView | null> => {
      const record = await store.get(id);
      return record === null ? null : { record, progress: progressNow() };
    };

    const created = await a.store.createChange({ ...changeInput(), channel: LOCAL_CHANNEL.id });
    if (!created.ok) throw new Error("no change");
    let record: ChangeRecord = await driveTo(a.store, "awaiting_approval", created.record);
    const posted = await a.presenter.post({ record, progress: progressNow() }, async (channel, ts) => {
      await a.store.setMessage(record.id, channel, ts);
    });
    expect(posted).toEqual({ ok: true });
    const stored = await a.store.get(record.id);
    if (stored?.channel == null || stored.messageTs === null) throw new Error("the message was not recorded");
    const { channel, messageTs: ts } = stored;
    const shownText = () => visibleText(fake.api.message(channel, ts) ?? {});

    for (let round = 1; round <= ROUNDS; round += 1) {
      // A step event; replica A renders it and is held on its way to Slack.
      position += 1;
      const hold: Hold = { reached: deferred(), go: deferred() };
      a.hold = hold;
      const shownByA = a.presenter.show(record.id, viewFrom(a.store, record.id));
      await hold.reached.promise;
      // The store moves on (another step event, an approval in the third round); B renders that.
      position += 1;
      if (round === 3) record = await mustApply(a.store, record.id, approveAs(A1, record), LATER);
      let bDone = false;
      const shownByB = b.presenter.show(record.id, viewFrom(b.store, record.id)).finally(() => {
        bDone = true;
      });
      // B has sent, or it waits for A's lock on the message: either way A may go now.
      await waitFor(
        "replica B to send or to wait for the message's lock",
        async () => {
          if (bDone) return true;
          const { rows } = await watcher.pool.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
          );
          return (rows[0]?.n ?? 0) > 0 ? true : undefined;
        },
        { timeoutMs: 30_000, everyMs: 20 },
      );
      hold.go.resolve();
      expect(await Promise.all([shownByA, shownByB])).toEqual([{ ok: true }, { ok: true }]);
      expect(shownText(), `round ${round}`).toContain(`runner at position ${position}`);
      // Both replicas asked again with nothing new (a sweep, a second report): nothing to send.
      await Promise.all([
        a.presenter.show(record.id, viewFrom(a.store, record.id)),
        b.presenter.show(record.id, viewFrom(b.store, record.id)),
      ]);
    }

    expect(shownText()).toContain(`runner at position ${2 * ROUNDS + 1}`);
    expect(shownText()).toContain("Approved");
    const updates = fake.api
      .callsTo("chat.update")
      .filter((call) => call.params.ts === ts)
      .map((call) => JSON.stringify({ text: call.params.text, blocks: call.params.blocks }));
    expect(updates.length).toBeGreaterThanOrEqual(2 * ROUNDS);
    const repeats = updates.filter((update, i) => i > 0 && update === updates[i - 1]);
    expect(repeats, "an update sent the view already shown").toEqual([]);
  }, 120_000);
});

describe("an update when the store's message lock cannot be had", () => {
  it("goes as it would without replicas, and says so in the log", async () => {
    const logged: string[] = [];
    const logger = createLogger({
      level: "warn",
      destination: { write: (line: string) => void logged.push(line) },
    });
    const unreachable: MessageRenders = {
      withMessage: async () => {
        throw new RenderLockUnavailable("the database is unavailable, try again in a moment");
      },
    };
    const sent: string[] = [];
    const key = { changeId: "CHG-7", channel: "C1", ts: "1.2" };
    const render = async () => ({ message: "view v3", view: null, stamp: stampOf(3, "view v3") });
    const out = await sendUnlessShown({ renders: unreachable, logger }, key, render, async (message) => {
      sent.push(message);
    });
    expect(out.verdict).toBe("send");
    expect(sent).toEqual(["view v3"]);
    expect(logged.join("")).toContain("updating it without comparing renders");
    expect(logged.join("")).toContain("CHG-7");
  });
});
