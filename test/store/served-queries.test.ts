// Every statement on a path that serves a person (store/served-queries.ts, which the stores take
// their SQL from) is planned by SQLite against a database migrated by both schemas: none may SCAN a
// table that grows with history. A host's history must not sort all of the host's changes.
import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { DISPATCH_SCHEMA } from "../../src/dispatch/store.ts";
import { openDatabase } from "../../src/store/database.ts";
import { CHANGE_SCHEMA } from "../../src/store/migrations.ts";
import { GROWING_TABLES, SERVED } from "../../src/store/served-queries.ts";

const opened: DatabaseSync[] = [];
afterEach(() => {
  for (const db of opened.splice(0)) db.close();
});

function migrated(): DatabaseSync {
  const db = new DatabaseSync(":memory:");
  opened.push(db);
  openDatabase(db, { schemas: [CHANGE_SCHEMA, DISPATCH_SCHEMA] });
  // No ANALYZE, as on a new bot's file: the plans must not depend on statistics it does not have.
  return db;
}

interface PlanLine {
  id: number;
  parent: number;
  detail: string;
}

/** The plan's lines (`SEARCH changes USING INDEX ...`), as EXPLAIN QUERY PLAN gives them. */
function planOf(db: DatabaseSync, sql: string): PlanLine[] {
  // Numbered parameters (?1, ?2) count once each; plain ones once per mark.
  const numbered = new Set(sql.match(/\?\d+/g) ?? []).size;
  const count = numbered > 0 ? numbered : (sql.match(/\?/g) ?? []).length;
  return db
    .prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .all(...Array.from({ length: count }, () => null))
    .map((row) => ({ id: Number(row.id), parent: Number(row.parent), detail: String(row.detail) }));
}

const details = (lines: PlanLine[]) => lines.map((l) => l.detail);

const scans = (lines: PlanLine[]) =>
  details(lines).filter((line) => GROWING_TABLES.some((t) => new RegExp(`^SCAN ${t}\\b`).test(line)));

/** The lines under each sub-select SQLite runs as a co-routine (a host's history: one per half). */
function coroutines(lines: PlanLine[]): string[][] {
  return lines
    .filter((l) => l.detail.startsWith("CO-ROUTINE"))
    .map((co) => details(lines.filter((l) => l.parent === co.id)));
}

describe("the statements on a served path", () => {
  it.each(Object.entries(SERVED))("%s scans no table that grows with history", (_name, query) => {
    const lines = planOf(migrated(), query.sql);
    // An INSERT plans nothing: it reads only the unique indexes it must keep.
    if (!query.sql.trimStart().startsWith("INSERT")) expect(lines.length).toBeGreaterThan(0);
    expect(scans(lines), `${query.serves}:\n${details(lines).join("\n")}`).toEqual([]);
  });

  it("the check catches a scan: the render's read of a change's jobs, without the index by change", () => {
    const db = migrated();
    db.exec("DROP INDEX dispatch_jobs_change");
    expect(scans(planOf(db, SERVED.jobsOfChange.sql))).toEqual(["SCAN dispatch_jobs"]);
  });

  it("a person's changes come from the index by requester, in seq order, without a sort", () => {
    const lines = details(planOf(migrated(), SERVED.requesterChanges.sql));
    // Without the index the plan is a search of the rowid range: every change since the cursor,
    // everyone's, read to find one person's.
    expect(lines).toEqual([
      expect.stringMatching(/^SEARCH changes USING INDEX changes_requester_seq \(requester=\? AND seq<\?\)$/),
    ]);
  });

  it.each(["hostChanges", "hostChangesInStates"] as const)(
    "%s reads each half from an index in seq order, up to the limit, without sorting the host's changes",
    (name) => {
      const halves = coroutines(planOf(migrated(), SERVED[name].sql));
      expect(halves).toHaveLength(2);
      for (const half of halves) {
        expect(
          half.some((l) =>
            /^SEARCH changes USING (COVERING )?INDEX changes_(primary|secondary)_seq /.test(l),
          ),
        ).toBe(true);
        expect(
          half.filter((l) => l.includes("TEMP B-TREE")),
          half.join("\n"),
        ).toEqual([]);
      }
    },
  );

  it("the check catches a sort of a host's changes: the half on the lock's index sorts before its limit", () => {
    const db = migrated();
    db.exec("DROP INDEX changes_primary_seq");
    const [primary] = coroutines(planOf(db, SERVED.hostChanges.sql));
    expect(primary).toContain("USE TEMP B-TREE FOR ORDER BY");
  });
});
