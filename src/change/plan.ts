// Plan: from request to approvable message. The change is created (and the host lock taken) in one
// transaction that also decides its inbox request; then the runners' pre-flight, which may rebuild
// the plan with their facts; then the channel message. A plan nobody can see is cancelled rather
// than left holding its hosts. `resumePlan` picks the same flow up where a restart left it, from
// the record's state.
import { sameMachine } from "../domain/host.ts";
import type { PairSpec } from "../domain/pair.ts";
import { plainPhrase } from "../domain/phrase.ts";
import { buildPlan, type Plan } from "../domain/plan.ts";
import type { ChangeEvent, ChangeRecord } from "../domain/record.ts";
import { type ChangeDeps, refused, transitionContext, viewOf } from "./deps.ts";
import type { PlanOutcome, PlanRequest } from "./outcomes.ts";
import type { Shown } from "./ports/presenter.ts";

export async function plan(deps: ChangeDeps, request: PlanRequest): Promise<PlanOutcome> {
  const { spec, requester, channel, requestKey } = request;
  await deps.afterPendingAcks();
  const created = await deps.store.createChange(
    {
      requester,
      channel,
      plan: (changeId) => buildPlan({ spec, changeId }),
      hosts: { primary: spec.primary, secondary: spec.secondary },
      now: deps.now(),
      ttlMinutes: deps.policy.ttlMinutes,
    },
    requestKey,
  );
  if (!created.ok) {
    const { conflict } = created;
    // Named as this plan typed them; matched by machine, as the store's lock matched them.
    const held = [conflict.hosts.primary, conflict.hosts.secondary];
    const hosts = [spec.primary, spec.secondary].filter((h) => held.some((c) => sameMachine(c, h)));
    await refused(deps, `${hosts.join(" and ")}: ${conflict.id} is open`, requestKey);
    return { kind: "locked", conflict, hosts, link: await deps.presenter.permalink(conflict) };
  }
  deps.logger.info({ changeId: created.record.id, requester }, "change planned");
  return showPlan(deps, created.record, spec);
}

/**
 * Finishes a plan whose change was created but not yet shown (a restart in between): the
 * pre-flight (with `spec`, when it can still be read) and the channel message.
 */
export async function resumePlan(
  deps: ChangeDeps,
  changeId: string,
  spec: PairSpec | null,
): Promise<PlanOutcome> {
  const record = await deps.store.get(changeId);
  if (record === null) throw new Error(`resumePlan: there is no change ${changeId}`);
  if (record.state === "planned") return showPlan(deps, record, spec);
  if (record.messageTs === null && record.state === "awaiting_approval") return post(deps, record);
  return { kind: "posted", record };
}

/** The plan with the runners' pre-flight facts, or undefined to keep the worst-case plan. */
async function preflightPlan(
  deps: ChangeDeps,
  record: ChangeRecord,
  spec: PairSpec,
): Promise<Plan | undefined> {
  if (deps.runners === undefined) return undefined;
  try {
    const facts = await deps.runners.preflight(record);
    if (facts === null) return undefined;
    return buildPlan({ spec, changeId: record.id, facts });
  } catch (err) {
    deps.logger.error({ changeId: record.id, err }, "pre-flight failed; showing the worst-case plan");
    return undefined;
  }
}

/** After the change is created: pre-flight (when the spec is known), then the channel message. */
async function showPlan(
  deps: ChangeDeps,
  planned: ChangeRecord,
  spec: PairSpec | null,
): Promise<PlanOutcome> {
  const withFacts = spec === null ? undefined : await preflightPlan(deps, planned, spec);
  await deps.afterPendingAcks();
  // Pre-flight done (or no runner to ask): the plan becomes approvable and its TTL starts now.
  const expiresAt = new Date(deps.now().getTime() + deps.policy.ttlMinutes * 60_000).toISOString();
  const event: ChangeEvent = {
    type: "preflight-complete",
    actor: "system",
    expiresAt,
    ...(withFacts ? { plan: withFacts } : {}),
  };
  const ready = await deps.store.apply(planned.id, event, transitionContext(deps));
  if (!ready.ok) {
    deps.logger.warn(
      { changeId: planned.id, reason: plainPhrase(ready.reason) },
      "pre-flight result not recorded",
    );
  }
  return post(deps, ready.ok ? ready.record : ((await deps.store.get(planned.id)) ?? planned));
}

/** Posts the plan message; a plan nobody can see is cancelled rather than left holding the hosts. */
export async function post(deps: ChangeDeps, record: ChangeRecord): Promise<PlanOutcome> {
  await deps.afterPendingAcks();
  const posted = await postMessage(deps, record);
  const after = (await deps.store.get(record.id)) ?? record;
  // Posted but a thread part failed: the message stands (and says where the scripts are).
  if (posted.ok || after.messageTs !== null) return { kind: "posted", record: after };
  // Nobody can approve a plan nobody can see: release the hosts rather than hold them silently.
  const { error } = posted;
  const cancelled = await deps.store.apply(
    record.id,
    {
      type: "cancel",
      actor: record.requester,
      actorGroups: [],
      reason: `momlink could not post the plan in this channel (${error})`,
    },
    transitionContext(deps),
  );
  return { kind: "not-posted", record: cancelled.ok ? cancelled.record : record, error };
}

/** The first post of a change's message; where it stands is recorded once the requests waiting for an ack had their turn. */
export async function postMessage(deps: ChangeDeps, record: ChangeRecord): Promise<Shown> {
  return deps.presenter.post(await viewOf(deps, record), async (channel, ts) => {
    await deps.afterPendingAcks();
    await deps.store.setMessage(record.id, channel, ts);
  });
}
