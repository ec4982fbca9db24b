// What a runner found on one MOM host during pre-flight. Facts are part of the plan (and its hash):
// the steps shown for approval are derived from them. The zod schemas below are the one shape
// check for facts wherever they cross a boundary (the runner API, the runner's plan re-derivation).
// "Unknown" is a value of its own (null, with what the probe read in `details`): a fact the runner
// could not establish is never reported as a yes or a no.
import { z } from "zod";
import { type LogPattern, logPatternsSchema } from "./failover-evidence.ts";

/** Longest probe detail a fact carries: enough for the raw answer that explains an unknown. */
export const FACT_DETAIL_MAX = 600;

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

/**
 * The share directory compared with the primary's local one (robocopy /L on Windows, a listing
 * with sizes and modification times on Linux). Only on the primary, and only when the local path
 * is a real directory and the share directory holds data: a partial or stale copy is not trusted.
 */
export interface ShareSync {
  /** true: the share holds every file of the primary's directory, in the same size and time, and nothing else. null: not compared (detail says why). */
  inSync: boolean | null;
  /** Files of the primary the share lacks. */
  missing: number;
  /** Files the share holds in another size or time (older, newer, changed). */
  differing: number;
  /** Files only on the share: a reseed leaves them (nothing is ever deleted there). */
  extra: number;
  /** A few of them, relative to the directory, each with its kind: `missing internal\x.xml`. */
  examples: string[];
  detail: string;
}

export interface DirFacts {
  dir: string;
  linkPath: LinkPathState;
  /** The current link target when linkPath is link-to-target or link-elsewhere. */
  currentTarget?: string;
  share: { exists: boolean; writable: boolean; empty: boolean; sync?: ShareSync };
}

/** How many example paths a comparison carries. */
export const SYNC_EXAMPLES_MAX = 8;

/** What each host-level probe read, or why it could not decide: shown beside an unknown. */
export interface FactDetails {
  service?: string;
  privilege?: string;
  symlinkL2R?: string;
}

/**
 * Whose access the runner's write tests prove. The EM service usually runs as LocalSystem and
 * reaches the share as the computer account; a runner running as another account proves only its
 * own access. Windows only (absent on Linux).
 */
export interface AccountFacts {
  /** The EM service's logon account as configured (`sc qc`: SERVICE_START_NAME); null: not read. */
  em: string | null;
  /** The account the runner runs as; null: not read. */
  runner: string | null;
  /** True: the same account, so the runner's write test on the share is the EM's. null: cannot tell. */
  same: boolean | null;
  detail: string;
}

/**
 * How this host's runner stops and starts the EM service (services=manage), as its administrator
 * configured it: the plan's stop-service and start-service lines are built from this, so what is
 * approved is the command the runner will run, and the waits the preview shows are the runner's.
 */
export interface ServiceControlFacts {
  /** `sc`: System32\sc.exe stop|start <name>; `systemd`: systemctl stop|start <name>; `command`: the runner's configured commands. */
  via: "sc" | "systemd" | "command";
  /** The Windows service name or systemd unit (for `command`: what the runner's --service-name says). */
  name: string;
  /** `command` only: the argv the runner runs for each verb (its --service-stop and --service-start). */
  stop?: string[];
  start?: string[];
  /** How long the runner waits for the service to stop after the stop command. */
  stopWaitSeconds: number;
  /** How long the runner waits after the start command for the EM to run and prove its failover role. */
  startWaitSeconds: number;
}

/**
 * The failover properties as they stand before the change, in the file that will be the one
 * shared `config/IntroscopeEnterpriseManager.properties` (primary only): the share's copy when it
 * has one, else the primary's own, which seeding copies there.
 */
export interface PropertiesFacts {
  /** The file read, as this host writes the path. */
  file: string;
  /** Where that file is: the share's copy, or the primary's local copy the seed will bring. */
  source: "share" | "local";
  /** The failover keys as Java reads them (null: the file could not be read or parsed, detail says why). */
  keys: { key: string; value: string | null; occurrences: { line: number; value: string }[] }[] | null;
  detail: string;
  /** What weakens the evidence or the edit: a log level below INFO, bytes that look like UTF-8... */
  warnings: string[];
}

/**
 * Windows: what the EM service's recovery actions do after a failure. A secondary that yields to
 * a returning primary exits with status 23 and stays down unless its service is restarted.
 */
export interface RecoveryFacts {
  /** true: the first failure restarts the service; false: it does not; null: could not be read. */
  restarts: boolean | null;
  detail: string;
}

export interface HostFacts {
  host: string;
  emHomeExists: boolean;
  /** `config\IntroscopeEnterpriseManager.properties` is present. */
  emHomeHoldsEm: boolean;
  /** null: the service could not be queried (details.service says why). */
  serviceStopped: boolean | null;
  /** null: the runner could not tell (details.privilege). */
  canCreateSymlinks: boolean | null;
  /** SymlinkEvaluation allows local-to-remote links (always true on Linux); null: could not tell. */
  symlinkL2R: boolean | null;
  details?: FactDetails;
  emAccount?: AccountFacts;
  /** services=manage plans: how the runner stops and starts the EM service. */
  serviceControl?: ServiceControlFacts;
  /** Primary only: the failover properties as they stand. */
  failoverProperties?: PropertiesFacts;
  /** Windows: the EM service's recovery actions. */
  recovery?: RecoveryFacts;
  /** The runner's own EM log patterns for the failover evidence, when it is configured with other than the defaults. */
  logPatterns?: LogPattern[];
  dirs: DirFacts[];
}

const count = z.number().int().min(0).max(1_000_000_000);

export const shareSyncSchema = z.strictObject({
  inSync: z.boolean().nullable(),
  missing: count,
  differing: count,
  extra: count,
  examples: z.array(z.string().max(300)).max(SYNC_EXAMPLES_MAX),
  detail: z.string().max(FACT_DETAIL_MAX),
});

export const dirFactsSchema = z.strictObject({
  dir: z.string().min(1).max(255),
  linkPath: z.enum(LINK_PATH_STATES),
  currentTarget: z.string().max(4096).optional(),
  share: z.strictObject({
    exists: z.boolean(),
    writable: z.boolean(),
    empty: z.boolean(),
    sync: shareSyncSchema.optional(),
  }),
});

const detail = z.string().max(FACT_DETAIL_MAX);

/** A word of an approved line: no control characters, nothing a shell or cmd.exe would not take literally. */
const commandWord = z
  .string()
  .min(1)
  .max(1024)
  .regex(/^[^"$`\\!%^&|<>()\p{Cc}]+$/u, "holds a character an approved line cannot show literally");
/** A service or unit name as an approved line shows it (quoted on Windows, plain on Linux). */
const serviceName = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[^"\\/%!^&|<>()\p{Cc}]+$/u, "holds a character an approved line cannot show literally");
const waitSeconds = z.number().int().min(1).max(3600);

export const serviceControlSchema = z
  .strictObject({
    via: z.enum(["sc", "systemd", "command"]),
    name: serviceName,
    stop: z.array(commandWord).min(1).max(32).optional(),
    start: z.array(commandWord).min(1).max(32).optional(),
    stopWaitSeconds: waitSeconds,
    startWaitSeconds: waitSeconds,
  })
  .refine((c) => (c.via === "command") === (c.stop !== undefined && c.start !== undefined), {
    message: "stop and start commands are given for via=command, and only then",
  });

const propertyValue = z.string().max(2000);
export const propertiesFactsSchema = z.strictObject({
  file: z.string().min(1).max(4096),
  source: z.enum(["share", "local"]),
  keys: z
    .array(
      z.strictObject({
        key: z.string().min(1).max(200),
        value: propertyValue.nullable(),
        occurrences: z.array(z.strictObject({ line: z.number().int().min(1), value: propertyValue })).max(20),
      }),
    )
    .max(10)
    .nullable(),
  detail,
  warnings: z.array(detail).max(10),
});

export const hostFactsSchema = z.strictObject({
  host: z.string().min(1).max(255),
  emHomeExists: z.boolean(),
  emHomeHoldsEm: z.boolean(),
  serviceStopped: z.boolean().nullable(),
  canCreateSymlinks: z.boolean().nullable(),
  symlinkL2R: z.boolean().nullable(),
  details: z
    .strictObject({ service: detail.optional(), privilege: detail.optional(), symlinkL2R: detail.optional() })
    .optional(),
  emAccount: z
    .strictObject({
      em: z.string().max(512).nullable(),
      runner: z.string().max(512).nullable(),
      same: z.boolean().nullable(),
      detail,
    })
    .optional(),
  serviceControl: serviceControlSchema.optional(),
  failoverProperties: propertiesFactsSchema.optional(),
  recovery: z.strictObject({ restarts: z.boolean().nullable(), detail }).optional(),
  logPatterns: logPatternsSchema.optional(),
  dirs: z.array(dirFactsSchema).max(64),
});

// The schemas and the interfaces must not drift apart: each must be assignable to the other.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const factsAgree: Same<z.infer<typeof hostFactsSchema>, HostFacts> = true;
const syncAgrees: Same<z.infer<typeof shareSyncSchema>, ShareSync> = true;
void syncAgrees;
const dirFactsAgree: Same<z.infer<typeof dirFactsSchema>, DirFacts> = true;
void factsAgree;
void dirFactsAgree;
