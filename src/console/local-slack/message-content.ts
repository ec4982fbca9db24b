// The text and blocks of a message, checked as Slack checks them: shared by chat.* and by posts
// to a response URL, which Slack validates the same way.
import { checkMessageBlocks } from "./block-rules.ts";
import { fail, type Params, type SlackResponse } from "./protocol.ts";

const MAX_TEXT = 40_000;

export interface MessageContent {
  text?: string;
  blocks?: unknown[];
}

/** The content of `params`, or the error Slack would answer; `requireSome` for a new message. */
export function messageContent(params: Params, requireSome: boolean): MessageContent | SlackResponse {
  const text = typeof params.text === "string" ? params.text : undefined;
  const blocks = params.blocks;
  if (blocks !== undefined && !Array.isArray(blocks)) return fail("invalid_blocks_format");
  if (requireSome && (text === undefined || text === "") && (blocks === undefined || blocks.length === 0)) {
    if (params.attachments === undefined) return fail("no_text");
  }
  if (text !== undefined && text.length > MAX_TEXT) return fail("msg_too_long");
  if (blocks !== undefined && blocks.length > 0) {
    const problems = checkMessageBlocks(blocks);
    if (problems.length > 0)
      return fail("invalid_blocks", { errors: problems, response_metadata: { messages: problems } });
  }
  return { ...(text !== undefined ? { text } : {}), ...(blocks !== undefined ? { blocks } : {}) };
}
