// `momlink records list|show|export`: the auditor's view of the same store the bot writes.
import { parseChangeId } from "../domain/change-id.ts";
import type { ChangeRecord } from "../domain/record.ts";
import { shortHash } from "../domain/shorten.ts";
import type { ChangeStore, StoredAuditEntry } from "../store/store.ts";
import type { CommandIo } from "./plan.ts";
import { table } from "./table.ts";

const EXIT_NOT_FOUND = 1;
const EXIT_USAGE = 2;

function summary(record: ChangeRecord) {
  return {
    id: record.id,
    state: record.state,
    requester: record.requester,
    primary: record.hosts.primary,
    secondary: record.hosts.secondary,
    hash: record.planHash,
    ticket: record.plan.ticket ?? null,
    reason: record.plan.reason ?? null,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    expiresAt: record.expiresAt,
  };
}

export async function listRecords(
  store: ChangeStore,
  options: { json?: boolean; host?: string },
  io: CommandIo,
): Promise<number> {
  const records = await store.list({ ...(options.host ? { host: options.host } : {}) });
  if (options.json) {
    io.stdout(`${JSON.stringify(records.map(summary), null, 2)}\n`);
    return 0;
  }
  if (records.length === 0) {
    io.stdout("no changes recorded yet\n");
    return 0;
  }
  const rows = records.map((r) => [
    r.id,
    r.state,
    `${r.hosts.primary} + ${r.hosts.secondary}`,
    r.requester,
    r.createdAt,
    shortHash(r.planHash),
  ]);
  io.stdout(`${table([["CHANGE", "STATE", "PAIR", "REQUESTER", "CREATED", "HASH"], ...rows])}\n`);
  return 0;
}

function eventLine(e: StoredAuditEntry): string {
  const details = Object.keys(e.details).length > 0 ? ` ${JSON.stringify(e.details)}` : "";
  return `${e.at}  ${e.event.padEnd(18)} ${(e.fromState ?? "-").padEnd(18)} -> ${e.toState.padEnd(18)} by ${e.actor}${details}`;
}

export async function showRecord(
  store: ChangeStore,
  id: string,
  options: { json?: boolean },
  io: CommandIo,
): Promise<number> {
  const parsed = parseChangeId(id);
  if (!parsed.ok) {
    io.stderr(`momlink: ${parsed.reason} (momlink records list shows the ids)\n`);
    return EXIT_USAGE;
  }
  const record = await store.get(parsed.id);
  if (!record) {
    io.stderr(`momlink: no change ${id} in this database (momlink records list shows them)\n`);
    return EXIT_NOT_FOUND;
  }
  const events = await store.audit(record.id);
  // services=manage: the proof of failover the run ended on, kept in the audit event that ended it.
  const failover = events.findLast((e) => e.details.failover !== undefined)?.details.failover ?? null;
  if (options.json) {
    io.stdout(
      `${JSON.stringify({ ...summary(record), approvals: record.approvals, rollbackApprovals: record.rollbackApprovals, rejection: record.rejection, cancellation: record.cancellation, failure: record.failure, failover, plan: record.plan, events }, null, 2)}\n`,
    );
    return 0;
  }
  const lines = [
    `${record.id}  ${record.state}`,
    `pair       ${record.hosts.primary} (primary) + ${record.hosts.secondary} (secondary)`,
    `requester  ${record.requester}`,
    ...(record.plan.ticket === undefined ? [] : [`ticket     ${record.plan.ticket}`]),
    ...(record.plan.reason === undefined ? [] : [`reason     ${JSON.stringify(record.plan.reason)}`]),
    `plan hash  ${record.planHash}`,
    `created    ${record.createdAt}   expires ${record.expiresAt}`,
    ...(failover !== null && typeof failover === "object" && !Array.isArray(failover)
      ? [`failover   ${String(failover.outcome)}: ${String(failover.summary)}`]
      : []),
    "",
    "events:",
    ...events.map(eventLine),
  ];
  io.stdout(`${lines.join("\n")}\n`);
  return 0;
}

const CSV_COLUMNS = [
  "seq",
  "changeId",
  "at",
  "actor",
  "event",
  "fromState",
  "toState",
  "planHash",
  "details",
  // Appended, so that a reader of the older columns by position still reads them.
  "ticket",
  "reason",
] as const;

type CsvColumn = (typeof CSV_COLUMNS)[number];

/** The ticket and reason of each change, from its first (create) entry: every row of the change carries them. */
function cabColumns(): (entry: StoredAuditEntry) => Record<"ticket" | "reason", string | null> {
  const known = new Map<string, Record<"ticket" | "reason", string | null>>();
  return (entry) => {
    let columns = known.get(entry.changeId);
    if (columns === undefined || entry.event === "create") {
      const text = (value: unknown) => (typeof value === "string" ? value : null);
      columns = { ticket: text(entry.details.ticket), reason: text(entry.details.reason) };
      known.set(entry.changeId, columns);
    }
    return columns;
  };
}

function csvCell(value: unknown): string {
  const text =
    value === null || value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value);
  // Quote every cell that needs it, and neutralise spreadsheet formulas an actor name could smuggle in.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) || safe !== text ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export async function exportAudit(store: ChangeStore, format: string, io: CommandIo): Promise<number> {
  if (format !== "jsonl" && format !== "csv") {
    io.stderr(
      `momlink: --format must be jsonl or csv (got ${format}); e.g. momlink records export --format csv\n`,
    );
    return EXIT_USAGE;
  }
  if (format === "csv") io.stdout(`${CSV_COLUMNS.join(",")}\n`);
  const cab = cabColumns();
  for await (const entry of store.exportAudit()) {
    if (format === "jsonl") {
      io.stdout(`${JSON.stringify(entry)}\n`);
      continue;
    }
    const row: Record<CsvColumn, unknown> = { ...entry, ...cab(entry) };
    io.stdout(`${CSV_COLUMNS.map((c) => csvCell(row[c])).join(",")}\n`);
  }
  return 0;
}
