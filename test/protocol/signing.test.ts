import { chmodSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { generateSigningKeys, loadOrCreateSigningKeys, signingKeyPathFor } from "../../src/dispatch/keys.ts";
import type { Job } from "../../src/domain/job.ts";
import { keyIdOf, type SignedJob, signJob, verifySignedJob } from "../../src/protocol/signing.ts";
import { PLAN_HASH, T0, tempDir } from "../dispatch/support.ts";

const KEYS = generateSigningKeys();
const OTHER = generateSigningKeys();

const JOB: Job = {
  id: "job-1",
  kind: "execute",
  changeId: "CHG-12",
  runner: "mom-a",
  host: "mom-a",
  role: "primary",
  planHash: PLAN_HASH,
  plan: {
    format: "momlink-plan/1",
    hash: PLAN_HASH,
    hosts: [{ host: "mom-a", steps: [{ line: "mklink /D" }] }],
  },
  issuedAt: T0.toISOString(),
  expiresAt: new Date(T0.getTime() + 15 * 60_000).toISOString(),
};
const CTX = { now: T0, runnerName: "mom-a", host: "mom-a" };
const LATER = new Date(T0.getTime() + 16 * 60_000);

describe("verifySignedJob", () => {
  const signed = signJob(JOB, KEYS);
  const rows: [string, unknown, typeof CTX & { now: Date }, string | null][] = [
    ["accepts a job signed by the pinned key, for this runner and host, before expiry", signed, CTX, null],
    [
      "accepts a job for the same host written as an FQDN",
      signJob({ ...JOB, host: "MOM-A.corp.example" }, KEYS),
      CTX,
      null,
    ],
    ["refuses a job without a signature", { job: JOB, keyId: KEYS.keyId }, CTX, "unsigned"],
    ["refuses a job with an empty signature", { ...signed, signature: "" }, CTX, "unsigned"],
    ["refuses something that is not a job", "hello", CTX, "malformed"],
    ["refuses a job with an unknown field", { ...signed, job: { ...JOB, shell: "rd /s" } }, CTX, "malformed"],
    [
      "refuses a job altered after signing",
      { ...signed, job: { ...JOB, role: "secondary" } },
      CTX,
      "bad-signature",
    ],
    ["refuses a job signed by another key", signJob(JOB, OTHER), CTX, "wrong-key"],
    [
      "refuses another key's job relabelled with the pinned key id",
      { ...signJob(JOB, OTHER), keyId: KEYS.keyId },
      CTX,
      "bad-signature",
    ],
    [
      "refuses a job whose plan hash is not the approved one",
      signJob({ ...JOB, plan: { hash: "b".repeat(64) } }, KEYS),
      CTX,
      "plan-hash-mismatch",
    ],
    ["refuses an expired job", signed, { ...CTX, now: LATER }, "expired"],
    ["refuses a job for another runner", signed, { ...CTX, runnerName: "mom-b" }, "other-runner"],
    ["refuses a job for another host", signed, { ...CTX, host: "mom-b" }, "other-host"],
  ];
  it.each(rows)("%s", (_name, input, ctx, code) => {
    const verdict = verifySignedJob(input, KEYS.publicKeyPem, ctx);
    if (code === null) {
      expect(verdict).toMatchObject({ ok: true });
    } else {
      expect(verdict).toMatchObject({ ok: false, code });
      if (!verdict.ok) expect(verdict.reason.length).toBeGreaterThan(10);
    }
  });

  it("refuses any single changed field of a signed job", () => {
    const fields = ["id", "changeId", "runner", "host", "issuedAt", "expiresAt"] as const;
    fc.assert(
      fc.property(fc.constantFrom(...fields), fc.string({ minLength: 1, maxLength: 3 }), (field, suffix) => {
        const altered: SignedJob = { ...signed, job: { ...JOB, [field]: `${JOB[field]}${suffix}` } };
        const verdict = verifySignedJob(altered, KEYS.publicKey, { ...CTX, now: T0 });
        expect(verdict.ok).toBe(false);
      }),
    );
  });
});

describe("signing keys", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  it("creates the key once, owner-only, beside the database, and reads the same key back", () => {
    const path = signingKeyPathFor(join(tmp.dir, "var", "momlink.db"));
    expect(path).toBe(join(tmp.dir, "var", "momlink-signing-key.pem"));
    const first = loadOrCreateSigningKeys(path);
    const again = loadOrCreateSigningKeys(path);
    expect(again.keyId).toBe(first.keyId);
    expect(again.publicKeyPem).toBe(first.publicKeyPem);
    expect(readFileSync(path, "utf8")).toContain("PRIVATE KEY");
    if (process.platform !== "win32") expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it.skipIf(process.platform === "win32")("refuses a key file other users can read", () => {
    const path = join(tmp.dir, "key.pem");
    loadOrCreateSigningKeys(path);
    chmodSync(path, 0o644);
    expect(() => loadOrCreateSigningKeys(path)).toThrow(/chmod 600/);
  });

  it("names a key by the first 16 hex digits of its public key's SHA-256", () => {
    expect(KEYS.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(keyIdOf(KEYS.publicKeyPem)).toBe(KEYS.keyId);
    expect(OTHER.keyId).not.toBe(KEYS.keyId);
  });
});
