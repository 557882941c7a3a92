// Converting: the raw staging file becomes the requested format next to it, and the boot disk's guest is
// converted for KVM (guest-conversion.ts: verified against the source's sha256 first, never modified in place). The converted file appears only
// whole (qemu-img writes <file>.partial and renames it), so finding it means an earlier attempt finished
// converting. Where the import will rename the image into the pool (decide.ts readsBackWhenConverted), the image is
// read back here — the staging file's sha256 proven while qemu-img converts it, then the two compared — and its
// sha256 recorded with Converted. The raw input is removed only after Converted is recorded (a disk not read back
// here keeps it for Importing's proof when it is the last). A lost input sends the disk back to Transferring
// instead of failing: the source still has the bytes. A disk that arrived while its siblings still transferred
// may have been converted by Transferring already (the same convertDisk); Converting then finds it Converted.
import { rm } from "node:fs/promises";
import type { MigrationDisk, VMMigration } from "../../api/vmmigration.ts";
import type { TargetProvider, TargetStorage } from "../../providers/contract.ts";
import { convertAction, convertsOnArrival, readsBackWhenConverted } from "./decide.ts";
import { sha256Pending } from "./decide-warm.ts";
import { exists } from "./files.ts";
import { chunkDigestsPath } from "../../disk/chunk-digests.ts";
import { readBackWhere } from "../../disk/staging-proof.ts";
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
    const site = await convertSite(m, target);
    const lostDisks: string[] = [];
    const toConvert = disksToConvert(m.status?.disks ?? []);
    for (const [i, disk] of toConvert.entries()) {
      ctx.signal.throwIfAborted();
      const done = await convertDisk(ctx, m, disk, { ...site, last: i === toConvert.length - 1 });
      if (done === "inputLost") lostDisks.push(disk.diskID);
    }
    return lostDisks;
  });
  if (lost.length > 0) return transferAgain(ctx, lost, "staging file");
  return ctx.enter("Importing", "importing volumes into the target storage and verifying checksums");
}

/** Where a migration's disks are converted: the target's storage, the staging directory in it, and its kind. */
export interface ConvertSite {
  storage: TargetStorage;
  dir: string;
  /** The target keeps its volumes as files (it has no describeVolume of its own). */
  fileTarget: boolean;
}

export async function convertSite(m: VMMigration, target: TargetProvider): Promise<ConvertSite> {
  const storage = await target.ensureStorage();
  return { storage, dir: stagingDir(storage.path, m), fileTarget: target.describeVolume === undefined };
}

/**
 * Converts one transferred disk and records it Converted. `last`: the last disk Converting converts (a disk not
 * read back here keeps its raw staging file for Importing's proof only then). `onArrival`: Transferring calls it
 * the moment a disk's transfer ends while its siblings still transfer (phase-transfer.ts) — then only a disk this
 * step reads back is converted, and anything else is left, untouched, to Converting.
 */
export async function convertDisk(ctx: StepContext, m: VMMigration, disk: MigrationDisk, at: ConvertSite & { last: boolean; onArrival?: boolean }): Promise<"converted" | "inputLost" | "left"> {
  const { storage, dir } = at;
  const fmt = disk.targetFormat ?? "qcow2";
  const staging = stagingFile(dir, disk);
  const converted = convertedFile(dir, disk);
  const found = { converted: await exists(converted), staging: await exists(staging) };
  const where = { fileTarget: at.fileTarget, stagingPool: !disk.pool || disk.pool === storage.pool };
  if (at.onArrival && !convertsOnArrival(m, disk, found, where)) return "left";
  const action = convertAction(disk, found);
  if (action === "inputLost") return "inputLost";
  const readsBack = readsBackWhenConverted(m, disk, { stagingFound: found.staging, ...where });
  // The staging file's sha256 is proven while qemu-img converts it: both only read it.
  const started = performance.now();
  const stagingHash = readsBack ? ctx.deps.disk.stagingSha256(staging, ctx.signal) : undefined;
  const converting =
    action === "convert"
      ? ctx.deps.disk.convert({ src: staging, srcFormat: "raw", dest: converted, destFormat: fmt, signal: ctx.signal }).catch((err: unknown) => {
          throw outOfSpaceFailure(err, storage, disk);
        })
      : undefined;
  // Both settle before either failure is thrown: no read of the staging file outlives the step.
  const [conversion] = await Promise.allSettled([converting, stagingHash]);
  if (conversion.status === "rejected") throw conversion.reason;
  const provenSha256 = readsBack ? await readBack(ctx, disk, { image: converted, format: fmt, stagingPath: staging, stagingHash, started }) : undefined;
  if (convertsGuestOn(m, (m.status?.disks ?? []).findIndex((d) => d.diskID === disk.diskID))) {
    await convertBootGuest({
      image: { path: fmt === "raw" ? staging : converted, format: fmt },
      disk,
      recorded: m.status?.guest,
      verifyChecksums: m.spec.options?.verifyChecksums ?? true,
      io: ctx.deps.guest,
      provenSha256,
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
    // Read back above: Importing checks only that it moved this very image (decide.ts readBackCovers).
    if (provenSha256 && d.targetSha256 === undefined) d.targetSha256 = provenSha256;
  });
  // A disk read back above needs its raw staging file no more. Otherwise the last disk's stays for Importing,
  // which proves the volume identical to it while hashing it (phase-import.ts) and removes it: raw and converted
  // file coexisted while it was converted, so keeping it never raises the space peak. Every other one goes now
  // (kept, they would add up): its volume is hashed whole. A warm disk whose sha256 is still to come from its
  // staging file keeps it (staging-sha256.ts).
  if (fmt !== "raw" && !sha256Pending(m, disk) && (provenSha256 || !at.last)) {
    await rm(staging, { force: true });
    await rm(chunkDigestsPath(staging), { force: true });
  }
  return "converted";
}

/**
 * The converted image read back against its staging file (staging-proof.ts): its sha256, proven to be the source's —
 * or the migration fails with both hashes and where the damage was found.
 */
async function readBack(ctx: StepContext, disk: MigrationDisk, a: { image: string; format: string; stagingPath: string; stagingHash?: Promise<string>; started: number }): Promise<string> {
  const found = await ctx.deps.disk.imageSha256FromStaging({ image: a.image, format: a.format, stagingPath: a.stagingPath, stagingHash: a.stagingHash, signal: ctx.signal });
  if (found.sha256 !== disk.sha256) {
    const where = readBackWhere(found, a.stagingPath);
    throw new MigrationFailure(
      "ChecksumMismatch",
      `disk ${disk.label ?? disk.diskID}: target image ${a.image} hashes to ${found.sha256} but the source read hashed to ${disk.sha256} (${where}); the data was damaged between source and target`,
    );
  }
  ctx.log(`disk ${disk.label ?? disk.diskID}: converted and read back in ${((performance.now() - a.started) / 1000).toFixed(2)} s`);
  return found.sha256;
}
