// Which token a method accepts, as Slack decides it: Socket Mode's apps.connections.open wants the
// app-level `xapp-` token, every other method a bot `xoxb-` token.
import { fail, type SlackResponse } from "./protocol.ts";

export interface AcceptedTokens {
  /** When set, the only bot token accepted; otherwise any `xoxb-` token is. */
  botToken?: string;
  /** When set, the only app-level token accepted; otherwise any `xapp-` token is. */
  appToken?: string;
}

/** The error Slack answers when `token` may not call `method`; undefined when it may. */
export function authorize(
  method: string,
  token: string | undefined,
  accepted: AcceptedTokens,
): SlackResponse | undefined {
  if (token === undefined) return fail("not_authed");
  const wantsAppToken = method === "apps.connections.open";
  const isAppToken = token.startsWith("xapp-");
  if (wantsAppToken !== isAppToken) return fail("not_allowed_token_type");
  if (isAppToken) {
    return accepted.appToken === undefined || token === accepted.appToken ? undefined : fail("invalid_auth");
  }
  const expected = accepted.botToken;
  if (expected !== undefined ? token !== expected : !token.startsWith("xoxb-")) return fail("invalid_auth");
  return undefined;
}
