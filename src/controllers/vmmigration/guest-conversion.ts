// The guest conversion of a migration's boot disk, run by Converting once the disk's image is in the requested
// format: verified against the source's sha256 first, converted into a separate result (the verified image is
// never modified in place), the result hashed and recorded, and only then put in the image's place. A rerun
// after a crash at any point converges: a recorded result is only put in place, an unrecorded one is taken as
// found, a half-done conversion is thrown away and started again from the verified image.
import type { MigrationGuest } from "../../api/guest.ts";
import type { MigrationDisk } from "../../api/vmmigration.ts";
import { type ConversionOutcome, convertIntoResult, type GuestConversionTools, replaceWithResult } from "../../guest/conversion-files.ts";
import { type GuestImage, NO_OPERATING_SYSTEM } from "../../guest/convert.ts";
import type { GuestReport } from "../../guest/report.ts";

export interface GuestConversionIO {
  tools: GuestConversionTools;
  /** Cheap look at the disk's first sectors: partitions or a filesystem (convert.ts mayHoldGuest). */
  mayHoldGuest(image: GuestImage, signal?: AbortSignal): Promise<boolean>;
}

export interface GuestConversionRecord {
  guest: MigrationGuest;
  /** sha256 of the image before conversion, equal to the source's. */
  targetSha256?: string;
  convertedSha256?: string;
}

export function migrationGuestFrom(report: GuestReport): MigrationGuest {
  const guest: MigrationGuest = { os: report.os, conversion: report.actions };
  if (report.distro) guest.distro = report.distro;
  if (report.version) guest.version = report.version;
  if (report.productName) guest.productName = report.productName;
  if (report.firmware) guest.firmware = report.firmware;
  if (report.warnings.length > 0) guest.warnings = report.warnings;
  if (report.converter) guest.converter = report.converter;
  if (report.message) guest.message = report.message;
  return guest;
}

export interface ConvertBootGuestArgs {
  image: GuestImage;
  disk: MigrationDisk;
  /** status.guest as recorded by an earlier attempt, if any. */
  recorded: MigrationGuest | undefined;
  verifyChecksums: boolean;
  /** The image's sha256 when Converting has just read it back (proven the source's): it is not hashed again. */
  provenSha256?: string;
  io: GuestConversionIO;
  signal?: AbortSignal;
  /** Writes the record into the migration's status (durably) before the image is replaced. */
  record(update: GuestConversionRecord): Promise<void>;
  /** The error a checksum mismatch fails the migration with. */
  mismatch(message: string): Error;
}

export async function convertBootGuest(a: ConvertBootGuestArgs): Promise<void> {
  if (a.recorded) {
    // Recorded already: at most the rename into place is left (replaceWithResult does nothing when it is done).
    await replaceWithResult(a.image);
    return;
  }
  if (!(await a.io.mayHoldGuest(a.image, a.signal))) {
    await a.record({ guest: { os: "unknown", conversion: [], message: NO_OPERATING_SYSTEM } });
    return;
  }
  const before = a.provenSha256 ?? (await a.io.tools.imageSha256(a.image.path, a.image.format, a.signal));
  if (a.verifyChecksums && before !== a.disk.sha256) {
    throw a.mismatch(
      `disk ${a.disk.label ?? a.disk.diskID}: image ${a.image.path} hashes to ${before} before guest conversion but the source read hashed to ${a.disk.sha256}; the data was damaged between source and target`,
    );
  }
  const outcome: ConversionOutcome = await convertIntoResult(a.image, a.io.tools, a.signal);
  const update: GuestConversionRecord = { guest: migrationGuestFrom(outcome.report), targetSha256: before };
  if (outcome.resultSha256) update.convertedSha256 = outcome.resultSha256;
  await a.record(update);
  await replaceWithResult(a.image);
}
