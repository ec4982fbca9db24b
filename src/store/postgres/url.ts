// MOMLINK_DATABASE_URL: the one check of a PostgreSQL connection URL, and the one way it is shown.
// Checked the way node-postgres reads it (pg-connection-string): postgres:// or postgresql://, a
// host (or ?host=/socket/dir), a database, TLS in the query (sslmode, sslrootcert, sslcert,
// sslkey). A misspelt parameter is refused rather than ignored: pg would drop `sslmod=verify-full`
// silently and connect without TLS. Nothing here ever repeats the password: every problem names
// the part that is wrong, and redactDatabaseUrl() is what logs and errors show of a URL.
import { existsSync } from "node:fs";

export const DATABASE_URL_VARIABLE = "MOMLINK_DATABASE_URL";

export const DATABASE_URL_EXAMPLE =
  "postgres://momlink:PASSWORD@db.example.net:5432/momlink?sslmode=verify-full&sslrootcert=/etc/momlink/db-ca.pem";

/** What pg reads from the query of a URL, as its own configuration. */
const KNOWN_PARAMETERS = [
  "sslmode",
  "sslrootcert",
  "sslcert",
  "sslkey",
  "ssl",
  "sslnegotiation",
  "uselibpqcompat",
  "host",
  "user",
  "password",
  "application_name",
  "options",
  "client_encoding",
  "statement_timeout",
  "lock_timeout",
  "idle_in_transaction_session_timeout",
] as const;

const SSL_MODES = ["disable", "prefer", "require", "verify-ca", "verify-full", "no-verify"] as const;
const TLS_FILES = { sslrootcert: "CA certificate", sslcert: "client certificate", sslkey: "client key" };

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Every problem with `value` as a PostgreSQL URL, in an operator's words (empty when it is fine). */
export function databaseUrlProblems(value: string): string[] {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // Not even the scheme is echoed: a value that is no URL may be a bare password.
    return ["is not a URL: write it as postgres://user:password@host:port/database"];
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    return [`starts with ${url.protocol}// but must start with postgres:// or postgresql://`];
  }
  const problems: string[] = [];
  if (url.hostname === "" && !url.searchParams.has("host")) {
    problems.push("names no server: put its host name after // (or a socket directory in ?host=)");
  }
  const database = decoded(url.pathname.replace(/^\//, ""));
  if (database === "") problems.push("names no database: end the address with /<database>, e.g. /momlink");
  else if (database.includes("/"))
    problems.push(`names the database "${database}", which has a /: one name only`);
  for (const key of new Set(url.searchParams.keys())) {
    if (!(KNOWN_PARAMETERS as readonly string[]).includes(key)) {
      problems.push(
        `has the parameter "${key}", which node-postgres does not read (it would be ignored); known: ${KNOWN_PARAMETERS.join(", ")}`,
      );
    }
  }
  const mode = url.searchParams.get("sslmode");
  if (mode !== null && !(SSL_MODES as readonly string[]).includes(mode)) {
    problems.push(
      `has sslmode=${mode}; sslmode is one of ${SSL_MODES.join(", ")} (verify-full checks the server's name)`,
    );
  }
  for (const [key, what] of Object.entries(TLS_FILES)) {
    const file = url.searchParams.get(key);
    if (file !== null && !existsSync(file))
      problems.push(`has ${key}=${file}, but that ${what} file does not exist`);
  }
  return problems;
}

/** The URL with its password replaced: what a log line or an error may show. A non-URL shows as a placeholder. */
export function redactDatabaseUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password !== "") url.password = "***";
    if (url.searchParams.has("password")) url.searchParams.set("password", "***");
    return url.href;
  } catch {
    return "(not a URL)";
  }
}

/** `text` with the URL's password (raw and percent-decoded) removed, for messages that came from elsewhere (pg's errors). */
export function withoutPassword(text: string, value: string): string {
  let out = text.split(value).join(redactDatabaseUrl(value));
  let passwords: string[];
  try {
    const url = new URL(value);
    passwords = [url.password, url.searchParams.get("password") ?? ""];
  } catch {
    return out;
  }
  for (const secret of new Set(passwords.flatMap((p) => [p, decoded(p)]))) {
    if (secret !== "") out = out.split(secret).join("***");
  }
  return out;
}
