// Text the domain writes about people (denials, a change's state, the approval policy), with no
// chat markup in it: words, and mentions of users and user groups kept as data. Each adapter
// renders a phrase its own way: Slack as `<@U…>` / `<!subteam^S…>` so names show (slack/mrkdwn.ts),
// the CLI and the logs as the plain ids (plainPhrase). A phrase is a string when it names nobody,
// else a list of strings and mentions read in order: plain strings stay valid phrases everywhere.
// Pure.

/** A Slack user id (`U…`, `W…`), or a user group as configured: an `@handle` or an id (`S…`). */
export type Mention = { readonly user: string } | { readonly group: string };
export type PhrasePart = string | Mention;
export type Phrase = string | readonly PhrasePart[];

export function userMention(id: string): Mention {
  return { user: id };
}

export function groupMention(group: string): Mention {
  return { group };
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

/** The phrase as text, each mention written by `mention` (an adapter's own syntax). */
export function renderPhrase(phrase: Phrase, mention: (m: Mention) => string): string {
  return phraseParts(phrase)
    .map((p) => (typeof p === "string" ? p : mention(p)))
    .join("");
}

/** Plain text for terminals and logs: a user as its id, a group as configured. */
export function plainPhrase(phrase: Phrase): string {
  return renderPhrase(phrase, (m) => ("user" in m ? m.user : m.group));
}
