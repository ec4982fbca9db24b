// The runner API's bodies, declared once and used on both ends: the bot validates what runners
// send, the runner validates what the bot answers. Jobs, step events and job results come from domain/job.ts,
// the signed envelope from signing.ts.
import { z } from "zod";
import { PLATFORMS } from "../domain/pair.ts";

export const API_PREFIX = "/v1";
/** Longest long-poll the bot honours; a runner asking for more gets this. */
export const MAX_WAIT_SECONDS = 60;
/** Bodies larger than this are refused (413): a step's output is bounded at 16 KiB. */
export const MAX_BODY_BYTES = 256 * 1024;
/** A registration is read before any authentication, and is well under 1 KiB: larger is refused. */
export const MAX_REGISTER_BODY_BYTES = 4 * 1024;
/** Response header on a handed-over job: the lease, so the runner knows how often to heartbeat. */
export const LEASE_HEADER = "x-momlink-lease-ms";

export const runnerNameSchema = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/i, {
  message:
    "a runner name is 1-64 letters, digits, dots, hyphens or underscores, starting with a letter or digit",
});
export const jobIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

export const registerRequestSchema = z
  .object({
    token: z.string().min(1).max(200),
    name: runnerNameSchema.optional(),
    version: z.string().min(1).max(64),
    platform: z.enum(PLATFORMS),
    hostname: z.string().min(1).max(255),
  })
  .strict();
export type RegisterRequest = z.infer<typeof registerRequestSchema>;

export const registerResponseSchema = z
  .object({
    name: runnerNameSchema,
    host: z.string().min(1).max(255),
    platform: z.enum(PLATFORMS),
    credential: z.string().min(16).max(128),
    publicKey: z.string().startsWith("-----BEGIN PUBLIC KEY-----"),
    keyId: z.string().regex(/^[0-9a-f]{16}$/),
  })
  .strict();
export type RegisterResponse = z.infer<typeof registerResponseSchema>;

// What a finished job reports is part of what a job is (domain/job.ts): the bot's decisions read it.
export { type JobResult, jobResultSchema } from "../domain/job.ts";

export const errorBodySchema = z.object({ error: z.string() });
