// A DiskReader that reads no faster than a given rate (options.bandwidthMiBps): operators cap what a migration
// takes from a busy vCenter. The budget is shared by all ranges read at once. A reader that fills the caller's buffer
// itself (readInto: vSphere's datastore reads) keeps doing so: a capped transfer would otherwise stream 64 KiB pieces
// and copy them, and its server peaked 20–28 MiB higher (bench/RESULTS.md, tenth round).
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
  // readInto's bytes are admitted before each request, a slice of about an eighth of a second's budget at a time: a
  // wait stays short beside the transfer's stall timeout, and a fast cap still reads a whole chunk per request.
  const slice = Math.max(64 * 1024, Math.floor(bytesPerSecond / 8));
  const innerReadInto = inner.readInto?.bind(inner);
  return {
    sizeBytes: inner.sizeBytes,
    ...(inner.zeroFilledTailBytes !== undefined ? { zeroFilledTailBytes: inner.zeroFilledTailBytes } : {}),
    ...(inner.origin ? { origin: inner.origin } : {}),
    async *readRange(offset: number, length: number, signal?: AbortSignal) {
      for await (const chunk of inner.readRange(offset, length, signal)) {
        await admit(chunk.byteLength, signal);
        yield chunk;
      }
    },
    ...(innerReadInto
      ? {
          async readInto(offset: number, into: Buffer, signal?: AbortSignal, onBytes?: (bytes: number) => void) {
            for (let done = 0; done < into.length; done += slice) {
              const part = into.subarray(done, Math.min(into.length, done + slice));
              await admit(part.length, signal);
              await innerReadInto(offset + done, part, signal, onBytes);
            }
          },
        }
      : {}),
    close: () => inner.close(),
  };
}
