// The Slack side of domain phrases: users and group ids as Slack mentions, handles as typed.
import { describe, expect, it } from "vitest";
import { groupMention, instant, phrase, userMention } from "../../src/domain/phrase.ts";
import { escapeMrkdwn, mrkdwnPhrase, slackMention, slackTime } from "../../src/slack/mrkdwn.ts";
import { slackDate } from "../support/dates.ts";

describe("mrkdwn", () => {
  it("writes a user as <@U…>, a group id as <!subteam^S…> and a handle as typed", () => {
    expect(slackMention(userMention("U0BOB0001"))).toBe("<@U0BOB0001>");
    expect(slackMention(groupMention("S0OPS0001"))).toBe("<!subteam^S0OPS0001>");
    expect(slackMention(groupMention("@ops-leads"))).toBe("@ops-leads");
  });

  it("renders a phrase's words as the domain wrote them and its mentions for Slack", () => {
    const p = phrase("only the requester (", [userMention("UREQ")], ") or ", [groupMention("@ops")]);
    expect(mrkdwnPhrase(p)).toBe("only the requester (<@UREQ>) or @ops");
  });

  it("writes an instant as a date token each reader sees in their own zone, falling back to the UTC date and time", () => {
    const at = "2025-11-26T23:58:30.000Z";
    expect(slackTime(at)).toBe("<!date^1764201510^{date_short_pretty} {time}|2025-11-26 23:58 UTC>");
    expect(slackTime(at)).toBe(slackDate(at));
    expect(mrkdwnPhrase(phrase("expires ", [instant(at)]))).toBe(`expires ${slackDate(at)}`);
    expect(slackTime("not a time & <x>")).toBe("not a time &amp; &lt;x&gt;");
  });

  it("escapes exactly & < >", () => {
    expect(escapeMrkdwn("a & <b> \"c\" 'd'")).toBe("a &amp; &lt;b&gt; \"c\" 'd'");
  });
});
