// The runner API's verbs (server.ts RunnerApi) on the dispatcher's parts: registration and
// authentication by the registry, hand-over by the queue and the parked long-polls, step events,
// heartbeats and results by the queue. Each accepted report is told to the dispatcher's listeners
// (a duplicate is not: a runner re-sending after a lost answer changes nothing).
import type { Logger } from "../log.ts";
import type { DispatcherEvents } from "./dispatcher.ts";
import type { Emit } from "./emitter.ts";
import { type LongPolls, servesHost } from "./long-polls.ts";
import type { Queue } from "./queue.ts";
import type { Registry } from "./registry.ts";
import type { RunnerApi } from "./server.ts";

export function createRunnerApi(parts: {
  registry: Registry;
  queue: Queue;
  polls: LongPolls;
  logger: Logger;
  emit: Emit<DispatcherEvents>;
  /** True once the dispatcher closed: a poll is answered "closing". */
  closed: () => boolean;
}): RunnerApi {
  const { registry, queue, polls, logger, emit, closed } = parts;
  return {
    async register(body) {
      const outcome = await registry.register(body);
      if (outcome.ok) {
        const { name, host } = outcome.response;
        logger.info(
          { runner: name, host, version: body.version, hostname: body.hostname },
          "runner registered",
        );
        if (outcome.warning !== undefined) logger.warn({ runner: name }, outcome.warning);
      } else {
        logger.warn({ code: outcome.code, reason: outcome.error }, "runner registration refused");
      }
      return outcome;
    },
    async authenticate(credential) {
      const auth = await registry.authenticate(credential);
      if (auth.ok) await registry.touch(auth.runner.name);
      return auth;
    },
    async poll({ runner, credential, waitMs, alive, answer }) {
      if (closed()) {
        answer({ type: "closing" });
        return () => {};
      }
      const stored = await queue.take(runner.name, servesHost(runner));
      if (stored !== null) {
        answer(polls.handOver(stored));
        logger.info({ jobId: stored.job.id, runner: runner.name, via: "poll" }, "job handed over");
        emit("handed-over", stored.job, "poll");
        return () => {};
      }
      if (waitMs <= 0) {
        answer({ type: "nothing" });
        return () => {};
      }
      const gone = polls.park({ runner: runner.name, credential, waitMs, alive, answer });
      emit("waiting", runner.name);
      logger.debug({ runner: runner.name }, "runner waiting for a job");
      return gone;
    },
    async event(runner, jobId, seq, event) {
      const outcome = await queue.recordEvent(runner.name, jobId, seq, event);
      if (!outcome.ok) return outcome;
      const { duplicate, job } = outcome.value;
      if (!duplicate) emit("step", jobId, job.changeId, event, job);
      return { ok: true, value: { duplicate } };
    },
    heartbeat: (runner, jobId) => queue.heartbeat(runner.name, jobId),
    async result(runner, jobId, result) {
      const outcome = await queue.finish(runner.name, jobId, result);
      if (!outcome.ok) {
        logger.warn(
          { jobId, runner: runner.name, reason: outcome.error, ok: result.ok },
          "job result refused",
        );
        return outcome;
      }
      const { duplicate, job } = outcome.value;
      if (!duplicate) {
        logger.info({ jobId, changeId: job.changeId, runner: runner.name, ok: result.ok }, "job result");
        emit("result", job, result);
      }
      return { ok: true, value: { duplicate } };
    },
  };
}
