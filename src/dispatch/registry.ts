// Which runners exist, for which host, and which credential each holds. One-time registration
// tokens are exchanged for a long-lived credential; the bot keeps only hashes of both. Rows are
// decoded and checked (rows.ts); outcomes say what was refused, server.ts says it in HTTP.
import type { DatabaseSync } from "node:sqlite";
import type { RunnerInfo, RunnerStatus } from "../change/ports/runners.ts";
import { hostIssues, hostKey, sameMachine } from "../domain/host.ts";
import type { Platform } from "../domain/pair.ts";
import type { SigningKeys } from "../protocol/signing.ts";
import { type RegisterRequest, type RegisterResponse, runnerNameSchema } from "../protocol/wire.ts";
import { textOrNull } from "../store/rows.ts";
import { writeTransaction } from "../store/transaction.ts";
import { newCredential, newRegistrationToken, secretHash } from "./auth.ts";
import { type RunnerRow, toRunnerRow, toTokenRow } from "./rows.ts";

export type { RunnerInfo, RunnerStatus } from "../change/ports/runners.ts";

export interface AddedRunner {
  name: string;
  /** Shown once; the bot keeps only its hash. */
  token: string;
  expiresAt: string;
  /** The bot's key id, to print next to the token so the runner can check the key it pins. */
  keyId: string;
}

export class DispatchError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "DispatchError";
    this.code = code;
  }
}

export type RegisterOutcome =
  | { ok: true; response: RegisterResponse; warning?: string }
  /** bad-token: unknown, used, expired or cancelled; mismatch: a good token for another name or platform. */
  | { ok: false; code: "bad-token" | "mismatch"; error: string };

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
  const { db, keys, clock } = options;
  const tokenTtlMs = options.tokenTtlMs ?? 60 * 60 * 1000;
  const onlineWindowMs = options.onlineWindowMs ?? 60_000;
  const isPolling = options.isPolling ?? (() => false);

  // last_seen is written at most every TOUCH_WRITE_MS per runner (every request would be a
  // synchronous commit on the hot path); the exact time is kept here.
  const seen = new Map<string, number>();
  const written = new Map<string, number>();

  const toInfo = (row: RunnerRow): RunnerInfo => {
    const name = row.name;
    const lastSeenMs = Math.max(row.last_seen_ms ?? -1, seen.get(name) ?? -1);
    const status: RunnerStatus =
      row.revoked_at !== null ? "revoked" : row.registered_at !== null ? "active" : "pending";
    const recent = lastSeenMs >= 0 && clock().getTime() - lastSeenMs <= onlineWindowMs;
    const polling = status === "active" && isPolling(name);
    return {
      name,
      host: row.host,
      platform: row.platform,
      status,
      version: row.version,
      hostname: row.hostname,
      registeredAt: row.registered_at,
      lastSeen: lastSeenMs < 0 ? null : new Date(lastSeenMs).toISOString(),
      online: status === "active" && (recent || polling),
      polling,
    };
  };

  const rowByName = (name: string): RunnerRow | undefined => {
    const row = db.prepare("SELECT * FROM dispatch_runners WHERE name = ?").get(name);
    return row === undefined ? undefined : toRunnerRow(row);
  };

  function addRunner(input: { name: string; host: string; platform: Platform }): AddedRunner {
    const name = runnerNameSchema.safeParse(input.name);
    if (!name.success)
      throw new DispatchError(
        "invalid-name",
        `runner name "${input.name}": ${name.error.issues[0]?.message}`,
      );
    const issue = hostIssues(input.host)[0];
    if (issue !== undefined)
      throw new DispatchError("invalid-host", `host "${input.host}": ${issue.message}`);
    const now = clock();
    const token = newRegistrationToken();
    writeTransaction(db, () => {
      const existing = rowByName(input.name);
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
      db.prepare(
        "INSERT INTO dispatch_tokens (hash, runner_name, created_at, expires_ms) VALUES (?, ?, ?, ?)",
      ).run(secretHash(token), input.name, now.toISOString(), now.getTime() + tokenTtlMs);
    });
    return {
      name: input.name,
      token,
      expiresAt: new Date(now.getTime() + tokenTtlMs).toISOString(),
      keyId: keys.keyId,
    };
  }

  function register(body: RegisterRequest): RegisterOutcome {
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
      const runner = rowByName(token.runner_name);
      if (runner === undefined) return { ok: false, code: "bad-token", error: "unknown registration token" };
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
    });
  }

  function authenticate(credential: string): AuthOutcome {
    const row = db
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
    return { ok: true, runner: toInfo(runner) };
  }

  function revoke(name: string): boolean {
    const at = clock().toISOString();
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

  function touch(name: string): void {
    const now = clock().getTime();
    seen.set(name, now);
    const last = written.get(name);
    if (last !== undefined && now >= last && now - last < TOUCH_WRITE_MS) return;
    written.set(name, now);
    writeTransaction(db, () => {
      db.prepare("UPDATE dispatch_runners SET last_seen_ms = ? WHERE name = ?").run(now, name);
    });
  }

  function listRunners(): RunnerInfo[] {
    return db
      .prepare("SELECT * FROM dispatch_runners ORDER BY name")
      .all()
      .map((row) => toInfo(toRunnerRow(row)));
  }

  function getRunner(name: string): RunnerInfo | null {
    const row = rowByName(name);
    return row === undefined ? null : toInfo(row);
  }

  /**
   * The registered, unrevoked runner serving the machine `host` names (by hostKey: short name,
   * FQDN or another IPv6 spelling). Should two share a key (added before keys were machine-wide),
   * the one whose host is written exactly so wins.
   */
  function runnerFor(host: string): RunnerInfo | null {
    const rows = db
      .prepare(
        "SELECT * FROM dispatch_runners WHERE revoked_at IS NULL AND registered_at IS NOT NULL AND host_key = ? ORDER BY name",
      )
      .all(hostKey(host))
      .map(toRunnerRow);
    const exact = rows.find((row) => row.host.toLowerCase() === host.toLowerCase());
    const match = exact ?? rows[0];
    return match === undefined ? null : toInfo(match);
  }

  return { addRunner, register, authenticate, revoke, touch, listRunners, getRunner, runnerFor };
}

export type Registry = ReturnType<typeof createRegistry>;
