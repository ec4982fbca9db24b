// What the person in Slack is told when momlink could not finish their request after the ack.
// One sentence per kind of failure, shared by the command, button and form listeners; a lost
// database says plainly that nothing was recorded (without the file's path: that is the log's).
import { DatabaseGoneError } from "../store/db-file.ts";
import { StoreUnavailableError } from "../store/script.ts";

export const NOT_RECORDED =
  "Nothing was recorded: momlink's database file was deleted or replaced while momlink was running, so " +
  "momlink is stopping rather than record this where it would be lost. Try again in a minute, once it has restarted.";

export const DATABASE_UNAVAILABLE =
  "Nothing was recorded: momlink cannot reach its database right now (PostgreSQL is restarting or unreachable). " +
  "Try again in a minute.";

/** NOT_RECORDED for a lost database, DATABASE_UNAVAILABLE for one out of reach; otherwise the listener's own wording. */
export function failureText(error: unknown, otherwise: (message: string) => string): string {
  if (error instanceof DatabaseGoneError) return NOT_RECORDED;
  if (error instanceof StoreUnavailableError) return DATABASE_UNAVAILABLE;
  return otherwise(String((error as Error).message ?? error));
}
