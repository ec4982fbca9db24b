// The dispatch store (ports/dispatch-store.ts) built from its scripts and an engine's driver: each
// method names its script, whether it writes, and what it was doing (for the error a failing
// engine gives). sqlite-store.ts and store/postgres/dispatch-store.ts differ only in the driver, so
// the rows each method touches, and the rules between its statements, are written once. Step
// events, results and sightings reported in one loop turn are one transaction (store/write-batch.ts).
import type { RegisterRequest } from "../protocol/wire.ts";
import type { Script } from "../store/script.ts";
import { batchedWrites, inTurn } from "../store/write-batch.ts";
import { addRunnerScript, registerScript } from "./enrolment.ts";
import type { DispatchStore } from "./ports/dispatch-store.ts";
import {
  eventsScript,
  finishScript,
  heartbeatScript,
  insertJobScript,
  type JobViews,
  jobScript,
  jobsOfScript,
  recordEventScript,
  runnersWithQueuedJobsScript,
  sweepScript,
  takeScript,
} from "./queue.ts";
import {
  activeRunnersOnScript,
  credentialOwnerScript,
  revokeScript,
  runnerRowScript,
  runnersScript,
  touchScript,
} from "./runner-scripts.ts";

/** Runs one script as one transaction (`write`) or as reads; `doing` names it in an engine's error. */
export type ScriptRunner = <T>(mode: "write" | "read", script: Script<T>, doing: string) => Promise<T>;

export function scriptedDispatchStore(runScript: ScriptRunner, close: () => Promise<void>): DispatchStore {
  const views: JobViews = new Map();
  const write = <T>(doing: string, script: Script<T>) => runScript("write", script, doing);
  const read = <T>(doing: string, script: Script<T>) => runScript("read", script, doing);
  // The most frequent writes, the runners' reports (a step, a result, a runner seen), are one
  // commit for each loop turn's (store/write-batch.ts), keyed by the row each locks first.
  const report = batchedWrites<() => Script<unknown>>({
    together: (makes) => runScript("write", inTurn(makes), "recording the runners' reports"),
    alone: (make) => runScript("write", make(), "recording a runner's report"),
  });
  return {
    addRunner: (input, token) =>
      write("adding a runner", addRunnerScript(input, token, new Date(token.createdAt))),
    register: (tokenHash, body: RegisterRequest, credentialHash, now) =>
      write("registering a runner", registerScript(tokenHash, body, credentialHash, now)),
    credentialOwner: (hash) => read("checking a runner's credential", credentialOwnerScript(hash)),
    revoke: (name, at) => write("revoking a runner", revokeScript(name, at)),
    touch: (name, seenMs) => report(`runner ${name}`, () => touchScript(name, seenMs)),
    runners: () => read("listing runners", runnersScript()),
    runner: async (name) => (await read("reading a runner", runnerRowScript(name))) ?? null,
    activeRunnersOn: (hostKey) => read("finding a host's runner", activeRunnersOnScript(hostKey)),
    insertJob: (signed, nowMs, lease) => write("queueing a job", insertJobScript(signed, nowMs, lease)),
    take: (lease) => write("handing a job over", takeScript(lease)),
    runnersWithQueuedJobs: (runners) => read("looking for queued jobs", runnersWithQueuedJobsScript(runners)),
    recordEvent: (runner, jobId, seq, event, nowMs, leaseMs) =>
      report(`job ${jobId}`, () => recordEventScript(views, { runner, jobId, seq, event }, nowMs, leaseMs)),
    heartbeat: (runner, jobId, nowMs, leaseMs) =>
      write("extending a lease", heartbeatScript(runner, jobId, nowMs, leaseMs)),
    finish: (runner, jobId, result, nowMs) =>
      report(`job ${jobId}`, () => finishScript(views, { runner, jobId, result }, nowMs)),
    sweep: (nowMs, renewLeasesUntilMs) =>
      write("sweeping leases and expiries", sweepScript(views, nowMs, renewLeasesUntilMs)),
    job: (jobId) => read("reading a job", jobScript(views, jobId)),
    jobsOf: (changeId) => read("reading a change's jobs", jobsOfScript(views, changeId)),
    events: (jobId) => read("reading a job's events", eventsScript(jobId)),
    close,
  };
}
