// The dispatcher's public surface for the bot, the CLI and the runner.
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
  realScheduler,
  type Scheduler,
} from "./dispatcher.ts";
export { generateSigningKeys, loadOrCreateSigningKeys, signingKeyPathFor } from "./keys.ts";
export type { JobState } from "./queue.ts";
export {
  type AddedRunner,
  createRegistry,
  type Registry,
  type RunnerInfo,
  type RunnerStatus,
} from "./registry.ts";
export {
  keyIdOf,
  type RefusalCode,
  type SigningKeys,
  signJob,
  type VerifyResult,
  verifySignedJob,
} from "./signing.ts";
export { openDispatchDb } from "./store.ts";
export type { JobResult } from "./wire.ts";
