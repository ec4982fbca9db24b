// Picks this runner's platform layer (platform.ts names what one must offer): the only module
// that loads linux.ts or windows-platform.ts, each on demand, so a Linux runner never loads the
// cmd.exe layer and vice versa, and no platform module imports back into this one.
import type { Platform, PlatformName } from "./platform.ts";

/**
 * The platform layer for this runner (chosen by configuration, not guessed from the job). Linux
 * hosts without systemd give the EM service's start, stop and status commands.
 */
export async function createPlatform(
  name: PlatformName,
  serviceCommands?: { start: string[]; stop: string[]; status: string[] },
): Promise<Platform> {
  // Loaded on demand: a Linux runner never loads the cmd.exe layer and vice versa.
  if (name === "windows") return (await import("./windows-platform.ts")).createWindowsPlatform();
  return (await import("./linux.ts")).createLinuxPlatform(
    serviceCommands === undefined ? {} : { serviceCommands },
  );
}
