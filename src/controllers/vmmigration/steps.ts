// Which disks each phase still has to work on, from status alone (pure), and the error type of a failure that
// retrying cannot fix. What a step does with what it finds is decided in decide.ts.
import type { MigrationDisk, VMMigration, VMMigrationPhase } from "../../api/vmmigration.ts";

export const TERMINAL: readonly VMMigrationPhase[] = ["Succeeded", "Failed"];

export const isTerminal = (m: VMMigration): boolean => TERMINAL.includes(m.status?.phase ?? "Pending");
export const carriesDeletion = (m: VMMigration): boolean => Boolean(m.metadata.deletionTimestamp);

/** Disks still to transfer, in order; a disk with a checkpoint resumes from it. */
export const disksToTransfer = (disks: MigrationDisk[]): MigrationDisk[] =>
  disks.filter((d) => d.state === undefined || d.state === "Pending" || d.state === "Transferring");
export const disksToConvert = (disks: MigrationDisk[]): MigrationDisk[] => disks.filter((d) => d.state === "Transferred");
export const disksToImport = (disks: MigrationDisk[]): MigrationDisk[] => disks.filter((d) => d.state === "Converted");

/** A failure that retrying cannot fix; anything else is retried with backoff from the last checkpoint. */
export class MigrationFailure extends Error {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.name = "MigrationFailure";
    this.reason = reason;
  }
}

export const MAX_TRANSIENT_ATTEMPTS = 5;
