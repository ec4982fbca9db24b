// A job as it travels (the signed envelope), Ed25519 signatures over its canonical JSON, and the
// one check a runner applies before it runs anything. Shared by the bot (signs) and the runner
// (verifies); needs only node:crypto, no I/O. The runner verifies against the key it pinned at
// registration, never a key that arrives with the job, so a bot database edited behind the bot's
// back cannot forge work.
import { createHash, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import { z } from "zod";
import { canonicalJson } from "../domain/canonical.ts";
import { sameMachine } from "../domain/host.ts";
import { type Job, jobSchema } from "../domain/job.ts";

/** A job as it travels: the job, and an Ed25519 signature (base64) over canonicalJson(job). */
export const signedJobSchema = z
  .object({
    job: jobSchema,
    keyId: z.string().min(1).max(128),
    signature: z.string().regex(/^[A-Za-z0-9+/]+=*$/),
  })
  .strict();
export type SignedJob = z.infer<typeof signedJobSchema>;

export interface SigningKeys {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** SPKI PEM, what a runner pins. */
  publicKeyPem: string;
  keyId: string;
}

/** First 16 hex digits of the SHA-256 of the public key's DER (SPKI) encoding. */
export function keyIdOf(publicKey: KeyObject | string): string {
  const key = typeof publicKey === "string" ? createPublicKey(publicKey) : publicKey;
  const der = key.export({ type: "spki", format: "der" });
  return createHash("sha256").update(der).digest("hex").slice(0, 16);
}

export function signJob(job: Job, keys: SigningKeys): SignedJob {
  const signature = sign(null, Buffer.from(canonicalJson(job), "utf8"), keys.privateKey).toString("base64");
  return { job, keyId: keys.keyId, signature };
}

export const REFUSAL_CODES = [
  "unsigned",
  "malformed",
  "wrong-key",
  "bad-signature",
  "plan-hash-mismatch",
  "expired",
  "other-runner",
  "other-host",
] as const;
export type RefusalCode = (typeof REFUSAL_CODES)[number];

export type VerifyResult = { ok: true; job: Job } | { ok: false; code: RefusalCode; reason: string };

export interface VerifyContext {
  now: Date;
  runnerName: string;
  /** The host this runner was registered for; checked when given (same machine: case, short name vs FQDN). */
  host?: string;
}

/**
 * Accepts a job only when it is well-formed, signed by the pinned key, untouched since signing,
 * consistent with its own plan hash, not expired, and addressed to this runner (and host).
 */
export function verifySignedJob(
  signed: unknown,
  pinnedPublicKey: KeyObject | string,
  ctx: VerifyContext,
): VerifyResult {
  const refuse = (code: RefusalCode, reason: string): VerifyResult => ({ ok: false, code, reason });
  if (typeof signed !== "object" || signed === null) return refuse("malformed", "the job is not an object");
  const raw = signed as Record<string, unknown>;
  if (typeof raw.signature !== "string" || raw.signature === "") {
    return refuse("unsigned", "the job carries no signature");
  }
  const parsed = signedJobSchema.safeParse(signed);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined ? "" : ` at ${issue.path.join(".") || "(root)"}: ${issue.message}`;
    return refuse("malformed", `the job does not match the job schema${where}`);
  }
  const { job, keyId, signature } = parsed.data;
  let pinned: KeyObject;
  try {
    pinned = typeof pinnedPublicKey === "string" ? createPublicKey(pinnedPublicKey) : pinnedPublicKey;
  } catch {
    return refuse("wrong-key", "the pinned public key cannot be read: re-register the runner");
  }
  const pinnedId = keyIdOf(pinned);
  if (keyId !== pinnedId) {
    return refuse(
      "wrong-key",
      `the job was signed by key ${keyId}, but this runner trusts only key ${pinnedId}`,
    );
  }
  const good = verify(
    null,
    Buffer.from(canonicalJson(job), "utf8"),
    pinned,
    Buffer.from(signature, "base64"),
  );
  if (!good)
    return refuse("bad-signature", "the signature does not match the job: it was altered after signing");
  const planHash = job.plan.hash;
  if (typeof planHash === "string" && planHash !== job.planHash) {
    return refuse(
      "plan-hash-mismatch",
      `the job's plan hash ${planHash} differs from the approved ${job.planHash}`,
    );
  }
  if (ctx.now.getTime() > Date.parse(job.expiresAt)) {
    return refuse("expired", `the job expired at ${job.expiresAt}`);
  }
  if (job.runner !== ctx.runnerName) {
    return refuse(
      "other-runner",
      `the job is for runner "${job.runner}", this is runner "${ctx.runnerName}"`,
    );
  }
  if (ctx.host !== undefined && !sameMachine(job.host, ctx.host)) {
    return refuse("other-host", `the job is for host "${job.host}", this runner serves "${ctx.host}"`);
  }
  return { ok: true, job };
}
