// `momlink store copy`: moves an existing SQLite store (MOMLINK_DB) into PostgreSQL
// (MOMLINK_DATABASE_URL) for the bot replicas of docs/postgres.md. The SQLite file is opened
// read-only, and the copy holds its serve lock (store/serve-lock.ts) throughout: it refuses while a
// `momlink serve` runs on the file, whose writes after the snapshot would be lost, and no serve can
// start on it mid-copy. The target URL defaults to MOMLINK_DATABASE_URL, which keeps the password
// off the command line; whatever is printed shows the URL redacted.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { signingKeyPathFor } from "../dispatch/index.ts";
import { StartError } from "../start-error.ts";
import { openPostgres } from "../store/postgres/connect.ts";
import { CopyRefusedError, copySqliteToPostgres } from "../store/postgres/copy.ts";
import { DATABASE_URL_VARIABLE, databaseUrlProblems } from "../store/postgres/url.ts";
import { holdServeLock, ServeLockHeldError } from "../store/serve-lock.ts";
import type { CommandIo } from "./plan.ts";
import { table } from "./table.ts";

export const EXIT_OK = 0;
/** The copy was refused (a non-empty target, a running bot, another schema level) or failed: nothing committed. */
export const EXIT_FAILED = 1;
/** A usage problem: no target, a bad URL, no SQLite file. Nothing was read. */
export const EXIT_USAGE = 2;

export interface CopyOptions {
  /** The SQLite file (default MOMLINK_DB). */
  from: string;
  /** The PostgreSQL URL (default MOMLINK_DATABASE_URL); undefined when neither is given. */
  to: string | undefined;
  json?: boolean;
}

function usage(io: CommandIo, message: string): number {
  io.stderr(`momlink store copy: ${message}\n`);
  return EXIT_USAGE;
}

export async function storeCopy(options: CopyOptions, io: CommandIo): Promise<number> {
  if (options.to === undefined) {
    return usage(io, `no target: give --to postgres://… or set ${DATABASE_URL_VARIABLE}`);
  }
  const problems = databaseUrlProblems(options.to);
  if (problems.length > 0) return usage(io, `--to ${problems.join("; ")}`);
  if (options.from === ":memory:" || !existsSync(options.from)) {
    return usage(io, `--from ${options.from}: there is no SQLite database at ${resolve(options.from)}`);
  }
  let lock: ReturnType<typeof holdServeLock> | null = null;
  try {
    lock = holdServeLock(options.from, "momlink store copy");
  } catch (error) {
    if (error instanceof ServeLockHeldError) {
      io.stderr(`momlink store copy: ${error.message}\n`);
      return EXIT_FAILED;
    }
    // A backup on read-only media has no room for the lock: copy it, and say so.
    io.stderr(
      `momlink store copy: ${(error as Error).message}; copying anyway (make sure no bot serves this file)\n`,
    );
  }
  const source = new DatabaseSync(options.from, { readOnly: true });
  const target = openPostgres(options.to, { max: 1, applicationName: "momlink store copy" });
  try {
    const copied = await copySqliteToPostgres(source, target, { from: options.from });
    if (options.json) {
      io.stdout(
        `${JSON.stringify({ from: resolve(options.from), to: target.shown, tables: copied }, null, 2)}\n`,
      );
    } else {
      io.stdout(`Copied ${resolve(options.from)} into ${target.shown} in one transaction:\n`);
      io.stdout(
        `${table([
          ["table", "read from SQLite", "in PostgreSQL", "next id"],
          ...copied.map((t) => [
            t.table,
            String(t.read),
            String(t.inPostgres),
            t.nextId === undefined ? "" : String(t.nextId),
          ]),
        ])}\n`,
      );
      io.stdout(
        `Runners pinned the bot's signing key, ${signingKeyPathFor(options.from)}: every replica needs that same file: set MOMLINK_SIGNING_KEY to it.\n`,
      );
    }
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CopyRefusedError || error instanceof StartError) {
      io.stderr(`momlink store copy: ${error.message}\n`);
      return EXIT_FAILED;
    }
    io.stderr(`momlink store copy: ${target.explain("the copy failed, nothing was committed", error)}\n`);
    return EXIT_FAILED;
  } finally {
    source.close();
    await target.close();
    lock?.release();
  }
}
