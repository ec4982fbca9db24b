// `/momlink show CHG-n`: the change's state, its audit trail and the whole plan, to the asker only.
import { changeDetails } from "../blocks.ts";
import { ephemeral } from "./help.ts";
import type { Subcommand } from "./index.ts";

/** `CHG-12`, `chg-12` → `CHG-12`; anything else undefined. */
export function parseChangeId(text: string): string | undefined {
  const match = /^chg-(\d+)$/i.exec(text.trim());
  return match === null ? undefined : `CHG-${Number(match[1])}`;
}

/** Response URLs take five posts; a plan long enough to need more is cut at the last one. */
const MAX_RESPONSES = 5;

export const runShow: Subcommand = async ({ args, slack, svc }) => {
  const id = parseChangeId(args.split(/\s+/)[0] ?? "");
  if (id === undefined) {
    await slack.ack(ephemeral("Usage: `/momlink show CHG-n`, e.g. `/momlink show CHG-12`."));
    return;
  }
  await slack.ack();
  const record = svc.store.get(id);
  if (record === null) {
    await slack.respond(ephemeral(`There is no change ${id}. \`/momlink history\` lists the latest ones.`));
    return;
  }
  const link = await svc.permalink(record);
  const messages = changeDetails(record, svc.audit(id), svc.messageContext(), link, svc.progress(record));
  for (const message of messages.slice(0, MAX_RESPONSES)) {
    await slack.respond({ response_type: "ephemeral", ...message });
  }
};
