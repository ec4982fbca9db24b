// The seam between the change layer and the runner side (orchestrator.ts), as the dispatcher's
// modules name it: the runners port and the plain data both ways are the change layer's
// (change/ports/runners.ts), which the orchestrator implements and reports through.
export type {
  ChangeNotify,
  ChangeProgress,
  HostOutcome,
  HostRole,
  HostRun,
  PhaseLabel,
  PreflightFacts,
  RunKind,
  Runners as RunnerHooks,
  RunStatus,
  StepFailure,
  VerifyHost,
  VerifyReport,
} from "../change/ports/runners.ts";
