// The plan keys that record a decision a person made, not a fact about the pair: what pre-flight
// could not prove and someone settled by hand (share-data, share-access), and how much of the
// failover procedure momlink carries out itself (services, failover-properties). Each value that
// is not the default is recorded in the plan (and its hash), shown in the preview with its effect,
// and explained here once for help, the form and the preview.
import { closest, type Problem, showText } from "./problem.ts";

/** `share-access=checked-by-hand`: the EM service's own account was checked by hand to have Modify on the share. */
export const SHARE_ACCESS_CHOICES = ["checked-by-hand"] as const;
export type ShareAccessChoice = (typeof SHARE_ACCESS_CHOICES)[number];

/** `share-data=`: what to do with a share directory that is not in sync with the primary's. */
export const SHARE_DATA_CHOICES = ["reseed", "keep"] as const;
export type ShareDataChoice = (typeof SHARE_DATA_CHOICES)[number];

/**
 * `services=`: `manage` makes the plan stop the EM services (secondary, then primary) before the
 * links and start them after (primary, then secondary), with proof of which EM holds the primary
 * lock; `require-stopped` (the default, absent from the plan) blocks while a service runs.
 */
export const SERVICES_CHOICES = ["manage", "require-stopped"] as const;
export type ServicesChoice = (typeof SERVICES_CHOICES)[number];

/**
 * `failover-properties=`: `set` makes the plan edit the one shared IntroscopeEnterpriseManager.properties
 * on the share (backup first); `check` (the default, absent from the plan) only shows the current
 * values beside the required ones, a mismatch being a warning.
 */
export const FAILOVER_PROPERTIES_CHOICES = ["set", "check"] as const;
export type FailoverPropertiesChoice = (typeof FAILOVER_PROPERTIES_CHOICES)[number];

export type ChoiceKey = "share-access" | "share-data" | "services" | "failover-properties";

/** The value a key means when it is not given: recorded nowhere, the plan behaves as before the key existed. */
export const CHOICE_DEFAULT: Readonly<Partial<Record<ChoiceKey, string>>> = {
  services: "require-stopped",
  "failover-properties": "check",
};

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
  services: {
    manage:
      "momlink stops the EM service on both hosts first (secondary, then primary) and waits until each is stopped, makes the links, then starts the primary and waits for proof that it holds the primary lock, then starts the secondary and waits for proof that it stands by",
    "require-stopped":
      "the default: the services must already be stopped, a running one blocks the plan; momlink never stops or starts them",
  },
  "failover-properties": {
    set: "after seeding, momlink sets failover.enable, failover.primary and failover.secondary in the one shared IntroscopeEnterpriseManager.properties on the share (backup .pre-CHG-n beside it first, every other line kept), and reads it back; rollback restores the backup",
    check:
      "the default: momlink reads the current values and shows them beside the required ones; a mismatch is a warning, the file is not edited",
  },
};

const CHOICES = {
  "share-access": SHARE_ACCESS_CHOICES,
  "share-data": SHARE_DATA_CHOICES,
  services: SERVICES_CHOICES,
  "failover-properties": FAILOVER_PROPERTIES_CHOICES,
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
