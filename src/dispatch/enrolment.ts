// How a runner joins: an admin adds it (a name for one host, and a one-time registration token),
// then the runner exchanges that token for its long-lived credential. The bot keeps only hashes
// of both. Each refusal says what to do next; server.ts says it in HTTP.
import { hostIssues, hostKey, sameMachine } from "../domain/host.ts";
import type { Platform } from "../domain/pair.ts";
import { type RegisterRequest, type RegisterResponse, runnerNameSchema } from "../protocol/wire.ts";
import { writeTransaction } from "../store/transaction.ts";
import { newCredential, newRegistrationToken, secretHash } from "./auth.ts";
import { DispatchError } from "./errors.ts";
import { type RegistryState, runnerRowByName } from "./registry-state.ts";
import { type RunnerRow, type TokenRow, toRunnerRow, toTokenRow } from "./rows.ts";

export interface AddedRunner {
  name: string;
  /** Shown once; the bot keeps only its hash. */
  token: string;
  expiresAt: string;
  /** The bot's key id, to print next to the token so the runner can check the key it pins. */
  keyId: string;
}

export interface RunnerToAdd {
  name: string;
  host: string;
  platform: Platform;
}

export type RegisterOutcome =
  | { ok: true; response: RegisterResponse; warning?: string }
  /** bad-token: unknown, used, expired or cancelled; mismatch: a good token for another name or platform. */
  | { ok: false; code: "bad-token" | "mismatch"; error: string };

type Refusal = Extract<RegisterOutcome, { ok: false }>;

export function addRunner(state: RegistryState, input: RunnerToAdd): AddedRunner {
  checkRunnerToAdd(input);
  const { db, clock, tokenTtlMs } = state;
  const now = clock();
  const token = newRegistrationToken();
  writeTransaction(db, () => {
    claimRunnerName(state, input, now);
    db.prepare(
      "INSERT INTO dispatch_tokens (hash, runner_name, created_at, expires_ms) VALUES (?, ?, ?, ?)",
    ).run(secretHash(token), input.name, now.toISOString(), now.getTime() + tokenTtlMs);
  });
  return {
    name: input.name,
    token,
    expiresAt: new Date(now.getTime() + tokenTtlMs).toISOString(),
    keyId: state.keys.keyId,
  };
}

function checkRunnerToAdd(input: RunnerToAdd): void {
  const name = runnerNameSchema.safeParse(input.name);
  if (!name.success)
    throw new DispatchError("invalid-name", `runner name "${input.name}": ${name.error.issues[0]?.message}`);
  const issue = hostIssues(input.host)[0];
  if (issue !== undefined) throw new DispatchError("invalid-host", `host "${input.host}": ${issue.message}`);
}

/** Writes the runner's row for `input`, or throws when the host or the name is held by another. */
function claimRunnerName(state: RegistryState, input: RunnerToAdd, now: Date): void {
  const { db } = state;
  const existing = runnerRowByName(state, input.name);
  const held = db
    .prepare("SELECT * FROM dispatch_runners WHERE revoked_at IS NULL AND host_key = ? AND name <> ?")
    .get(hostKey(input.host), input.name);
  if (held !== undefined) {
    const holder = toRunnerRow(held).name;
    throw new DispatchError(
      "host-taken",
      `host ${input.host} already has runner "${holder}": revoke it first (momlink runners revoke ${holder})`,
    );
  }
  if (existing === undefined) {
    db.prepare(
      "INSERT INTO dispatch_runners (name, host, host_key, platform, created_at) VALUES (?, ?, ?, ?, ?)",
    ).run(input.name, input.host, hostKey(input.host), input.platform, now.toISOString());
  } else if (existing.revoked_at !== null) {
    // A revoked name may come back, for any host: its old credentials stay revoked.
    db.prepare("UPDATE dispatch_runners SET host = ?, host_key = ?, platform = ? WHERE name = ?").run(
      input.host,
      hostKey(input.host),
      input.platform,
      input.name,
    );
  } else if (!sameMachine(existing.host, input.host) || existing.platform !== input.platform) {
    throw new DispatchError(
      "runner-exists",
      `runner "${input.name}" exists for host ${existing.host} (${existing.platform}): revoke it first, or add the new host under another name`,
    );
  }
}

/** Exchanges a registration token for the runner's credential, in one transaction. */
export function registerRunner(state: RegistryState, body: RegisterRequest): RegisterOutcome {
  const { db, clock } = state;
  const now = clock();
  return writeTransaction(db, (): RegisterOutcome => {
    const found = db.prepare("SELECT * FROM dispatch_tokens WHERE hash = ?").get(secretHash(body.token));
    if (found === undefined) {
      return {
        ok: false,
        code: "bad-token",
        error: "unknown registration token: ask an admin for a new one (momlink runners add)",
      };
    }
    const token = toTokenRow(found);
    const spent = spentTokenRefusal(token, now);
    if (spent !== undefined) return spent;
    const runner = runnerRowByName(state, token.runner_name);
    if (runner === undefined) return { ok: false, code: "bad-token", error: "unknown registration token" };
    const mismatch = mismatchRefusal(runner, body);
    if (mismatch !== undefined) return mismatch;
    return issueCredential(state, token, runner, body, now);
  });
}

/** Why a known token can no longer register (cancelled, used, expired), or undefined. */
function spentTokenRefusal(token: TokenRow, now: Date): Refusal | undefined {
  if (token.used_at?.startsWith("revoked ")) {
    return {
      ok: false,
      code: "bad-token",
      error: `registration token cancelled: runner "${token.runner_name}" was revoked at ${token.used_at.slice(8)}; ask an admin for a new one`,
    };
  }
  if (token.used_at !== null) {
    return {
      ok: false,
      code: "bad-token",
      error: `registration token already used at ${token.used_at}: tokens are single-use, ask an admin for a new one`,
    };
  }
  const expiresMs = token.expires_ms;
  if (now.getTime() > expiresMs) {
    return {
      ok: false,
      code: "bad-token",
      error: `registration token expired at ${new Date(expiresMs).toISOString()} (tokens are valid for 1 hour): ask an admin for a new one`,
    };
  }
  return undefined;
}

/** Why a good token does not fit the machine that sent it (another name or platform), or undefined. */
function mismatchRefusal(runner: RunnerRow, body: RegisterRequest): Refusal | undefined {
  if (body.name !== undefined && body.name !== runner.name) {
    return {
      ok: false,
      code: "mismatch",
      error: `this token registers runner "${runner.name}", not "${body.name}"`,
    };
  }
  if (body.platform !== runner.platform) {
    return {
      ok: false,
      code: "mismatch",
      error: `runner "${runner.name}" was added as a ${runner.platform} runner, but this machine is ${body.platform}: ask an admin to re-add it with --platform ${body.platform}`,
    };
  }
  return undefined;
}

function issueCredential(
  state: RegistryState,
  token: TokenRow,
  runner: RunnerRow,
  body: RegisterRequest,
  now: Date,
): RegisterOutcome {
  const { db, keys } = state;
  const at = now.toISOString();
  const credential = newCredential();
  db.prepare("UPDATE dispatch_tokens SET used_at = ? WHERE hash = ?").run(at, token.hash);
  // A new registration replaces the runner's credential: the old one stops working now.
  db.prepare(
    "UPDATE dispatch_credentials SET revoked_at = ? WHERE runner_name = ? AND revoked_at IS NULL",
  ).run(at, runner.name);
  db.prepare("INSERT INTO dispatch_credentials (hash, runner_name, issued_at) VALUES (?, ?, ?)").run(
    secretHash(credential),
    runner.name,
    at,
  );
  db.prepare(
    "UPDATE dispatch_runners SET registered_at = ?, version = ?, hostname = ?, last_seen_ms = ?, revoked_at = NULL WHERE name = ?",
  ).run(at, body.version, body.hostname, now.getTime(), runner.name);
  const host = runner.host;
  const warning = sameMachine(host, body.hostname)
    ? undefined
    : `runner "${runner.name}" registered from a machine named ${body.hostname}, but serves host ${host}`;
  const response: RegisterResponse = {
    name: runner.name,
    host,
    platform: runner.platform,
    credential,
    publicKey: keys.publicKeyPem,
    keyId: keys.keyId,
  };
  return warning === undefined ? { ok: true, response } : { ok: true, response, warning };
}
