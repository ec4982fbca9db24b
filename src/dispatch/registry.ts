// Which runners exist, for which host, and which credential each holds. One-time registration
// tokens are exchanged for a long-lived credential (enrolment.ts); the bot keeps only hashes of
// both. Rows are decoded and checked (rows.ts); outcomes say what was refused, server.ts says it
// in HTTP. Each method is a function over the shared RegistryState (registry-state.ts).
import type { DatabaseSync } from "node:sqlite";
import type { RunnerInfo } from "../change/ports/runners.ts";
import { hostKey } from "../domain/host.ts";
import type { SigningKeys } from "../protocol/signing.ts";
import type { RegisterRequest } from "../protocol/wire.ts";
import { textOrNull } from "../store/rows.ts";
import { writeTransaction } from "../store/transaction.ts";
import { secretHash } from "./auth.ts";
import { addRunner, type RunnerToAdd, registerRunner } from "./enrolment.ts";
import { type RegistryState, runnerInfo, runnerRowByName } from "./registry-state.ts";
import { toRunnerRow } from "./rows.ts";

export type { RunnerInfo, RunnerStatus } from "../change/ports/runners.ts";
export type { AddedRunner, RegisterOutcome } from "./enrolment.ts";
export { DispatchError } from "./errors.ts";

export type AuthOutcome =
  | { ok: true; runner: RunnerInfo }
  | { ok: false; error: "revoked" | "unknown credential" };

export interface RegistryOptions {
  db: DatabaseSync;
  keys: SigningKeys;
  clock: () => Date;
  tokenTtlMs?: number;
  onlineWindowMs?: number;
  /** Whether the runner holds a long-poll open right now (the queue knows). */
  isPolling?: (name: string) => boolean;
}

const TOUCH_WRITE_MS = 10_000;

export function createRegistry(options: RegistryOptions) {
  const state: RegistryState = {
    db: options.db,
    keys: options.keys,
    clock: options.clock,
    tokenTtlMs: options.tokenTtlMs ?? 60 * 60 * 1000,
    onlineWindowMs: options.onlineWindowMs ?? 60_000,
    isPolling: options.isPolling ?? (() => false),
    seen: new Map(),
    written: new Map(),
  };
  return {
    addRunner: (input: RunnerToAdd) => addRunner(state, input),
    register: (body: RegisterRequest) => registerRunner(state, body),
    authenticate: (credential: string) => authenticate(state, credential),
    revoke: (name: string) => revoke(state, name),
    touch: (name: string) => touch(state, name),
    listRunners: () => listRunners(state),
    getRunner: (name: string) => getRunner(state, name),
    runnerFor: (host: string) => runnerFor(state, host),
  };
}

export type Registry = ReturnType<typeof createRegistry>;

function authenticate(state: RegistryState, credential: string): AuthOutcome {
  const row = state.db
    .prepare(
      `SELECT c.revoked_at AS credential_revoked_at, r.* FROM dispatch_credentials c
       JOIN dispatch_runners r ON r.name = c.runner_name WHERE c.hash = ?`,
    )
    .get(secretHash(credential));
  if (row === undefined) return { ok: false, error: "unknown credential" };
  const runner = toRunnerRow(row);
  if (textOrNull(row, "credential_revoked_at") !== null || runner.revoked_at !== null) {
    return { ok: false, error: "revoked" };
  }
  return { ok: true, runner: runnerInfo(state, runner) };
}

function revoke(state: RegistryState, name: string): boolean {
  const { db } = state;
  const at = state.clock().toISOString();
  return writeTransaction(db, () => {
    const changed = db
      .prepare("UPDATE dispatch_runners SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL")
      .run(at, name).changes;
    db.prepare(
      "UPDATE dispatch_credentials SET revoked_at = ? WHERE runner_name = ? AND revoked_at IS NULL",
    ).run(at, name);
    // An unused token must not bring a revoked runner back.
    db.prepare("UPDATE dispatch_tokens SET used_at = ? WHERE runner_name = ? AND used_at IS NULL").run(
      `revoked ${at}`,
      name,
    );
    return Number(changed) > 0;
  });
}

function touch(state: RegistryState, name: string): void {
  const now = state.clock().getTime();
  state.seen.set(name, now);
  const last = state.written.get(name);
  if (last !== undefined && now >= last && now - last < TOUCH_WRITE_MS) return;
  state.written.set(name, now);
  writeTransaction(state.db, () => {
    state.db.prepare("UPDATE dispatch_runners SET last_seen_ms = ? WHERE name = ?").run(now, name);
  });
}

function listRunners(state: RegistryState): RunnerInfo[] {
  return state.db
    .prepare("SELECT * FROM dispatch_runners ORDER BY name")
    .all()
    .map((row) => runnerInfo(state, toRunnerRow(row)));
}

function getRunner(state: RegistryState, name: string): RunnerInfo | null {
  const row = runnerRowByName(state, name);
  return row === undefined ? null : runnerInfo(state, row);
}

/**
 * The registered, unrevoked runner serving the machine `host` names (by hostKey: short name,
 * FQDN or another IPv6 spelling). Should two share a key (added before keys were machine-wide),
 * the one whose host is written exactly so wins.
 */
function runnerFor(state: RegistryState, host: string): RunnerInfo | null {
  const rows = state.db
    .prepare(
      "SELECT * FROM dispatch_runners WHERE revoked_at IS NULL AND registered_at IS NOT NULL AND host_key = ? ORDER BY name",
    )
    .all(hostKey(host))
    .map(toRunnerRow);
  const exact = rows.find((row) => row.host.toLowerCase() === host.toLowerCase());
  const match = exact ?? rows[0];
  return match === undefined ? null : runnerInfo(state, match);
}
