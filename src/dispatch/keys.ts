// The bot's Ed25519 key pair: generated once, kept next to the database, readable by its owner only.
import { createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { keyIdOf, type SigningKeys } from "../protocol/signing.ts";
import { StartError } from "../start-error.ts";

/** Where the key lives for a given database path: beside it, so backups take both together. */
export function signingKeyPathFor(dbPath: string): string {
  return join(dirname(resolve(dbPath)), "momlink-signing-key.pem");
}

export const SHARED_KEY_REQUIRED =
  "MOMLINK_SIGNING_KEY is required with MOMLINK_DATABASE_URL: every replica signs jobs with the one key the runners " +
  "enrolled with, so each needs the same key file (created on the first start if missing: copy it to every replica " +
  "before starting the next). e.g. MOMLINK_SIGNING_KEY=/etc/momlink/signing-key.pem";

/**
 * The key file a configuration names: MOMLINK_SIGNING_KEY, else beside MOMLINK_DB. On PostgreSQL
 * it must be named (a StartError otherwise): a key made beside each replica's MOMLINK_DB would
 * differ from replica to replica, and runners refuse jobs signed by a key they did not enrol with.
 */
export function signingKeyFileOf(config: {
  db: string;
  signingKey?: string | undefined;
  databaseUrl?: string | undefined;
}): string {
  if (config.signingKey !== undefined) return config.signingKey;
  if (config.databaseUrl !== undefined) throw new StartError(SHARED_KEY_REQUIRED);
  return signingKeyPathFor(config.db);
}

/** In-memory keys (tests, benchmarks, `:memory:` databases). */
export function generateSigningKeys(): SigningKeys {
  const { privateKey } = generateKeyPairSync("ed25519");
  return toKeys(privateKey.export({ type: "pkcs8", format: "pem" }).toString());
}

/**
 * Reads the key at `path`, creating it (mode 0600, exclusive create so two starting processes
 * cannot write two different keys) when missing. Refuses a key file others can read: whoever
 * reads it can sign jobs every runner will run.
 */
export function loadOrCreateSigningKeys(path: string): SigningKeys {
  mkdirSync(dirname(resolve(path)), { recursive: true });
  try {
    const { privateKey } = generateKeyPairSync("ed25519");
    writeFileSync(path, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600, flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  if (process.platform !== "win32") {
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new Error(
        `the signing key ${path} is readable by other users (mode ${mode.toString(8)}): run chmod 600 "${path}"`,
      );
    }
  }
  return toKeys(readFileSync(path, "utf8"));
}

function toKeys(privatePem: string): SigningKeys {
  const privateKey = createPrivateKey(privatePem);
  if (privateKey.asymmetricKeyType !== "ed25519") throw new Error("the signing key is not an Ed25519 key");
  const publicKey = createPublicKey(privateKey);
  return {
    privateKey,
    publicKey,
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    keyId: keyIdOf(publicKey),
  };
}
