// Converting: the raw staging file becomes the requested format next to it, and the boot disk's guest is
// converted for KVM (guest-conversion.ts: verified against the source's sha256 first, never modified in place). The converted file appears only
// whole (qemu-img writes <file>.partial and renames it), so finding it means an earlier attempt finished
// converting; the raw input is removed only after Converted is recorded (the last disk's stays for Importing's
// proof). A lost input sends the disk back to Transferring instead of failing: the source still has the bytes.
import { rm } from "node:fs/promises";
import type { VMMigration } from "../../api/vmmigration.ts";
import { convertAction } from "./decide.ts";
import { sha256Pending } from "./decide-warm.ts";
import { exists } from "./files.ts";
import { chunkDigestsPath } from "../../disk/chunk-digests.ts";
import { convertedFile, stagingDir, stagingFile } from "./plan.ts";
import { outOfSpaceFailure } from "./space.ts";
import { transferAgain } from "./retransfer.ts";
import { type StepContext, withProviders } from "./step-context.ts";
import { disksToConvert, MigrationFailure } from "./steps.ts";
import { convertBootGuest } from "./guest-conversion.ts";
import { convertsGuestOn } from "./guest-plan.ts";
import { GuestConversionError } from "../../guest/convert.ts";

export async function convert(ctx: StepContext, m: VMMigration): Promise<VMMigration> {
  const lost = await withProviders(ctx.deps, m, async ({ target }) => {
    const storage = await target.ensureStorage();
    const dir = stagingDir(storage.path, m);
    const lostDisks: string[] = [];
    const toConvert = disksToConvert(m.status?.disks ?? []);
    for (const [i, disk] of toConvert.entries()) {
      ctx.signal.throwIfAborted();
      const fmt = disk.targetFormat ?? "qcow2";
      const staging = stagingFile(dir, disk);
      const converted = convertedFile(dir, disk);
      const action = convertAction(disk, { converted: await exists(converted), staging: await exists(staging) });
      if (action === "inputLost") {
        lostDisks.push(disk.diskID);
        continue;
      }
      if (action === "convert") {
        await ctx.deps.disk.convert({ src: staging, srcFormat: "raw", dest: converted, destFormat: fmt, signal: ctx.signal }).catch((err: unknown) => {
          throw outOfSpaceFailure(err, storage, disk);
        });
      }
      if (convertsGuestOn(m, (m.status?.disks ?? []).findIndex((d) => d.diskID === disk.diskID))) {
        await convertBootGuest({
          image: { path: fmt === "raw" ? staging : converted, format: fmt },
          disk,
          recorded: m.status?.guest,
          verifyChecksums: m.spec.options?.verifyChecksums ?? true,
          io: ctx.deps.guest,
          signal: ctx.signal,
          record: async (r) => {
            await ctx.patch((s) => {
              s.guest = r.guest;
              const d = s.disks?.find((x) => x.diskID === disk.diskID);
              if (d && r.targetSha256) d.targetSha256 = r.targetSha256;
              if (d && r.convertedSha256) d.convertedSha256 = r.convertedSha256;
            });
            ctx.log(`guest on disk ${disk.diskID}: ${r.guest.os}${r.guest.conversion.length ? `, ${r.guest.conversion.join("; ")}` : ""}`);
          },
          mismatch: (message) => new MigrationFailure("ChecksumMismatch", message),
        }).catch((err: unknown) => {
          if (err instanceof GuestConversionError) throw new MigrationFailure("GuestConversionFailed", err.message);
          throw err;
        });
      }
      await ctx.patchDisk(disk.diskID, (d) => {
        d.state = "Converted";
      });
      // The last disk's raw staging file stays for Importing, which proves the volume identical to it while hashing
      // it (phase-import.ts) and removes it: raw and converted file coexisted while it was converted, so keeping it
      // never raises the space peak. Every other one goes now (kept, they would add up): its volume is hashed
      // whole. A warm disk whose sha256 is still to come from its staging file keeps it (staging-sha256.ts).
      if (fmt !== "raw" && !sha256Pending(m, disk) && i < toConvert.length - 1) {
        await rm(staging, { force: true });
        await rm(chunkDigestsPath(staging), { force: true });
      }
    }
    return lostDisks;
  });
  if (lost.length > 0) return transferAgain(ctx, lost, "staging file");
  return ctx.enter("Importing", "importing volumes into the target storage and verifying checksums");
}
