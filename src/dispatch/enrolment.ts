// How a runner joins: an admin adds it (a name for one host, and a one-time registration token),
// then the runner exchanges that token for its long-lived credential. The bot keeps only hashes
// of both. Each refusal says what to do next; server.ts says it in HTTP. The writes are store
// scripts (store/script.ts), one transaction each on either engine: a token read to be spent is
// locked until the commit, so two replicas given the same token register it once.
import { hostIssues, hostKey, sameMachine } from "../domain/host.ts";
import type { Platform } from "../domain/pair.ts";
import { type RegisterRequest, type RegisterResponse, runnerNameSchema } from "../protocol/wire.ts";
import { one, run, type Script } from "../store/script.ts";
import { newCredential, newRegistrationToken, secretHash } from "./auth.ts";
import { DispatchError } from "./errors.ts";
import type { DispatchStore, NewToken, Registration } from "./ports/dispatch-store.ts";
import { type RunnerRow, type TokenRow, toRunnerRow, toTokenRow } from "./rows.ts";
import { runnerRowScript } from "./runner-scripts.ts";

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

type Refusal = Extract<Registration, { ok: false }>;

/** What adding a runner needs of the registry: the store, the clock, the keys' id, the token lifetime. */
export interface EnrolmentParts {
  store: DispatchStore;
  clock: () => Date;
  keyId: string;
  tokenTtlMs: number;
}

export async function addRunner(parts: EnrolmentParts, input: RunnerToAdd): Promise<AddedRunner> {
  checkRunnerToAdd(input);
  const now = parts.clock();
  const token = newRegistrationToken();
  const expiresMs = now.getTime() + parts.tokenTtlMs;
  await parts.store.addRunner(input, { hash: secretHash(token), createdAt: now.toISOString(), expiresMs });
  return { name: input.name, token, expiresAt: new Date(expiresMs).toISOString(), keyId: parts.keyId };
}

/** The runner's row and its token, in one transaction (DispatchStore.addRunner). */
export function* addRunnerScript(input: RunnerToAdd, token: NewToken, now: Date): Script<void> {
  yield* claimRunnerName(input, now);
  yield* run("INSERT INTO dispatch_tokens (hash, runner_name, created_at, expires_ms) VALUES (?, ?, ?, ?)", [
    token.hash,
    input.name,
    token.createdAt,
    token.expiresMs,
  ]);
}

function checkRunnerToAdd(input: RunnerToAdd): void {
  const name = runnerNameSchema.safeParse(input.name);
  if (!name.success)
    throw new DispatchError("invalid-name", `runner name "${input.name}": ${name.error.issues[0]?.message}`);
  const issue = hostIssues(input.host)[0];
  if (issue !== undefined) throw new DispatchError("invalid-host", `host "${input.host}": ${issue.message}`);
}

/** Writes the runner's row for `input`, or throws when the host or the name is held by another. */
function* claimRunnerName(input: RunnerToAdd, now: Date): Script<void> {
  const existing = yield* runnerRowScript(input.name, "update");
  const held = yield* one(
    "SELECT * FROM dispatch_runners WHERE revoked_at IS NULL AND host_key = ? AND name <> ?",
    [hostKey(input.host), input.name],
    "update",
  );
  if (held !== undefined) {
    const holder = toRunnerRow(held).name;
    throw new DispatchError(
      "host-taken",
      `host ${input.host} already has runner "${holder}": revoke it first (momlink runners revoke ${holder})`,
    );
  }
  if (existing === undefined) {
    yield* run(
      "INSERT INTO dispatch_runners (name, host, host_key, platform, created_at) VALUES (?, ?, ?, ?, ?)",
      [input.name, input.host, hostKey(input.host), input.platform, now.toISOString()],
    );
  } else if (existing.revoked_at !== null) {
    // A revoked name may come back, for any host: its old credentials stay revoked.
    yield* run("UPDATE dispatch_runners SET host = ?, host_key = ?, platform = ? WHERE name = ?", [
      input.host,
      hostKey(input.host),
      input.platform,
      input.name,
    ]);
  } else if (!sameMachine(existing.host, input.host) || existing.platform !== input.platform) {
    throw new DispatchError(
      "runner-exists",
      `runner "${input.name}" exists for host ${existing.host} (${existing.platform}): revoke it first, or add the new host under another name`,
    );
  }
}

/**
 * Exchanges a registration token for the runner's credential, and builds the runner's answer.
 * The exchange is one transaction (registerScript); the credential is made here and kept as a hash.
 */
export async function registerRunner(
  parts: { store: DispatchStore; clock: () => Date; keys: { publicKeyPem: string; keyId: string } },
  body: RegisterRequest,
): Promise<RegisterOutcome> {
  const credential = newCredential();
  const registered = await parts.store.register(
    secretHash(body.token),
    body,
    secretHash(credential),
    parts.clock(),
  );
  if (!registered.ok) return registered;
  const { runner } = registered;
  const response: RegisterResponse = {
    name: runner.name,
    host: runner.host,
    platform: runner.platform,
    credential,
    publicKey: parts.keys.publicKeyPem,
    keyId: parts.keys.keyId,
  };
  const warning = sameMachine(runner.host, body.hostname)
    ? undefined
    : `runner "${runner.name}" registered from a machine named ${body.hostname}, but serves host ${runner.host}`;
  return warning === undefined ? { ok: true, response } : { ok: true, response, warning };
}

/** The token's checks and, when it passes, the credential's issue: one transaction (DispatchStore.register). */
export function* registerScript(
  tokenHash: string,
  body: RegisterRequest,
  credentialHash: string,
  now: Date,
): Script<Registration> {
  const found = yield* one("SELECT * FROM dispatch_tokens WHERE hash = ?", [tokenHash], "update");
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
  const runner = yield* runnerRowScript(token.runner_name, "update");
  if (runner === undefined) return { ok: false, code: "bad-token", error: "unknown registration token" };
  const mismatch = mismatchRefusal(runner, body);
  if (mismatch !== undefined) return mismatch;
  yield* issueCredential(token, runner, body, credentialHash, now);
  const registered = yield* runnerRowScript(runner.name);
  return { ok: true, runner: registered ?? runner };
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

function* issueCredential(
  token: TokenRow,
  runner: RunnerRow,
  body: RegisterRequest,
  credentialHash: string,
  now: Date,
): Script<void> {
  const at = now.toISOString();
  yield* run("UPDATE dispatch_tokens SET used_at = ? WHERE hash = ?", [at, token.hash]);
  // A new registration replaces the runner's credential: the old one stops working now.
  yield* run("UPDATE dispatch_credentials SET revoked_at = ? WHERE runner_name = ? AND revoked_at IS NULL", [
    at,
    runner.name,
  ]);
  yield* run("INSERT INTO dispatch_credentials (hash, runner_name, issued_at) VALUES (?, ?, ?)", [
    credentialHash,
    runner.name,
    at,
  ]);
  yield* run(
    "UPDATE dispatch_runners SET registered_at = ?, version = ?, hostname = ?, last_seen_ms = ?, revoked_at = NULL WHERE name = ?",
    [at, body.version, body.hostname, now.getTime(), runner.name],
  );
}
