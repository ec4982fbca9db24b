// The runner's local configuration: where the bot is, who this runner is, its credential, and the
// bot's public key pinned at registration. Whoever reads this file can act as this runner (but
// cannot sign jobs), so it is written owner-only and refused when others can read it.
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { z } from "zod";
import { PLATFORMS } from "../domain/pair.ts";
import { keyIdOf } from "../protocol/signing.ts";
import { registerResponseSchema } from "../protocol/wire.ts";

export const RUNNER_CONFIG_FORMAT = "momlink-runner/1";

export const runnerConfigSchema = z
  .object({
    format: z.literal(RUNNER_CONFIG_FORMAT),
    /** The bot's runner API base URL (http or https, may carry a path behind a reverse proxy). */
    server: z.url({ protocol: /^https?$/ }),
    name: registerResponseSchema.shape.name,
    host: registerResponseSchema.shape.host,
    platform: z.enum(PLATFORMS),
    credential: registerResponseSchema.shape.credential,
    publicKey: registerResponseSchema.shape.publicKey,
    keyId: registerResponseSchema.shape.keyId,
    registeredAt: z.iso.datetime(),
    /** A PEM file of CA certificates to trust for an https server with a private CA. */
    caFile: z.string().min(1).optional(),
  })
  .strict();
export type RunnerConfig = z.infer<typeof runnerConfigSchema>;

export type ReadConfigResult = { ok: true; config: RunnerConfig } | { ok: false; error: string };

export function readRunnerConfig(path: string): ReadConfigResult {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return {
      ok: false,
      error:
        code === "ENOENT"
          ? `no runner configuration at ${path}: register first (momlink runner register --server <url> --token <t> --config ${path})`
          : `cannot read the runner configuration ${path}: ${(err as Error).message}`,
    };
  }
  if (process.platform !== "win32") {
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      return {
        ok: false,
        error: `${path} holds the runner's credential but others can read it (mode ${mode.toString(8)}): run chmod 600 "${path}"`,
      };
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, error: `${path} is not JSON: re-register the runner` };
  }
  const parsed = runnerConfigSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join(".") || "(file)"}: ${i.message}`)
      .join("; ");
    return {
      ok: false,
      error: `${path} is not a valid runner configuration (${problems}): re-register the runner`,
    };
  }
  let keyId: string;
  try {
    keyId = keyIdOf(parsed.data.publicKey);
  } catch {
    return { ok: false, error: `${path}: the pinned public key cannot be read: re-register the runner` };
  }
  if (keyId !== parsed.data.keyId) {
    return {
      ok: false,
      error: `${path}: the pinned key's id is ${keyId}, the file says ${parsed.data.keyId}: re-register the runner`,
    };
  }
  return { ok: true, config: parsed.data };
}

/** Writes the configuration with mode 0600, atomically (a crash leaves the old file or the new one). */
export function writeRunnerConfig(path: string, config: RunnerConfig): void {
  const checked = runnerConfigSchema.parse(config);
  const target = resolve(path);
  mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
  const temp = `${target}.${process.pid}.tmp`;
  rmSync(temp, { force: true });
  writeFileSync(temp, `${JSON.stringify(checked, null, 2)}\n`, { mode: 0o600, flag: "wx" });
  try {
    renameSync(temp, target);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
  // rename keeps the temp file's mode; chmod again in case a umask or an odd filesystem widened it.
  if (process.platform !== "win32") chmodSync(target, 0o600);
}
