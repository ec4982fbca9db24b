// The runner's step journal: one small file beside its config, written (and flushed to disk)
// before a mutating step starts and removed once the step has ended. A runner that finds it at
// start was stopped (killed, crashed, the machine lost power) while that step ran: it must report
// the step lost to the bot, tell the operator what to check by hand, and never run it again.
// The executor runs one mutating job at a time, so the journal holds at most one step.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname, join, parse } from "node:path";
import { z } from "zod";
import type { StepKind } from "../domain/plan.ts";

export const JOURNAL_FORMAT = "momlink-step-journal/1";

const journalEntrySchema = z
  .object({
    format: z.literal(JOURNAL_FORMAT),
    job: z
      .object({
        id: z.string().min(1).max(64),
        changeId: z.string().min(1).max(32),
        kind: z.enum(["execute", "rollback"]),
        role: z.enum(["primary", "secondary"]),
        host: z.string().min(1).max(255),
        expiresAt: z.iso.datetime(),
      })
      .strict(),
    /** Index into the host plan's steps (execute) or rollback steps (rollback). */
    index: z.number().int().min(0).max(10_000),
    step: z.object({ kind: z.string().min(1).max(40), dir: z.string().max(255), line: z.string() }).strict(),
    /** `<EM_HOME>/<dir>`, `<share>/<dir>` and `<EM_HOME>/<dir>.pre-<change>`, as this host writes them. */
    paths: z.object({ local: z.string(), target: z.string(), aside: z.string() }).strict(),
    startedAt: z.iso.datetime(),
    /** The runner process that started the step. */
    pid: z.number().int(),
  })
  .strict();
export type JournalEntry = z.infer<typeof journalEntrySchema>;

export type PendingStep =
  | { kind: "none" }
  | { kind: "interrupted"; entry: JournalEntry }
  /** A journal that does not parse: a step may have been interrupted, which one is unknown. */
  | { kind: "unreadable"; text: string; error: string };

export interface StepJournal {
  readonly path: string;
  /** Records `entry` durably before its step starts; throws when it cannot (the step must not start). */
  begin(entry: Omit<JournalEntry, "format">): void;
  /** The step ended (whatever its outcome): forget it. */
  end(): void;
  /** What a previous runner process left unfinished. */
  pending(): PendingStep;
  /** Renames the journal to `path` (an unreadable one is kept for the operator, out of the way). */
  keepAs(path: string): void;
}

/** `runner.json` -> `runner.journal.json`, in the same directory (owner-only, like the config). */
export function journalPathFor(configPath: string): string {
  const { dir, name } = parse(configPath);
  return join(dir, `${name}.journal.json`);
}

export function createStepJournal(path: string): StepJournal {
  return {
    path,
    begin(entry) {
      const checked = journalEntrySchema.parse({ format: JOURNAL_FORMAT, ...entry });
      writeDurably(path, `${JSON.stringify(checked, null, 2)}\n`);
    },
    end() {
      rmSync(path, { force: true });
    },
    pending() {
      let text: string;
      try {
        text = readFileSync(path, "utf8");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return { kind: "none" };
        return { kind: "unreadable", text: "", error: (error as Error).message };
      }
      try {
        const parsed = journalEntrySchema.safeParse(JSON.parse(text));
        if (parsed.success) return { kind: "interrupted", entry: parsed.data };
        return { kind: "unreadable", text, error: parsed.error.issues.map((i) => i.message).join("; ") };
      } catch (error) {
        return { kind: "unreadable", text, error: (error as Error).message };
      }
    },
    keepAs(kept) {
      renameSync(path, kept);
    },
  };
}

/** Temp file, fsync, rename: a crash leaves the old journal or the new one, never half of one. */
function writeDurably(path: string, text: string): void {
  const temp = join(dirname(path), `.${parse(path).base}.${process.pid}.tmp`);
  const fd = openSync(temp, "w", 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/** Whether a step kind changes the host (and is therefore journaled); verify-link and check-failover only read. */
export function isMutating(kind: StepKind): boolean {
  return kind !== "verify-link" && kind !== "check-failover";
}

const PROPERTIES = "IntroscopeEnterpriseManager.properties";

/** Per step kind, what an operator must look at after that step was cut short. */
const WHAT_TO_CHECK: Readonly<Record<StepKind, (e: JournalEntry) => string>> = {
  "seed-share": ({ paths: p }) =>
    `the copy into ${p.target} may be partial: compare it with ${p.local} (it was empty or missing before), or empty it before planning again`,
  "move-aside": ({ paths: p }) =>
    `whether ${p.local} is still there or already moved to ${p.aside} (or half of each)`,
  mklink: ({ paths: p }) =>
    `whether ${p.local} is a link to ${p.target}, and that ${p.aside} still holds the original directory`,
  "verify-link": () => "nothing: the step only reads",
  "remove-link": ({ paths: p }) => `whether the link ${p.local} is gone (the step never touches ${p.target})`,
  restore: ({ paths: p }) => `whether ${p.aside} was moved back to ${p.local}`,
  "stop-service": ({ step }) =>
    `whether the EM service is stopped (the step ran \`${step.line}\` and waited for it): stop it by hand before anything else on this host`,
  "start-service": ({ step }) =>
    `whether the EM service runs (the step ran \`${step.line}\`), and which failover lock it holds (its log's [Manager.HotFailover] lines)`,
  "check-failover": () => "nothing: the step only reads",
  "set-failover-properties": ({ paths: p, job }) =>
    `whether ${PROPERTIES} in ${p.target} is the edited file or still the original, and that its backup ${PROPERTIES}.pre-${job.changeId} beside it is complete`,
  "restore-properties": ({ paths: p, job }) =>
    `whether ${PROPERTIES}.pre-${job.changeId} in ${p.target} was put back as ${PROPERTIES}`,
};

function whatToCheck(entry: JournalEntry): string {
  const check = (WHAT_TO_CHECK as Readonly<Record<string, (e: JournalEntry) => string>>)[entry.step.kind];
  return check === undefined ? `what \`${entry.step.line}\` changed` : check(entry);
}

/**
 * What the runner tells the bot and the operator about a step it found interrupted: which step
 * failed (it is never run again) and a sentence saying what to check by hand.
 */
export function interruptedReport(entry: JournalEntry): { failedIndex: number; message: string } {
  const { job, index, step } = entry;
  const which = `step ${index + 1} (${step.kind} ${step.dir}) of ${job.kind} job ${job.id}`;
  const message =
    `${job.changeId}: this runner stopped (killed, crashed or lost power) during ${which}, started ${entry.startedAt}: ` +
    `it ran \`${step.line}\`. The step is not run again. Check by hand on ${job.host}: ${whatToCheck(entry)}; ` +
    `then /momlink verify ${job.changeId}, or roll the change back.`;
  return { failedIndex: index, message };
}
