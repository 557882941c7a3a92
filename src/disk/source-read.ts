// One chunk read from the source, exactly: retried with backoff on transient errors, and failed when the
// source stops sending bytes for longer than the stall timeout (a heartbeat on the bytes, not an overall
// deadline: a slow but moving source is fine; a silent one must not leave the transfer hanging at 99 %).
import { setTimeout as sleep } from "node:timers/promises";
import type { DiskReader } from "../providers/contract.ts";
import { backoffDelay } from "../runtime/backoff.ts";

export const DEFAULT_STALL_TIMEOUT_MS = 60_000;

export interface SourceReadOptions {
  /** Attempts beyond the first. */
  retries: number;
  /** Longest silence (no bytes) tolerated within one read. */
  stallTimeoutMs: number;
  /** First retry delay; doubles per retry. */
  retryBaseMs: number;
  signal: AbortSignal;
}

/** The source went silent mid-read. */
export class SourceStalledError extends Error {
  constructor(offset: number, length: number, received: number, stallTimeoutMs: number) {
    super(
      `disk source sent no bytes for ${stallTimeoutMs / 1000} s while reading ${length} bytes at offset ${offset} ` +
        `(${received} received): the connection stalled; the transfer resumes from its last checkpoint on the next attempt`,
    );
    this.name = "SourceStalledError";
  }
}

/** Fills `chunk` with the source's bytes [offset, offset + chunk.length). */
export async function readChunkFromSource(reader: DiskReader, offset: number, chunk: Buffer, options: SourceReadOptions): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await fillOnce(reader, offset, chunk, options);
      return;
    } catch (error) {
      if (options.signal.aborted || attempt >= options.retries) throw error;
      await sleep(backoffDelay(attempt, options.retryBaseMs, 30_000), undefined, { signal: options.signal });
    }
  }
}

/**
 * One attempt: the reader fills `chunk` — itself (DiskReader.readInto) or piece by piece (readRange) — while one
 * watchdog, pushed back by every piece that arrives, aborts the read when the source goes silent for the stall
 * timeout. A stall or an abort ends the attempt at once, even when the reader ignores its signal and never settles.
 */
async function fillOnce(reader: DiskReader, offset: number, chunk: Buffer, options: SourceReadOptions): Promise<void> {
  const stop = new AbortController();
  const onAbort = () => stop.abort(options.signal.reason);
  options.signal.addEventListener("abort", onAbort, { once: true });
  let filled = 0;
  const watchdog = setTimeout(() => stop.abort(new SourceStalledError(offset, chunk.length, filled, options.stallTimeoutMs)), options.stallTimeoutMs);
  const stopped = new Promise<never>((_, reject) => stop.signal.addEventListener("abort", () => reject(stop.signal.reason), { once: true }));
  stopped.catch(() => {}); // raced below; only keeps an unraced rejection from going unhandled
  try {
    options.signal.throwIfAborted();
    const onBytes = (bytes: number) => {
      filled += bytes;
      watchdog.refresh();
    };
    const read = reader.readInto ? reader.readInto(offset, chunk, stop.signal, onBytes) : fillFromPieces(reader, offset, chunk, stop.signal, onBytes);
    read.catch(() => {}); // a read abandoned by the race may still fail later
    await Promise.race([read, stopped]);
  } catch (error) {
    if (stop.signal.aborted) throw stop.signal.reason;
    stop.abort(error); // the reader lets go of what the failed attempt held
    throw error;
  } finally {
    clearTimeout(watchdog);
    options.signal.removeEventListener("abort", onAbort);
  }
}

/** readInto for a reader that only streams (readRange): its pieces copied into `chunk`, which they must fill exactly. */
async function fillFromPieces(reader: DiskReader, offset: number, chunk: Buffer, signal: AbortSignal, onBytes: (bytes: number) => void): Promise<void> {
  const pieces = reader.readRange(offset, chunk.length, signal)[Symbol.asyncIterator]();
  // Abandoned (stalled, aborted): ask the stream to end; not awaited — a reader that ignores its signal may never settle.
  const abandon = () => pieces.return?.().catch(() => {});
  signal.addEventListener("abort", abandon, { once: true });
  let filled = 0;
  try {
    for (let next = await pieces.next(); !next.done; next = await pieces.next()) {
      const piece = next.value;
      if (filled + piece.length > chunk.length) {
        throw new Error(`source returned more than the ${chunk.length} bytes asked for at offset ${offset}`);
      }
      chunk.set(piece, filled);
      filled += piece.length;
      onBytes(piece.length);
    }
  } catch (error) {
    abandon();
    throw error;
  } finally {
    signal.removeEventListener("abort", abandon);
  }
  if (filled !== chunk.length) {
    throw new Error(`source range at offset ${offset} ended after ${filled} of ${chunk.length} bytes (truncated read)`);
  }
}
