// The change layer on its own, with no Slack: the real SQLite store in a temporary directory, the
// real state machine, and recording doubles for the ports a front end and the runners provide
// (the presenter, group membership, the runners), so a test sees what a use-case decided, wrote
// and asked to be shown.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Changes, createChanges } from "../../src/change/index.ts";
import type { Audience, ChangeNews, ChangeView, Presenter } from "../../src/change/ports/presenter.ts";
import type { Runners } from "../../src/change/ports/runners.ts";
import { parsePlanText } from "../../src/domain/grammar.ts";
import type { PairSpec } from "../../src/domain/pair.ts";
import type { ApprovalPolicy } from "../../src/domain/policy.ts";
import { createLogger } from "../../src/log.ts";
import { openSqliteStore } from "../../src/store/sqlite.ts";
import type { ChangeStore } from "../../src/store/store.ts";
import { type DrivenClock, drivenClock } from "../support/clock.ts";

export const T0 = new Date("2025-06-02T09:00:00.000Z");
export const ALICE = "U0ALICE01"; // requester
export const BOB = "U0BOB0001"; // approver by user id
export const CAROL = "U0CAROL01"; // approver through @ops
export const DAVE = "U0DAVE001"; // neither
export const CHANNEL = "C0OPS0001";

export const POLICY: ApprovalPolicy = {
  approvers: { users: [BOB], groups: ["@ops"] },
  requiredApprovals: 1,
  fourEyes: true,
  ttlMinutes: 30,
};

export function pairSpec(primary = "mom-a", secondary = "mom-b"): PairSpec {
  const parsed = parsePlanText(
    `primary=${primary} secondary=${secondary} em-home=D:\\Introscope\\EM share=\\\\san-server\\mom-failover`,
    { allowedDirs: ["config", "data"] },
  );
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.value;
}

/** What the change layer asked the presenter, in order. */
export type Shown =
  | { posted: ChangeView }
  | { shown: ChangeView | null }
  | { told: string; news: ChangeNews; audience?: Audience | undefined }
  | { recovered: string; answer: unknown };

export interface ChangeRig {
  changes: Changes;
  store: ChangeStore;
  clock: DrivenClock;
  shown: Shown[];
  /** The changes handed to the runners, by hook. */
  handed: { approved: string[]; rollback: string[] };
  /** Makes the next posts fail with this Slack-like error, or succeed again with null. */
  failPosts(error: string | null): void;
  /** Starts the change layer again on the same database, as a restarted process does. */
  restart(): Promise<ChangeRig>;
  close(): Promise<void>;
}

export async function startChangeRig(
  options: { runners?: boolean; dir?: string; clock?: DrivenClock } = {},
): Promise<ChangeRig> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "momlink-change-"));
  const store = openSqliteStore(join(dir, "momlink.db"));
  const clock = options.clock ?? drivenClock(T0);
  const shown: Shown[] = [];
  const handed = { approved: [] as string[], rollback: [] as string[] };
  let postError: string | null = null;
  let posts = 0;
  const presenter: Presenter = {
    async post(view, posted) {
      shown.push({ posted: view });
      if (postError !== null) return { ok: false, error: postError };
      posts += 1;
      await posted(CHANNEL, `1700000000.${String(posts).padStart(6, "0")}`);
      return { ok: true };
    },
    async show(_changeId, current) {
      shown.push({ shown: await current() });
      return { ok: true };
    },
    async tell(record, news, audience) {
      shown.push({ told: record.id, news, audience });
    },
    async hostOutcome() {},
    async permalink(record) {
      return record.messageTs === null
        ? null
        : `https://slack.example/archives/${CHANNEL}/p${record.messageTs}`;
    },
    async recovered(request, answer) {
      shown.push({ recovered: request.key, answer });
    },
  };
  const runners: Runners = {
    preflight: async () => null,
    approved: async (change) => void handed.approved.push(change.id),
    rollback: async (change) => void handed.rollback.push(change.id),
  };
  const changes = createChanges({
    store,
    policy: POLICY,
    allowedDirs: ["config", "data"],
    now: clock.now,
    logger: createLogger({ level: "silent" }),
    identity: { groupsOf: async (user) => ({ groups: user === CAROL ? ["@ops"] : [] }) },
    presenter,
    afterPendingAcks: async () => {},
    leftovers: await store.inbox.unfinished(),
    ...(options.runners === false ? {} : { runners }),
  });
  let closed = false;
  return {
    changes,
    store,
    clock,
    shown,
    handed,
    failPosts: (error) => {
      postError = error;
    },
    async restart() {
      if (!closed) await store.close();
      closed = true;
      return startChangeRig({ ...options, dir, clock });
    },
    async close() {
      if (!closed) await store.close();
      closed = true;
      if (options.dir === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}
