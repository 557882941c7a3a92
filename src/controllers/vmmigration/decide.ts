// What a migration step does next, as pure functions of (recorded status, observed world). The phase executors
// (phase-*.ts) observe, call these, and carry out the answer; nothing here touches vSphere, libvirt or a disk.
// Naming: an effect is "recorded" (in status) or "found" (in the world); a recorded effect is never redone, a
// found one is adopted instead of being done twice.
import type { MigrationDisk, VMMigration, VMMigrationPhase } from "../../api/vmmigration.ts";
import type { ExportSession, SourceDisk, SourcePowerState } from "../../providers/contract.ts";
import { sha256Pending } from "./decide-warm.ts";
import type { FileIdentity } from "./files.ts";
import { snapshotNameFor } from "./plan.ts";
import { MigrationFailure } from "./steps.ts";

export type ExportMode = "cold" | "snapshot" | "warm";

export const exportMode = (m: VMMigration): ExportMode => m.spec.options?.mode ?? "cold";

export interface ExportIntent {
  powerStateBefore: SourcePowerState;
  poweredOffByMigration: boolean;
  snapshotName?: string;
  /** warm: whether the VM tracked changes before (tracking is turned on, and back off at the end when it was off). */
  changeTrackingBefore?: boolean;
}

/**
 * What Exporting records before it touches the source. The power state the VM had before the migration is
 * recorded once and never replaced: a rerun after the guest was shut down observes "poweredOff", which must not
 * turn into "the user had it off".
 */
export function exportIntent(m: VMMigration, observed: SourcePowerState, observedChangeTracking = false): ExportIntent {
  const recorded = m.status?.source;
  const powerStateBefore = (recorded?.powerStateBefore as SourcePowerState | undefined) ?? observed;
  const mode = exportMode(m);
  return {
    powerStateBefore,
    poweredOffByMigration: recorded?.poweredOffByMigration ?? (mode === "cold" && powerStateBefore === "poweredOn"),
    ...(mode === "snapshot" ? { snapshotName: recorded?.snapshotName ?? snapshotNameFor(m) } : {}),
    ...(mode === "warm" ? { changeTrackingBefore: recorded?.changeTrackingBefore ?? observedChangeTracking } : {}),
  };
}

export function exportIntentRecorded(m: VMMigration): boolean {
  const st = m.status?.source;
  if (st?.powerStateBefore === undefined || st.poweredOffByMigration === undefined) return false;
  const mode = exportMode(m);
  return mode === "cold" || (mode === "warm" ? st.changeTrackingBefore !== undefined : Boolean(st.snapshotName));
}

/**
 * The export session, from status alone: the one place that decides which disks an export reads (what
 * prepareExport returned, recorded in status.source.exportDisks — in snapshot mode the snapshot's frozen disks).
 */
export function exportSessionOf(m: VMMigration): ExportSession {
  const st = m.status?.source ?? {};
  if (!st.vmID) throw new Error(`VMMigration "${m.metadata.name}": status.source.vmID is not recorded yet, so there is no export session to use`);
  return {
    vmID: st.vmID,
    // A warm migration reads snapshots like the snapshot mode (each precopy's session is built from its record).
    mode: exportMode(m) === "cold" ? "cold" : "snapshot",
    powerStateBefore: (st.powerStateBefore as SourcePowerState | undefined) ?? "poweredOff",
    poweredOffByExport: st.poweredOffByMigration ?? false,
    ...(st.snapshotID ? { snapshotID: st.snapshotID } : {}),
    ...(st.snapshotName ? { snapshotName: st.snapshotName } : {}),
    disks: (st.exportDisks ?? []) as SourceDisk[],
  };
}

/**
 * A source disk as status.source.exportDisks records it: only the fields of its schema (ExportDisk), so a later
 * write of the whole object (a spec edit such as `landfall cutover`) validates.
 */
export function exportDiskRecord(d: SourceDisk): SourceDisk {
  const { key, label, fileName, capacityBytes, datastore, controller, thinProvisioned, changeId } = d;
  return { key, label, fileName, capacityBytes, datastore, controller, ...(thinProvisioned !== undefined ? { thinProvisioned } : {}), ...(changeId ? { changeId } : {}) };
}

/** True when the source was touched (powered off or snapshotted) and must be put back on failure or finish. */
export const sourceTouched = (m: VMMigration): boolean =>
  Boolean(m.status?.source?.poweredOffByMigration || m.status?.source?.snapshotID || m.status?.source?.snapshotName);

/** The source disk a migration disk is read from, by device key in the recorded export session. */
export function sourceDiskFor(session: ExportSession, disk: MigrationDisk): SourceDisk {
  const found = session.disks.find((d) => d.key === disk.key);
  if (!found) {
    throw new MigrationFailure("SourceChanged", `disk ${disk.label ?? disk.diskID} (device key ${disk.key}) is not in the export session of VM ${session.vmID}; the source VM's disks changed during the migration — start a new migration`);
  }
  return found;
}

/** Where a transfer starts: its checkpoint, when the staging file it wrote is still there; else from 0. */
export function transferStart(disk: MigrationDisk, stagingFound: boolean): { offset: number } | undefined {
  return disk.checkpoint && stagingFound ? { offset: disk.checkpoint.offset } : undefined;
}

export type ConvertAction = "record" | "adopt" | "convert" | "inputLost";

/**
 * Converting one transferred disk. A converted file exists only complete (it is renamed into place), so finding
 * it means an earlier attempt converted and was killed before recording it.
 */
export function convertAction(disk: MigrationDisk, found: { converted: boolean; staging: boolean }): ConvertAction {
  if ((disk.targetFormat ?? "qcow2") === "raw") return found.staging ? "record" : "inputLost";
  if (found.converted) return "adopt";
  return found.staging ? "convert" : "inputLost";
}

/**
 * Whether Converting reads a disk's converted image back, against the raw staging file it was made from, instead of
 * Importing: checksums are verified, the disk is not warm (the cutover reads its image back its own way), the image
 * is another file than the staging file (not raw), the staging file is there, the target keeps its volumes as files
 * and the disk goes into the pool that holds the staging directory (the import renames the image, so readBackCovers
 * holds) — and nothing has recorded the image's sha256 yet (a guest conversion records it before it replaces the
 * image). There the staging file's sha256 is proven while qemu-img converts (both only read it), the staging file
 * can go as soon as its disk is Converted, and a guest conversion starts from an image already proven. Pure.
 */
export function readsBackWhenConverted(m: VMMigration, disk: MigrationDisk, at: { stagingFound: boolean; fileTarget: boolean; stagingPool: boolean }): boolean {
  if (!(m.spec.options?.verifyChecksums ?? true) || exportMode(m) === "warm") return false;
  if ((disk.targetFormat ?? "qcow2") === "raw" || !disk.sha256 || disk.targetSha256 !== undefined) return false;
  return at.stagingFound && at.fileTarget && at.stagingPool;
}

/**
 * Whether Transferring converts a disk the moment its transfer ends, while its siblings still transfer, instead of
 * leaving it to Converting: only a disk Converting would read back (readsBackWhenConverted, so its raw staging file
 * goes as soon as it is Converted and no "last disk" keeps one for Importing) and that is still to convert (an
 * adopted or lost image is Converting's to sort out). Pure.
 */
export function convertsOnArrival(m: VMMigration, disk: MigrationDisk, found: { converted: boolean; staging: boolean }, at: { fileTarget: boolean; stagingPool: boolean }): boolean {
  return convertAction(disk, found) === "convert" && readsBackWhenConverted(m, disk, { stagingFound: found.staging, ...at });
}

/**
 * Whether Importing may skip reading a disk's volume back: an earlier step read this very image back — Converting
 * (readsBackWhenConverted) or a warm cutover in full, recording its sha256 as targetSha256 (equal to the disk's
 * sha256), or a warm cutover chunk by chunk against the source digests with the hash still to come from the staging
 * file (sha256Pending) — and the import moved it by a rename (the same file, not written since: same device, inode,
 * size and mtime before and after). A converted guest (convertedSha256), a volume the target copied or converted,
 * or an adopted one (identity before unknown) is read back. Pure.
 */
export function readBackCovers(m: VMMigration, disk: MigrationDisk, before: FileIdentity | undefined, after: FileIdentity | undefined): boolean {
  if (disk.convertedSha256) return false;
  const readBack = (disk.targetSha256 !== undefined && disk.targetSha256 === disk.sha256) || sha256Pending(m, disk);
  if (!readBack || !before || !after) return false;
  return before.dev === after.dev && before.ino === after.ino && before.size === after.size && before.mtimeMs === after.mtimeMs;
}

export type ImportAction = "adopt" | "import" | "foreign" | "inputLost";

/**
 * Importing one converted disk. A volume under the disk's own name (derived from the migration's UID; checked
 * absent in Validating) with the right format and size is this migration's earlier import: adopt it — its hash
 * is checked like a fresh import's. A volume of another format or size is not ours.
 */
export function importAction(disk: MigrationDisk, found: { volume?: { format: string; virtualSizeBytes: number }; staged: boolean }): ImportAction {
  if (found.volume) {
    return found.volume.format === (disk.targetFormat ?? "qcow2") && found.volume.virtualSizeBytes === disk.sizeBytes ? "adopt" : "foreign";
  }
  return found.staged ? "import" : "inputLost";
}

export interface FailureClass {
  permanent: boolean;
  reason: string;
}

const SOURCE_CODES = new Set(["Unreachable", "Timeout", "SourceError", "InvalidCredentials", "TLSVerificationFailed", "ThumbprintMismatch", "ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "UND_ERR_SOCKET", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

function codesOf(err: unknown): string[] {
  const out: string[] = [];
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === "string") out.push(e.code);
  }
  return out;
}

export const outOfSpace = (err: unknown): boolean =>
  codesOf(err).includes("ENOSPC") || /ENOSPC|No space left on device/i.test(String((err as Error)?.message ?? ""));

/**
 * Transient (retry from the last checkpoint) or permanent (fail now), with the reason that really happened.
 * Retrying cannot fix a MigrationFailure, a full disk or an invalid argument; network trouble and anything
 * unrecognised is retried, and when retries run out the reason still names where it happened.
 */
export function classifyFailure(err: unknown, phase: VMMigrationPhase): FailureClass {
  if (err instanceof MigrationFailure) return { permanent: true, reason: err.reason };
  if (outOfSpace(err)) return { permanent: true, reason: "InsufficientSpace" };
  const codes = codesOf(err);
  if (codes.includes("NotSupported")) return { permanent: true, reason: "NotSupported" };
  if (codes.includes("InvalidArgument") || codes.includes("OutsideStorage")) return { permanent: true, reason: "InvalidTarget" };
  if ((err as Error)?.name === "LibvirtError") return { permanent: false, reason: "TargetUnavailable" };
  if (codes.some((c) => SOURCE_CODES.has(c))) return { permanent: false, reason: "SourceUnavailable" };
  return { permanent: false, reason: `${phase}Failed` };
}
