// What a runner found on one MOM host during pre-flight. Facts are part of the plan (and its hash):
// the steps shown for approval are derived from them.

/** What the path `<EM_HOME>\<dir>` holds right now. */
export type LinkPathState =
  | "missing"
  | "directory" // a real directory: move it aside (and seed from it on the primary)
  | "link-to-target" // a directory symlink to exactly the planned target: nothing to do
  | "link-elsewhere" // a symlink to another target: conflict, blocks the plan
  | "junction" // conflict, blocks the plan
  | "file"; // conflict, blocks the plan

export interface DirFacts {
  dir: string;
  linkPath: LinkPathState;
  /** The current link target when linkPath is link-to-target or link-elsewhere. */
  currentTarget?: string;
  share: { exists: boolean; writable: boolean; empty: boolean };
}

export interface HostFacts {
  host: string;
  emHomeExists: boolean;
  /** `config\IntroscopeEnterpriseManager.properties` is present. */
  emHomeHoldsEm: boolean;
  serviceStopped: boolean;
  canCreateSymlinks: boolean;
  /** SymlinkEvaluation allows local-to-remote links (always true on Linux). */
  symlinkL2R: boolean;
  dirs: DirFacts[];
}
