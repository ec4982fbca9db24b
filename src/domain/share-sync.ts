// A share directory that already holds data is trusted only when pre-flight found it in sync with
// the primary's: a robocopy that stopped half-way, or a copy made while the EM still ran, must not
// become the EM's config or SmartStor while the good copy waits in `<dir>.pre-CHG-n`. This module
// decides what the primary's plan does with such a directory, and says what the comparison found
// in the words the facts and the blockers share.
import type { ShareDataChoice } from "./choices.ts";
import type { ShareSync } from "./facts.ts";

export type ShareDataDecision =
  /** In sync, or the team chose to keep it as it is: no seeding. */
  | { action: "trust" }
  /** share-data=reseed: the seed step copies the difference from the primary. */
  | { action: "reseed" }
  /** Not in sync (or not compared) and nobody chose: the plan is blocked with `reason`. */
  | { action: "block"; reason: string };

/** The words for what a comparison found (`undefined`: the runner did not compare). */
export function describeSync(sync: ShareSync | undefined): string {
  if (sync === undefined)
    return "not compared with the primary's directory (the runner reported no comparison)";
  if (sync.inSync === true) return "in sync with the primary's directory";
  if (sync.inSync === null) return `not compared with the primary's directory: ${clean(sync.detail)}`;
  const parts = [
    sync.missing > 0 ? `missing ${count(sync.missing, "file")}` : "",
    sync.differing > 0 ? `${count(sync.differing, "file")} older or otherwise different` : "",
    sync.extra > 0 ? `${count(sync.extra, "extra file")}` : "",
  ].filter(Boolean);
  const what = parts.length > 0 ? parts.join(", ") : clean(sync.detail);
  const examples = sync.examples.length > 0 ? ` (${sync.examples.map(clean).join(", ")})` : "";
  return `NOT in sync with the primary's directory: the share is ${what}${examples}`;
}

export function decideShareData(
  sync: ShareSync | undefined,
  choice: ShareDataChoice | undefined,
  where: { host: string; dir: string; target: string },
): ShareDataDecision {
  if (sync?.inSync === true) return { action: "trust" };
  switch (choice) {
    case "reseed":
      return { action: "reseed" };
    case "keep":
      return { action: "trust" };
    case undefined:
      return {
        action: "block",
        reason:
          `${where.target} already holds data, ${describeSync(sync)} (${where.dir} on ${where.host}): ` +
          `choose share-data=reseed (${where.host} copies what the share lacks or holds in another version; nothing on the share is deleted) ` +
          "or share-data=keep (use the share as it is), then plan again",
      };
    default: {
      const unhandled: never = choice;
      throw new Error(`unhandled share-data choice ${String(unhandled)}`);
    }
  }
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** Runner-reported text in a sentence: no control characters or backquotes, bounded. */
function clean(text: string): string {
  const cleaned = text.replace(/[\p{Cc}`]/gu, "?");
  return cleaned.length > 200 ? `${cleaned.slice(0, 200)}...` : cleaned;
}
