// What the requester is told about a plan when the channel message does not say it all: the
// host lock that refused it (with a link to the open change and how that change lets go), or the
// post that failed (and that the change was cancelled so it holds nothing). Shared by the slash
// command, the plan form and the restart's answers.
import type { PlanOutcome } from "../change/outcomes.ts";
import type { ChangeState } from "../domain/record.ts";
import { stateWord } from "./blocks.ts";
import { escapeMrkdwn } from "./mrkdwn.ts";

/** How an open change of each state lets go of its hosts. */
function unlockHint(state: ChangeState, id: string): string {
  switch (state) {
    case "failed":
      return `roll it back (\`/momlink rollback ${id}\`), or an approver closes it with \`/momlink cancel ${id}\``;
    case "needs_verification":
      return `check the hosts with \`/momlink verify ${id}\`, then roll it back if they are not as approved`;
    case "executing":
    case "rolling_back":
      return "let it finish";
    default:
      return `let it finish, or cancel it with \`/momlink cancel ${id}\``;
  }
}

/** What the requester should hear about a plan, or null when the channel message says it all. */
export function planOutcomeText(outcome: PlanOutcome): string | null {
  switch (outcome.kind) {
    case "posted":
      return null;
    case "locked": {
      const c = outcome.conflict;
      const ref = outcome.link === null ? c.id : `<${outcome.link}|${c.id}>`;
      const hosts = outcome.hosts.map(escapeMrkdwn).join(" and ");
      return (
        `momlink refused the plan: ${hosts} ${outcome.hosts.length === 1 ? "has" : "have"} an open change, ${ref} ` +
        `(${stateWord(c.state)}, requested by <@${c.requester}>). One open change per MOM host: ${unlockHint(c.state, c.id)}.`
      );
    }
    case "not-posted": {
      // A direct message between people (D…) is no place for a plan its approvers must see.
      const dm = outcome.record.channel?.startsWith("D") === true;
      const where = dm ? "in a direct message" : "in this channel";
      const fix = dm
        ? "Plan from the ops channel the bot is in, where the approvers see it"
        : "If the bot is not in this channel, invite it (`/invite @momlink`) and plan again";
      return (
        `momlink could not post the plan ${outcome.record.id} ${where} (${escapeMrkdwn(outcome.error)}). ` +
        `${fix}. ${outcome.record.id} was cancelled so it does not hold the hosts.`
      );
    }
    default: {
      const unhandled: never = outcome;
      throw new Error(`unhandled plan outcome ${JSON.stringify(unhandled)}`);
    }
  }
}
