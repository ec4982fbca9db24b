// A read-only check of the live links against the approved plan. It is also the only way out of
// needs_verification: a definite answer from both hosts settles the record.
import { randomBytes } from "node:crypto";
import { driftFromPlan } from "../../domain/drift.ts";
import type { ChangeRecord } from "../../domain/record.ts";
import { clip } from "../../domain/runner-output.ts";
import type { VerifyHost, VerifyReport } from "../ports/runners.ts";
import type { ChangeStore } from "../ports/store.ts";
import type { Questions } from "./questions.ts";
import type { Apply } from "./transitions.ts";

export function createVerify(options: {
  store: ChangeStore;
  apply: Apply;
  ask: Questions["ask"];
}): (change: ChangeRecord, actor: string) => Promise<VerifyReport> {
  const { store, apply, ask } = options;
  return async (change, actor) => {
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
    const current = await store.get(change.id);
    if (current?.state === "needs_verification" && outcome !== "unknown") {
      const reason =
        outcome === "drift"
          ? `verification found ${hosts.flatMap((h) => h.drift.map((d) => `${h.host}: ${d}`)).join("; ")}`
          : undefined;
      const moved = await apply(current, {
        type: "verified",
        actor,
        outcome: outcome === "in-place" ? "succeeded" : "failed",
        ...(reason === undefined ? {} : { reason: clip(reason, 1000) }),
      });
      if (moved !== null) recorded = outcome === "in-place" ? "succeeded" : "failed";
    }
    return { changeId: change.id, hosts, outcome, recorded };
  };
}
