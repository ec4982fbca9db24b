// Roll back: the button wherever the state machine allows a rollback. One approval of the undo,
// bound to the plan hash the button's block carries; approvers only and four-eyes, as for the
// change, and as many as the policy requires: the state machine decides; a refusal goes to the
// clicker only, progress ("rollback: 1 of 2") to the message and its thread. Like Approve, a
// durable click (clicker.ts).
import type { BotContext } from "../context.ts";
import { readRollbackClick } from "../payloads.ts";
import { type ButtonArgs, durableClick } from "./clicker.ts";

export function rollbackAction(bot: BotContext) {
  return (args: ButtonArgs): Promise<void> =>
    durableClick(
      args,
      bot,
      readRollbackClick(args),
      "rollback",
      (request) => bot.changes.rollback(request),
      "Your rollback was not started",
    );
}
