// When a step finds that its input is gone (staging file lost, no volume holds the disk), the disk goes back to
// Transferring: the source still has the bytes, so the migration converges instead of failing.
import type { VMMigration } from "../../api/vmmigration.ts";
import { convertsGuestOn } from "./guest-plan.ts";
import type { StepContext } from "./step-context.ts";

export async function transferAgain(ctx: StepContext, diskIDs: string[], what: string): Promise<VMMigration> {
  ctx.log(`${what} of ${diskIDs.join(", ")} gone; transferring again`);
  await ctx.patch((s, m) => {
    for (const d of s.disks ?? []) {
      if (!diskIDs.includes(d.diskID)) continue;
      d.state = "Pending";
      d.bytesDone = 0;
      delete d.checkpoint;
      delete d.sha256;
      // What was read back or converted from the lost copy says nothing of the next one.
      delete d.targetSha256;
      delete d.convertedSha256;
    }
    // A guest conversion recorded for a disk read again is done again on the new copy (convertBootGuest would
    // otherwise take the recorded one as done).
    if ((s.disks ?? []).some((d, i) => diskIDs.includes(d.diskID) && convertsGuestOn(m, i))) delete s.guest;
  });
  return ctx.enter("Transferring", `re-reading ${diskIDs.length} disk(s) whose ${what} was lost`);
}
