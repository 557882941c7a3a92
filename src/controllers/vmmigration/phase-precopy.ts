// Precopying (warm mode): runs the precopy decide-warm.ts says is due — an open one first, precopy 0 (full copy)
// always — then either goes on to CuttingOver or records when the next precopy starts and returns. It never
// sleeps: the runner stops while the migration is idle (decide-warm.ts idleMs) and the reconciler requeues it
// for then (requeueAfterMs); a change of spec.cutover reconciles it at once.
import type { VMMigration } from "../../api/vmmigration.ts";
import { warmStep } from "./decide-warm.ts";
import { runPrecopy } from "./precopy.ts";
import type { StepContext } from "./step-context.ts";

export async function precopy(ctx: StepContext, m: VMMigration): Promise<VMMigration> {
  const step = warmStep(m, Date.now());
  if (step.kind === "precopy") return runPrecopy(ctx, m, step.index, false);
  if (step.kind === "cutover") return ctx.enter("CuttingOver", `cutover at ${m.spec.cutover}: shutting the source VM down for the last copy`);
  if (m.status?.nextPrecopyAt === step.nextAt) return m;
  return ctx.patch((s) => {
    s.nextPrecopyAt = step.nextAt;
  });
}
