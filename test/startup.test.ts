// The approval policy the bot starts with, from the checked configuration: MOMLINK_APPROVERS is
// parsed once (config-rules.ts) and only sorted into users and groups here.
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { policyFrom } from "../src/startup.ts";

const SOCKET = {
  SLACK_APP_TOKEN: "xapp-1-A0123ABCD-1234567890123-abcdef0123",
  SLACK_BOT_TOKEN: "xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
};

function configOf(env: Record<string, string>) {
  const result = loadConfig(env);
  if (!result.ok) throw new Error(result.errors.join("\n"));
  return result.config;
}

describe("policyFrom", () => {
  it("sorts the configured approvers into user ids and groups, as configured", () => {
    const policy = policyFrom(
      configOf({ ...SOCKET, MOMLINK_APPROVERS: "U0123ABCD,@mom-approvers,S0123ABCD,W0123ABCD" }),
    );
    expect(policy.approvers).toEqual({
      users: ["U0123ABCD", "W0123ABCD"],
      groups: ["@mom-approvers", "S0123ABCD"],
    });
  });

  it("counts an approver named twice once, so two approvals cannot rest on one person", () => {
    const config = configOf({
      ...SOCKET,
      MOMLINK_APPROVERS: "U0123ABCD, U0123ABCD",
      MOMLINK_REQUIRED_APPROVALS: "2",
    });
    expect(() => policyFrom(config)).toThrow(/names only 1 approver/);
  });
});
