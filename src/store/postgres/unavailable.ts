// What a caller of the change store sees when PostgreSQL cannot be reached while the bot runs (a
// restart, a failover, a network cut): StoreUnavailableError (store/script.ts, the dispatcher's
// too, so one check serves both stores), whose message a Slack reply can show as it is ("the
// database is unavailable, try again"), instead of pg's many shapes of connection failure. The pool itself survives the outage and reconnects on the next call; this
// module only names the failure. What it keeps true: only failures of the connection are called
// unavailable; a refused statement (a constraint, a bug) is passed on unchanged, since trying
// again would not help.
import { StoreUnavailableError } from "../script.ts";
import { DatabaseConnectError, type PostgresConnection } from "./connect.ts";

/** True for the error a store call rejects with during an outage: show "try again", do not crash. */
export function isDatabaseUnavailable(error: unknown): error is StoreUnavailableError {
  return error instanceof StoreUnavailableError;
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/**
 * SQLSTATEs of a server going away or not yet back: class 08 (connection exception), and
 * admin_shutdown, crash_shutdown, cannot_connect_now (a server starting or shutting down).
 */
function lostServer(code: string): boolean {
  return code.startsWith("08") || code === "57P01" || code === "57P02" || code === "57P03";
}

/** pg's own errors for a connection that died or never came, which carry no code. */
const LOST_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /client has encountered a connection error/i,
  /connection (?:is )?closed/i,
];

export function isConnectionFailure(error: unknown): boolean {
  if (error instanceof DatabaseConnectError) return true;
  if (!(error instanceof Error)) return false;
  const code = "code" in error ? error.code : undefined;
  if (typeof code === "string" && (NETWORK_CODES.has(code) || lostServer(code))) return true;
  if (error instanceof AggregateError && error.errors.some(isConnectionFailure)) return true;
  return LOST_MESSAGES.some((pattern) => pattern.test(error.message));
}

/** `error` as the caller should see it: StoreUnavailableError for a lost connection, else unchanged. */
export function asUnavailable(connection: PostgresConnection, doing: string, error: unknown): unknown {
  if (isDatabaseUnavailable(error) || !isConnectionFailure(error)) return error;
  const detail = connection.explain(doing, error);
  return new StoreUnavailableError(`the database is unavailable, try again in a moment (${detail})`, {
    cause: error,
  });
}
