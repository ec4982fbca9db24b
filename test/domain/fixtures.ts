// Shared fixtures of the domain tests: a Plan-shaped value for the state machine's tests, which
// read only its hosts' blockers, its change id and its hash.
import type { Plan } from "../../src/domain/plan.ts";

export function fakePlan(changeId: string | null, hash: string, blockers: string[] = []): Plan {
  const host = (role: "primary" | "secondary", name: string) => ({
    role,
    host: name,
    emHome: "D:\\Introscope\\EM",
    facts: null,
    steps: [],
    rollback: [],
    blockers: role === "primary" ? blockers : [],
  });
  return {
    format: "momlink-plan/1",
    changeId,
    platform: "windows",
    share: "\\\\san-server\\mom-failover",
    dirs: ["config"],
    configAdded: false,
    failoverProperties: [],
    hosts: [host("primary", "mom-a"), host("secondary", "mom-b")],
    hash,
  };
}
