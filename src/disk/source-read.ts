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

async function fillOnce(reader: DiskReader, offset: number, chunk: Buffer, options: SourceReadOptions): Promise<void> {
  if (reader.readInto) return fillInto(reader.readInto.bind(reader), offset, chunk, options);
  const stop = new AbortController();
  const onAbort = () => stop.abort(options.signal.reason);
  options.signal.addEventListener("abort", onAbort, { once: true });
  const pieces = reader.readRange(offset, chunk.length, stop.signal)[Symbol.asyncIterator]();
  let filled = 0;
  let finished = false;
  try {
    for (;;) {
      const next = await withinSilence(pieces.next(), options.stallTimeoutMs, stop, () => new SourceStalledError(offset, chunk.length, filled, options.stallTimeoutMs));
      if (next.done) break;
      const piece = next.value;
      if (filled + piece.length > chunk.length) {
        throw new Error(`source returned more than the ${chunk.length} bytes asked for at offset ${offset}`);
      }
      chunk.set(piece, filled);
      filled += piece.length;
    }
    finished = true;
  } finally {
    options.signal.removeEventListener("abort", onAbort);
    if (!finished) {
      stop.abort(new Error(`read at offset ${offset} abandoned`));
      // Not awaited: a reader that ignores its signal may never settle; its rejection is handled here.
      pieces.return?.().catch(() => {});
    }
  }
  if (filled !== chunk.length) {
    throw new Error(`source range at offset ${offset} ended after ${filled} of ${chunk.length} bytes (truncated read)`);
  }
}

/**
 * fillOnce for a reader that writes into the chunk itself (DiskReader.readInto): one watchdog, pushed back by every
 * piece that arrives, aborts the read when the source goes silent for the stall timeout.
 */
async function fillInto(readInto: NonNullable<DiskReader["readInto"]>, offset: number, chunk: Buffer, options: SourceReadOptions): Promise<void> {
  const stop = new AbortController();
  const onAbort = () => stop.abort(options.signal.reason);
  options.signal.addEventListener("abort", onAbort, { once: true });
  let filled = 0;
  let stalled: SourceStalledError | undefined;
  const watchdog = setTimeout(() => {
    stalled = new SourceStalledError(offset, chunk.length, filled, options.stallTimeoutMs);
    stop.abort(stalled);
  }, options.stallTimeoutMs);
  try {
    if (options.signal.aborted) throw options.signal.reason;
    await readInto(offset, chunk, stop.signal, (bytes) => {
      filled += bytes;
      watchdog.refresh();
    });
  } catch (error) {
    throw stalled ?? error;
  } finally {
    clearTimeout(watchdog);
    options.signal.removeEventListener("abort", onAbort);
  }
}

/**
 * `step`, unless `stop` aborts first or nothing arrives for `silenceMs` — then `stop` is aborted with the
 * stall error and that error is thrown. A step that settles later is ignored (its rejection is handled).
 */
function withinSilence<T>(step: Promise<T>, silenceMs: number, stop: AbortController, stalled: () => Error): Promise<T> {
  step.catch(() => {});
  return new Promise<T>((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      stop.signal.removeEventListener("abort", onStop);
    };
    const onStop = () => {
      done();
      reject(stop.signal.reason);
    };
    const timer = setTimeout(() => {
      const error = stalled();
      done();
      stop.abort(error);
      reject(error);
    }, silenceMs);
    if (stop.signal.aborted) return onStop();
    stop.signal.addEventListener("abort", onStop, { once: true });
    step.then(
      (value) => {
        done();
        resolve(value);
      },
      (error: unknown) => {
        done();
        reject(error);
      },
    );
  });
}
