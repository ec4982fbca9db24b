// What `<EM_HOME>/<dir>` holds now, in the plan's words: missing, a real directory, a link to
// exactly the planned target, a link elsewhere, a junction or a file.
import type { DirFacts } from "../../domain/facts.ts";
import { describe, isLinkTo, pathsOf, type StepContext } from "./context.ts";

export interface LinkPathCheck {
  linkPath: DirFacts["linkPath"];
  currentTarget?: string;
  detail: string;
}

export async function inspectLinkPath(ctx: StepContext, dir: string): Promise<LinkPathCheck> {
  const { local, target } = pathsOf(ctx, dir);
  const state = await ctx.platform.inspect(local);
  const detail = `${local} is ${describe(state)}`;
  switch (state.kind) {
    case "missing":
    case "directory":
    case "file":
      return { linkPath: state.kind, detail };
    case "symlink":
      return {
        linkPath: isLinkTo(ctx, state, target) ? "link-to-target" : "link-elsewhere",
        currentTarget: state.target,
        detail,
      };
    case "junction":
      return { linkPath: "junction", currentTarget: state.target, detail };
    default: {
      const unhandled: never = state;
      throw new Error(`unhandled path state ${JSON.stringify(unhandled)}`);
    }
  }
}
