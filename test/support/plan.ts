// One Plan-shaped value for the tests that need a change but not a real plan (the state machine,
// the store, the inbox): two hosts, no steps, no facts, a hash of the caller's choosing.
import type { Plan } from "../../src/domain/plan.ts";

export interface PlanFixture {
  /** Default `hash-of-<changeId>`. */
  hash?: string;
  /** Default mom-a and mom-b. */
  primary?: string;
  secondary?: string;
  /** Pre-flight problems on the primary: a plan nobody can approve. */
  blockers?: string[];
}

export function fakePlan(changeId: string | null, fixture: PlanFixture = {}): Plan {
  const host = (role: "primary" | "secondary", name: string) => ({
    role,
    host: name,
    emHome: "D:\\Introscope\\EM",
    facts: null,
    steps: [],
    rollback: [],
    blockers: role === "primary" ? (fixture.blockers ?? []) : [],
  });
  return {
    format: "momlink-plan/1",
    changeId,
    platform: "windows",
    share: "\\\\san-server\\mom-failover",
    dirs: ["config"],
    configAdded: false,
    failoverProperties: [],
    hosts: [host("primary", fixture.primary ?? "mom-a"), host("secondary", fixture.secondary ?? "mom-b")],
    hash: fixture.hash ?? `hash-of-${changeId}`,
  };
}
