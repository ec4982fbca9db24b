// The Slack side of domain phrases: users and group ids as Slack mentions, handles as typed.
import { describe, expect, it } from "vitest";
import { groupMention, phrase, userMention } from "../../src/domain/phrase.ts";
import { escapeMrkdwn, mrkdwnPhrase, slackMention } from "../../src/slack/mrkdwn.ts";

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

  it("escapes exactly & < >", () => {
    expect(escapeMrkdwn("a & <b> \"c\" 'd'")).toBe("a &amp; &lt;b&gt; \"c\" 'd'");
  });
});
