// A stand-in for a runner process: starts one program through the runner's own starter and waits
// for it. A test kills this process with SIGKILL and checks that the program did not outlive it.
import { execaStarter } from "../../../src/runner/platform/process.ts";

const [file = "", ...args] = process.argv.slice(2);
await execaStarter({ file, args, timeoutMs: 600_000, outputLimit: 4096 });
