// What a job is: the work the bot asks of one host's runner for one change, and the progress the
// runner reports. A job never carries free text to run: it carries the approved Plan, and the
// runner re-derives that plan from its own validation of the plan's inputs (spec + facts) before
// doing anything. It stays in domain/ (pure, no I/O) because the bot's decisions read it: the job
// lifecycle (job-lifecycle.ts) re-offers read-only kinds, the change layer's runs (change/runs/)
// pick kinds and roles and decide from a job's result (outcomes.ts).
// How a job travels and is trusted (the signed envelope, the HTTP bodies) is src/protocol/.
import { z } from "zod";
import { CHANGE_ID_PATTERN } from "./change-id.ts";
import { hostFactsSchema } from "./facts.ts";
import { hostEvidenceSchema } from "./failover-evidence.ts";

export const JOB_KINDS = ["preflight", "execute", "rollback", "verify"] as const;
export type JobKind = (typeof JOB_KINDS)[number];

const changeId = z.string().regex(CHANGE_ID_PATTERN);
const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const isoTime = z.iso.datetime();

/**
 * What the bot signs. `plan` is the approved Plan object (opaque to zod here: the runner checks
 * it by re-deriving it with the domain code, which is stricter than any schema). For a `preflight`
 * job the plan is the worst-case preview (facts null) and only its spec part matters.
 */
export const jobSchema = z
  .object({
    id: z.string().min(1).max(64),
    kind: z.enum(JOB_KINDS),
    changeId,
    /** The runner name the job is for; a runner refuses any other. */
    runner: z.string().min(1).max(64),
    host: z.string().min(1).max(255),
    role: z.enum(["primary", "secondary"]),
    /**
     * execute and rollback: which phase of the run (domain/phases.ts, 1-based) this job is; the
     * runner runs that phase's steps of the plan it rebuilt. Absent: the host's only phase.
     */
    phase: z.number().int().min(1).max(20).optional(),
    planHash: sha256,
    plan: z.record(z.string(), z.unknown()),
    issuedAt: isoTime,
    expiresAt: isoTime,
  })
  .strict();
export type Job = z.infer<typeof jobSchema>;

export const STEP_STATUSES = ["started", "succeeded", "failed", "skipped"] as const;

/** One step's progress, reported by the runner as it goes (it also extends the job's lease). */
export const stepEventSchema = z
  .object({
    jobId: z.string().min(1).max(64),
    /** Index into the host plan's steps (or rollback steps) for execute/rollback; -1 for a whole-job note. */
    index: z.number().int().min(-1).max(10_000),
    kind: z.string().min(1).max(40),
    dir: z.string().max(255),
    status: z.enum(STEP_STATUSES),
    /** Bounded, UTF-8, secrets never included. */
    output: z.string().max(16_384).default(""),
    at: isoTime,
  })
  .strict();
export type StepEvent = z.infer<typeof stepEventSchema>;

/** What a runner reports when a job ends: the bot's reactions (change/runs/) decide from it. */
export const jobResultSchema = z
  .object({
    ok: z.boolean(),
    facts: hostFactsSchema.optional(),
    /**
     * The index of the step that failed (execute/rollback/verify); -1 when the runner's re-check
     * before the first step stopped the job (the host changed since approval: nothing ran).
     */
    failedIndex: z.number().int().min(-1).max(10_000).optional(),
    error: z.string().max(4096).optional(),
    /** True when the runner refused the job before running anything (signature, expiry, host...). */
    refused: z.boolean().optional(),
    /** A services=manage start phase: the failover evidence the runner's check ended on, proven or not. */
    evidence: hostEvidenceSchema.optional(),
  })
  .strict();
export type JobResult = z.infer<typeof jobResultSchema>;
