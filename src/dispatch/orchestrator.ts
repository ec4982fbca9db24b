// Drives a change through the runners: pre-flight facts for the plan, then after approval the
// primary's execute job, then the secondary's; a rollback (secondary first) after an approver asks
// for one; verify jobs on request. Bot-side and not Slack-specific: it talks to the chat side
// through ChangeNotify only.
//
// The reactions are stateless. Execute and rollback jobs get ids derived from the change, the
// record's version when the run began, the kind and the role (`CHG-12-v5-execute-primary`): what
// to do next is read from the record and from the jobs the dispatcher holds under those ids, never
// from memory. A bot restarted mid-change therefore continues where the rows say, and an id can be
// queued only once, so no host runs its part twice. Only the read-only waits (pre-flight, verify)
// live in memory: after a restart they are simply asked again.
import { randomBytes } from "node:crypto";
import type { HostFacts } from "../domain/facts.ts";
import type { Job, JobKind, StepEvent } from "../domain/job.ts";
import type { HostPlan, Step } from "../domain/plan.ts";
import type { ApprovalPolicy } from "../domain/policy.ts";
import type { ChangeEvent, ChangeRecord } from "../domain/record.ts";
import { renderHostProgress } from "../domain/render.ts";
import type { Logger } from "../log.ts";
import type { ChangeStore } from "../store/store.ts";
import { DispatchError, type Dispatcher, realScheduler, type Scheduler } from "./dispatcher.ts";
import type {
  ChangeNotify,
  HostOutcome,
  HostRole,
  HostRun,
  PreflightFacts,
  RunKind,
  RunnerHooks,
  RunStatus,
  StepFailure,
  VerifyHost,
  VerifyReport,
} from "./hooks.ts";
import type { JobState } from "./queue.ts";
import type { RunnerInfo } from "./registry.ts";
import type { JobResult } from "./wire.ts";

export interface OrchestratorOptions {
  dispatcher: Dispatcher;
  store: ChangeStore;
  policy: ApprovalPolicy;
  /** The clock for transitions; share it with the dispatcher (jobs and records speak of the same time). */
  now: () => Date;
  logger: Logger;
  /** How long pre-flight and verify wait for a runner's answer. Default 30 s. */
  preflightTimeoutMs?: number;
  notify: ChangeNotify;
  /**
   * Least time between two updates of one change's message (default 1 s): step events arrive one
   * per request, and Slack rate-limits chat.update. The last state always gets its update. 0: an
   * update as soon as the previous one is done.
   */
  progressIntervalMs?: number;
  /** Timers for those waits, injectable so tests fire them by hand. */
  scheduler?: Pick<Scheduler, "after">;
}

export interface Orchestrator extends Required<RunnerHooks> {
  /** Picks up every change a previous process left approved, executing or rolling back. */
  resume(): void;
  /** Resolves once every message update and thread reply asked for so far has been sent. */
  settled(): Promise<void>;
  /** Stops listening to the dispatcher; waits for pending notifications. */
  close(): Promise<void>;
}

/** How much of a failed step's output goes into the record's failure reason (the thread gets more). */
const REASON_OUTPUT = 300;
/** How much of each failed step's output goes into the thread reply. */
const THREAD_OUTPUT = 2500;

const PHASE_ID = /^(CHG-[0-9]+)-v([0-9]+)-(preflight|execute|rollback)-(primary|secondary)$/;

/** The id of one host's job in one run: derived, so a restart finds it and nothing queues it twice. */
export function phaseJobId(
  record: Pick<ChangeRecord, "id" | "version">,
  kind: JobKind,
  role: HostRole,
): string {
  return `${record.id}-v${record.version}-${kind}-${role}`;
}

export function parsePhaseJobId(
  id: string,
): { changeId: string; version: number; kind: JobKind; role: HostRole } | null {
  const match = PHASE_ID.exec(id);
  if (match === null) return null;
  return {
    changeId: match[1] ?? "",
    version: Number(match[2]),
    kind: match[3] as JobKind,
    role: match[4] as HostRole,
  };
}

type Answer = { facts: HostFacts | null; note: string | null; result: JobResult | null };

export function createOrchestrator(options: OrchestratorOptions): Orchestrator {
  const { dispatcher, store, policy, notify } = options;
  const logger = options.logger.child({ component: "orchestrator" });
  const timeoutMs = options.preflightTimeoutMs ?? 30_000;
  const scheduler = options.scheduler ?? realScheduler;
  const ctx = () => ({ now: options.now(), policy });
  const waiters = new Map<string, (answer: Answer) => void>();
  let closed = false;

  // --- notifications: in order per change, message updates coalesced -------------------------

  const intervalMs = options.progressIntervalMs ?? 1000;
  const chains = new Map<string, Promise<void>>();
  const renderQueued = new Set<string>();
  /** Changes whose message was updated less than intervalMs ago, with the update still owed (if any). */
  const cooling = new Map<string, { owed: boolean; fired: Promise<void> }>();

  function later(changeId: string, what: string, fn: () => Promise<void> | void): void {
    const previous = chains.get(changeId) ?? Promise.resolve();
    const next = previous
      .then(fn)
      .catch((err: unknown) => logger.error({ changeId, err }, `could not ${what}`))
      .finally(() => {
        if (chains.get(changeId) === next) chains.delete(changeId);
      });
    chains.set(changeId, next);
  }

  /**
   * Re-render once for everything that happened before the render starts (a burst of step events
   * is one update), and at most once per intervalMs; an update owed at the end of the interval is
   * sent then.
   */
  function progress(changeId: string): void {
    if (renderQueued.has(changeId)) return;
    const cool = cooling.get(changeId);
    if (cool !== undefined) {
      cool.owed = true;
      return;
    }
    renderQueued.add(changeId);
    later(changeId, "update the change message", async () => {
      renderQueued.delete(changeId);
      await notify.progress(changeId);
      if (intervalMs > 0) coolDown(changeId);
    });
  }

  function coolDown(changeId: string): void {
    let fire!: () => void;
    const entry = { owed: false, fired: new Promise<void>((resolve) => (fire = resolve)) };
    cooling.set(changeId, entry);
    scheduler.after(intervalMs, () => {
      cooling.delete(changeId);
      if (entry.owed) progress(changeId);
      fire();
    });
  }

  function tell(changeId: string, outcome: HostOutcome): void {
    later(changeId, "post a host's outcome", () => notify.hostOutcome(changeId, outcome));
  }

  // --- transitions ------------------------------------------------------------------------------

  function apply(record: ChangeRecord, event: ChangeEvent): ChangeRecord | null {
    const result = store.apply(record.id, event, ctx());
    if (!result.ok) {
      logger.warn({ changeId: record.id, event: event.type, reason: result.reason }, "transition refused");
      return null;
    }
    logger.info({ changeId: record.id, event: event.type, state: result.record.state }, "change moved");
    progress(record.id);
    return result.record;
  }

  /** What the runner on `host` is, or why there is none that can take this plan. */
  function runnerOf(host: string, platform: string): { runner: RunnerInfo } | { problem: string } {
    const runner = dispatcher.runnerFor(host);
    if (runner === null) {
      return { problem: `no runner is registered for ${host} (momlink runners add <name> --host ${host})` };
    }
    if (runner.platform !== platform) {
      return {
        problem: `runner ${runner.name} on ${host} is a ${runner.platform} runner, and this is a ${platform} plan`,
      };
    }
    return { runner };
  }

  /**
   * Looks at the record and its jobs and does the one next thing: start, queue a host's job, or
   * finish the run. Called on every job event and on resume; doing nothing is the common case.
   */
  function reconcile(changeId: string): void {
    if (closed) return;
    const record = store.get(changeId);
    if (record === null) return;
    switch (record.state) {
      case "approved":
        start(record);
        return;
      case "executing":
        advance(record, "execute", ["primary", "secondary"]);
        return;
      case "rolling_back":
        // Undo in reverse: the secondary followed the primary, so it goes back first.
        advance(record, "rollback", ["secondary", "primary"]);
        return;
      default:
        return;
    }
  }

  function start(record: ChangeRecord): void {
    const missing = record.plan.hosts.flatMap((h) => {
      const found = runnerOf(h.host, record.plan.platform);
      return "problem" in found ? [found.problem] : [];
    });
    const executing = apply(record, { type: "start-execution", actor: "system" });
    if (executing === null) return;
    if (missing.length > 0) {
      apply(executing, { type: "fail", actor: "system", reason: `nothing ran: ${missing.join("; ")}` });
      return;
    }
    advance(executing, "execute", ["primary", "secondary"]);
  }

  function advance(record: ChangeRecord, kind: RunKind, order: HostRole[]): void {
    const stop = (reason: string): void => {
      apply(
        record,
        kind === "execute"
          ? { type: "fail", actor: "system", reason }
          : { type: "rollback-failed", actor: "system", reason: `rollback: ${reason}` },
      );
    };
    for (const role of order) {
      const hostPlan = planOf(record, role);
      const id = phaseJobId(record, kind, role);
      const stored = dispatcher.job(id);
      if (stored === null) {
        queue(record, kind, role, id, stop);
        return;
      }
      switch (stored.state) {
        case "queued":
        case "leased":
          return;
        case "lost":
          apply(record, { type: "runner-lost", actor: "system", host: hostPlan.host });
          return;
        case "expired":
          stop(
            `${hostPlan.host} (${role}): the runner did not pick up the ${kind} job before it expired; nothing ran there`,
          );
          return;
        case "done":
          if (stored.result?.ok !== true) {
            stop(failureOf(record, stored.job, stored.result).reason);
            return;
          }
          break;
        default: {
          const never: never = stored.state;
          throw new Error(`unhandled job state ${String(never)}`);
        }
      }
    }
    apply(
      record,
      kind === "execute" ? { type: "succeed", actor: "system" } : { type: "rolled-back", actor: "system" },
    );
  }

  function queue(
    record: ChangeRecord,
    kind: RunKind,
    role: HostRole,
    id: string,
    stop: (reason: string) => void,
  ): void {
    const hostPlan = planOf(record, role);
    const found = runnerOf(hostPlan.host, record.plan.platform);
    if ("problem" in found) {
      stop(`${found.problem}: nothing ran on ${hostPlan.host}`);
      return;
    }
    try {
      dispatcher.enqueue({
        id,
        kind,
        changeId: record.id,
        host: hostPlan.host,
        role,
        planHash: record.planHash,
        plan: record.plan as unknown as Record<string, unknown>,
        runner: found.runner.name,
      });
      logger.info({ changeId: record.id, jobId: id, runner: found.runner.name }, `${kind} job queued`);
      progress(record.id);
    } catch (err) {
      if (err instanceof DispatchError && err.code === "duplicate-job") return;
      stop(
        `could not queue the ${kind} job for ${hostPlan.host}: ${(err as Error).message}; nothing ran there`,
      );
    }
  }

  // --- what a finished job means ------------------------------------------------------------------

  /** Why a host's job failed: `detail` for the thread (the reply names the host), `reason` for the record. */
  function failureOf(
    record: ChangeRecord,
    job: Job,
    result: JobResult | null,
  ): { reason: string; detail: string; status: HostOutcome["status"]; failures: StepFailure[] } {
    const kind = job.kind as RunKind;
    const hostPlan = planOf(record, job.role);
    const steps = kind === "execute" ? hostPlan.steps : hostPlan.rollback;
    const events = dispatcher.events(job.id);
    const failures = failedSteps(steps, events);
    const said = (status: HostOutcome["status"], detail: string) => ({
      status,
      failures,
      detail,
      reason: `${job.host} (${job.role}): ${detail}`,
    });
    const index = result?.failedIndex;
    if (index === -1) {
      const output = failures[0]?.output ?? "the runner's re-check before the first step failed";
      return said("failed", `nothing ran there: ${brief(output)}`);
    }
    if (index !== undefined) {
      const step = steps[index];
      const failed = failures.find((f) => f.index === index);
      const what = step === undefined ? `step ${index + 1}` : `step ${index + 1} (${step.kind} ${step.dir})`;
      return said("failed", `${what} failed: ${brief(failed?.output ?? result?.error ?? "no output")}`);
    }
    const ran = events.some((e) => e.index >= 0 && e.status !== "skipped");
    const error = result?.error ?? "no reason given";
    if (result?.refused === true || !ran) {
      return said("refused", `the runner refused the ${kind} job, nothing ran there: ${brief(error)}`);
    }
    return said("failed", `the runner failed mid-job: ${brief(error)}`);
  }

  function outcomeOf(record: ChangeRecord, job: Job, result: JobResult | null, state: JobState): HostOutcome {
    const kind = job.kind as RunKind;
    const base = { host: job.host, role: job.role, kind };
    if (state === "lost") {
      return {
        ...base,
        status: "lost",
        failures: [],
        summary: `the runner on ${job.host} stopped reporting during the ${kind}: what it did is unknown until /momlink verify ${record.id}`,
      };
    }
    if (state === "expired") {
      return {
        ...base,
        status: "expired",
        failures: [],
        summary: `the runner on ${job.host} did not pick up the ${kind} job before it expired: nothing ran there`,
      };
    }
    if (result?.ok === true) {
      const steps = planOf(record, job.role)[kind === "execute" ? "steps" : "rollback"];
      const events = dispatcher.events(job.id);
      const skipped = new Set(events.filter((e) => e.status === "skipped").map((e) => e.index)).size;
      const done = steps.length - skipped;
      const ran = `${done} step${done === 1 ? "" : "s"} ran${skipped > 0 ? `, ${skipped} already in place` : ""}`;
      return {
        ...base,
        status: "succeeded",
        failures: [],
        summary:
          kind === "execute"
            ? `${ran}; every link read back and points at its target`
            : `${ran}; the links are gone and the moved-aside directories back`,
      };
    }
    const failure = failureOf(record, job, result);
    return { ...base, status: failure.status, failures: failure.failures, summary: failure.detail };
  }

  /** A run's job reported or was given up on: tell the thread, then move the record on. */
  function onRunJob(job: Job, result: JobResult | null, state: JobState): void {
    const phase = parsePhaseJobId(job.id);
    if (phase === null || (phase.kind !== "execute" && phase.kind !== "rollback")) return;
    const record = store.get(job.changeId);
    if (record === null) return;
    tell(record.id, outcomeOf(record, job, result, state));
    reconcile(record.id);
    progress(record.id);
  }

  // --- read-only questions: pre-flight and verify --------------------------------------------------

  function ask(
    record: ChangeRecord,
    hostPlan: HostPlan,
    kind: "preflight" | "verify",
    id: string,
  ): Promise<Answer> {
    const found = runnerOf(hostPlan.host, record.plan.platform);
    if ("problem" in found) return Promise.resolve({ facts: null, note: found.problem, result: null });
    const { runner } = found;
    if (!runner.online) {
      const seen = runner.lastSeen === null ? "never seen" : `last seen ${runner.lastSeen}`;
      return Promise.resolve({
        facts: null,
        note: `runner ${runner.name} on ${hostPlan.host} is offline (${seen})`,
        result: null,
      });
    }
    try {
      dispatcher.enqueue({
        id,
        kind,
        changeId: record.id,
        host: hostPlan.host,
        role: hostPlan.role,
        planHash: record.planHash,
        plan: record.plan as unknown as Record<string, unknown>,
        runner: runner.name,
      });
    } catch (err) {
      return Promise.resolve({
        facts: null,
        note: `could not ask runner ${runner.name} on ${hostPlan.host}: ${(err as Error).message}`,
        result: null,
      });
    }
    return new Promise<Answer>((resolve) => {
      const cancel = scheduler.after(timeoutMs, () => {
        waiters.delete(id);
        resolve({
          facts: null,
          note: `runner ${runner.name} on ${hostPlan.host} did not answer within ${Math.round(timeoutMs / 1000)} s`,
          result: null,
        });
      });
      waiters.set(id, (answer) => {
        waiters.delete(id);
        cancel();
        resolve(answer);
      });
    });
  }

  function answerOf(job: Job, result: JobResult | null, state: JobState): Answer {
    if (state === "lost")
      return { facts: null, note: `runner ${job.runner} on ${job.host} stopped answering`, result };
    if (state === "expired") {
      return {
        facts: null,
        note: `runner ${job.runner} on ${job.host} did not pick up the ${job.kind} job`,
        result,
      };
    }
    if (result?.facts !== undefined && (result.ok || job.kind === "verify"))
      return { facts: result.facts, note: null, result };
    return {
      facts: null,
      note: `runner ${job.runner} on ${job.host} could not run the ${job.kind}: ${clip(result?.error ?? "no reason given", REASON_OUTPUT)}`,
      result,
    };
  }

  async function preflight(change: ChangeRecord): Promise<PreflightFacts | null> {
    const hosts = change.plan.hosts;
    // No runner anywhere yet: the worst-case plan, as before runners existed.
    if (hosts.every((h) => dispatcher.runnerFor(h.host) === null)) return null;
    const [primary, secondary] = await Promise.all(
      hosts.map((h) => ask(change, h, "preflight", phaseJobId(change, "preflight", h.role))),
    );
    for (const answer of [primary, secondary]) {
      if (answer?.note) logger.warn({ changeId: change.id, note: answer.note }, "pre-flight without facts");
    }
    return { primary: primary?.facts ?? null, secondary: secondary?.facts ?? null };
  }

  async function verify(change: ChangeRecord, actor: string): Promise<VerifyReport> {
    const nonce = randomBytes(4).toString("hex");
    const answers = await Promise.all(
      change.plan.hosts.map((h) => ask(change, h, "verify", `${change.id}-verify-${nonce}-${h.role}`)),
    );
    const hosts: VerifyHost[] = change.plan.hosts.map((h, i) => {
      const answer = answers[i] ?? { facts: null, note: "no answer", result: null };
      if (answer.facts === null)
        return { host: h.host, role: h.role, answered: false, note: answer.note, drift: [] };
      return {
        host: h.host,
        role: h.role,
        answered: true,
        note: null,
        drift: driftFromPlan(change, h, answer.facts),
      };
    });
    const outcome: VerifyReport["outcome"] = hosts.some((h) => !h.answered)
      ? "unknown"
      : hosts.some((h) => h.drift.length > 0)
        ? "drift"
        : "in-place";
    let recorded: VerifyReport["recorded"] = null;
    const current = store.get(change.id);
    if (current?.state === "needs_verification" && outcome !== "unknown") {
      const reason =
        outcome === "drift"
          ? `verification found ${hosts.flatMap((h) => h.drift.map((d) => `${h.host}: ${d}`)).join("; ")}`
          : undefined;
      const moved = apply(current, {
        type: "verified",
        actor,
        outcome: outcome === "in-place" ? "succeeded" : "failed",
        ...(reason === undefined ? {} : { reason: clip(reason, 1000) }),
      });
      if (moved !== null) recorded = outcome === "in-place" ? "succeeded" : "failed";
    }
    return { changeId: change.id, hosts, outcome, recorded };
  }

  // --- what the message shows -------------------------------------------------------------------

  function preflightNotes(change: ChangeRecord): string[] {
    if (change.state !== "planned" && change.state !== "awaiting_approval") return [];
    const seconds = Math.round(timeoutMs / 1000);
    return change.plan.hosts.flatMap((h) => {
      if (h.facts !== null) return [];
      const stored = dispatcher.job(phaseJobId({ id: change.id, version: 1 }, "preflight", h.role));
      if (stored === null) {
        const found = runnerOf(h.host, change.plan.platform);
        if ("problem" in found) return [found.problem];
        return [`runner ${found.runner.name} on ${h.host} was offline when this was planned`];
      }
      const name = stored.job.runner;
      switch (stored.state) {
        case "queued":
        case "leased":
          return [`runner ${name} on ${h.host} did not answer within ${seconds} s`];
        case "lost":
          return [`runner ${name} on ${h.host} stopped answering during pre-flight`];
        case "expired":
          return [`runner ${name} on ${h.host} did not pick up the pre-flight job`];
        case "done":
          return stored.result?.ok
            ? [
                `runner ${name} on ${h.host} answered after the ${seconds} s pre-flight wait: plan again to use its facts`,
              ]
            : [
                `runner ${name} on ${h.host} could not run pre-flight: ${clip(stored.result?.error ?? "no reason given", REASON_OUTPUT)}`,
              ];
        default: {
          const never: never = stored.state;
          return [String(never)];
        }
      }
    });
  }

  function runsOf(change: ChangeRecord): HostRun[] {
    const latest = new Map<
      string,
      { version: number; id: string; state: JobState; result: JobResult | null }
    >();
    for (const stored of dispatcher.jobsFor(change.id)) {
      const phase = parsePhaseJobId(stored.job.id);
      if (phase === null || (phase.kind !== "execute" && phase.kind !== "rollback")) continue;
      const key = `${phase.kind} ${phase.role}`;
      const previous = latest.get(key);
      if (previous !== undefined && previous.version > phase.version) continue;
      latest.set(key, {
        version: phase.version,
        id: stored.job.id,
        state: stored.state,
        result: stored.result,
      });
    }
    const runs: HostRun[] = [];
    const kinds: [RunKind, HostRole[], boolean][] = [
      ["execute", ["primary", "secondary"], change.state === "executing"],
      ["rollback", ["secondary", "primary"], change.state === "rolling_back"],
    ];
    for (const [kind, order, active] of kinds) {
      // The rollback on show is the latest attempt: the one started at the highest version.
      const version = Math.max(-1, ...order.map((r) => latest.get(`${kind} ${r}`)?.version ?? -1));
      if (version < 0 && !active) continue;
      for (const role of order) {
        const hostPlan = planOf(change, role);
        const found = latest.get(`${kind} ${role}`);
        const current = found !== undefined && found.version === version ? found : undefined;
        const events = current === undefined ? [] : dispatcher.events(current.id);
        runs.push({
          host: hostPlan.host,
          role,
          kind,
          status: current === undefined ? "pending" : runStatus(current.state, current.result, events),
          steps: renderHostProgress(hostPlan, kind, events),
        });
      }
    }
    return runs;
  }

  // --- wiring -------------------------------------------------------------------------------------

  const offs = [
    dispatcher.on("result", (job, result) => {
      if (job.kind === "preflight" || job.kind === "verify") {
        waiters.get(job.id)?.(answerOf(job, result, "done"));
        return;
      }
      onRunJob(job, result, "done");
    }),
    dispatcher.on("lost", (job) => {
      if (job.kind === "preflight" || job.kind === "verify") {
        waiters.get(job.id)?.(answerOf(job, null, "lost"));
        return;
      }
      onRunJob(job, null, "lost");
    }),
    dispatcher.on("expired", (job) => {
      if (job.kind === "preflight" || job.kind === "verify") {
        waiters.get(job.id)?.(answerOf(job, null, "expired"));
        return;
      }
      onRunJob(job, null, "expired");
    }),
    dispatcher.on("step", (_jobId, changeId, _event, job) => {
      if (job.kind === "execute" || job.kind === "rollback") progress(changeId);
    }),
  ];

  async function settled(): Promise<void> {
    const owed = () => [...cooling.values()].filter((c) => c.owed).map((c) => c.fired);
    while (chains.size > 0 || owed().length > 0) await Promise.all([...chains.values(), ...owed()]);
  }

  return {
    preflight,
    approved(change) {
      reconcile(change.id);
    },
    rollback(change) {
      reconcile(change.id);
    },
    verify,
    listRunners: () => dispatcher.listRunners(),
    progress: (change) => ({ preflightNotes: preflightNotes(change), runs: runsOf(change) }),
    resume() {
      for (const record of store.list({ states: ["approved", "executing", "rolling_back"], limit: 1000 })) {
        logger.info({ changeId: record.id, state: record.state }, "resuming a change left running");
        reconcile(record.id);
        progress(record.id);
      }
    },
    settled,
    async close() {
      closed = true;
      for (const off of offs) off();
      await settled();
    },
  };
}

function planOf(record: ChangeRecord, role: HostRole): HostPlan {
  return role === "primary" ? record.plan.hosts[0] : record.plan.hosts[1];
}

function runStatus(state: JobState, result: JobResult | null, events: readonly StepEvent[]): RunStatus {
  switch (state) {
    case "queued":
      return "queued";
    case "leased":
      return "running";
    case "lost":
      return "lost";
    case "expired":
      return "expired";
    case "done":
      if (result?.ok === true) return "succeeded";
      if (
        result?.failedIndex === undefined &&
        (result?.refused === true || !events.some((e) => e.index >= 0))
      )
        return "refused";
      return "failed";
    default: {
      const never: never = state;
      return never;
    }
  }
}

/** Every step a runner reported failed, with the approved line it was running. */
function failedSteps(steps: readonly Step[], events: readonly StepEvent[]): StepFailure[] {
  return events
    .filter((e) => e.status === "failed")
    .map((e) => ({
      index: e.index,
      kind: e.kind,
      dir: e.dir,
      line: e.index >= 0 ? (steps[e.index]?.line ?? "") : "",
      output: clip(e.output, THREAD_OUTPUT),
    }));
}

/** Each dir of the plan must be a link to exactly its target; anything else is drift, named. */
export function driftFromPlan(change: ChangeRecord, hostPlan: HostPlan, facts: HostFacts): string[] {
  const sep = change.plan.platform === "windows" ? "\\" : "/";
  const drift: string[] = [];
  for (const dir of change.plan.dirs) {
    const target = `${change.plan.share}${sep}${dir}`;
    const found = facts.dirs.find((d) => d.dir === dir);
    if (found === undefined) {
      drift.push(`${dir}: the runner did not report it`);
      continue;
    }
    if (found.linkPath === "link-to-target") continue;
    const now =
      found.linkPath === "missing"
        ? "missing"
        : found.linkPath === "directory"
          ? "a real directory"
          : found.linkPath === "link-elsewhere"
            ? `a link to ${clip(found.currentTarget ?? "?", 200).replace(/\p{Cc}/gu, "?")}`
            : found.linkPath === "junction"
              ? "a junction"
              : "a file";
    drift.push(`${dir} in ${hostPlan.emHome} is ${now}, not a link to ${target}`);
  }
  return drift;
}

/** Runner output as part of a one-line reason: lines joined, bounded (the thread gets it whole). */
function brief(text: string): string {
  return clip(text.replace(/\s*\n\s*/g, "; "), REASON_OUTPUT);
}

function clip(text: string, max: number): string {
  const trimmed = text.trim();
  return trimmed.length <= max ? trimmed : `${trimmed.slice(0, max - 1)}…`;
}
