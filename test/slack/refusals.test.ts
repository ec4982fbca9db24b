// Refusals fit in Slack: a plan with thousands of problems is answered with a few per field and a
// count of the rest, in the ack (slash command) and in the form's field errors (modal), through
// the real Bolt app over signed HTTP. Slack caps a message's text at 40,000 characters; momlink
// stays within a few thousand. And the path characters the Windows runner would refuse at run time
// are refused here first, naming the character and its code point.
import { afterEach, describe, expect, it } from "vitest";
import { BEST_FIT_LOOKALIKES } from "../support/lookalikes.ts";
import { ALICE, type Momlink, openedViewId, startMomlink } from "./support.ts";

let m: Momlink;
afterEach(async () => {
  await m.stop();
});

const BASE = "primary=mom-a secondary=mom-b em-home=D:\\EM";
const SHARE = "share=\\\\san-server\\mom-failover";

describe("a refused /momlink plan with thousands of problems", () => {
  it.each([
    ["20,000 backslashes in share", `plan ${BASE} share=${"\\".repeat(20_000)}`, "share", 19_999],
    [
      "3,000 unknown keys",
      `plan ${BASE} ${SHARE} ${Array.from({ length: 3000 }, (_, i) => `colour${i}=blue`).join(" ")}`,
      "command",
      3000,
    ],
  ])("with %s is acked with three of them and how many more", async (_name, text, field, total) => {
    m = await startMomlink();
    const reply = await m.command(text);

    expect(reply.status).toBe(200);
    const ack = (reply.body as { text: string }).text;
    expect(ack.length).toBeLessThan(4000);
    expect(ack.split("\n")[0]).toBe(`momlink refused the plan (${total} problems):`);
    const listed = ack
      .split("\n")
      .filter((line) => line.startsWith(`- ${field}: `) && !line.includes("…and"));
    expect(listed).toHaveLength(3);
    expect(ack).toContain(`- ${field}: …and ${total - 3} more problems like these.`);
    expect(await m.store.list()).toEqual([]);
  });
});

describe("the plan form with thousands of problems in one field", () => {
  it("returns that field's first problems and how many more, within the field's error", async () => {
    m = await startMomlink();
    await m.command("plan");
    const reply = await m.submit(
      openedViewId(m.fake),
      {
        primary: { value: "mom-a" },
        secondary: { value: "mom-b" },
        "em-home": { value: "D:\\EM" },
        // The most a Slack text input holds (3000): anything longer is refused as unreadable (payloads.ts).
        share: { value: "\\".repeat(3_000) },
      },
      ALICE,
    );

    const body = reply.body as { response_action: string; errors: Record<string, string> };
    expect(body.response_action).toBe("errors");
    expect(body.errors.share?.length).toBeLessThanOrEqual(1000);
    expect(body.errors.share?.split("\n")).toHaveLength(4);
    expect(body.errors.share?.split("\n")[3]).toBe("…and 2996 more problems like these.");
  });
});

describe("a /momlink plan whose paths the Windows runner would refuse", () => {
  it.each([
    [
      "a share component starting with a space",
      `${BASE} share="\\\\san-server\\mom-failover\\ x"`,
      "share",
      "path-leading-space",
      "component ` x` starts with a space",
    ],
    [
      "an EM_HOME component starting with a space",
      `primary=mom-a secondary=mom-b em-home="D:\\Introscope\\ x" ${SHARE}`,
      "em-home",
      "path-leading-space",
      "EM_HOME component ` x` starts with a space",
    ],
    // ¥ and ₩ stand for the backslash on Japanese and Korean keyboards: explained as such.
    ...BEST_FIT_LOOKALIKES.filter(([, , ascii]) => ascii !== "\\").map(([ch, cp, ascii]) => [
      `the look-alike ${ch} (${cp}) in the share`,
      `${BASE} share=\\\\san-server\\mom${ch}failover`,
      "share",
      "lookalike-character",
      `\`${ch}\` (${cp}) at position 17 looks like \`${ascii}\``,
    ]),
    ...[
      ["¥", "U+00A5", "yen"],
      ["₩", "U+20A9", "won"],
    ].map(([ch, cp, sign]) => [
      `the ${sign} sign a keyboard typed for a backslash in the share`,
      `${BASE} share=\\\\san-server\\mom${ch}failover`,
      "share",
      "backslash-sign",
      `\`${ch}\` (${cp}) at position 17 is the ${sign} sign, not a backslash`,
    ]),
    [
      "a broken bar",
      `primary=mom-a secondary=mom-b em-home=D:\\EM¦x ${SHARE}`,
      "em-home",
      "lookalike-character",
      "`¦` (U+00A6) at position 6 looks like `|`",
    ],
    [
      "a replacement character",
      `${BASE} share=\\\\san-server\\mom\uFFFDfailover`,
      "share",
      "broken-character",
      "(U+FFFD) at position 17 is the replacement character",
    ],
  ])("refuses %s in the ack, naming it", async (_name, args, field, rule, mention) => {
    m = await startMomlink();
    const reply = await m.command(`plan ${args}`);

    const ack = (reply.body as { text: string }).text;
    const line = ack.split("\n").find((l) => l.startsWith(`- ${field}: `) && l.endsWith(`[${rule}]`));
    expect(line, ack).toBeDefined();
    expect(line).toContain(mention.replaceAll("&", "&amp;"));
    expect(await m.store.list()).toEqual([]);
  });
});
