// A plan from request to approvable message: the change created (and the host lock taken) in one
// transaction that also decides its inbox request; then the runners' pre-flight, which may rebuild
// the plan with their facts; then the channel message. A plan nobody can see is cancelled rather
// than left holding its hosts. `resumePlan` picks the same flow up where a restart left it, from
// the record's state. Part of the change service (service.ts), which hands in what it shares.
import type { RunnerHooks } from "../dispatch/hooks.ts";
import { sameMachine } from "../domain/host.ts";
import type { PairSpec } from "../domain/pair.ts";
import { plainPhrase } from "../domain/phrase.ts";
import { buildPlan, type Plan } from "../domain/plan.ts";
import type { ApprovalPolicy } from "../domain/policy.ts";
import type { ChangeEvent, ChangeRecord } from "../domain/record.ts";
import type { Logger } from "../log.ts";
import type { ChangeStore } from "../store/store.ts";
import type { Outcome, PlanOutcome, PlanRequest } from "./service.ts";

export interface PlanFlowDeps {
  store: ChangeStore;
  policy: ApprovalPolicy;
  logger: Logger;
  now: () => Date;
  runners: RunnerHooks | undefined;
  /** Resolves when the requests already waiting for their ack have had their turn. */
  afterPendingAcks: () => Promise<void>;
  /** Renders the record's message; posts it when it was never posted and `post` is set. */
  render(record: ChangeRecord, post: boolean): Promise<{ ok: true } | { ok: false; error: string }>;
  permalink(record: ChangeRecord): Promise<string | null>;
  /** Records a refusal as the decision of its inbox request. */
  refused(reason: string, requestKey: string | undefined): Outcome;
}

export interface PlanFlow {
  plan(request: PlanRequest): Promise<PlanOutcome>;
  resumePlan(changeId: string, spec: PairSpec | null): Promise<PlanOutcome>;
}

export function createPlanFlow(deps: PlanFlowDeps): PlanFlow {
  const { store, policy, logger, runners, afterPendingAcks } = deps;
  const ctx = () => ({ now: deps.now(), policy });

  /** The plan with the runners' pre-flight facts, or undefined to keep the worst-case plan. */
  async function preflightPlan(record: ChangeRecord, spec: PairSpec): Promise<Plan | undefined> {
    if (runners === undefined) return undefined;
    try {
      const facts = await runners.preflight(record);
      if (facts === null) return undefined;
      return buildPlan({ spec, changeId: record.id, facts });
    } catch (err) {
      logger.error({ changeId: record.id, err }, "pre-flight failed; showing the worst-case plan");
      return undefined;
    }
  }

  /** After the change is created: pre-flight (when the spec is known), then the channel message. */
  async function showPlan(planned: ChangeRecord, spec: PairSpec | null): Promise<PlanOutcome> {
    const plan = spec === null ? undefined : await preflightPlan(planned, spec);
    await afterPendingAcks();
    // Pre-flight done (or no runner to ask): the plan becomes approvable and its TTL starts now.
    const expiresAt = new Date(deps.now().getTime() + policy.ttlMinutes * 60_000).toISOString();
    const event: ChangeEvent = {
      type: "preflight-complete",
      actor: "system",
      expiresAt,
      ...(plan ? { plan } : {}),
    };
    const ready = store.apply(planned.id, event, ctx());
    if (!ready.ok)
      logger.warn(
        { changeId: planned.id, reason: plainPhrase(ready.reason) },
        "pre-flight result not recorded",
      );
    return post(ready.ok ? ready.record : (store.get(planned.id) ?? planned));
  }

  /** Posts the plan message; a plan nobody can see is cancelled rather than left holding the hosts. */
  async function post(record: ChangeRecord): Promise<PlanOutcome> {
    await afterPendingAcks();
    const posted = await deps.render(record, true);
    const after = store.get(record.id) ?? record;
    // Posted but a thread part failed: the message stands (and says where the scripts are).
    if (posted.ok || after.messageTs !== null) return { kind: "posted", record: after };
    // Nobody can approve a plan nobody can see: release the hosts rather than hold them silently.
    const { error } = posted;
    const cancelled = store.apply(
      record.id,
      {
        type: "cancel",
        actor: record.requester,
        actorGroups: [],
        reason: `momlink could not post the plan in this channel (${error})`,
      },
      ctx(),
    );
    return { kind: "not-posted", record: cancelled.ok ? cancelled.record : record, error };
  }

  return {
    async plan({ spec, requester, channel, requestKey }) {
      await afterPendingAcks();
      const created = store.createChange(
        {
          requester,
          channel,
          plan: (changeId) => buildPlan({ spec, changeId }),
          hosts: { primary: spec.primary, secondary: spec.secondary },
          now: deps.now(),
          ttlMinutes: policy.ttlMinutes,
        },
        requestKey,
      );
      if (!created.ok) {
        const { conflict } = created;
        // Named as this plan typed them; matched by machine, as the store's lock matched them.
        const held = [conflict.hosts.primary, conflict.hosts.secondary];
        const hosts = [spec.primary, spec.secondary].filter((h) => held.some((c) => sameMachine(c, h)));
        deps.refused(`${hosts.join(" and ")}: ${conflict.id} is open`, requestKey);
        return { kind: "locked", conflict, hosts, link: await deps.permalink(conflict) };
      }
      logger.info({ changeId: created.record.id, requester }, "change planned");
      return showPlan(created.record, spec);
    },

    async resumePlan(changeId, spec) {
      const record = store.get(changeId);
      if (record === null) throw new Error(`resumePlan: there is no change ${changeId}`);
      if (record.state === "planned") return showPlan(record, spec);
      if (record.messageTs === null && record.state === "awaiting_approval") return post(record);
      return { kind: "posted", record };
    },
  };
}
