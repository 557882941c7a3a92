// Reporting a checkpoint is part of the transfer: the callback's promise (a status write) is awaited before
// the transfer goes on, so checkpoints land in order and a failed write never becomes an unhandled rejection.
// A failed write pauses the transfer and is retried with backoff; when the retries run out the transfer fails
// with the write's own error.
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
