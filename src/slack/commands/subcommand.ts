// What a `/momlink` subcommand module is given and how it answers: the command's Bolt arguments,
// the text after the subcommand (decoded), the bot's context; answers only the asker sees.
import type { AllMiddlewareArgs, RespondArguments, SlackCommandMiddlewareArgs } from "@slack/bolt";
import type { BotContext } from "../context.ts";

export type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

export interface SubcommandInput {
  /** The text after the subcommand, decoded. */
  args: string;
  slack: CommandArgs;
  bot: BotContext;
}

export type Subcommand = (input: SubcommandInput) => Promise<void>;

export function ephemeral(text: string): RespondArguments {
  return { response_type: "ephemeral", text };
}
