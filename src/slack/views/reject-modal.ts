// The reason a change is rejected: asked in a modal, required, recorded with the rejection. The
// submission is in the inbox before its ack (change/inbox.ts): a restart still decides it.
import type { types } from "@slack/bolt";
import { checkReason, MAX_REASON_CHARACTERS } from "../../domain/reason.ts";
import type { ChangeRecord } from "../../domain/record.ts";
import { clip } from "../../domain/shorten.ts";
import type { BotContext } from "../context.ts";
import { durable } from "../inbox.ts";
import { mrkdwnPhrase } from "../mrkdwn.ts";
import { formErrors, logRefusal, readRejectForm } from "../payloads.ts";
import type { ViewArgs } from "./view-args.ts";

export const REJECT_MODAL = "momlink_reject_modal";
const REASON_BLOCK = "reason";
const REASON_INPUT = "value";

/** What the form carries for its submission; read back (and checked) by payloads.ts readRejectForm. */
interface RejectMetadata {
  changeId: string;
  channel: string | null;
}

export function rejectModalView(record: ChangeRecord): types.ModalView {
  const metadata: RejectMetadata = { changeId: record.id, channel: record.channel };
  return {
    type: "modal",
    callback_id: REJECT_MODAL,
    private_metadata: JSON.stringify(metadata),
    title: { type: "plain_text", text: clip(`Reject ${record.id}`, 24) },
    submit: { type: "plain_text", text: "Reject" },
    close: { type: "plain_text", text: "Back" },
    blocks: [
      {
        type: "section",
        text: {
          type: "mrkdwn",
          text: `Reject the plan for *${record.hosts.primary}* + *${record.hosts.secondary}*. The reason goes into the change record and the thread.`,
        },
      },
      {
        type: "input",
        block_id: REASON_BLOCK,
        label: { type: "plain_text", text: "Why?" },
        element: {
          type: "plain_text_input",
          action_id: REASON_INPUT,
          multiline: true,
          max_length: MAX_REASON_CHARACTERS,
        },
      },
    ],
  };
}

export function rejectModalSubmission(bot: BotContext) {
  return async (args: ViewArgs): Promise<void> => {
    const { ack, client, logger } = args;
    const form = readRejectForm(args, { block: REASON_BLOCK, input: REASON_INPUT });
    if (!form.ok) {
      logRefusal(bot.logger, "reject form", form.problems);
      await ack({
        response_action: "errors",
        errors: formErrors(form.problems, REASON_BLOCK, "click Reject on the plan message again"),
      });
      return;
    }
    const { actor, changeId, channel } = form.value;
    const checked = checkReason(form.value.reason);
    if (!checked.ok) {
      await ack({ response_action: "errors", errors: { [REASON_BLOCK]: checked.problem } });
      return;
    }
    const request = durable(bot, args.body, {
      kind: "reject",
      changeId,
      actor,
      channel,
      reason: checked.reason,
    });
    if (!(await bot.changes.receive(request, () => ack()))) return;
    const outcome = await bot.changes.reject({
      changeId,
      actor,
      reason: checked.reason,
      requestKey: request.key,
    });
    if (!outcome.ok && channel !== null) {
      await client.chat
        .postEphemeral({
          channel,
          user: actor,
          text: `Your rejection was not recorded: ${mrkdwnPhrase(outcome.reason)}`,
        })
        .catch((err: unknown) => logger.error(`could not tell ${actor}: ${(err as Error).message}`));
    }
    await bot.changes.finish(request.key);
  };
}
