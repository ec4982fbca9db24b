// One step by its kind: the one switch over the closed vocabulary on the runner's side, so a new
// kind fails to compile here until a module handles it. An I/O error while checking or reading
// back is the step's failure, said as such.
import type { Step } from "../../domain/plan.ts";
import { checkFailover } from "./check-failover.ts";
import type { StepContext, StepOutcome } from "./context.ts";
import { mklink } from "./mklink.ts";
import { moveAside } from "./move-aside.ts";
import { removeLink } from "./remove-link.ts";
import { restore } from "./restore.ts";
import { restoreProperties } from "./restore-properties.ts";
import { seedShare } from "./seed-share.ts";
import { setFailoverProperties } from "./set-failover-properties.ts";
import { startService } from "./start-service.ts";
import { stopService } from "./stop-service.ts";
import { verifyLink } from "./verify-link.ts";

export async function runStep(
  ctx: StepContext,
  step: Step,
  verify: { writeProbe: boolean },
): Promise<StepOutcome> {
  try {
    switch (step.kind) {
      case "seed-share":
        return await seedShare(ctx, step);
      case "move-aside":
        return await moveAside(ctx, step);
      case "mklink":
        return await mklink(ctx, step);
      case "verify-link":
        return await verifyLink(ctx, step, verify);
      case "remove-link":
        return await removeLink(ctx, step);
      case "restore":
        return await restore(ctx, step);
      case "stop-service":
        return await stopService(ctx, step);
      case "start-service":
        return await startService(ctx, step);
      case "check-failover":
        return await checkFailover(ctx, step);
      case "set-failover-properties":
        return await setFailoverProperties(ctx, step);
      case "restore-properties":
        return await restoreProperties(ctx, step);
      default: {
        const unhandled: never = step.kind;
        return { status: "failed", output: `unknown step kind ${String(unhandled)}` };
      }
    }
  } catch (error) {
    return {
      status: "failed",
      output: `the runner could not complete the step: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}
