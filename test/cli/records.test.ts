// `momlink records ...` reads the store the bot writes: list, show and the auditor's export.

import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parsePlanTokens } from "../../src/domain/grammar.ts";
import { plainPhrase } from "../../src/domain/phrase.ts";
import { buildPlan } from "../../src/domain/plan.ts";
import type { ApprovalPolicy } from "../../src/domain/policy.ts";
import type { ChangeEvent, ChangeRecord } from "../../src/domain/record.ts";
import { openSqliteStore } from "../../src/store/sqlite.ts";
import type { ChangeStore } from "../../src/store/store.ts";
import { runMomlink } from "../support/cli.ts";

const policy: ApprovalPolicy = {
  approvers: { users: [], groups: [] },
  requiredApprovals: 1,
  fourEyes: true,
  ttlMinutes: 30,
};
let dir: string;
let db: string;
let hash: string;

const now = new Date("2026-11-26T10:00:00.000Z");

/** A change requested by UALICE000 for `primary` + `secondary`, as the bot would create it. */
async function createFixture(store: ChangeStore, primary: string, secondary: string): Promise<ChangeRecord> {
  const spec = parsePlanTokens([
    `primary=${primary}`,
    `secondary=${secondary}`,
    "em-home=D:\\Introscope\\EM",
    "share=\\\\san-server\\mom-failover",
  ]);
  if (!spec.ok) throw new Error("fixture spec must be valid");
  const created = await store.createChange({
    requester: "UALICE000",
    channel: "C0LOCAL01",
    plan: (id) => buildPlan({ spec: spec.value, changeId: id }),
    hosts: { primary, secondary },
    now,
    ttlMinutes: 30,
  });
  if (!created.ok) throw new Error("fixture change must be created");
  return created.record;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "momlink-records-"));
  db = join(dir, "momlink.db");
  const store = openSqliteStore(db);
  const created = { record: await createFixture(store, "mom-a", "mom-b") };
  hash = created.record.planHash;
  const ctx = { now, policy };
  expect((await store.apply(created.record.id, { type: "preflight-complete" }, ctx)).ok).toBe(true);
  // A display name that a spreadsheet would run as a formula: the CSV must neutralise it.
  expect(
    (
      await store.apply(
        created.record.id,
        { type: "approve", actor: "=HYPERLINK(1)", actorGroups: [], hash },
        ctx,
      )
    ).ok,
  ).toBe(true);
  await store.close();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const momlink = (...args: string[]) => runMomlink(args, { cwd: dir, env: { MOMLINK_DB: db } });

describe("momlink records", () => {
  it("lists changes with their state and pair", async () => {
    const text = await momlink("records", "list");
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toMatch(/CHG-1\s+approved\s+mom-a \+ mom-b\s+UALICE000/);
    const json = await momlink("records", "list", "--json");
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({ id: "CHG-1", state: "approved", hash }),
    ]);
  });

  it("shows one change as JSON with id, state, requester, hash and every event", async () => {
    const { exitCode, stdout } = await momlink("records", "show", "chg-1", "--json");
    expect(exitCode).toBe(0);
    const record = JSON.parse(stdout) as {
      id: string;
      state: string;
      requester: string;
      hash: string;
      events: { event: string }[];
    };
    expect(record).toMatchObject({ id: "CHG-1", state: "approved", requester: "UALICE000", hash });
    expect(record.events.map((e) => e.event)).toEqual(["create", "preflight-complete", "approve"]);
  });

  it("says so when a change does not exist", async () => {
    const { exitCode, stderr } = await momlink("records", "show", "CHG-99");
    expect(exitCode).toBe(1);
    expect(stderr).toContain("no change CHG-99");
  });

  it("refuses an over-long change id as not an id, with status 2, instead of looking up a rounded number", async () => {
    const { exitCode, stderr } = await momlink("records", "show", "CHG-99999999999999999999999");
    expect(exitCode).toBe(2);
    expect(stderr).toContain("`CHG-99999999999999999999999` is not a change id: its number has 23 digits");
    expect(stderr).not.toContain("e+");
  });

  it("exports the audit log as JSON lines and as CSV an auditor can open safely", async () => {
    const jsonl = await momlink("records", "export", "--format", "jsonl");
    const lines = jsonl.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { seq: number; event: string });
    expect(lines.map((l) => l.event)).toEqual(["create", "preflight-complete", "approve"]);
    expect(lines.map((l) => l.seq)).toEqual([...lines.map((l) => l.seq)].sort((a, b) => a - b));

    const csv = await momlink("records", "export", "--format", "csv");
    const rows = csv.stdout.trim().split("\n");
    expect(rows[0]).toBe("seq,changeId,at,actor,event,fromState,toState,planHash,details,ticket,reason");
    expect(rows).toHaveLength(4);
    expect(rows[3]).toContain(`"'=HYPERLINK(1)"`);
    expect(rows[3]).toContain(hash);
  });

  it.each([
    ["list", ["records", "list"]],
    ["show", ["records", "show", "CHG-1"]],
    ["export", ["records", "export", "--format", "csv"]],
  ])(
    "records %s refuses a database that does not exist, naming MOMLINK_DB and the path, and creates none",
    async (_name, args) => {
      const missing = join(dir, "typo", "momlink.db");
      const out = await runMomlink(args, { cwd: dir, env: { MOMLINK_DB: missing } });
      expect(out.exitCode).toBe(2);
      expect(out.stdout).toBe("");
      expect(out.stderr).toContain(`MOMLINK_DB=${missing}: there is no database at ${missing}`);
      expect(existsSync(join(dir, "typo"))).toBe(false);
    },
  );

  it("refuses an unknown export format with an example", async () => {
    const { exitCode, stderr } = await momlink("records", "export", "--format", "xml");
    expect(exitCode).toBe(2);
    expect(stderr).toContain("--format must be jsonl or csv");
  });
});

describe("momlink records show, for a change being rolled back", () => {
  it("keeps the rollback's approvals apart from the change's", async () => {
    const rollbackDb = join(dir, "rollback.db");
    const two: ApprovalPolicy = {
      approvers: { users: ["UBOB00001", "UCAROL001"], groups: [] },
      requiredApprovals: 2,
      fourEyes: true,
      ttlMinutes: 30,
    };
    const store = openSqliteStore(rollbackDb);
    const { id, planHash } = await createFixture(store, "mom-c", "mom-d");
    const ctx = { now, policy: two };
    const events: ChangeEvent[] = [
      { type: "preflight-complete" },
      { type: "approve", actor: "UBOB00001", actorGroups: [], hash: planHash },
      { type: "approve", actor: "UCAROL001", actorGroups: [], hash: planHash },
      { type: "start-execution" },
      { type: "fail", reason: "mklink: 1314" },
      { type: "rollback", actor: "UCAROL001", actorGroups: [], hash: planHash },
    ];
    for (const event of events) {
      const applied = await store.apply(id, event, ctx);
      if (!applied.ok) throw new Error(plainPhrase(applied.reason));
    }
    await store.close();

    const shown = await runMomlink(["records", "show", id, "--json"], {
      cwd: dir,
      env: { MOMLINK_DB: rollbackDb },
    });
    expect(shown.exitCode).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      state: "failed",
      approvals: [
        { actor: "UBOB00001", hash: planHash },
        { actor: "UCAROL001", hash: planHash },
      ],
      rollbackApprovals: [{ actor: "UCAROL001", hash: planHash, round: 1 }],
    });
  });

  it("shows the proof of failover a services=manage run ended on, top-level and in its event", async () => {
    const failoverDb = join(dir, "failover.db");
    const store = openSqliteStore(failoverDb);
    const { id, planHash } = await createFixture(store, "mom-e", "mom-f");
    const failover = {
      outcome: "proven",
      verdict: "primary-active-secondary-standing-by",
      summary: "mom-e is the active EM; mom-f stands by on secondary_em.lck",
      hosts: [{ host: "mom-e", role: "primary", verdict: "primary-active" }],
    };
    const events: ChangeEvent[] = [
      { type: "preflight-complete" },
      { type: "approve", actor: "UBOB00001", actorGroups: [], hash: planHash },
      { type: "start-execution" },
      { type: "succeed", failover },
    ];
    for (const event of events) {
      const applied = await store.apply(id, event, { now, policy });
      if (!applied.ok) throw new Error(plainPhrase(applied.reason));
    }
    await store.close();
    const env = { MOMLINK_DB: failoverDb };
    const json = await runMomlink(["records", "show", id, "--json"], { cwd: dir, env });
    const shown = JSON.parse(json.stdout) as {
      failover: unknown;
      events: { event: string; details: object }[];
    };
    expect(shown.failover).toEqual(failover);
    expect(shown.events.at(-1)).toMatchObject({ event: "succeed", details: { failover } });
    const text = await runMomlink(["records", "show", id], { cwd: dir, env });
    expect(text.stdout).toContain(
      "failover   proven: mom-e is the active EM; mom-f stands by on secondary_em.lck",
    );
  });
});
