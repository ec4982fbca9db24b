// The change store's contracts (change-store.contract.ts, message-renders.contract.ts) on SQLite:
// each test its own file in a temporary directory; `again` opens a second store on that file, as a
// restart or a second process would. What only SQLite has (file identity, WAL, busy timeout, threads racing on one
// file) stays in sqlite.test.ts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { openSqliteStore } from "../../src/store/sqlite.ts";
import type { ChangeStore } from "../../src/store/store.ts";
import { changeStoreContract, type StoreEngine } from "./change-store.contract.ts";
import { messageRendersContract } from "./message-renders.contract.ts";

const dirs: string[] = [];
const opened: ChangeStore[] = [];
const fileOf = new Map<ChangeStore, string>();

function openOn(path: string): ChangeStore {
  const store = openSqliteStore(path);
  opened.push(store);
  fileOf.set(store, path);
  return store;
}

afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
  fileOf.clear();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const sqlite: StoreEngine = {
  fresh: async () => {
    const dir = mkdtempSync(join(tmpdir(), "momlink-contract-"));
    dirs.push(dir);
    return openOn(join(dir, "momlink.db"));
  },
  again: async (store) => {
    const path = fileOf.get(store);
    if (path === undefined) throw new Error("not a store this file opened");
    return openOn(path);
  },
};

changeStoreContract(sqlite);
messageRendersContract(sqlite);
