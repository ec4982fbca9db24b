// A read-only check of the live links against the approved plan. It is also the only way out of
// needs_verification: a definite answer from both hosts settles the record.
import { randomBytes } from "node:crypto";
import type { HostFacts } from "../../domain/facts.ts";
import type { HostPlan } from "../../domain/plan.ts";
import type { ChangeRecord } from "../../domain/record.ts";
import type { ChangeStore } from "../../store/store.ts";
import type { VerifyHost, VerifyReport } from "../hooks.ts";
import { clip } from "./clip.ts";
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
  };
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
