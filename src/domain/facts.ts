// What a runner found on one MOM host during pre-flight. Facts are part of the plan (and its hash):
// the steps shown for approval are derived from them. The zod schemas below are the one shape
// check for facts wherever they cross a boundary (the runner API, the runner's plan re-derivation).
import { z } from "zod";

/** What the path `<EM_HOME>\<dir>` holds right now. */
export const LINK_PATH_STATES = [
  "missing",
  "directory",
  "link-to-target",
  "link-elsewhere",
  "junction",
  "file",
] as const;

export type LinkPathState =
  | "missing"
  | "directory" // a real directory: move it aside (and seed from it on the primary)
  | "link-to-target" // a directory symlink to exactly the planned target: nothing to do
  | "link-elsewhere" // a symlink to another target: conflict, blocks the plan
  | "junction" // conflict, blocks the plan
  | "file"; // conflict, blocks the plan

export interface DirFacts {
  dir: string;
  linkPath: LinkPathState;
  /** The current link target when linkPath is link-to-target or link-elsewhere. */
  currentTarget?: string;
  share: { exists: boolean; writable: boolean; empty: boolean };
}

export interface HostFacts {
  host: string;
  emHomeExists: boolean;
  /** `config\IntroscopeEnterpriseManager.properties` is present. */
  emHomeHoldsEm: boolean;
  serviceStopped: boolean;
  canCreateSymlinks: boolean;
  /** SymlinkEvaluation allows local-to-remote links (always true on Linux). */
  symlinkL2R: boolean;
  dirs: DirFacts[];
}

export const dirFactsSchema = z.strictObject({
  dir: z.string().min(1).max(255),
  linkPath: z.enum(LINK_PATH_STATES),
  currentTarget: z.string().max(4096).optional(),
  share: z.strictObject({ exists: z.boolean(), writable: z.boolean(), empty: z.boolean() }),
});

export const hostFactsSchema = z.strictObject({
  host: z.string().min(1).max(255),
  emHomeExists: z.boolean(),
  emHomeHoldsEm: z.boolean(),
  serviceStopped: z.boolean(),
  canCreateSymlinks: z.boolean(),
  symlinkL2R: z.boolean(),
  dirs: z.array(dirFactsSchema).max(64),
});

// The schemas and the interfaces must not drift apart: each must be assignable to the other.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const factsAgree: Same<z.infer<typeof hostFactsSchema>, HostFacts> = true;
const dirFactsAgree: Same<z.infer<typeof dirFactsSchema>, DirFacts> = true;
void factsAgree;
void dirFactsAgree;
