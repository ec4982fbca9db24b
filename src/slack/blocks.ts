// Block Kit pieces for every momlink message: Slack's limits, code blocks that split long scripts
// at line boundaries instead of cutting them (escaped, or preformatted rich text when the text
// holds a fence of its own), text sections within the limit, and the word for each state. The
// messages themselves are plan-message.ts (the change's channel message) and change-reports.ts
// (thread replies, `/momlink show|history|verify` answers).
import type { types } from "@slack/bolt";
import type { ApprovalPolicy } from "../domain/policy.ts";
import type { ChangeState } from "../domain/record.ts";
import { escapeMrkdwn, type GroupIds } from "./mrkdwn.ts";

export type KnownBlock = types.KnownBlock;

/** Slack's limits (https://docs.slack.dev/reference/block-kit/blocks), as the local fake enforces them. */
export const LIMITS = {
  sectionText: 3000,
  contextText: 3000,
  headerText: 150,
  messageBlocks: 50,
  viewBlocks: 100,
  confirmTitle: 100,
  confirmText: 300,
} as const;

export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

export interface MessageContext {
  policy: ApprovalPolicy;
  now: Date;
  /** Whether runner hooks are plugged in: an approved change then waits for them, not for someone to set one up. */
  runners: boolean;
  /** The approver groups' ids by handle, as last read from Slack: a handle is mentioned by its id. */
  groupIds?: GroupIds;
}

export const mrkdwn = (text: string): types.MrkdwnElement => ({ type: "mrkdwn", text });
export const plain = (text: string): types.PlainTextElement => ({ type: "plain_text", text });
export const section = (text: string): types.SectionBlock => ({ type: "section", text: mrkdwn(text) });

/**
 * Splits lines into groups whose joined, escaped length plus `overhead` stays within `limit`.
 * A line too long for any group on its own (impossible for validated plans: paths stay under
 * MAX_PATH) is wrapped rather than dropped.
 */
function packLines(lines: readonly string[], limit: number, overhead: (index: number) => number): string[][] {
  const groups: string[][] = [];
  let current: string[] = [];
  let size = 0;
  const room = () => limit - overhead(groups.length);
  const flush = () => {
    groups.push(current);
    current = [];
    size = 0;
  };
  for (const line of lines) {
    for (const piece of wrap(line, room())) {
      const length = escapeMrkdwn(piece).length;
      if (current.length > 0 && size + 1 + length > room()) flush();
      size += (current.length > 0 ? 1 : 0) + length;
      current.push(piece);
    }
  }
  if (current.length > 0 || groups.length === 0) flush();
  return groups;
}

/** Length of a character once escaped for mrkdwn. */
const escapedLength = (ch: string): number => (ch === "&" ? 5 : ch === "<" || ch === ">" ? 4 : ch.length);

function wrap(line: string, room: number): string[] {
  if (escapeMrkdwn(line).length <= room) return [line];
  const pieces: string[] = [];
  let piece = "";
  let size = 0;
  for (const ch of line) {
    if (size + escapedLength(ch) > room) {
      pieces.push(piece);
      piece = "";
      size = 0;
    }
    piece += ch;
    size += escapedLength(ch);
  }
  pieces.push(piece);
  return pieces;
}

/**
 * A script as code blocks, each section within Slack's 3000 characters, split only between
 * lines. `title` (mrkdwn) heads the first block. Text holding a code fence of its own is shown as
 * preformatted rich text instead, where no character can end the block early.
 */
export function codeBlocks(script: string, title?: string): KnownBlock[] {
  const head = title === undefined ? "" : `${title}\n`;
  const fence = "```\n\n```".length;
  const groups = packLines(
    script.split("\n"),
    LIMITS.sectionText,
    (i) => fence + (i === 0 ? head.length : 0),
  );
  return groups.map((lines, i): KnownBlock => {
    const body = lines.join("\n");
    const prefix = i === 0 ? head : "";
    if (body.includes("```")) {
      return {
        type: "rich_text",
        elements: [
          ...(prefix === ""
            ? []
            : [{ type: "rich_text_section" as const, elements: [{ type: "text" as const, text: prefix }] }]),
          { type: "rich_text_preformatted", elements: [{ type: "text", text: body }] },
        ],
      };
    }
    return section(`${prefix}\`\`\`\n${escapeMrkdwn(body)}\n\`\`\``);
  });
}

/** Plain mrkdwn lines (already escaped where needed) as sections within the limit. */
export function textBlocks(lines: readonly string[]): KnownBlock[] {
  return packLines(lines, LIMITS.sectionText, () => 0).map((group) => section(group.join("\n")));
}

/** Blocks as several messages of at most `perMessage` blocks each. */
export function chunkBlocks(
  blocks: readonly KnownBlock[],
  perMessage = LIMITS.messageBlocks,
): KnownBlock[][] {
  const chunks: KnownBlock[][] = [];
  for (let i = 0; i < blocks.length; i += perMessage) chunks.push(blocks.slice(i, i + perMessage));
  return chunks;
}

const STATE_WORDS: Record<ChangeState, string> = {
  planned: "pre-flight",
  awaiting_approval: "awaiting approval",
  approved: "approved",
  executing: "executing",
  rolling_back: "rolling back",
  succeeded: "succeeded",
  failed: "failed",
  rolled_back: "rolled back",
  rejected: "rejected",
  expired: "expired",
  cancelled: "cancelled",
  needs_verification: "needs verification",
};

export function stateWord(state: ChangeState): string {
  return STATE_WORDS[state];
}

/**
 * Text that is not one of the plan's scripts (facts, progress): mrkdwn lines under a bold title,
 * never a code block, so it is not mistaken for a script to copy and reads the same in the console.
 */
export function annotated(text: string, title: string): KnownBlock[] {
  return textBlocks([title, ...text.split("\n").map((line) => escapeMrkdwn(line))]);
}
