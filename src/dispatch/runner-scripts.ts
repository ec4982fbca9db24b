// The runner rows' reads and writes as store scripts (store/script.ts), for both engines: who a
// credential belongs to, revoking, last-seen, and the listings. Every request a runner makes reads
// its credential here, so a revoke committed by any replica stops it at its next request: no
// replica keeps a credential in memory.
import { textOrNull } from "../store/rows.ts";
import { all, one, type RowLock, run, type Script } from "../store/script.ts";
import type { CredentialOwner } from "./ports/dispatch-store.ts";
import { type RunnerRow, toRunnerRow } from "./rows.ts";

export function* runnerRowScript(name: string, lock?: RowLock): Script<RunnerRow | undefined> {
  const row = yield* one("SELECT * FROM dispatch_runners WHERE name = ?", [name], lock);
  return row === undefined ? undefined : toRunnerRow(row);
}

export function* credentialOwnerScript(credentialHash: string): Script<CredentialOwner | null> {
  const row = yield* one(
    `SELECT c.revoked_at AS credential_revoked_at, r.* FROM dispatch_credentials c
     JOIN dispatch_runners r ON r.name = c.runner_name WHERE c.hash = ?`,
    [credentialHash],
  );
  if (row === undefined) return null;
  return { runner: toRunnerRow(row), credentialRevoked: textOrNull(row, "credential_revoked_at") !== null };
}

export function* revokeScript(name: string, at: Date): Script<boolean> {
  const when = at.toISOString();
  const changed = yield* run(
    "UPDATE dispatch_runners SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
    [when, name],
  );
  yield* run("UPDATE dispatch_credentials SET revoked_at = ? WHERE runner_name = ? AND revoked_at IS NULL", [
    when,
    name,
  ]);
  // An unused token must not bring a revoked runner back.
  yield* run("UPDATE dispatch_tokens SET used_at = ? WHERE runner_name = ? AND used_at IS NULL", [
    `revoked ${when}`,
    name,
  ]);
  return changed > 0;
}

export function* touchScript(name: string, seenMs: number): Script<void> {
  // Never backwards: two replicas touching one runner keep the later time.
  yield* run(
    "UPDATE dispatch_runners SET last_seen_ms = ? WHERE name = ? AND (last_seen_ms IS NULL OR last_seen_ms < ?)",
    [seenMs, name, seenMs],
  );
}

export function* runnersScript(): Script<RunnerRow[]> {
  return (yield* all("SELECT * FROM dispatch_runners ORDER BY name")).map(toRunnerRow);
}

export function* activeRunnersOnScript(hostKey: string): Script<RunnerRow[]> {
  const rows = yield* all(
    "SELECT * FROM dispatch_runners WHERE revoked_at IS NULL AND registered_at IS NOT NULL AND host_key = ? ORDER BY name",
    [hostKey],
  );
  return rows.map(toRunnerRow);
}
