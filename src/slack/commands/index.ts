// `/momlink <subcommand> ...`: decodes Slack's escaping once, picks the subcommand's module and
// hands it the rest. One module per subcommand; adding one is a line in SUBCOMMANDS.
import type { App } from "@slack/bolt";
import { parseSlashCommand } from "../../domain/grammar.ts";
import { closest } from "../../domain/problem.ts";
import type { BotContext } from "../context.ts";
import { failureText } from "../failures.ts";
import { escapeMrkdwn } from "../mrkdwn.ts";
import { runCancel } from "./cancel.ts";
import { helpText, runHelp } from "./help.ts";
import { runHistory } from "./history.ts";
import { runPlan } from "./plan.ts";
import { runRollback } from "./rollback.ts";
import { runRunners } from "./runners.ts";
import { runShow } from "./show.ts";
import { type CommandArgs, ephemeral, type Subcommand } from "./subcommand.ts";
import { runVerify } from "./verify.ts";

export const SLASH_COMMAND = "/momlink";

export const SUBCOMMANDS: Readonly<Record<string, Subcommand>> = {
  plan: runPlan,
  show: runShow,
  history: runHistory,
  cancel: runCancel,
  rollback: runRollback,
  verify: runVerify,
  runners: runRunners,
  help: runHelp,
};

/**
 * Command text as typed: Slack escapes `& < >` and may auto-link names that look like domains
 * (`<http://mom-a.corp.example|mom-a.corp.example>`) or addresses (`<mailto:a@b|a@b>`).
 */
export function decodeSlackText(text: string): string {
  return text
    .replace(/<((?:https?:\/\/|mailto:)[^<>|]*)(?:\|([^<>]*))?>/g, (_m, target: string, label?: string) =>
      label !== undefined ? label : target.replace(/^mailto:/, ""),
    )
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&amp;", "&");
}

export function momlinkCommand(bot: BotContext) {
  return async (slack: CommandArgs): Promise<void> => {
    const { subcommand, args } = parseSlashCommand(decodeSlackText(slack.command.text));
    const run = Object.hasOwn(SUBCOMMANDS, subcommand) ? SUBCOMMANDS[subcommand] : undefined;
    if (run === undefined) {
      const guess = closest(subcommand, Object.keys(SUBCOMMANDS));
      const hint = guess === undefined ? "" : ` (did you mean \`${guess}\`?)`;
      await slack.ack(
        ephemeral(`\`${escapeMrkdwn(subcommand)}\` is not a momlink command${hint}.\n\n${helpText(bot)}`),
      );
      return;
    }
    try {
      await run({ args, slack, bot });
    } catch (err) {
      // After ack: tell the user rather than leave them guessing; the store decides what happened.
      bot.logger.error({ err, subcommand }, "slash command failed");
      await slack
        .respond(
          ephemeral(
            failureText(
              err,
              (message) => `momlink hit an error running \`${subcommand}\`: ${escapeMrkdwn(message)}`,
            ),
          ),
        )
        .catch(() => {});
    }
  };
}

export function registerCommands(app: App, bot: BotContext): void {
  app.command(SLASH_COMMAND, momlinkCommand(bot));
}
