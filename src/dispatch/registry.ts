// Which runners exist, for which host, and which credential each holds. One-time registration
// tokens are exchanged for a long-lived credential (enrolment.ts); the bot keeps only hashes of
// both. The rows live in the dispatch store (ports/dispatch-store.ts, either engine); outcomes say
// what was refused, server.ts says it in HTTP. Each method is a function over the shared
// RegistryState (registry-state.ts).
import type { RunnerInfo } from "../change/ports/runners.ts";
import { hostKey } from "../domain/host.ts";
import type { SigningKeys } from "../protocol/signing.ts";
import type { RegisterRequest } from "../protocol/wire.ts";
import { secretHash } from "./auth.ts";
import { addRunner, type RunnerToAdd, registerRunner } from "./enrolment.ts";
import type { DispatchStore } from "./ports/dispatch-store.ts";
import { type RegistryState, runnerInfo } from "./registry-state.ts";

export type { RunnerInfo, RunnerStatus } from "../change/ports/runners.ts";
export type { AddedRunner, RegisterOutcome } from "./enrolment.ts";
export { DispatchError } from "./errors.ts";

export type AuthOutcome =
  | { ok: true; runner: RunnerInfo }
  | { ok: false; error: "revoked" | "unknown credential" };

export interface RegistryOptions {
  store: DispatchStore;
  keys: SigningKeys;
  clock: () => Date;
  tokenTtlMs?: number;
  onlineWindowMs?: number;
  /** Whether the runner holds a long-poll open right now (the long-polls know). */
  isPolling?: (name: string) => boolean;
}

const TOUCH_WRITE_MS = 10_000;

export function createRegistry(options: RegistryOptions) {
  const state: RegistryState = {
    store: options.store,
    keys: options.keys,
    clock: options.clock,
    tokenTtlMs: options.tokenTtlMs ?? 60 * 60 * 1000,
    onlineWindowMs: options.onlineWindowMs ?? 60_000,
    isPolling: options.isPolling ?? (() => false),
    seen: new Map(),
    written: new Map(),
  };
  const { store, clock, keys } = state;
  return {
    addRunner: (input: RunnerToAdd) =>
      addRunner({ store, clock, keyId: keys.keyId, tokenTtlMs: state.tokenTtlMs }, input),
    register: (body: RegisterRequest) => registerRunner({ store, clock, keys }, body),
    authenticate: (credential: string) => authenticate(state, credential),
    revoke: (name: string) => store.revoke(name, clock()),
    touch: (name: string) => touch(state, name),
    listRunners: async () => (await store.runners()).map((row) => runnerInfo(state, row)),
    getRunner: async (name: string) => {
      const row = await store.runner(name);
      return row === null ? null : runnerInfo(state, row);
    },
    runnerFor: (host: string) => runnerFor(state, host),
  };
}

export type Registry = ReturnType<typeof createRegistry>;

async function authenticate(state: RegistryState, credential: string): Promise<AuthOutcome> {
  const owner = await state.store.credentialOwner(secretHash(credential));
  if (owner === null) return { ok: false, error: "unknown credential" };
  if (owner.credentialRevoked || owner.runner.revoked_at !== null) return { ok: false, error: "revoked" };
  return { ok: true, runner: runnerInfo(state, owner.runner) };
}

async function touch(state: RegistryState, name: string): Promise<void> {
  const now = state.clock().getTime();
  state.seen.set(name, now);
  const last = state.written.get(name);
  if (last !== undefined && now >= last && now - last < TOUCH_WRITE_MS) return;
  state.written.set(name, now);
  await state.store.touch(name, now);
}

/**
 * The registered, unrevoked runner serving the machine `host` names (by hostKey: short name,
 * FQDN or another IPv6 spelling). Should two share a key (added before keys were machine-wide),
 * the one whose host is written exactly so wins.
 */
async function runnerFor(state: RegistryState, host: string): Promise<RunnerInfo | null> {
  const rows = await state.store.activeRunnersOn(hostKey(host));
  const exact = rows.find((row) => row.host.toLowerCase() === host.toLowerCase());
  const match = exact ?? rows[0];
  return match === undefined ? null : runnerInfo(state, match);
}
