// `/momlink show CHG-n`: the change's state, its audit trail and the whole plan, to the asker only.
import { looksLikeChangeId, parseChangeId } from "../../domain/change-id.ts";
import { changeDetails } from "../change-reports.ts";
import { escapeMrkdwn } from "../mrkdwn.ts";
import { ephemeral, type Subcommand } from "./subcommand.ts";

/**
 * The change id a subcommand was given as its first word, or the ack text that refuses it: the
 * usage, after the reason when the word was meant as an id (`CHG-...`) but is not one.
 */
export function changeIdArgument(args: string, usage: string): { id: string } | { refusal: string } {
  const first = args.trim().split(/\s+/)[0] ?? "";
  const parsed = parseChangeId(first);
  if (parsed.ok) return { id: parsed.id };
  return { refusal: looksLikeChangeId(first) ? `${escapeMrkdwn(parsed.reason)}.\n${usage}` : usage };
}

/** Response URLs take five posts; a plan long enough to need more is cut at the last one. */
const MAX_RESPONSES = 5;

export const runShow: Subcommand = async ({ args, slack, bot }) => {
  const given = changeIdArgument(args, "Usage: `/momlink show CHG-n`, e.g. `/momlink show CHG-12`.");
  if ("refusal" in given) {
    await slack.ack(ephemeral(given.refusal));
    return;
  }
  const { id } = given;
  await slack.ack();
  const record = await bot.changes.get(id);
  if (record === null) {
    await slack.respond(ephemeral(`There is no change ${id}. \`/momlink history\` lists the latest ones.`));
    return;
  }
  const [link, audit, progress] = await Promise.all([
    bot.permalink(record),
    bot.changes.audit(id),
    bot.changes.progress(record),
  ]);
  const messages = changeDetails(record, audit, bot.messageContext(), link, progress);
  for (const message of messages.slice(0, MAX_RESPONSES)) {
    await slack.respond({ response_type: "ephemeral", ...message });
  }
};
