// Pre-flight: every read-only check of a host, in the order an operator would do them by hand,
// gathered into the facts a plan is built on; and what changed between the approved facts and
// the host as it is right before a change runs. Nothing here changes the host.
import { canonicalJson } from "../domain/canonical.ts";
import { type DirFacts, FACT_DETAIL_MAX, type HostFacts } from "../domain/facts.ts";
import type { Plan } from "../domain/plan.ts";
import type { EventSink } from "./executor.ts";
import { clip } from "./platform/platform.ts";
import { checkAccounts } from "./steps/check-accounts.ts";
import { checkEmHome } from "./steps/check-em-home.ts";
import { checkPrivilege } from "./steps/check-privilege.ts";
import { checkFailoverProperties } from "./steps/check-properties.ts";
import { checkServiceStopped } from "./steps/check-service-stopped.ts";
import { checkSymlinkEvaluation } from "./steps/check-symlink-evaluation.ts";
import { checkTarget } from "./steps/check-target.ts";
import type { StepContext } from "./steps/context.ts";
import { inspectLinkPath } from "./steps/inspect-link-path.ts";

/** Every pre-flight check, in the order an operator would do them by hand. */
export async function collectFacts(
  ctx: StepContext,
  plan: Plan,
  runnerHost: string,
  emit?: EventSink,
): Promise<HostFacts> {
  const note = (kind: string, dir: string, output: string) =>
    emit?.({ index: -1, kind, dir, status: "succeeded", output: clip(output) });

  const emHome = await checkEmHome(ctx);
  note("check-em-home", "", emHome.detail);
  const service = await checkServiceStopped(ctx);
  note("check-service-stopped", "", service.detail);
  const accounts = await checkAccounts(ctx);
  note("check-accounts", "", accounts.detail);
  const privilege = await checkPrivilege(ctx);
  note("check-privilege", "", privilege.detail);
  const evaluation = await checkSymlinkEvaluation(ctx);
  note("check-symlink-evaluation", "", evaluation.detail);
  const recovery = await ctx.platform.serviceRecovery(ctx.serviceName);
  if (recovery !== null) note("check-recovery", "", recovery.detail);
  // Primary only: what the one shared properties file will say once config is linked.
  const properties = ctx.role === "primary" ? await checkFailoverProperties(ctx) : null;
  if (properties !== null) note("check-failover-properties", "config", properties.detail);

  const dirs: DirFacts[] = [];
  for (const dir of plan.dirs) {
    const link = await inspectLinkPath(ctx, dir);
    note("inspect-link-path", dir, link.detail);
    // The primary's real directory is the good copy a share dir holding data must match.
    const target = await checkTarget(ctx, dir, {
      compare: ctx.role === "primary" && link.linkPath === "directory",
    });
    note("check-target", dir, target.detail);
    dirs.push({
      dir,
      linkPath: link.linkPath,
      ...(link.currentTarget === undefined ? {} : { currentTarget: link.currentTarget }),
      share: target.share,
    });
  }
  return {
    host: runnerHost,
    emHomeExists: emHome.emHomeExists,
    emHomeHoldsEm: emHome.emHomeHoldsEm,
    serviceStopped: service.serviceStopped,
    canCreateSymlinks: privilege.canCreateSymlinks,
    symlinkL2R: evaluation.symlinkL2R,
    details: {
      service: factDetail(service.detail),
      privilege: factDetail(privilege.detail),
      symlinkL2R: factDetail(evaluation.detail),
    },
    ...(accounts.accounts === null
      ? {}
      : { emAccount: { ...accounts.accounts, detail: factDetail(accounts.accounts.detail) } }),
    ...(ctx.manageServices ? { serviceControl: ctx.serviceFacts } : {}),
    ...(properties === null
      ? {}
      : { failoverProperties: { ...properties, detail: factDetail(properties.detail) } }),
    ...(recovery === null ? {} : { recovery: { ...recovery, detail: factDetail(recovery.detail) } }),
    ...(ctx.reportedLogPatterns === undefined ? {} : { logPatterns: ctx.reportedLogPatterns }),
    dirs,
  };
}

/**
 * What changed on this host since its facts were approved. Share facts are left to the steps:
 * the primary's seeding legitimately fills the share before the secondary runs, and each step
 * re-checks the share itself before acting.
 */
export function driftOf(
  approved: HostFacts,
  now: HostFacts,
  options: { manageServices: boolean } = { manageServices: false },
): string[] {
  const drift: string[] = [];
  // services=manage stops the service itself: whether it runs now is not a change that matters.
  const flags = [
    "emHomeExists",
    "emHomeHoldsEm",
    ...(options.manageServices ? [] : (["serviceStopped"] as const)),
    "canCreateSymlinks",
    "symlinkL2R",
  ] as const;
  for (const flag of flags) {
    if (approved[flag] !== now[flag]) drift.push(`${flag} was ${approved[flag]}, is ${now[flag]}`);
  }
  // How the service is stopped and started, and the evidence's log lines, are the runner's settings.
  for (const key of ["serviceControl", "logPatterns"] as const) {
    const same = (a: unknown) => (a === undefined ? "none" : canonicalJson(a));
    if (same(approved[key]) !== same(now[key])) {
      drift.push(`the runner's ${key} was ${JSON.stringify(approved[key])}, is ${JSON.stringify(now[key])}`);
    }
  }
  // Whose access was approved: a service moved to another logon account changes that.
  if (approved.emAccount?.em !== now.emAccount?.em || approved.emAccount?.same !== now.emAccount?.same) {
    const show = (a: HostFacts["emAccount"]) =>
      a === undefined ? "not reported" : `${String(a.em)} (same as the runner: ${String(a.same)})`;
    drift.push(`the EM service's account was ${show(approved.emAccount)}, is ${show(now.emAccount)}`);
  }
  for (const planned of approved.dirs) {
    const current = now.dirs.find((d) => d.dir === planned.dir);
    if (current === undefined) continue;
    if (planned.linkPath !== current.linkPath || planned.currentTarget !== current.currentTarget) {
      const show = (d: DirFacts) =>
        `${d.linkPath}${d.currentTarget === undefined ? "" : ` (${d.currentTarget})`}`;
      drift.push(`${planned.dir} was ${show(planned)}, is ${show(current)}`);
    }
  }
  return drift;
}

/** A probe's detail as a fact carries it: bounded, so the facts always fit their schema. */
function factDetail(text: string): string {
  return text.length > FACT_DETAIL_MAX ? `${text.slice(0, FACT_DETAIL_MAX - 3)}...` : text;
}
