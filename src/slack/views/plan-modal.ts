// `/momlink plan` alone: a form with the grammar's fields, one input block per key (block_id = the
// key), validated on submit by the same validators as the command; problems come back to the
// form field by field (response_action: errors), a valid pair is planned like the command's, and
// is in the inbox before the ack (change/inbox.ts).
import type { types, webApi } from "@slack/bolt";
import { CHOICE_MEANING, type ChoiceKey } from "../../domain/choices.ts";
import { defaultDirs } from "../../domain/dirs.ts";
import { PLAN_KEYS, PLATFORMS, type PlanKey } from "../../domain/pair.ts";
import { boundedProblem, moreProblems, type Problem, summarizeProblems } from "../../domain/problem.ts";
import type { TicketPattern } from "../../domain/ticket.ts";
import { type RawPairInput, validatePair } from "../../domain/validate.ts";
import type { BotContext } from "../context.ts";
import { durable } from "../inbox.ts";
import { formErrors, logRefusal, readPlanForm } from "../payloads.ts";
import { planOutcomeText } from "../plan-outcome.ts";
import type { ViewArgs } from "./view-args.ts";

export const PLAN_MODAL = "momlink_plan_modal";
/** Every input's action_id; the block_id says which field it is. */
export const INPUT = "value";

/** What the form carries for its submission; read back (and checked) by payloads.ts readPlanForm. */
interface PlanMetadata {
  channel: string;
}

const text = (t: string): types.PlainTextElement => ({ type: "plain_text", text: t });

function textInput(
  key: PlanKey,
  label: string,
  options: { hint?: string; placeholder?: string; optional?: boolean; initial?: string },
): types.InputBlock {
  return {
    type: "input",
    block_id: key,
    optional: options.optional ?? false,
    label: text(label),
    ...(options.hint === undefined ? {} : { hint: text(options.hint) }),
    element: {
      type: "plain_text_input",
      action_id: INPUT,
      ...(options.placeholder === undefined ? {} : { placeholder: text(options.placeholder) }),
      ...(options.initial === undefined ? {} : { initial_value: options.initial }),
    },
  };
}

export function planModalView(
  channel: string,
  allowedDirs: readonly string[],
  ticketPattern?: TicketPattern,
): types.ModalView {
  const metadata: PlanMetadata = { channel };
  return {
    type: "modal",
    callback_id: PLAN_MODAL,
    private_metadata: JSON.stringify(metadata),
    title: text("Plan MOM failover links"),
    submit: text("Preview"),
    close: text("Cancel"),
    blocks: [
      ...pairInputs(allowedDirs),
      platformSelect(),
      ...choiceSelects(),
      ...recordInputs(ticketPattern),
    ],
  };
}

/** The pair itself: both hosts, EM_HOME, the share and the directories to link. */
function pairInputs(allowedDirs: readonly string[]): types.InputBlock[] {
  return [
    textInput("primary", "Primary MOM host", { placeholder: "mom-a.corp.example" }),
    textInput("secondary", "Secondary MOM host", { placeholder: "mom-b.corp.example" }),
    textInput("em-home", "EM_HOME", {
      placeholder: "D:\\Introscope\\EM",
      hint: "Where the Enterprise Manager is installed on the primary (and the secondary, unless given below).",
    }),
    textInput("share", "Share", {
      placeholder: "\\\\san-server\\mom-failover",
      hint: "UNC root on Windows (\\\\server\\share), the NFS mount path on Linux; each dir links to <share>\\<dir>.",
    }),
    textInput("dirs", "Directories to link", {
      optional: true,
      initial: defaultDirs(allowedDirs).join(","),
      hint: `Comma list from ${allowedDirs.join(", ")}. config is always linked.`,
    }),
    textInput("secondary-em-home", "Secondary EM_HOME", {
      optional: true,
      hint: "Only when it differs from the primary's.",
    }),
  ];
}

function platformSelect(): types.InputBlock {
  const platformOption = (p: string) => ({ text: text(p), value: p });
  return {
    type: "input",
    block_id: "platform",
    label: text("Platform"),
    element: {
      type: "static_select",
      action_id: INPUT,
      options: PLATFORMS.map(platformOption),
      initial_option: platformOption("windows"),
    },
  };
}

/** The choices pre-flight may ask for (choices.ts), each empty unless chosen. */
function choiceSelects(): types.InputBlock[] {
  return [
    choiceSelect(
      "share-data",
      "Share out of sync",
      "Only when pre-flight says a share directory is not in sync with the primary's.",
    ),
    choiceSelect(
      "share-access",
      "EM account checked by hand",
      "Only when pre-flight says the EM service runs as another account than the runner: choose it once you checked that account's Modify rights on the share.",
    ),
    choiceSelect(
      "services",
      "EM services",
      "Empty is require-stopped. manage: momlink stops and starts the EM services itself, with proof of failover.",
    ),
    choiceSelect(
      "failover-properties",
      "Failover properties",
      "Empty is check. set: momlink edits the shared properties file after seeding.",
    ),
  ];
}

/** What the change record carries besides the plan: the ticket (required when a pattern is set) and the reason. */
function recordInputs(ticketPattern: TicketPattern | undefined): types.InputBlock[] {
  return [
    textInput("ticket", "Change ticket", {
      optional: ticketPattern === undefined,
      ...(ticketPattern?.example === undefined
        ? { placeholder: "CHG0012345" }
        : { placeholder: ticketPattern.example }),
      hint:
        ticketPattern === undefined
          ? "The change request in your ticketing system, if there is one: recorded with the change."
          : `Required: a ticket matching ${ticketPattern.source}. Recorded with the change.`,
    }),
    textInput("reason", "Reason", {
      optional: true,
      placeholder: "quarterly failover test",
      hint: "Why this change is made, for the record and the change advisory board.",
    }),
  ];
}

/** An optional select for a choice key (choices.ts); left empty, the key is absent, as in the command. */
function choiceSelect(key: ChoiceKey, label: string, hint: string): types.InputBlock {
  const meanings = Object.entries(CHOICE_MEANING[key]).map(([value, meaning]) => `${value}: ${meaning}`);
  return {
    type: "input",
    block_id: key,
    optional: true,
    label: text(label),
    hint: text(`${hint} ${meanings.join(" ")}`.slice(0, 2000)),
    element: {
      type: "static_select",
      action_id: INPUT,
      placeholder: text("not chosen"),
      options: Object.keys(CHOICE_MEANING[key]).map((value) => ({ text: text(value), value })),
    },
  };
}

export async function openPlanModal(
  client: webApi.WebClient,
  triggerId: string,
  channel: string,
  bot: BotContext,
): Promise<void> {
  await client.views.open({
    trigger_id: triggerId,
    view: planModalView(channel, bot.allowedDirs, bot.ticketPattern),
  });
}

/** The form's problems keyed by block id, a few for one field on one line each, then how many more. */
export function fieldErrors(problems: readonly Problem[]): Record<string, string> {
  const errors: Record<string, string[]> = {};
  for (const { field, shown, more } of summarizeProblems(problems, { total: Number.POSITIVE_INFINITY })) {
    const block = field === "command" ? "primary" : field;
    const lines = shown.map(boundedProblem).map((p) => `${p.message} Try: ${p.example}`);
    errors[block] = [...(errors[block] ?? []), ...lines, ...(more > 0 ? [moreProblems(more)] : [])];
  }
  return Object.fromEntries(
    Object.entries(errors).map(([block, messages]) => [block, messages.join("\n").slice(0, 1000)]),
  );
}

/** The fields the form filled, as stored with the request (validated again if a restart decides it). */
function definedFields(fields: RawPairInput): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).filter((e): e is [string, string] => e[1] !== undefined));
}

export function planModalSubmission(bot: BotContext) {
  return async (args: ViewArgs): Promise<void> => {
    const { ack } = args;
    const form = readPlanForm(args, INPUT);
    if (!form.ok) {
      logRefusal(bot.logger, "plan form", form.problems);
      await ack({
        response_action: "errors",
        errors: formErrors(form.problems, PLAN_KEYS[0], "run `/momlink plan` again"),
      });
      return;
    }
    const { actor, channel, fields } = form.value;
    const result = validatePair(fields, { allowedDirs: bot.allowedDirs, ticketPattern: bot.ticketPattern });
    if (!result.ok) {
      await ack({ response_action: "errors", errors: fieldErrors(result.problems) });
      return;
    }
    const request = durable(bot, args.body, {
      kind: "plan",
      changeId: null,
      actor,
      channel,
      source: { fields: definedFields(fields) },
    });
    if (!(await bot.changes.receive(request, () => ack()))) return;
    const outcome = await bot.changes.plan({
      spec: result.value,
      requester: actor,
      channel,
      requestKey: request.key,
    });
    const tell = planOutcomeText(outcome);
    if (tell !== null) await tellPlanner(args, channel, actor, tell);
    await bot.changes.finish(request.key);
  };
}

/**
 * The form was acked already, so its own error is gone: privately in the channel it was opened
 * from, and where that fails too (the bot is not in it, or it is a DM between people) in the
 * person's DM with the app; the log only when both fail.
 */
async function tellPlanner(args: ViewArgs, channel: string, actor: string, text: string): Promise<void> {
  const { client, logger } = args;
  try {
    await client.chat.postEphemeral({ channel, user: actor, text });
    return;
  } catch (err) {
    logger.warn(`could not tell ${actor} in ${channel} (${(err as Error).message}); telling them directly`);
  }
  try {
    await client.chat.postMessage({ channel: actor, text: `From your \`/momlink plan\` form: ${text}` });
  } catch (err) {
    logger.error(`could not tell ${actor}: ${(err as Error).message}`);
  }
}
