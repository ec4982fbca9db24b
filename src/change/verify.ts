// Verify: a read-only check of a change's live links by its runners. The target is `CHG-n`, or a
// host: its change waiting for verification, else its last succeeded one. A `needs_verification`
// change the check settles is moved on by the runner side; the message is re-rendered, and the
// thread and the asker get what was found.
import { looksLikeChangeId, parseChangeId } from "../domain/change-id.ts";
import type { ChangeRecord } from "../domain/record.ts";
import { type ChangeDeps, reshow } from "./deps.ts";
import type { VerifyOutcome } from "./outcomes.ts";

export async function verify(
  deps: ChangeDeps,
  request: { target: string; actor: string },
): Promise<VerifyOutcome> {
  const { target, actor } = request;
  if (deps.runners?.verify === undefined) {
    return {
      ok: false,
      reason:
        "this momlink runs without runners (MOMLINK_RUNNER_PORT is not set): nothing can check the hosts",
    };
  }
  const found = await changeToVerify(deps, target);
  if ("reason" in found) return { ok: false, reason: found.reason };
  const report = await deps.runners.verify(found.change, actor);
  const after = (await deps.store.get(found.change.id)) ?? found.change;
  const at = deps.now();
  if (report.recorded !== null) await reshow(deps, after);
  await deps.presenter.tell(after, { kind: "verified", actor, at, report });
  return { ok: true, record: after, report, at };
}

/** `CHG-n`, or a host: its change waiting for verification, else the last one that succeeded. */
async function changeToVerify(
  deps: ChangeDeps,
  target: string,
): Promise<{ change: ChangeRecord } | { reason: string }> {
  if (looksLikeChangeId(target)) {
    const id = parseChangeId(target);
    if (!id.ok) return { reason: id.reason };
    const change = await deps.store.get(id.id);
    return change === null ? { reason: `there is no change ${id.id}` } : { change };
  }
  const host = target.trim();
  const open = (await deps.store.list({ host, states: ["needs_verification"], limit: 1 }))[0];
  if (open !== undefined) return { change: open };
  const done = (await deps.store.list({ host, states: ["succeeded"], limit: 1 }))[0];
  if (done !== undefined) return { change: done };
  return {
    reason: `${host} has no succeeded change to verify against (\`/momlink history ${host}\` lists its changes)`,
  };
}
