// An idle runner is an agent that waits, for days, on a MOM host beside a memory-hungry EM: what it
// holds matters more than how fast it allocates. While its modules load, V8 grows the young
// generation step by step to 16 MB, and keeps it once grown: about 9 MB of an idle runner's memory
// (bench/startup.ts). V8 reads --semi-space-growth-factor at each growth, so setting it at run time,
// before the runner's modules load, keeps the young generation at its initial size; a runner
// allocates little, and the extra minor collections cost it nothing it would notice. Only
// `momlink runner start` calls this: the bot, which answers Slack under load, keeps V8's defaults.
import { setFlagsFromString } from "node:v8";

export function holdYoungGeneration(): void {
  setFlagsFromString("--semi-space-growth-factor=1");
}
