// The one place that reads what Slack sends in a click or a form submission. Every field momlink
// uses is checked here with zod, for type and size, before anything else sees it: a request is
// signed, but its JSON is whatever the sender put there, and an object where a change id belongs
// would otherwise reach SQLite as named parameters. A listener asks for its reading and gets
// either plain checked values or the problems (with the form block each one belongs to), which it
// answers (field errors, or a private note), logs once with logRefusal, and goes no further.
import { z } from "zod";
import { CHANGE_ID_EXAMPLE, CHANGE_ID_PATTERN } from "../domain/change-id.ts";
import { PLAN_KEYS } from "../domain/pair.ts";
import type { RawPairInput } from "../domain/validate.ts";
import type { Logger } from "../log.ts";
import { hashFromDecisionBlockId, hashFromRollbackBlockId } from "./plan-buttons.ts";

/** Slack's own limits: a plain_text_input holds up to 3000 characters, an option value 150. */
const MAX_INPUT = 3000;
const MAX_OPTION = 150;
const MAX_METADATA = 3000;

export interface PayloadProblem {
  /** The form block the problem is about, when it is about one. */
  block?: string;
  /** Where in the payload, for the log. */
  path: string;
  message: string;
}

export type Reading<T> = { ok: true; value: T } | { ok: false; problems: PayloadProblem[] };

const userId = z.string().regex(/^[UW][A-Z0-9]{2,30}$/, "must be a Slack user id such as U0123ABCD");
const channelId = z.string().regex(/^[CDG][A-Z0-9]{2,30}$/, "must be a Slack channel id such as C0123ABCD");
/** A change id exactly as momlink writes it into its buttons and forms (domain/change-id.ts). */
const changeId = z
  .string()
  .max(32)
  .regex(CHANGE_ID_PATTERN, `must be a change id such as ${CHANGE_ID_EXAMPLE}`);
const planHash = z.string().regex(/^[0-9a-f]{64}$/, "must be a SHA-256 plan hash (64 hex digits)");
/** An actions block's id on the plan message carries the hash the message showed. */
function blockHash(hashOf: (blockId: string) => string | undefined, what: string) {
  return z
    .string()
    .max(255)
    .transform((blockId, ctx) => {
      const hash = hashOf(blockId);
      if (hash === undefined) {
        ctx.addIssue({ code: "custom", message: `is not a momlink ${what} block` });
        return z.NEVER;
      }
      return hash;
    })
    .pipe(planHash);
}

/** JSON text (a view's private_metadata) holding `shape`. */
function jsonText<T extends z.ZodType>(shape: T) {
  return z
    .string()
    .max(MAX_METADATA)
    .transform((text, ctx): unknown => {
      try {
        return JSON.parse(text);
      } catch {
        ctx.addIssue({ code: "custom", message: "is not JSON" });
        return z.NEVER;
      }
    })
    .pipe(shape);
}

function read<T>(schema: z.ZodType<T>, input: unknown, blockOf: (path: PropertyKey[]) => string | undefined) {
  const parsed = schema.safeParse(input);
  if (parsed.success) return { ok: true as const, value: parsed.data };
  const problems = parsed.error.issues.slice(0, 10).map((issue): PayloadProblem => {
    const block = blockOf(issue.path);
    return {
      ...(block === undefined ? {} : { block }),
      path: issue.path.map(String).join(".") || "(payload)",
      message: issue.message,
    };
  });
  return { ok: false as const, problems };
}

// --- buttons on the plan message --------------------------------------------------------------

/** The part of a block_actions request momlink reads. */
export interface ClickInput {
  body: { user?: { id?: unknown }; channel?: { id?: unknown } };
  action: { value?: unknown; block_id?: unknown };
}

const clickInput = (args: ClickInput) => ({
  actor: args.body.user?.id,
  channel: args.body.channel?.id,
  changeId: args.action.value,
  blockId: args.action.block_id,
});

/** Where a click came from: a message's channel (a button in a modal or App Home has none). */
const clickChannel = channelId.optional().transform((c) => c ?? null);
const changeClick = z.object({ actor: userId, channel: clickChannel, changeId });
const hashClick = (hashOf: (blockId: string) => string | undefined, what: string) =>
  z.object({ actor: userId, channel: clickChannel, changeId, blockId: blockHash(hashOf, what) });
const decisionClick = hashClick(hashFromDecisionBlockId, "decision");
const rollbackClick = hashClick(hashFromRollbackBlockId, "rollback");

/** A button whose value names the change (Reject). */
export function readChangeClick(
  args: ClickInput,
): Reading<{ actor: string; channel: string | null; changeId: string }> {
  return read(changeClick, clickInput(args), () => undefined);
}

export type HashClick = Reading<{ actor: string; channel: string | null; changeId: string; hash: string }>;

function readHashClick(schema: ReturnType<typeof hashClick>, args: ClickInput): HashClick {
  const reading = read(schema, clickInput(args), () => undefined);
  if (!reading.ok) return reading;
  const { actor, channel, changeId: id, blockId } = reading.value;
  return { ok: true, value: { actor, channel, changeId: id, hash: blockId } };
}

/** A button that decides on the plan the message showed (Approve): the change and the hash. */
export function readDecisionClick(args: ClickInput): HashClick {
  return readHashClick(decisionClick, args);
}

/** The Roll back button: the change and the plan hash its message showed. */
export function readRollbackClick(args: ClickInput): HashClick {
  return readHashClick(rollbackClick, args);
}

// --- modal submissions -------------------------------------------------------------------------

/** The part of a view_submission request momlink reads. */
export interface SubmissionInput {
  body: { user?: { id?: unknown } };
  view: { private_metadata?: unknown; state?: { values?: unknown } };
}

/**
 * One input's state as Slack sends it: typed text, or a chosen option. Every input block of a
 * view is read with it, `{ <block_id>: { <action_id>: state } }`.
 */
const inputState = z.object({
  value: z.string().max(MAX_INPUT).nullish(),
  selected_option: z.object({ value: z.string().max(MAX_OPTION) }).nullish(),
});
const stateValues = z.record(z.string().max(255), z.record(z.string().max(255), inputState));

function stateBlock(path: PropertyKey[]): string | undefined {
  return path[0] === "values" && typeof path[1] === "string" ? path[1] : undefined;
}

/** Who submitted, the view's metadata read with `metadata`, and its inputs' values. */
function readSubmission<M extends z.ZodType>(args: SubmissionInput, metadata: M) {
  const schema = z.object({ actor: userId, metadata: jsonText(metadata), values: stateValues });
  const input = {
    actor: args.body.user?.id,
    metadata: args.view.private_metadata,
    values: args.view.state?.values,
  };
  return read(schema, input, stateBlock);
}

/** What the person entered in one input: its text or its option's value, "" when nothing. */
function entered(values: z.infer<typeof stateValues>, block: string, input: string): string {
  const state = values[block]?.[input];
  return state?.selected_option?.value ?? state?.value ?? "";
}

/** The plan form: its fields as typed (still to be validated as a pair) and the channel it came from. */
export function readPlanForm(
  args: SubmissionInput,
  inputId: string,
): Reading<{ actor: string; channel: string; fields: RawPairInput }> {
  const reading = readSubmission(args, z.object({ channel: channelId }));
  if (!reading.ok) return reading;
  const { actor, metadata, values } = reading.value;
  const fields: RawPairInput = {};
  for (const key of PLAN_KEYS) {
    const value = entered(values, key, inputId);
    // An optional field left empty is absent, as a key left out of the command is.
    if (value !== "") fields[key] = value;
  }
  return { ok: true, value: { actor, channel: metadata.channel, fields } };
}

/** The reject form: which change, where to answer, and the reason as typed (checked by domain/reason.ts). */
export function readRejectForm(
  args: SubmissionInput,
  ids: { block: string; input: string },
): Reading<{ actor: string; changeId: string; channel: string | null; reason: string }> {
  const reading = readSubmission(args, z.object({ changeId, channel: channelId.nullable() }));
  if (!reading.ok) return reading;
  const { actor, metadata, values } = reading.value;
  const reason = entered(values, ids.block, ids.input);
  return { ok: true, value: { actor, changeId: metadata.changeId, channel: metadata.channel, reason } };
}

/** The channel a form's metadata names, if it names one properly (to answer after a failure). */
export function channelOfForm(metadata: unknown): string | undefined {
  const parsed = jsonText(z.object({ channel: channelId })).safeParse(metadata);
  return parsed.success ? parsed.data.channel : undefined;
}

/**
 * The modal's answer to an unreadable submission: a field problem on its field, anything else
 * (the hidden metadata, the user) on `formBlock` with what to do instead.
 */
export function formErrors(
  problems: readonly PayloadProblem[],
  formBlock: string,
  startOver: string,
): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const p of problems) {
    const inField = p.path.startsWith("values.");
    const block = inField ? (p.block ?? formBlock) : formBlock;
    errors[block] ??= inField
      ? `momlink could not read this field (${p.message}): type it again, or ${startOver}.`
      : `momlink could not read this form (${p.path} ${p.message}): close it and ${startOver}.`;
  }
  return errors;
}

/** The private note for an unreadable click. */
export function clickRefusal(problems: readonly PayloadProblem[]): string {
  const first = problems[0];
  const what = first === undefined ? "it is malformed" : `${first.path} ${first.message}`;
  return `momlink refused this click: the button's payload is not one momlink posted (${what}). Nothing was recorded.`;
}

/** One log line per refused payload, with where and why (never the forged values themselves). */
export function logRefusal(logger: Logger, surface: string, problems: readonly PayloadProblem[]): void {
  logger.warn(
    { surface, problems: problems.map((p) => `${p.path}: ${p.message}`) },
    "refused a malformed Slack payload",
  );
}

// --- the key Slack keeps stable when it sends a request again -------------------------------

/** Longer keys than this are not Slack's (a trigger id or action_ts is a few dozen characters). */
const MAX_KEY = 200;

/**
 * A stable key for a request as Slack would redeliver it (same trigger, same click, same event),
 * or undefined for requests that need no deduplication (or carry nothing stable to key on).
 */
export function requestKey(body: Record<string, unknown>): string | undefined {
  const key = keyOf(body);
  return key !== undefined && key.length <= MAX_KEY ? key : undefined;
}

function keyOf(body: Record<string, unknown>): string | undefined {
  const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
  const command = str(body.command);
  if (command !== undefined) {
    const trigger = str(body.trigger_id);
    return trigger === undefined ? undefined : `command:${trigger}`;
  }
  switch (body.type) {
    case "block_actions": {
      const user = (body.user as { id?: unknown } | undefined)?.id;
      const action = Array.isArray(body.actions)
        ? (body.actions[0] as { action_ts?: unknown } | undefined)
        : undefined;
      const ts = str(action?.action_ts);
      return ts === undefined || typeof user !== "string" ? undefined : `action:${user}:${ts}`;
    }
    case "view_submission": {
      const trigger = str(body.trigger_id);
      return trigger === undefined ? undefined : `view:${trigger}`;
    }
    case "event_callback": {
      const id = str(body.event_id);
      return id === undefined ? undefined : `event:${id}`;
    }
    default:
      return undefined;
  }
}
