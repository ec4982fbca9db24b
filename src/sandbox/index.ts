// The console sandbox: two local Linux "MOM hosts" and a share under ./var/sandbox, with a real
// runner for each inside the console's process, so a newcomer can plan, approve and see real links
// without a Slack workspace or a Windows host.
export {
  MARKER_FILE,
  PROCEDURE_KEYS,
  prepareSandbox,
  type Sandbox,
  SandboxError,
  type SandboxHost,
} from "./layout.ts";
export {
  type SandboxRunnersOptions,
  sandboxStandIn,
  startSandboxRunners,
  stopSandboxEms,
} from "./runners.ts";
