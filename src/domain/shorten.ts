// One way to shorten text for a bounded place (a Slack field, a record's reason) and one way to show
// a plan hash short, so every message cuts the same way. Pure.

/** `text` cut to at most `max` characters, ending in "…" when it was cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The first `length` characters of a plan hash, as people compare it: 12 in messages. */
export function shortHash(hash: string, length = 12): string {
  return hash.slice(0, length);
}
