// The EM service must be stopped while its directories are relinked: the shared state has one
// writer at a time. A service the runner cannot query is unknown (null), which blocks the plan
// like a running one but says so, unless the runner's administrator said the EM is not a service
// here (--unknown-service-is-stopped: hosts without systemd, sandboxes). Not for services=manage:
// a service momlink must stop and see stopped cannot be one whose state nobody can read.
import type { StepContext } from "./context.ts";

export interface ServiceCheck {
  serviceStopped: boolean | null;
  detail: string;
}

export async function checkServiceStopped(ctx: StepContext): Promise<ServiceCheck> {
  const probe = await ctx.platform.serviceState(ctx.serviceName);
  switch (probe.state) {
    case "stopped":
      return { serviceStopped: true, detail: probe.detail };
    case "running":
      return { serviceStopped: false, detail: probe.detail };
    case "unknown":
      return ctx.unknownServiceIsStopped && !ctx.manageServices
        ? {
            serviceStopped: true,
            detail: `${probe.detail}; counted as stopped by this runner's configuration`,
          }
        : { serviceStopped: null, detail: probe.detail };
    default: {
      const unhandled: never = probe.state;
      throw new Error(`unhandled service state ${String(unhandled)}`);
    }
  }
}
