// The dispatch store on the bot's SQLite file (the embedded default, one process): the dispatcher's
// scripts run synchronously inside one BEGIN IMMEDIATE each (store/script.ts), so an async method
// never awaits inside a SQLite transaction and nothing else on the connection can join it.
import type { DatabaseSync } from "node:sqlite";
import { openDatabase } from "../store/database.ts";
import { closeDatabase } from "../store/db-file.ts";
import { runSqliteTransaction } from "../store/script.ts";
import type { DispatchStore } from "./ports/dispatch-store.ts";
import { scriptedDispatchStore } from "./scripted-store.ts";
import { DISPATCH_SCHEMA } from "./store.ts";

/** Opens (a path: WAL, migrated, closed by close()) or adopts (an open database: only migrated) the file. */
export function sqliteDispatchStore(target: string | DatabaseSync): DispatchStore {
  const { db, owned } = openDatabase(target, { schemas: [DISPATCH_SCHEMA] });
  return scriptedDispatchStore(
    async (mode, script) => runSqliteTransaction(db, mode, script),
    async () => {
      if (owned) closeDatabase(db);
    },
  );
}
