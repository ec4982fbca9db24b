// The dispatcher's public surface for the bot and the CLI. What the runner shares with the bot
// (wire bodies, signing, refusals) is src/protocol/, never this folder.

export type { JobState } from "../domain/job-lifecycle.ts";
export {
  createDispatcher,
  DispatchError,
  type Dispatcher,
  type DispatcherEvent,
  type DispatcherEvents,
  type DispatcherOptions,
  type EnqueueInput,
  type Listening,
  type ListenOptions,
  type PostgresTarget,
  realScheduler,
  type Scheduler,
} from "./dispatcher.ts";
export { generateSigningKeys, loadOrCreateSigningKeys, signingKeyFileOf, signingKeyPathFor } from "./keys.ts";
export type { DispatchStore } from "./ports/dispatch-store.ts";
export {
  type AddedRunner,
  createRegistry,
  type Registry,
  type RunnerInfo,
  type RunnerStatus,
} from "./registry.ts";
export { runnerJobsOf } from "./runner-jobs.ts";
export { sqliteDispatchStore } from "./sqlite-store.ts";
export { DISPATCH_SCHEMA } from "./store.ts";
