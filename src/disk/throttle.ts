// A DiskReader that reads no faster than a given rate (options.bandwidthMiBps): operators cap what a migration
// takes from a busy vCenter. The budget is shared by all ranges read at once.
import { setTimeout as sleep } from "node:timers/promises";
import type { DiskReader } from "../providers/contract.ts";

export function throttledReader(inner: DiskReader, bytesPerSecond: number, now: () => number = () => performance.now()): DiskReader {
  const start = now();
  let granted = 0;
  /** Waits until reading `n` more bytes keeps the average at or under the rate. */
  const admit = async (n: number, signal?: AbortSignal) => {
    granted += n;
    const due = start + (granted / bytesPerSecond) * 1000;
    const wait = due - now();
    // timers/promises removes its abort listener when the timer fires: one per wait would pile up on the
    // migration's long-lived signal. Rethrow the signal's own reason rather than a generic AbortError.
    if (wait > 0) {
      await sleep(wait, undefined, { signal }).catch((error: unknown) => {
        signal?.throwIfAborted();
        throw error;
      });
    }
  };
  return {
    sizeBytes: inner.sizeBytes,
    async *readRange(offset: number, length: number, signal?: AbortSignal) {
      for await (const chunk of inner.readRange(offset, length, signal)) {
        await admit(chunk.byteLength, signal);
        yield chunk;
      }
    },
    close: () => inner.close(),
  };
}
