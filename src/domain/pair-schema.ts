// PairSpec at trust boundaries (runner API, stored jobs): a PairSpec that did not come out of the
// grammar is held to the same rules, and must already be in the grammar's normalised form —
// otherwise a hand-made spec could carry a path the validators would have rewritten.
import { z } from "zod";
import { SHARE_ACCESS_CHOICES, SHARE_DATA_CHOICES } from "./choices.ts";
import { DEFAULT_ALLOWED_DIRS, type PairSpec, PLATFORMS } from "./pair.ts";
import type { Field } from "./problem.ts";
import { validatePair } from "./validate.ts";

const PROPERTY_OF: Readonly<Record<Field, keyof PairSpec | undefined>> = {
  command: undefined,
  primary: "primary",
  secondary: "secondary",
  "em-home": "emHome",
  "secondary-em-home": "secondaryEmHome",
  share: "share",
  dirs: "dirs",
  platform: "platform",
  "share-data": "shareData",
  "share-access": "shareAccess",
  services: "manageServices",
  "failover-properties": "setFailoverProperties",
  ticket: "ticket",
  reason: "reason",
};

const structure = z.strictObject({
  platform: z.enum(PLATFORMS),
  primary: z.string().min(1).max(255),
  secondary: z.string().min(1).max(255),
  emHome: z.string().min(1).max(4096),
  secondaryEmHome: z.string().min(1).max(4096),
  share: z.string().min(1).max(4096),
  dirs: z.array(z.string().min(1).max(255)).min(1).max(64),
  configAdded: z.boolean(),
  shareData: z.enum(SHARE_DATA_CHOICES).optional(),
  shareAccess: z.enum(SHARE_ACCESS_CHOICES).optional(),
  // Only the value that is not the default is recorded (choices.ts CHOICE_DEFAULT).
  manageServices: z.literal(true).optional(),
  setFailoverProperties: z.literal(true).optional(),
  ticket: z.string().min(1).max(256).optional(),
  reason: z.string().min(1).max(4096).optional(),
});

/** A PairSpec schema for a given `dirs` allow-list (a runner may apply its own local policy). */
export function makePairSpecSchema(allowedDirs: readonly string[] = DEFAULT_ALLOWED_DIRS) {
  return structure.superRefine((spec, ctx) => {
    const result = validatePair(
      {
        primary: spec.primary,
        secondary: spec.secondary,
        "em-home": spec.emHome,
        "secondary-em-home": spec.secondaryEmHome,
        share: spec.share,
        dirs: spec.dirs.join(","),
        platform: spec.platform,
        "share-data": spec.shareData,
        "share-access": spec.shareAccess,
        services: spec.manageServices ? "manage" : undefined,
        "failover-properties": spec.setFailoverProperties ? "set" : undefined,
        ticket: spec.ticket,
        reason: spec.reason,
      },
      { allowedDirs },
    );
    if (!result.ok) {
      for (const problem of result.problems) {
        const property = PROPERTY_OF[problem.field];
        ctx.addIssue({
          code: "custom",
          path: property === undefined ? [] : [property],
          message: `${problem.field}: ${problem.message}`,
          params: { rule: problem.rule, example: problem.example },
        });
      }
      return;
    }
    const canonical = result.value;
    for (const property of ["emHome", "secondaryEmHome", "share"] as const) {
      if (spec[property] !== canonical[property]) {
        ctx.addIssue({
          code: "custom",
          path: [property],
          message: `${property} is not in normalised form (expected ${JSON.stringify(canonical[property])}).`,
          params: { rule: "not-normalised" },
        });
      }
    }
    if (spec.dirs.join(",") !== canonical.dirs.join(",")) {
      ctx.addIssue({
        code: "custom",
        path: ["dirs"],
        message: `dirs must be allow-listed names, config first, no duplicates (expected ${canonical.dirs.join(",")}).`,
        params: { rule: "not-normalised" },
      });
    }
  });
}

/** PairSpec checked against the default allow-list. */
export const pairSpecSchema = makePairSpecSchema();

// The schema and the shared interface must describe the same shape.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesPairSpec: Same<z.infer<typeof pairSpecSchema>, PairSpec> = true;
void schemaMatchesPairSpec;
