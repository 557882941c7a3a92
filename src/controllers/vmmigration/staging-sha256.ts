// Warm cutover, once the target VM runs: the whole-disk sha256 of each disk whose cutover verified its target
// image chunk by chunk (decide-warm.ts sha256Pending), taken from the raw staging file — which nothing but the
// migration writes, and which holds, chunk for chunk, the bytes the target image held before its first boot (both
// matched the same source digests), and the boot disk's goes onto the VirtualMachine (disk-checksum and
// source-checksum annotations, which it was created without). Each staging chunk is checked against those digests again in the same pass,
// so the hash recorded is of bytes equal to the verified image (ADR 0019); a staging chunk that no longer matches
// gives no sha256 at all: a Warning event and condition Checksummed=False (ChecksumUnavailable) say so. Recorded
// before the staging directory is removed; a crash in between hashes again (the staging file is still there).
import { rm } from "node:fs/promises";
import type { VMMigration } from "../../api/vmmigration.ts";
import type { TargetProvider } from "../../providers/contract.ts";
import type { VirtualMachine } from "../../api/virtualmachine.ts";
import { setCondition } from "../../runtime/conditions.ts";
import { patchObject } from "../../runtime/status.ts";
import { CHECKSUM_CONDITION, sha256Pending } from "./decide-warm.ts";
import { bootChecksumAnnotations, stagingDir, stagingFile, targetNamespace, targetVMName } from "./plan.ts";
import type { StepContext } from "./step-context.ts";

export async function recordStagingSha256(ctx: StepContext, m: VMMigration, target: TargetProvider): Promise<VMMigration> {
  if (m.spec.options?.mode !== "warm" || !m.status?.cutover) return m;
  const storage = await target.ensureStorage();
  const dir = stagingDir(storage.path, m);
  let current = m;
  const pending = (m.status.disks ?? []).filter((d) => sha256Pending(m, d));
  if (pending.length > 0) {
    const message = `target VM running; taking the sha256 of ${pending.length} disk(s) from the staging file`;
    current = await ctx.patch((s) => {
      s.message = message;
      s.conditions = setCondition(s.conditions, { type: CHECKSUM_CONDITION, status: "False", reason: "Hashing", message });
    });
  }
  for (const disk of pending) {
    const staging = stagingFile(dir, disk);
    const checked = await ctx.deps.disk.checkImageChunks({ image: staging, format: "raw", stagingPath: staging, signal: ctx.signal });
    const label = disk.label ?? disk.diskID;
    if (checked.mismatched.length > 0) {
      const why = `disk ${label}: ${checked.mismatched.length} chunks of the staging file ${staging} (first at byte ${checked.mismatched[0]?.start}) no longer match their source digests, so no sha256 is recorded for it; the target image itself matched every source digest before the VM started — check the staging storage`;
      ctx.log(why);
      ctx.deps.events?.record({ kind: "VMMigration", metadata: { name: ctx.name, namespace: ctx.ns } }, "Warning", "ChecksumUnavailable", why);
      current = await ctx.patch((s) => {
        s.conditions = setCondition(s.conditions, { type: CHECKSUM_CONDITION, status: "False", reason: "ChecksumUnavailable", message: why });
      });
      continue;
    }
    current = await ctx.patchDisk(disk.diskID, (d) => {
      d.sha256 = checked.sha256;
      d.targetSha256 = checked.sha256;
    });
    const boot = current.status?.disks?.[0];
    if (boot?.diskID === disk.diskID) await annotateVM(ctx, m, bootChecksumAnnotations(boot, ctx.deps.conventions));
    ctx.log(`${disk.diskID}: staging file read back, ${checked.chunks} chunks match their source digests: sha256 ${checked.sha256} (the target image before its first boot)`);
  }
  if (!current.status?.conditions?.some((c) => c.type === CHECKSUM_CONDITION && c.reason === "ChecksumUnavailable")) {
    current = await ctx.patch((s) => {
      s.conditions = setCondition(s.conditions, { type: CHECKSUM_CONDITION, status: "True", reason: "Recorded", message: "every disk's sha256 is recorded" });
    });
  }
  // Nothing later needs the staging directory once every sha256 is recorded (or recorded as unavailable).
  await rm(dir, { recursive: true, force: true });
  return current;
}

/** The created VirtualMachine gets the boot disk's checksum annotations it was created without. */
async function annotateVM(ctx: StepContext, m: VMMigration, annotations: Record<string, string>): Promise<void> {
  await patchObject<VirtualMachine>(ctx.deps.store, "VirtualMachine", targetNamespace(m), targetVMName(m), (vm) => {
    vm.metadata.annotations = { ...(vm.metadata.annotations ?? {}), ...annotations };
    return vm;
  });
}
