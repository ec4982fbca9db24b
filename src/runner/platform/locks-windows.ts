// Whether some process holds the EM's failover lock on a Windows MOM host. Java's FileChannel.lock
// on Windows is LockFileEx with LOCKFILE_EXCLUSIVE_LOCK from offset 0 over Long.MAX_VALUE bytes,
// on a file Java opens with FILE_SHARE_READ | FILE_SHARE_WRITE: another process can still open it,
// but its ReadFile of a locked byte fails with ERROR_LOCK_VIOLATION (33), which libuv reports as
// EBUSY. So: open the file for reading, read byte 0, and look at how that ends.
//
// What it must keep true (docs/failover-evidence.md, "Windows"):
// - It only reads: never LockFileEx itself, which would take the lock from a starting EM.
// - EBUSY on the read is "held", by a holder it cannot name (any process, on either host over
//   SMB); EBUSY on the open is a sharing violation (someone opened the file without sharing it),
//   not the lock: unknown.
// - A read that returns a byte is "not held". A read of a zero-length file returns nothing before
//   the lock is ever consulted or not: *unconfirmed* which, so an empty file is "unknown", and
//   the failover evidence then falls back to the log and the service state (logOnlyVerdicts).
// - A missing lock file is held by no one.
import { open } from "node:fs/promises";
import type { LockObservation } from "../../domain/failover-evidence.ts";

/** The file calls the probe makes (injected in tests: this machine cannot take a Windows lock). */
export interface ReadLockFs {
  open(
    path: string,
  ): Promise<{ read(buffer: Buffer): Promise<{ bytesRead: number }>; close(): Promise<void> }>;
}

const nodeFs: ReadLockFs = {
  async open(path) {
    const handle = await open(path, "r");
    return {
      read: (buffer) => handle.read(buffer, 0, 1, 0),
      close: () => handle.close(),
    };
  },
};

const SOURCE = "a one-byte read at offset 0 (a LockFileEx lock makes it fail with ERROR_LOCK_VIOLATION)";

export async function probeReadLock(path: string, fs: ReadLockFs = nodeFs): Promise<LockObservation> {
  let handle: Awaited<ReturnType<ReadLockFs["open"]>>;
  try {
    handle = await fs.open(path);
  } catch (error) {
    const code = codeOf(error);
    if (code === "ENOENT") {
      return { state: "not-held", source: SOURCE, detail: `${path} does not exist: no EM has created it` };
    }
    const why =
      code === "EBUSY"
        ? "another process opened it without sharing it (a sharing violation, not Java's lock)"
        : messageOf(error);
    return { state: "unknown", source: SOURCE, detail: `cannot open ${path}: ${why}` };
  }
  try {
    const { bytesRead } = await handle.read(Buffer.alloc(1));
    if (bytesRead > 0) {
      return {
        state: "not-held",
        source: SOURCE,
        detail: `read byte 0 of ${path}: no exclusive lock covers it`,
      };
    }
    return {
      state: "unknown",
      source: SOURCE,
      detail: `${path} is empty: whether a read of an empty file reports a lock is unconfirmed, so the log and the service state decide`,
    };
  } catch (error) {
    if (codeOf(error) === "EBUSY") {
      return {
        state: "held",
        holder: "unidentified",
        pid: null,
        source: SOURCE,
        detail: `reading byte 0 of ${path} failed with a lock violation: some process holds an exclusive lock on it`,
      };
    }
    return { state: "unknown", source: SOURCE, detail: `cannot read ${path}: ${messageOf(error)}` };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function codeOf(error: unknown): string {
  return error instanceof Error && "code" in error ? String(error.code) : "";
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
