// `/momlink history [host]`: the latest changes, newest first, optionally those touching one host.
import { historyLines } from "../change-reports.ts";
import { escapeMrkdwn } from "../mrkdwn.ts";
import { ephemeral, type Subcommand } from "./subcommand.ts";

export const HISTORY_LIMIT = 15;

export const runHistory: Subcommand = async ({ args, slack, bot }) => {
  const host = args.trim().split(/\s+/)[0] || undefined;
  await slack.ack();
  const records = await bot.changes.list({ limit: HISTORY_LIMIT, ...(host === undefined ? {} : { host }) });
  const scope = host === undefined ? "" : ` for ${escapeMrkdwn(host)}`;
  if (records.length === 0) {
    await slack.respond(ephemeral(`No changes${scope} yet. \`/momlink plan\` starts one.`));
    return;
  }
  const lines = historyLines(records);
  await slack.respond(ephemeral([`*Latest changes${scope}*`, ...lines].join("\n")));
};
