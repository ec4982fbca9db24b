// `momlink plan key=value ...`: the same grammar and renderer as `/momlink plan` in Slack.
import { PLAN_USAGE, parsePlanTokens } from "../domain/grammar.ts";
import { buildPlan } from "../domain/plan.ts";
import { describeProblems } from "../domain/problem.ts";
import { renderPlanJson, renderPlanText } from "../domain/render.ts";
import type { TicketPattern } from "../domain/ticket.ts";

export interface PlanCommandOptions {
  json?: boolean;
  changeId?: string;
  allowedDirs: readonly string[];
  /** MOMLINK_TICKET_PATTERN: the CLI previews a plan by the bot's rules. */
  ticketPattern?: TicketPattern | undefined;
}

export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** Exit status 2 for a refused plan, as for any usage error: nothing is printed on stdout then. */
export const EXIT_REFUSED = 2;

export function runPlanCommand(
  tokens: readonly string[],
  options: PlanCommandOptions,
  io: CommandIo,
): number {
  if (tokens.length === 0) {
    io.stderr(`momlink plan needs the pair to plan.\n\n${PLAN_USAGE}\n`);
    return EXIT_REFUSED;
  }
  const parsed = parsePlanTokens([...tokens], {
    allowedDirs: options.allowedDirs,
    ticketPattern: options.ticketPattern,
  });
  if (!parsed.ok) {
    io.stderr(`${describeProblems(parsed.problems)}\n`);
    return EXIT_REFUSED;
  }
  const plan = buildPlan({ spec: parsed.value, changeId: options.changeId ?? null });
  io.stdout(options.json ? renderPlanJson(plan) : `${renderPlanText(plan)}\n`);
  return 0;
}
