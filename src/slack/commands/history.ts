// `/momlink history [host]`: the latest changes, newest first, optionally those touching one host.
import { historyLines } from "../blocks.ts";
import { escapeMrkdwn } from "../mrkdwn.ts";
import { ephemeral } from "./help.ts";
import type { Subcommand } from "./index.ts";

export const HISTORY_LIMIT = 15;

export const runHistory: Subcommand = async ({ args, slack, svc }) => {
  const host = args.trim().split(/\s+/)[0] || undefined;
  await slack.ack();
  const records = svc.store.list({ limit: HISTORY_LIMIT, ...(host === undefined ? {} : { host }) });
  const scope = host === undefined ? "" : ` for ${escapeMrkdwn(host)}`;
  if (records.length === 0) {
    await slack.respond(ephemeral(`No changes${scope} yet. \`/momlink plan\` starts one.`));
    return;
  }
  const lines = historyLines(records, svc.messageContext().now);
  await slack.respond(ephemeral([`*Latest changes${scope}*`, ...lines].join("\n")));
};
