// Slack's mrkdwn for text momlink did not write in it: the three characters Slack needs escaped, and
// the domain's phrases (domain/phrase.ts) with their mentions written as Slack shows names: a user
// as `<@U…>`, a group as `<!subteam^S…>` (a configured `@handle` by the id Slack gave it, so the
// group is pinged), and an instant as a date token. The words of a phrase
// are passed through as the domain wrote them (they were never escaped: a change's reason reads as
// typed in a denial).
import { type Mention, type Phrase, renderPhrase, utcText } from "../domain/phrase.ts";

/** Slack's mrkdwn needs exactly these three escaped, in code blocks too. */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** Group handles (`@ops-leads`, lower-cased) and the user group ids Slack knows them by. */
export type GroupIds = ReadonlyMap<string, string>;

/**
 * A mention as Slack notifies it: `<@U…>`, `<!subteam^S…>`; a configured `@handle` by its group's
 * id when `groupIds` knows it (a handle as typed pings nobody), else as typed.
 */
export function slackMention(mention: Mention, groupIds?: GroupIds): string {
  if ("user" in mention) return `<@${mention.user}>`;
  const id = mention.group.startsWith("@") ? groupIds?.get(mention.group.toLowerCase()) : mention.group;
  return id === undefined ? escapeMrkdwn(mention.group) : `<!subteam^${id}>`;
}

/**
 * An instant as Slack's date token: each reader sees it in their own time zone ("Today at 11:42
 * AM"); a client that cannot render the token shows the fallback, the UTC date and time.
 */
export function slackTime(at: string | Date): string {
  const ms = (typeof at === "string" ? new Date(at) : at).getTime();
  if (Number.isNaN(ms)) return escapeMrkdwn(String(at));
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${utcText(at)}>`;
}

/** A domain phrase as Slack text, its mentions as Slack shows names and its instants as date tokens. */
export function mrkdwnPhrase(phrase: Phrase, groupIds?: GroupIds): string {
  return renderPhrase(phrase, (m) => slackMention(m, groupIds), slackTime);
}
