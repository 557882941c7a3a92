// Progress and ETA arithmetic for disk transfers. Pure: callers pass the clock in, so it is tested without
// timers and the same math serves one disk (transferDisk) and a whole migration (aggregateProgress).

/** What a transfer reports; also the shape of VMMigration `status.progress` (minus checkpointOffset). */
export interface TransferProgress {
  bytesDone: number;
  bytesTotal: number;
  bytesPerSecond: number;
  /** Undefined while the rate is unknown (no bytes moved within the window yet). */
  etaSeconds: number | undefined;
}

interface RateSample {
  atMs: number;
  bytesDone: number;
}

/**
 * Moving-window throughput: the rate over the last `windowMs`, so a stall or a burst shows up within the
 * window instead of being averaged away over the whole transfer.
 */
export class ThroughputWindow {
  readonly #windowMs: number;
  #samples: RateSample[] = [];

  constructor(windowMs = 10_000) {
    if (!(windowMs > 0)) throw new Error(`throughput windowMs ${windowMs} must be > 0`);
    this.#windowMs = windowMs;
  }

  /** Records the cumulative bytes done at a point in time (monotonic clock, milliseconds). */
  record(atMs: number, bytesDone: number): void {
    this.#samples.push({ atMs, bytesDone });
    // Keep one sample at or before the window start so the rate always spans the whole window.
    while (this.#samples.length > 2 && this.#samples[1].atMs <= atMs - this.#windowMs) this.#samples.shift();
  }

  /** Bytes per second over the window; 0 until two samples span some time. */
  bytesPerSecond(): number {
    const first = this.#samples[0];
    const last = this.#samples[this.#samples.length - 1];
    if (!first || !last || last.atMs <= first.atMs) return 0;
    return ((last.bytesDone - first.bytesDone) * 1000) / (last.atMs - first.atMs);
  }
}

/** Seconds left at the given rate, rounded up; undefined when the rate is not positive. */
export function etaSeconds(bytesRemaining: number, bytesPerSecond: number): number | undefined {
  if (bytesRemaining <= 0) return 0;
  if (!(bytesPerSecond > 0)) return undefined;
  return Math.ceil(bytesRemaining / bytesPerSecond);
}

/** Builds a progress report from the cumulative count and a rate. */
export function progressOf(bytesDone: number, bytesTotal: number, bytesPerSecond: number): TransferProgress {
  return {
    bytesDone,
    bytesTotal,
    bytesPerSecond: Math.round(bytesPerSecond),
    etaSeconds: etaSeconds(bytesTotal - bytesDone, bytesPerSecond),
  };
}

/**
 * Migration-wide progress over its disks. Rates add up (disks may move in parallel; a waiting disk has rate
 * 0), and the ETA is the total remainder at the combined rate.
 */
export function aggregateProgress(disks: ReadonlyArray<Pick<TransferProgress, "bytesDone" | "bytesTotal" | "bytesPerSecond">>): TransferProgress {
  let bytesDone = 0;
  let bytesTotal = 0;
  let rate = 0;
  for (const disk of disks) {
    bytesDone += disk.bytesDone;
    bytesTotal += disk.bytesTotal;
    rate += disk.bytesPerSecond;
  }
  return progressOf(bytesDone, bytesTotal, rate);
}

/** Whole percent done, for tables and the dashboard; 100 for an empty total. */
export function percentDone(progress: Pick<TransferProgress, "bytesDone" | "bytesTotal">): number {
  if (progress.bytesTotal <= 0) return 100;
  return Math.floor((progress.bytesDone * 100) / progress.bytesTotal);
}
