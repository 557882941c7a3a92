// Progress of long transfers for humans: sizes, rates, ETAs, a text bar, per-disk lines, and when a non-TTY
// `wait` should print another line. Pure: callers decide where the text goes.

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/** 1536 → "1.5KiB", 3 * 2^30 → "3.0GiB"; bytes stay whole. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return "-";
  let v = n;
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${Math.round(v)}B` : `${v.toFixed(1)}${UNITS[i]}`;
}

/** Bytes per second → "12.3MiB/s"; unknown or zero → "-". */
export function formatRate(bytesPerSecond: number | undefined): string {
  if (bytesPerSecond === undefined || !Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return "-";
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** Seconds → "45s", "3m05s", "1h02m"; unknown → "-". */
export function formatEta(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return "-";
  const s = Math.ceil(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** Whole percent, floored so 100% means really done; undefined when the total is unknown. */
export function percent(done: number, total: number): number | undefined {
  if (!(total > 0) || !Number.isFinite(done)) return undefined;
  return Math.min(100, Math.max(0, Math.floor((done / total) * 100)));
}

/** "[#########-----------]" with `width` cells inside the brackets. */
export function progressBar(width: number, fraction: number): string {
  const cells = Math.max(0, Math.floor(width));
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const filled = Math.floor(f * cells);
  return `[${"#".repeat(filled)}${"-".repeat(cells - filled)}]`;
}

/** "42% 1.2GiB/3.0GiB"; "-" when the total is unknown. */
export function bytesSummary(done: number | undefined, total: number | undefined): string {
  if (typeof done !== "number" || typeof total !== "number" || total <= 0) return "-";
  return `${percent(done, total)}% ${formatBytes(done)}/${formatBytes(total)}`;
}

export interface TransferProgress {
  bytesDone: number;
  bytesTotal: number;
  bytesPerSecond?: number;
  etaSeconds?: number;
}

export interface DiskProgress {
  diskID: string;
  sizeBytes: number;
  bytesDone: number;
  state?: string;
  sha256?: string;
  targetPath?: string;
  /** How the source was read: datastore (file API) or nfc (export lease). */
  transport?: string;
  /** The target storage pool the disk is placed in. */
  pool?: string;
  /** Bytes the source reported allocated (only those are read). */
  allocatedBytes?: number;
}

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

/** status.progress of a VMMigration or VMImport, when it names a total. */
export function transferProgressOf(status: unknown): TransferProgress | undefined {
  const p = (status as { progress?: Record<string, unknown> } | undefined)?.progress;
  const done = num(p?.bytesDone);
  const total = num(p?.bytesTotal);
  if (done === undefined || total === undefined || total <= 0) return undefined;
  return { bytesDone: done, bytesTotal: total, bytesPerSecond: num(p?.bytesPerSecond), etaSeconds: num(p?.etaSeconds) };
}

/** status.disks of a VMMigration, skipping entries without an id. */
export function disksOf(status: unknown): DiskProgress[] {
  const disks = (status as { disks?: unknown } | undefined)?.disks;
  if (!Array.isArray(disks)) return [];
  return disks
    .filter((d): d is Record<string, unknown> => d !== null && typeof d === "object" && typeof (d as { diskID?: unknown }).diskID === "string")
    .map((d) => ({
      diskID: d.diskID as string,
      sizeBytes: num(d.sizeBytes) ?? 0,
      bytesDone: num(d.bytesDone) ?? 0,
      ...(typeof d.state === "string" ? { state: d.state } : {}),
      ...(typeof d.sha256 === "string" ? { sha256: d.sha256 } : {}),
      ...(typeof d.targetPath === "string" ? { targetPath: d.targetPath } : {}),
      ...(typeof d.transport === "string" ? { transport: d.transport } : {}),
      ...(typeof d.pool === "string" ? { pool: d.pool } : {}),
      ...(num(d.allocatedBytes) !== undefined ? { allocatedBytes: num(d.allocatedBytes) as number } : {}),
    }));
}

/**
 * One line for the whole transfer: "Transferring [#####-----] 42% 1.2GiB/3.0GiB 85.0MiB/s ETA 21s".
 * The rate and ETA come from the controller (status.progress), which measures them where the bytes flow.
 */
export function transferLine(phase: string, progress: TransferProgress | undefined, barWidth = 24): string {
  if (!progress) return phase;
  const fraction = progress.bytesDone / progress.bytesTotal;
  const parts = [phase, progressBar(barWidth, fraction), bytesSummary(progress.bytesDone, progress.bytesTotal)];
  if (progress.bytesDone < progress.bytesTotal) {
    const rate = formatRate(progress.bytesPerSecond);
    if (rate !== "-") parts.push(rate);
    const eta = formatEta(progress.etaSeconds);
    if (eta !== "-") parts.push(`ETA ${eta}`);
  }
  return parts.join(" ");
}

/** Rows for a per-disk table: DISK, SIZE, PROGRESS (bar + %), DONE, STATE. */
export function diskRows(disks: DiskProgress[], barWidth = 20): string[][] {
  return disks.map((d) => {
    const pct = percent(d.bytesDone, d.sizeBytes);
    return [
      d.diskID,
      d.sizeBytes > 0 ? formatBytes(d.sizeBytes) : "-",
      pct === undefined ? "-" : `${progressBar(barWidth, d.bytesDone / d.sizeBytes)} ${pct}%`,
      formatBytes(d.bytesDone),
      d.state ?? "-",
    ];
  });
}

/** What a non-TTY `wait` last printed: the phase and the 10% step. */
export interface ProgressMark {
  phase: string;
  step: number;
}

/**
 * Off a TTY a redrawn bar would be spam in a log: print again only when the phase changes or the transfer
 * crosses into a new 10% step. Returns the new mark, or undefined when nothing should be printed.
 */
export function nextProgressMark(last: ProgressMark | undefined, phase: string, progress: TransferProgress | undefined): ProgressMark | undefined {
  const pct = progress ? (percent(progress.bytesDone, progress.bytesTotal) ?? 0) : 0;
  const step = Math.floor(pct / 10);
  if (!last || last.phase !== phase || step > last.step) return { phase, step };
  return undefined;
}
