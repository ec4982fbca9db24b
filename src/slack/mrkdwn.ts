// Slack's mrkdwn for text momlink did not write in it: the three characters Slack needs escaped, and
// the domain's phrases (domain/phrase.ts) with their mentions written as Slack shows names: a user
// as `<@U…>`, a group id as `<!subteam^S…>`, a configured `@handle` as typed. The words of a phrase
// are passed through as the domain wrote them (they were never escaped: a change's reason reads as
// typed in a denial).
import { type Mention, type Phrase, renderPhrase, utcText } from "../domain/phrase.ts";

/** Slack's mrkdwn needs exactly these three escaped, in code blocks too. */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

export function slackMention(mention: Mention): string {
  if ("user" in mention) return `<@${mention.user}>`;
  return mention.group.startsWith("@") ? mention.group : `<!subteam^${mention.group}>`;
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
export function mrkdwnPhrase(phrase: Phrase): string {
  return renderPhrase(phrase, slackMention, slackTime);
}
