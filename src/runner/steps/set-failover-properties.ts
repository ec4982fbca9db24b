// failover-properties=set, on the primary after seeding and linking: the one shared
// IntroscopeEnterpriseManager.properties on the share (never a local copy) gets the failover keys
// the plan requires; every other line, comment, order, line ending and the file's ISO-8859-1
// encoding stay (domain/java-properties.ts computes the bytes). The original is kept beside it as
// `IntroscopeEnterpriseManager.properties.pre-CHG-n` first, the new bytes replace the file in one
// rename, and the file is read back.
//
// What it must keep true:
// - No backup, no edit: the backup is written (exclusively, never over another file) and read
//   back before the file changes. A backup already there from this change's earlier attempt is
//   used only when it holds exactly the file's bytes.
// - A file the editor refuses (a BOM, bytes that are not ISO-8859-1, a malformed \u escape) is
//   left untouched, with the editor's reason and fix.
import { randomBytes } from "node:crypto";
import { chmod, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { sharedPropertiesFile } from "../../domain/em-files.ts";
import { setProperties } from "../../domain/java-properties.ts";
import type { Step } from "../../domain/plan.ts";
import { failed, type StepContext, type StepOutcome, succeeded } from "./context.ts";

export function propertiesPaths(ctx: StepContext): { file: string; backup: string; temporary: string } {
  const file = sharedPropertiesFile(ctx.platform.name, ctx.share);
  return {
    file,
    backup: `${file}.pre-${ctx.changeId}`,
    temporary: `${file}.momlink-${randomBytes(4).toString("hex")}.tmp`,
  };
}

export async function setFailoverProperties(ctx: StepContext, _step: Step): Promise<StepOutcome> {
  const { file, backup, temporary } = propertiesPaths(ctx);
  const original = await readFile(file).catch((error: unknown) => error as Error);
  if (original instanceof Error) {
    return failed(
      `not run: cannot read ${file} (${original.message}): seeding should have put it on the share`,
    );
  }
  const edit = setProperties(new Uint8Array(original), ctx.failoverProperties, {
    defaultEnding: ctx.platform.name === "windows" ? "\r\n" : "\n",
  });
  if (!edit.ok) {
    return failed(`not run: ${file} was left as it is: ${edit.problem.message}`, `fix: ${edit.problem.fix}`);
  }
  const changes = edit.value.changes.map(
    (c) =>
      `${c.key}: ${c.before === null ? "(not set)" : JSON.stringify(c.before)} -> ${JSON.stringify(c.after)} (${c.action}, line ${c.lines.join(", ")})`,
  );
  if (edit.value.changes.every((c) => c.action === "unchanged")) {
    return succeeded(`${file} already holds every failover property: nothing written`, ...changes);
  }

  const kept = await keepBackup(backup, original);
  if (kept !== null) return failed(`not run: ${file} was left as it is: ${kept}`);
  try {
    await writeFile(temporary, edit.value.bytes, { flag: "wx" });
    await chmod(temporary, (await stat(file)).mode & 0o7777).catch(() => undefined);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    return failed(`could not write ${file}: ${(error as Error).message}; the original is in ${backup}`);
  }
  const readBack = await readFile(file).catch(() => null);
  if (readBack === null || !Buffer.from(edit.value.bytes).equals(readBack)) {
    return failed(`read back: ${file} does not hold what was written; the original is in ${backup}`);
  }
  return succeeded(
    `backup: ${backup} (${original.length} bytes, read back)`,
    ...changes,
    `read back: ${file} holds the edited ${readBack.length} bytes; every other line is as it was`,
  );
}

/** Writes the backup once and reads it back; null when it holds `original`, else why not. */
async function keepBackup(backup: string, original: Buffer): Promise<string | null> {
  const existing = await readFile(backup).catch(() => null);
  if (existing !== null) {
    return existing.equals(original)
      ? null
      : `${backup} already exists with other content: move it away by hand (it may be an older original)`;
  }
  try {
    await writeFile(backup, original, { flag: "wx" });
  } catch (error) {
    return `could not write the backup ${backup}: ${(error as Error).message}`;
  }
  const check = await readFile(backup).catch(() => null);
  return check?.equals(original) ? null : `the backup ${backup} does not read back as the original`;
}
