// An idle runner is an agent that waits, for days, on a MOM host beside a memory-hungry EM: what it
// holds matters more than how fast it computes. Two V8 settings, both set at run time before the
// runner's modules load (bin/momlink.js, for `momlink runner start` only; the bot, which answers
// Slack under load, and the other subcommands keep V8's defaults):
//  - The young generation. While modules load, V8 grows it step by step to 16 MB and keeps it once
//    grown: about 9 MB of an idle runner's memory. V8 reads --semi-space-growth-factor at each
//    growth, so setting it keeps the young generation at its initial size; a runner allocates
//    little, and the extra minor collections cost it nothing it would notice.
//  - TurboFan, V8's top optimising tier. Loading the runner (zod building its schemas, above all)
//    is hot enough for TurboFan to compile, and what that compile touches and leaves behind (the
//    compiler's own code pages, its zone memory, which malloc keeps) stays resident: about 6 MB of
//    an idle runner (bench/startup.ts: 74-76 MB with it, 68 MB without). The runner's work is
//    I/O: it waits on the bot, on files and on child processes, and Maglev (V8's middle tier,
//    kept) still optimises what does run hot, such as a large tree compare.
// Must stay true: nothing here changes what the runner does, only how V8 runs it, and the flags
// exist on every Node the runner supports (22 and 24; V8 ignores neither).
import { setFlagsFromString } from "node:v8";

export function leanRunnerEngine(): void {
  setFlagsFromString("--semi-space-growth-factor=1");
  setFlagsFromString("--no-turbofan");
}
