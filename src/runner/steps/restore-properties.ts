// Rollback of failover-properties=set: the backup `IntroscopeEnterpriseManager.properties.pre-CHG-n`
// goes back over the shared file (one rename), and the file is read back. A change that never
// edited the file left no backup: nothing to restore.
import { readFile, rename } from "node:fs/promises";
import type { Step } from "../../domain/plan.ts";
import { failed, type StepContext, type StepOutcome, skipped, succeeded } from "./context.ts";
import { propertiesPaths } from "./set-failover-properties.ts";

export async function restoreProperties(ctx: StepContext, _step: Step): Promise<StepOutcome> {
  const { file, backup } = propertiesPaths(ctx);
  const saved = await readFile(backup).catch(() => null);
  if (saved === null)
    return skipped(`nothing to restore: ${backup} does not exist (this change did not edit ${file})`);
  try {
    await rename(backup, file);
  } catch (error) {
    return failed(`could not put ${backup} back as ${file}: ${(error as Error).message}`);
  }
  const readBack = await readFile(file).catch(() => null);
  if (readBack === null || !readBack.equals(saved)) {
    return failed(`read back: ${file} is not the ${saved.length} bytes of its backup`);
  }
  return succeeded(
    `put ${backup} back as ${file}`,
    `read back: ${file} holds the original ${saved.length} bytes`,
  );
}
