// Secrets the bot hands to runners. The bot stores only their SHA-256: a copy of the database
// does not let anyone act as a runner. Both are 32 random bytes; the prefix lets secret scanners
// and our log scrubber recognise them.
import { createHash, randomBytes } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

export const TOKEN_PREFIX = "mlt_";
export const CREDENTIAL_PREFIX = "mlc_";

export function newRegistrationToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString("base64url");
}

export function newCredential(): string {
  return CREDENTIAL_PREFIX + randomBytes(32).toString("base64url");
}

/** Lookups go by this hash; a 256-bit secret needs no slow KDF, and no secret is compared byte by byte. */
export function secretHash(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

export type BearerResult = { ok: true; credential: string } | { ok: false; error: string };

export function bearerFrom(headers: IncomingHttpHeaders): BearerResult {
  const header = headers.authorization;
  if (header === undefined) return { ok: false, error: "missing Authorization: Bearer <credential> header" };
  const match = /^Bearer ([A-Za-z0-9_-]{16,128})$/.exec(header);
  if (match?.[1] === undefined)
    return { ok: false, error: "malformed Authorization header: expected Bearer <credential>" };
  return { ok: true, credential: match[1] };
}
