// What the person in Slack is told when momlink could not finish their request after the ack.
// One sentence per kind of failure, shared by the command, button and form listeners; a lost
// database says plainly that nothing was recorded (without the file's path: that is the log's).
import { DatabaseGoneError } from "../store/db-file.ts";

export const NOT_RECORDED =
  "Nothing was recorded: momlink's database file was deleted or replaced while momlink was running, so " +
  "momlink is stopping rather than record this where it would be lost. Try again in a minute, once it has restarted.";

/** NOT_RECORDED for a lost database; otherwise the listener's own wording of the error's message. */
export function failureText(error: unknown, otherwise: (message: string) => string): string {
  if (error instanceof DatabaseGoneError) return NOT_RECORDED;
  return otherwise(String((error as Error).message ?? error));
}
