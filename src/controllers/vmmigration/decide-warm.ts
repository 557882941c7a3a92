// Warm migration's decisions, as pure functions of (recorded status, now): which precopy runs next and when,
// when the cutover starts, what a resumed precopy or cutover continues with, and the downtime it caused.
// The executors (phase-precopy.ts, phase-cutover.ts, precopy.ts) observe, call these and carry out the answer.
// Naming: a precopy is "open" (started, not completed) or "completed"; the cutover is "due" once spec.cutover
// has passed.
import { notADuration, parseDurationMs } from "../../api/duration.ts";
import type { MigrationDisk, Precopy, VMMigration } from "../../api/vmmigration.ts";

export const DEFAULT_PRECOPY_INTERVAL = "10m";

/** "10m" → 600000. Throws naming the field and the value when it is not a duration. */
export function durationMs(text: string, field = "spec.options.precopyInterval"): number {
  const ms = parseDurationMs(text);
  if (ms === undefined) throw new Error(notADuration(field, text));
  return ms;
}

export const precopyIntervalMs = (m: VMMigration): number => durationMs(m.spec.options?.precopyInterval ?? DEFAULT_PRECOPY_INTERVAL);

/** The snapshot of precopy n: named from the migration's UID and n, so a rerun finds the one it made. */
export const precopySnapshotName = (m: VMMigration, index: number): string => `landfall-precopy-${m.metadata.uid}-${index}`;

const precopiesOf = (m: VMMigration): Precopy[] => m.status?.precopies ?? [];

/** The precopy that started and did not complete (at most one exists), if any. */
export const openPrecopy = (m: VMMigration): Precopy | undefined => precopiesOf(m).find((p) => !p.completedAt);

/** The last completed precopy, if any. */
export const lastCompleted = (m: VMMigration): Precopy | undefined => precopiesOf(m).filter((p) => p.completedAt).at(-1);

export const cutoverDue = (m: VMMigration, now: number): boolean => m.spec.cutover !== undefined && Date.parse(m.spec.cutover) <= now;

export type WarmStep = { kind: "precopy"; index: number } | { kind: "cutover" } | { kind: "wait"; ms: number; nextAt: string };

/**
 * What Precopying does now. An open precopy is finished first (a crash mid-precopy resumes it); precopy 0 always
 * runs (the cutover needs a full copy). Once the cutover is due, one more precopy runs while the VM still runs —
 * unless the last one started after the cutover time — so that the final copy, made with the VM off, holds only
 * what the guest wrote during that precopy; then the cutover. Otherwise the next precopy once the interval since
 * the last one's completion has passed, or a wait until then.
 */
export function warmStep(m: VMMigration, now: number): WarmStep {
  const open = openPrecopy(m);
  if (open) return { kind: "precopy", index: open.index };
  const last = lastCompleted(m);
  if (!last) return { kind: "precopy", index: 0 };
  if (cutoverDue(m, now)) {
    const caughtUp = Date.parse(last.startedAt) >= Date.parse(m.spec.cutover as string);
    return caughtUp ? { kind: "cutover" } : { kind: "precopy", index: last.index + 1 };
  }
  const due = Date.parse(last.completedAt as string) + precopyIntervalMs(m);
  if (now >= due) return { kind: "precopy", index: last.index + 1 };
  const cutoverAt = m.spec.cutover ? Date.parse(m.spec.cutover) : Number.POSITIVE_INFINITY;
  const wakeAt = Math.min(due, cutoverAt);
  return { kind: "wait", ms: wakeAt - now, nextAt: new Date(due).toISOString() };
}

/** How long the migration has nothing to do (a warm migration between precopies); 0 when it has work now. */
export function idleMs(m: VMMigration, now: number): number {
  if (m.status?.phase !== "Precopying") return 0;
  const step = warmStep(m, now);
  return step.kind === "wait" ? step.ms : 0;
}

/** The changeId precopy `index` copies the changes since, for one disk: the previous precopy's; none for a full copy. */
export function sinceChangeId(m: VMMigration, index: number, diskID: string): string | undefined {
  if (index === 0) return undefined;
  const previous = precopiesOf(m).find((p) => p.index === index - 1 && p.completedAt);
  return previous?.disks.find((d) => d.diskID === diskID)?.changeId;
}

/** Precopies whose snapshot is still there, except precopy `keep` (the one being copied from). */
export const staleSnapshots = (m: VMMigration, keep?: number): Precopy[] => precopiesOf(m).filter((p) => !p.snapshotRemoved && p.index !== keep);

/** Seconds from the source being powered off to the target being ready, or undefined when not a cutover. */
export function downtimeSeconds(m: VMMigration, readyAt: number): number | undefined {
  const off = m.status?.cutover?.sourceOffAt;
  return off ? Math.max(0, (readyAt - Date.parse(off)) / 1000) : undefined;
}

/**
 * Whether the cutover takes a disk's whole-image sha256 only after the target VM runs, from the raw staging file
 * (ADR 0019): the target keeps its volumes as files and the disk goes into the pool that holds the staging
 * directory (Importing then renames the very image the cutover verified; a KubeVirt target, or another pool on
 * another filesystem, copies it and checks the copy against the sha256), the target image is another file than the
 * staging file (not raw), `verifySource: reread` does not ask to compare the frozen source with that hash before
 * the cutover ends, and guest conversion will not need the hash (it hashes the image it converts first).
 * Otherwise the cutover reads the image back in full, as before. Pure.
 */
export function hashesAfterStart(m: VMMigration, at: { targetFormat: string; guestConversionPossible: boolean; fileTarget: boolean; stagingPool: boolean }): boolean {
  if (m.spec.options?.mode !== "warm" || !at.fileTarget || !at.stagingPool) return false;
  return at.targetFormat !== "raw" && m.spec.options?.verifySource !== "reread" && !at.guestConversionPossible;
}

/** The condition a warm migration records once the whole-disk sha256 of its disks is settled (after the VM runs). */
export const CHECKSUM_CONDITION = "Checksummed";

/**
 * Whether the disk's sha256 is still to be taken from its staging file: a warm disk the cutover verified chunk by
 * chunk (Transferred or later) without a sha256, unless the migration recorded that the staging file could not
 * give it (condition Checksummed, reason ChecksumUnavailable). Pure.
 */
export function sha256Pending(m: VMMigration, disk: MigrationDisk): boolean {
  if (m.spec.options?.mode !== "warm" || !m.status?.cutover || disk.sha256) return false;
  if (disk.state !== "Transferred" && disk.state !== "Converted" && disk.state !== "Verified") return false;
  return !m.status.conditions?.some((c) => c.type === CHECKSUM_CONDITION && c.reason === "ChecksumUnavailable");
}
