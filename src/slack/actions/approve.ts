// Approve: the button's value names the change; the actions block's id carries the plan hash the
// message showed, so a click on a stale message cannot approve a plan that changed since. A
// durable click (clicker.ts): in the inbox before its ack, decided by the change layer after it.
import type { BotContext } from "../context.ts";
import { readDecisionClick } from "../payloads.ts";
import { type ButtonArgs, durableClick } from "./clicker.ts";

export function approveAction(bot: BotContext) {
  return (args: ButtonArgs): Promise<void> =>
    durableClick(
      args,
      bot,
      readDecisionClick(args),
      "approve",
      (request) => bot.changes.approve(request),
      "Your approval was not recorded",
    );
}
