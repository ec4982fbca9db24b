// Text the domain writes about people (denials, a change's state, the approval policy), with no
// chat markup in it: words, mentions of users and user groups, and instants, kept as data. Each
// adapter renders a phrase its own way: Slack as `<@U…>` / `<!subteam^S…>` so names show, and an
// instant as a date token each reader sees in their own time zone (slack/mrkdwn.ts); the CLI and
// the logs as the plain ids and the UTC date and time (plainPhrase). A phrase is a string when it
// names nobody and no time, else a list of strings and parts read in order: plain strings stay
// valid phrases everywhere. Pure.

/** A Slack user id (`U…`, `W…`), or a user group as configured: an `@handle` or an id (`S…`). */
export type Mention = { readonly user: string } | { readonly group: string };
/** An instant (ISO 8601), shown in each reader's time zone where the front end can, else in UTC with its date. */
export type Instant = { readonly time: string };
export type PhrasePart = string | Mention | Instant;
export type Phrase = string | readonly PhrasePart[];

export function userMention(id: string): Mention {
  return { user: id };
}

export function groupMention(group: string): Mention {
  return { group };
}

export function instant(at: string | Date): Instant {
  return { time: typeof at === "string" ? at : at.toISOString() };
}

/**
 * An instant as text that needs no time zone to be read right: "2025-03-04 10:42 UTC", always
 * with the date (a plan's TTL may run into the next day). What a Slack date token falls back to.
 */
export function utcText(at: string | Date): string {
  const d = typeof at === "string" ? new Date(at) : at;
  if (Number.isNaN(d.getTime())) return String(at);
  const iso = d.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

export function phraseParts(phrase: Phrase): readonly PhrasePart[] {
  return typeof phrase === "string" ? [phrase] : phrase;
}

/** The phrases one after the other; a string when none names anybody. */
export function phrase(...pieces: readonly Phrase[]): Phrase {
  const parts = pieces.flatMap((p) => phraseParts(p));
  return parts.every((p) => typeof p === "string") ? parts.join("") : parts;
}

/** The items with `separator` between them, as one phrase. */
export function joinPhrases(items: readonly Phrase[], separator: string): Phrase {
  return phrase(...items.flatMap((item, i) => (i === 0 ? [item] : [separator, item])));
}

/** The phrase as text, each mention and instant written by the adapter's own syntax (instants: UTC text unless told). */
export function renderPhrase(
  phrase: Phrase,
  mention: (m: Mention) => string,
  time: (iso: string) => string = utcText,
): string {
  return phraseParts(phrase)
    .map((p) => (typeof p === "string" ? p : "time" in p ? time(p.time) : mention(p)))
    .join("");
}

/** Plain text for terminals and logs: a user as its id, a group as configured, a time in UTC with its date. */
export function plainPhrase(phrase: Phrase): string {
  return renderPhrase(phrase, (m) => ("user" in m ? m.user : m.group));
}
