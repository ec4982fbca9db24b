// Where an EM_HOME keeps the file momlink reads and edits: IntroscopeEnterpriseManager.properties,
// in EM_HOME's config (what pre-flight reads to tell an EM_HOME) and, once config is linked, the
// one copy on the share both EMs read (what failover-properties=set edits). One place for the
// name, so the plan, the renderer and the runner's steps name the same file.
import { commandsFor } from "./commands.ts";
import type { Platform } from "./pair.ts";

export const PROPERTIES_NAME = "IntroscopeEnterpriseManager.properties";

const PROPERTIES_FILE = {
  windows: `config\\${PROPERTIES_NAME}`,
  linux: `config/${PROPERTIES_NAME}`,
} as const;

/** The properties file relative to EM_HOME. */
export function propertiesFile(platform: Platform): string {
  return PROPERTIES_FILE[platform];
}

/** The properties both EMs read once config is linked: the one file on the share. */
export function sharedPropertiesFile(platform: Platform, share: string): string {
  const cmds = commandsFor(platform);
  return cmds.join(cmds.join(share, "config"), PROPERTIES_NAME);
}
