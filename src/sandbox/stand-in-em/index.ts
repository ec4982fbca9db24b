// The stand-in Enterprise Manager: a Python program that takes the failover locks the way a real
// EM does on Linux (stand_in_em.py), behind a systemd-like service control (control.ts, and
// emctl.ts as a command). For tests and the console sandbox only; never shipped to MOM hosts.
//
// Use from a runner's configurable service control: `standInServiceCommands({ emHome, host,
// runDir })` gives the start/stop/status argv; in-process: `startStandIn`, `stopStandIn`,
// `standInStatus`. The lock it holds is seen by runner/platform/locks-linux.ts like a real EM's.
export {
  STAND_IN_CONTROL_CLI,
  STAND_IN_EM_SCRIPT,
  type StandInOptions,
  type StandInRole,
  type StandInStatus,
  standInServiceCommands,
  standInStatus,
  startStandIn,
  stopStandIn,
} from "./control.ts";
