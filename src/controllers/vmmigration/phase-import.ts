// Importing: each converted disk is moved into its target pool (the one its datastore maps to) under its own name (from the migration's UID;
// renamed, so no second copy of the disk is written — copied only when the pool is on another filesystem),
// then read back — unless Converting (or a warm cutover) read this very file back and the import only renamed it:
// compared with the raw staging file it was made from while that file's sha256 is checked against the source's (or
// hashed whole: a raw volume is the renamed staging file; a converted guest). A volume already
// under that name with the right format and size is an earlier attempt's import, killed before it was recorded:
// it is adopted and verified the same way, never imported twice. The staged files are removed only after Verified
// is recorded; the staging directory goes last.
import { rm } from "node:fs/promises";
import type { MigrationDisk, VMMigration } from "../../api/vmmigration.ts";
import type { ImportedVolume, SourceProvider, TargetProvider } from "../../providers/contract.ts";
import { exportMode, exportSessionOf, importAction, readBackCovers, sourceDiskFor } from "./decide.ts";
import { sha256Pending } from "./decide-warm.ts";
import { exists, fileIdentity } from "./files.ts";
import { chunkDigestsPath } from "../../disk/chunk-digests.ts";
import { convertedFile, stagingDir, stagingFile, targetVMName } from "./plan.ts";
import { outOfSpaceFailure } from "./space.ts";
import { transferAgain } from "./retransfer.ts";
import { type StepContext, withProviders } from "./step-context.ts";
import { disksToImport, MigrationFailure } from "./steps.ts";

export async function importDisks(ctx: StepContext, m: VMMigration): Promise<VMMigration> {
  const lost = await withProviders(ctx.deps, m, async ({ source, target }) => {
    const storage = await target.ensureStorage();
    const dir = stagingDir(storage.path, m);
    const lostDisks: string[] = [];
    for (const disk of disksToImport(m.status?.disks ?? [])) {
      ctx.signal.throwIfAborted();
      const fmt = disk.targetFormat ?? "qcow2";
      const staged = fmt === "raw" ? stagingFile(dir, disk) : convertedFile(dir, disk);
      const volumePath = disk.targetPath ?? `${storage.path}/${disk.diskID}.${fmt}`;
      // An unreadable volume is an error to retry, not proof that the volume is someone else's.
      const found = (await exists(volumePath)) ? await ctx.deps.disk.imageInfo(volumePath, fmt) : undefined;
      const action = importAction(disk, { volume: found, staged: await exists(staged) });
      if (action === "inputLost") {
        lostDisks.push(disk.diskID);
        continue;
      }
      if (action === "foreign") {
        throw new MigrationFailure("TargetExists", `target volume ${volumePath} exists but is not disk ${disk.label ?? disk.diskID} of this migration (format ${found?.format}, ${found?.virtualSizeBytes} bytes; expected ${fmt}, ${disk.sizeBytes} bytes); remove it or choose another target name`);
      }
      let vol: ImportedVolume;
      const staged0 = action === "import" ? await fileIdentity(staged) : undefined;
      if (action === "adopt") {
        ctx.log(`adopting ${volumePath}, imported by an earlier attempt`);
        vol = { diskID: disk.diskID, path: volumePath, format: fmt, virtualSizeBytes: disk.sizeBytes };
      } else {
        // The disk's own pool (from the storageMap) when it is not the staging pool.
        const into = disk.pool && disk.pool !== storage.pool ? await target.ensureStorage(disk.pool) : storage;
        vol = await target.importDisk({ diskID: disk.diskID, sourcePath: staged, sourceFormat: fmt, format: fmt, consumeSource: true, pool: into.pool }).catch((err: unknown) => {
          throw outOfSpaceFailure(err, into, disk);
        });
      }
      await ctx.patchDisk(disk.diskID, (d) => {
        d.targetPath = vol.path;
      });
      // Converting or a warm cutover read this very file back (decide.ts readBackCovers); else read it back now.
      const raw = stagingFile(dir, disk);
      const covered = readBackCovers(m, disk, staged0, await fileIdentity(vol.path));
      const targetSha256 = await verify(ctx, m, disk, vol, { source, target, scratchDir: dir, stagingPath: raw, covered });
      await ctx.patchDisk(disk.diskID, (d) => {
        d.state = "Verified";
        // A converted guest keeps targetSha256 = the image before conversion (Converting verified it); the volume
        // just matched convertedSha256.
        if (targetSha256 && !d.convertedSha256) d.targetSha256 = targetSha256;
        d.targetFormat = vol.format;
      });
      await rm(staged, { force: true });
      // The raw staging file Converting left for this proof (a warm disk's stays for its sha256, staging-sha256.ts).
      if (!sha256Pending(m, disk)) {
        await rm(raw, { force: true });
        await rm(chunkDigestsPath(raw), { force: true });
      }
    }
    // Leftovers go last, once every disk's Verified is recorded, unless a warm disk's sha256 is still to be taken
    // from its staging file (staging-sha256.ts removes the directory then).
    const pending = (m.status?.disks ?? []).some((d) => sha256Pending(m, d));
    if (lostDisks.length === 0 && !pending) await rm(dir, { recursive: true, force: true });
    return lostDisks;
  });
  if (lost.length > 0) return transferAgain(ctx, lost, "staged image");
  return ctx.enter("Creating", `creating VirtualMachine "${targetVMName(m)}"`);
}

/**
 * The target image hashes to the source's sha256 (and, with verifySource: reread, so does the source again). A
 * volume an earlier step read back (`covered`) is not read again; its source is, unless a warm cutover reread it.
 */
async function verify(
  ctx: StepContext,
  m: VMMigration,
  disk: MigrationDisk,
  vol: ImportedVolume,
  { source, target, scratchDir, stagingPath, covered }: { source: SourceProvider; target: TargetProvider; scratchDir: string; stagingPath: string; covered: boolean },
): Promise<string | undefined> {
  let targetSha256: string | undefined = covered ? disk.targetSha256 : undefined;
  if ((m.spec.options?.verifyChecksums ?? true) && !covered) {
    const started = performance.now();
    // The target proves what it holds (libvirt reads the volume back — compared with the raw staging file it was
    // made from while that file is hashed, when it is still there; KubeVirt reports what CDI's importer verified).
    // A converted guest's volume is no longer the staging file's bytes: it is hashed whole.
    const sourceBytes = disk.convertedSha256 || !disk.sha256 ? undefined : { sha256: disk.sha256, stagingPath, digestsPath: chunkDigestsPath(stagingPath) };
    targetSha256 = await target.verifyVolume(vol, ctx.signal, sourceBytes).catch((err: Error & { code?: string }) => {
      if (err.code === "ChecksumMismatch") throw new MigrationFailure("ChecksumMismatch", `disk ${disk.label ?? disk.diskID}: ${err.message}`);
      throw err;
    });
    ctx.log(`disk ${disk.label ?? disk.diskID}: target read back in ${((performance.now() - started) / 1000).toFixed(2)} s`);
    // A converted guest's volume must be the converted image Converting hashed; any other disk the source's bytes.
    const expected = disk.convertedSha256 ?? disk.sha256;
    if (targetSha256 !== expected) {
      const what = disk.convertedSha256 ? "the converted guest image hashed" : "the source read hashed";
      throw new MigrationFailure(
        "ChecksumMismatch",
        `disk ${disk.label ?? disk.diskID}: target image ${vol.path} hashes to ${targetSha256} but ${what} to ${expected}; the data was damaged between source and target`,
      );
    }
  }
  if (m.spec.options?.verifySource === "reread" && !(covered && exportMode(m) === "warm")) {
    const session = exportSessionOf(m);
    const reader = await source.openDisk(session, sourceDiskFor(session, disk), { scratchDir, signal: ctx.signal });
    try {
      const again = await ctx.deps.disk.readerSha256(reader, ctx.signal);
      if (again !== disk.sha256) {
        throw new MigrationFailure("ChecksumMismatch", `disk ${disk.label ?? disk.diskID}: re-reading the source gave ${again}, the transfer read ${disk.sha256}`);
      }
    } finally {
      await reader.close();
    }
  }
  return targetSha256;
}
