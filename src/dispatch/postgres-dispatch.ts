// The dispatcher's store and signals on PostgreSQL, loaded only when asked for: `pg` and the
// PostgreSQL modules stay out of every SQLite process (the CLI, the console, a one-machine bot).
// The store is the one built from the scripts (scripted-store.ts) over PostgreSQL's driver, which
// the first statement waits for; the signals forward to LISTEN/NOTIFY once it is loaded.
import type { Logger } from "../log.ts";
import type { PostgresConnection } from "../store/postgres/connect.ts";
import type { PostgresDispatch } from "../store/postgres/dispatch-store.ts";
import { scriptedDispatchStore } from "./scripted-store.ts";
import type { JobSignals } from "./signals.ts";

export function lazyPostgresDispatch(target: string | PostgresConnection, logger: Logger) {
  const loading: Promise<PostgresDispatch> = import("../store/postgres/dispatch-store.ts").then((m) =>
    m.openPostgresDispatch(target, logger),
  );
  loading.catch(() => undefined);
  const store = scriptedDispatchStore(
    async (mode, script, doing) => (await loading).run(mode, script, doing),
    async () => {},
  );
  const signals: JobSignals = {
    queued: async (runner) => (await loading).signals.queued(runner),
    subscribe(wake) {
      let off: (() => void) | null = null;
      let cancelled = false;
      void loading.then((pg) => {
        if (!cancelled) off = pg.signals.subscribe(wake);
      });
      return () => {
        cancelled = true;
        off?.();
      };
    },
  };
  return {
    store,
    signals,
    /** Migrated and listening; a migration that failed (the server was down) is tried again. */
    ready: async () => (await loading).ready(),
    closeSignals: async () => (await loading.catch(() => null))?.close(),
  };
}
