// At start, before the runner takes any work: a step the journal says was running when the
// previous runner process stopped is reported to the bot as the job's failure at that step, logged
// loudly with what to check by hand, and never run again. The bot has usually declared the job
// lost already (its lease ran out while the runner was down): its refusal (409) is expected.

import type { Logger } from "../log.ts";
import type { JobResult } from "../protocol/wire.ts";
import { interruptedReport, type StepJournal } from "./journal.ts";
import { clip } from "./platform/platform.ts";

export interface RecoveryOptions {
  journal: StepJournal;
  logger: Logger;
  /** Posts a job's result; the bot's answer, or null when it could not be reached (after retries). */
  sendResult(jobId: string, result: JobResult): Promise<{ status: number; error: string } | null>;
  /** Makes the runner refuse this job id until `untilMs`, should the bot ever hand it out again. */
  refuseRepeat(jobId: string, untilMs: number): void;
}

export async function recoverInterruptedStep(options: RecoveryOptions): Promise<void> {
  const { journal, logger } = options;
  const pending = journal.pending();
  switch (pending.kind) {
    case "none":
      return;
    case "unreadable": {
      const kept = `${journal.path}.unreadable`;
      logger.error(
        { journal: journal.path, keptAs: kept, content: clip(pending.text, 2000), reason: pending.error },
        "the step journal cannot be read: a step may have been cut short when this runner last stopped. " +
          "Check the EM_HOME and the share of the last change on this host by hand, then /momlink verify it",
      );
      moveAside(journal, kept);
      return;
    }
    case "interrupted": {
      const { entry } = pending;
      const { failedIndex, message } = interruptedReport(entry);
      logger.error(
        {
          jobId: entry.job.id,
          changeId: entry.job.changeId,
          step: { index: entry.index, ...entry.step },
          paths: entry.paths,
          startedAt: entry.startedAt,
          journal: journal.path,
        },
        message,
      );
      options.refuseRepeat(entry.job.id, Date.parse(entry.job.expiresAt));
      const answer = await options.sendResult(entry.job.id, {
        ok: false,
        failedIndex,
        error: clip(`lost: ${message}`, 4000),
      });
      if (answer === null) {
        logger.error(
          { jobId: entry.job.id, journal: journal.path },
          "could not tell the bot about the cut-short step; the journal is kept and reported again at the next start",
        );
        return;
      }
      // The bot has its answer: the journal is done before anything is said about it, so whoever
      // reads the log line below finds the journal already gone.
      journal.end();
      if (answer.status >= 200 && answer.status < 300) {
        logger.warn(
          { jobId: entry.job.id, changeId: entry.job.changeId },
          "reported the cut-short step to the bot: the change shows it failed at that step",
        );
      } else {
        logger.warn(
          { jobId: entry.job.id, changeId: entry.job.changeId, status: answer.status, reason: answer.error },
          `the bot had already closed job ${entry.job.id} (HTTP ${answer.status}: ${answer.error}); nothing more to report`,
        );
      }
      return;
    }
    default: {
      const never: never = pending;
      throw new Error(`unhandled journal state ${JSON.stringify(never)}`);
    }
  }
}

function moveAside(journal: StepJournal, kept: string): void {
  try {
    journal.keepAs(kept);
  } catch {
    // Logged above with its content; a later step's journal write replaces it.
  }
}
