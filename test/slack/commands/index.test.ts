// Slack's escaping of command text, undone once before the grammar sees it.
import { describe, expect, it } from "vitest";
import { decodeSlackText } from "../../../src/slack/commands/index.ts";

describe("decodeSlackText", () => {
  it.each([
    ["plain text is untouched", "primary=mom-a share=\\\\san\\mom", "primary=mom-a share=\\\\san\\mom"],
    [
      "an auto-linked host becomes its label",
      "primary=<http://mom-a.corp.example|mom-a.corp.example>",
      "primary=mom-a.corp.example",
    ],
    ["an https link too", "x=<https://mom-a.corp.example|mom-a.corp.example>", "x=mom-a.corp.example"],
    [
      "an auto-linked address becomes its label",
      "x=<mailto:ops@corp.example|ops@corp.example>",
      "x=ops@corp.example",
    ],
    ["a typed URL stays the URL", "x=<http://mom-a.corp.example>", "x=http://mom-a.corp.example"],
    ["escaped & < > come back", "a=&amp;b c=&lt;d&gt;", "a=&b c=<d>"],
    ["an escaped entity is decoded once only", "a=&amp;lt;", "a=&lt;"],
    ["a user mention is left as Slack wrote it", "cancel CHG-1 <@U0ALICE01>", "cancel CHG-1 <@U0ALICE01>"],
    ["a label with escapes is decoded", "x=<http://a.example|a&amp;b>", "x=a&b"],
  ])("%s", (_name, input, output) => {
    expect(decodeSlackText(input)).toBe(output);
  });
});
