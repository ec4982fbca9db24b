// The SQLite inbox's group commit (issue 10): the requests received in one loop turn, a burst of
// plans or clicks, are one commit, and each receive resolves (so its ack goes) only after it; a
// redelivery in the same turn is still the duplicate. Commits are counted on the store's own
// diagnostics channel (store/transaction.ts).
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openSqliteStore } from "../../src/store/sqlite.ts";
import type { ChangeStore, NewRequest } from "../../src/store/store.ts";
import { SQLITE_WRITE_CHANNEL } from "../../src/store/transaction.ts";

const T0 = new Date("2025-11-26T10:00:00.000Z");
let dir: string;
let store: ChangeStore;
let log: string[];
const onCommit = () => void log.push("commit");

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "momlink-inbox-"));
  store = openSqliteStore(join(dir, "momlink.db"));
  log = [];
});
afterEach(async () => {
  unsubscribe(SQLITE_WRITE_CHANNEL, onCommit);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const request = (key: string, actor = "U0ALICE01"): NewRequest => ({
  key,
  kind: "plan",
  changeId: null,
  actor,
  channel: "C0OPS0001",
  payload: { text: `plan ${key}` },
  receivedAt: T0,
});

describe("requests received in one loop turn", () => {
  it("are one commit, each answered after it, a redelivery among them the duplicate", async () => {
    subscribe(SQLITE_WRITE_CHANNEL, onCommit);
    const keys = ["command:1", "command:2", "command:1", "command:3"];
    const received = keys.map((key, n) =>
      store.inbox.receive(request(key, `U0USER00${n}`)).then((status) => {
        log.push(`answered ${n}`);
        return status;
      }),
    );
    expect(await Promise.all(received)).toEqual(["received", "received", "duplicate", "received"]);
    expect(log[0]).toBe("commit");
    expect(log.filter((l) => l === "commit")).toHaveLength(1);
    const rows = await store.inbox.unfinished();
    expect(rows.map((r) => [r.key, r.actor])).toEqual([
      ["command:1", "U0USER000"],
      ["command:2", "U0USER001"],
      ["command:3", "U0USER003"],
    ]);
  });

  it("one at a time are each their own commit, as before", async () => {
    subscribe(SQLITE_WRITE_CHANNEL, onCommit);
    expect(await store.inbox.receive(request("command:1"))).toBe("received");
    expect(log).toEqual(["commit"]);
    expect(await store.inbox.receive(request("command:1"))).toBe("duplicate");
    expect(log).toEqual(["commit", "commit"]);
  });
});
