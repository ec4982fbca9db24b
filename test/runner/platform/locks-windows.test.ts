// The Windows lock probe, over the answers Windows gives (this machine cannot take a LockFileEx
// lock, so the file calls are played): a read of byte 0 that fails with EBUSY (libuv's word for
// ERROR_LOCK_VIOLATION) is a held lock of an unnamed holder; a read that returns a byte is no
// lock; an empty file cannot tell (unconfirmed), and neither can a sharing violation on open.
import { describe, expect, it } from "vitest";
import { probeReadLock, type ReadLockFs } from "../../../src/runner/platform/locks-windows.ts";

const error = (code: string) => Object.assign(new Error(`${code}: something`), { code });

function fsAnswering(openWith: Error | null, readWith: Error | number): ReadLockFs & { closed: number } {
  const fs = {
    closed: 0,
    async open() {
      if (openWith !== null) throw openWith;
      return {
        read: async () => {
          if (typeof readWith !== "number") throw readWith;
          return { bytesRead: readWith };
        },
        close: async () => {
          fs.closed += 1;
        },
      };
    },
  };
  return fs;
}

const PATH = "D:\\EM\\config\\internal\\server\\primary_em.lck";

describe("the Windows lock probe", () => {
  const table: [string, Error | null, Error | number, object][] = [
    [
      "a lock violation on the read: held, holder unnamed",
      null,
      error("EBUSY"),
      { state: "held", holder: "unidentified", pid: null },
    ],
    ["a byte read: no exclusive lock covers it", null, 1, { state: "not-held" }],
    ["an empty file: unknown (unconfirmed whether the read sees the lock)", null, 0, { state: "unknown" }],
    ["a sharing violation on open: unknown, not the lock", error("EBUSY"), 1, { state: "unknown" }],
    ["no lock file: not held", error("ENOENT"), 1, { state: "not-held" }],
    ["access denied: unknown", error("EPERM"), 1, { state: "unknown" }],
  ];
  it.each(table)("%s", async (_, openWith, readWith, expected) => {
    const fs = fsAnswering(openWith, readWith);
    expect(await probeReadLock(PATH, fs)).toMatchObject(expected);
    if (openWith === null) expect(fs.closed).toBe(1);
  });
});
