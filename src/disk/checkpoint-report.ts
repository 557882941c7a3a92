// Reporting a checkpoint is part of the transfer: the callback's promise (a status write) is awaited before the
// next checkpoint starts (transfer.ts runs each beside the reads), so checkpoints land in order and a failed write
// never becomes an unhandled rejection. A failed write is retried with backoff — the transfer waits for it at its
// next checkpoint — and when the retries run out the transfer fails with the write's own error.
import { setTimeout as sleep } from "node:timers/promises";
import { backoffDelay } from "../runtime/backoff.ts";

export interface CheckpointRetry {
  /** Attempts beyond the first. */
  retries: number;
  /** First retry delay; doubles per retry, at most 10 s. */
  baseMs: number;
  signal?: AbortSignal;
}

export async function reportCheckpoint<P>(report: (progress: P) => void | Promise<void>, progress: P, retry: CheckpointRetry): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await report(progress);
      return;
    } catch (error) {
      if (attempt >= retry.retries || retry.signal?.aborted) throw error;
      await sleep(backoffDelay(attempt, retry.baseMs, 10_000), undefined, { signal: retry.signal });
    }
  }
}
