// Which requests count as "the same request again" for redelivery: the key Slack keeps stable.
import { describe, expect, it } from "vitest";
import { requestKey } from "../../src/slack/app.ts";

describe("requestKey", () => {
  it.each([
    [
      "a slash command, by its trigger",
      { command: "/momlink", trigger_id: "1.2.3", text: "help" },
      "command:1.2.3",
    ],
    [
      "a button click, by who clicked when",
      { type: "block_actions", user: { id: "U0BOB0001" }, actions: [{ action_ts: "1741083120.000100" }] },
      "action:U0BOB0001:1741083120.000100",
    ],
    ["a form submission, by its trigger", { type: "view_submission", trigger_id: "9.8.7" }, "view:9.8.7"],
    ["an event, by its id", { type: "event_callback", event_id: "Ev0123" }, "event:Ev0123"],
    ["a command without a trigger is never deduplicated", { command: "/momlink", text: "help" }, undefined],
    ["anything else neither", { type: "view_closed" }, undefined],
  ])("%s", (_name, body, key) => {
    expect(requestKey(body)).toBe(key);
  });
});
