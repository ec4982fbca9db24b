// EM_HOME exists and holds an Enterprise Manager (its properties file is there).
import { propertiesFile } from "../../domain/em-files.ts";
import type { StepContext } from "./context.ts";

export interface EmHomeCheck {
  emHomeExists: boolean;
  emHomeHoldsEm: boolean;
  detail: string;
}

export async function checkEmHome(ctx: StepContext): Promise<EmHomeCheck> {
  const { platform, emHome } = ctx;
  const emHomeExists = await platform.isDirectory(emHome);
  if (!emHomeExists)
    return { emHomeExists, emHomeHoldsEm: false, detail: `${emHome} is not a directory here` };
  const properties = platform.join(emHome, propertiesFile(platform.name));
  const emHomeHoldsEm = await platform.isFile(properties);
  return {
    emHomeExists,
    emHomeHoldsEm,
    detail: emHomeHoldsEm ? `${properties} is present` : `${properties} is missing: not an EM_HOME?`,
  };
}
