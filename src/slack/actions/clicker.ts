// What every button listener shares: Bolt's arguments for a click, telling the clicker something
// only they see, refusing a click whose payload does not read (payloads.ts), and the durable
// click: written to the inbox before its ack (change/inbox.ts), decided after it.
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from "@slack/bolt";
import type { Outcome } from "../../change/outcomes.ts";
import type { Logger } from "../../log.ts";
import type { BotContext } from "../context.ts";
import { durable } from "../inbox.ts";
import { mrkdwnPhrase } from "../mrkdwn.ts";
import { clickRefusal, type HashClick, logRefusal, type PayloadProblem } from "../payloads.ts";

export type ButtonArgs = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

/** Tells the clicker something only they see: through the response URL, else chat.postEphemeral. */
export async function tellClicker(args: ButtonArgs, text: string): Promise<void> {
  const { body } = args;
  try {
    if (body.response_url !== undefined && body.response_url !== "") {
      await args.respond({ response_type: "ephemeral", replace_original: false, text });
    } else if (body.channel?.id !== undefined) {
      await args.client.chat.postEphemeral({ channel: body.channel.id, user: body.user.id, text });
    }
  } catch (err) {
    args.logger.error(`could not tell ${body.user.id} privately: ${(err as Error).message}`);
  }
}

/** An unreadable click (payloads.ts): logged once, and the clicker told that nothing was recorded. */
export async function refuseClick(
  args: ButtonArgs,
  logger: Logger,
  problems: readonly PayloadProblem[],
): Promise<void> {
  logRefusal(logger, `button ${String(args.action.action_id).slice(0, 64)}`, problems);
  await tellClicker(args, clickRefusal(problems));
}

/**
 * Approve and Roll back: an unreadable click is refused; a readable one is in the inbox before its
 * ack, decided after it (deciding may wait on Slack for group membership, and a bot killed
 * meanwhile still decides it at its next start), and a refusal goes to the clicker only, after
 * `refusal` ("Your approval was not recorded").
 */
export async function durableClick(
  args: ButtonArgs,
  bot: BotContext,
  click: HashClick,
  kind: "approve" | "rollback",
  decide: (request: {
    changeId: string;
    actor: string;
    hash: string;
    requestKey: string;
  }) => Promise<Outcome>,
  refusal: string,
): Promise<void> {
  if (!click.ok) {
    await args.ack();
    await refuseClick(args, bot.logger, click.problems);
    return;
  }
  const { changeId, actor, hash, channel } = click.value;
  const request = durable(bot, args.body, { kind, changeId, actor, channel, hash });
  if (!(await bot.changes.receive(request, () => args.ack()))) return;
  const outcome = await decide({ changeId, actor, hash, requestKey: request.key });
  if (!outcome.ok) await tellClicker(args, `${refusal}: ${mrkdwnPhrase(outcome.reason)}`);
  await bot.changes.finish(request.key);
}
