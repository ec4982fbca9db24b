// The dispatch store's contract (dispatch-store.contract.ts) on a SQLite file, the embedded default.
import { join } from "node:path";
import { sqliteDispatchStore } from "../../src/dispatch/sqlite-store.ts";
import { dispatchStoreContract } from "./dispatch-store.contract.ts";
import { tempDir } from "./support.ts";

dispatchStoreContract("SQLite", async () => {
  const tmp = tempDir();
  const store = sqliteDispatchStore(join(tmp.dir, "momlink.db"));
  return {
    store,
    async cleanup() {
      await store.close();
      tmp.cleanup();
    },
  };
});
