// The plan keys that record a decision a person made, not a fact about the pair: what pre-flight
// could not prove and someone settled by hand. Each value is recorded in the plan (and its hash),
// shown in the preview with its effect, and explained here once for help, the form and the preview.
import { closest, type Problem, showText } from "./problem.ts";

/** `share-access=checked-by-hand`: the EM service's own account was checked by hand to have Modify on the share. */
export const SHARE_ACCESS_CHOICES = ["checked-by-hand"] as const;
export type ShareAccessChoice = (typeof SHARE_ACCESS_CHOICES)[number];

/** `share-data=`: what to do with a share directory that is not in sync with the primary's. */
export const SHARE_DATA_CHOICES = ["reseed", "keep"] as const;
export type ShareDataChoice = (typeof SHARE_DATA_CHOICES)[number];

export type ChoiceKey = "share-access" | "share-data";

export const CHOICE_MEANING: Readonly<Record<ChoiceKey, Readonly<Record<string, string>>>> = {
  "share-data": {
    reseed:
      "the primary copies to the share what it lacks or holds in another version (robocopy /E without purge on Windows, cp -a on Linux); nothing on the share is deleted, extra files stay",
    keep: "the share's content is used as it is, although it differs from the primary's",
  },
  "share-access": {
    "checked-by-hand":
      "the EM service's own logon account was checked by hand to have Modify on the share (pre-flight proves only the runner's access when the two accounts differ)",
  },
};

const CHOICES = {
  "share-access": SHARE_ACCESS_CHOICES,
  "share-data": SHARE_DATA_CHOICES,
} as const satisfies Record<ChoiceKey, readonly string[]>;

/** A choice key's value, any case; the problem names the values there are and what each means. */
export function validateChoice<K extends ChoiceKey>(
  field: K,
  value: string | undefined,
): { value?: (typeof CHOICES)[K][number]; problems: Problem[] } {
  if (value === undefined) return { problems: [] };
  const choices: readonly (typeof CHOICES)[K][number][] = CHOICES[field];
  const found = choices.find((choice) => choice === value.toLowerCase());
  if (found !== undefined) return { value: found, problems: [] };
  const guess = closest(value, choices);
  const meanings = choices.map((choice) => `${choice}: ${CHOICE_MEANING[field][choice]}`).join("; ");
  return {
    problems: [
      {
        field,
        rule: `${field}-unknown`,
        message: `${showText(value)} is not a ${field} value${guess === undefined ? "" : ` (did you mean ${guess}?)`}; ${choices.length === 1 ? "the only one is" : "use"} ${meanings}.`,
        example: `${field}=${guess ?? choices[0]}`,
      },
    ],
  };
}
