// The disk transfer pipeline: source DiskReader → sha256 → sparse raw staging file.
//
// Shape: up to `concurrency` ranged reads of `chunkBytes` run at once (a network source is latency-bound
// per stream); chunks are consumed strictly in disk order by one hasher, so the hash is the sha256 of the
// guest-visible byte stream however the reads complete. Memory is bounded by concurrency × chunkBytes
// (a chunk is only requested when its buffer will fit in that window), whatever the disk size. All-zero
// blocks are not written: the file was truncated to the disk size, so they read back as zeros (holes).
import { createHash } from "node:crypto";
import { type FileHandle, open, stat } from "node:fs/promises";
import type { DiskReader } from "../providers/contract.ts";
import { progressOf, ThroughputWindow, type TransferProgress } from "./progress.ts";
import { dataExtents, ZERO_BLOCK_BYTES } from "./zero-blocks.ts";

export const DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024;
export const DEFAULT_CONCURRENCY = 4;

export interface TransferCheckpoint extends TransferProgress {
  /**
   * Bytes [0, checkpointOffset) are written and fdatasync'ed: pass it back as `resumeFrom.offset` after a
   * crash or abort (store it in VMMigration `status.disks[].checkpoint.offset`).
   */
  checkpointOffset: number;
}

export interface TransferDiskOptions {
  reader: DiskReader;
  /** Raw file to write; created (or, without resumeFrom, truncated) and sized to reader.sizeBytes. */
  stagingPath: string;
  chunkBytes?: number;
  concurrency?: number;
  /** Continue an interrupted transfer into the same staging file from a reported checkpointOffset. */
  resumeFrom?: { offset: number };
  /** Called at most every progressIntervalMs with a durable checkpoint, and once more at the end. */
  onProgress?: (progress: TransferCheckpoint) => void;
  progressIntervalMs?: number;
  /** Aborting stops the reads and rejects with the signal's reason; the staging file stays for resume. */
  signal?: AbortSignal;
  /** Attempts per chunk beyond the first, for transient source errors (connection resets). Default 2. */
  retries?: number;
  /**
   * TEST HOOK, never set in production: called with each chunk after it was hashed and before it is
   * written, and may modify the chunk in place. The corruption test uses it to model damage between the
   * source hash and the target, which the independent target checksum must then catch.
   */
  tamper?: (offset: number, chunk: Buffer) => void;
}

export interface TransferResult {
  /** sha256 of the source's bytes as read: "sha256:<hex>". */
  sha256: string;
  bytes: number;
  /** Bytes in all-zero blocks (left as holes), over the whole disk including a resumed prefix. */
  zeroBytes: number;
}

export async function transferDisk(options: TransferDiskOptions): Promise<TransferResult> {
  const { reader, stagingPath, signal, onProgress, tamper } = options;
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const retries = options.retries ?? 2;
  const progressIntervalMs = options.progressIntervalMs ?? 1000;
  const size = reader.sizeBytes;
  if (!Number.isSafeInteger(size) || size < 0) throw new Error(`disk sizeBytes ${size} must be a non-negative integer`);
  if (!Number.isInteger(chunkBytes) || chunkBytes < ZERO_BLOCK_BYTES || chunkBytes % ZERO_BLOCK_BYTES !== 0) {
    throw new Error(`chunkBytes ${chunkBytes} must be a positive multiple of ${ZERO_BLOCK_BYTES}`);
  }
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`concurrency ${concurrency} must be an integer >= 1`);
  signal?.throwIfAborted();

  const startOffset = options.resumeFrom?.offset ?? 0;
  if (!Number.isSafeInteger(startOffset) || startOffset < 0 || startOffset > size) {
    throw new Error(`resumeFrom.offset ${startOffset} must be an integer within the disk (0..${size})`);
  }
  const file = options.resumeFrom ? await openForResume(stagingPath, size) : await open(stagingPath, "w");
  const hash = createHash("sha256");
  const buffers: Buffer[] = [];
  const takeBuffer = () => buffers.pop() ?? Buffer.allocUnsafe(chunkBytes);
  let zeroBytes = 0;

  const reads = new Map<number, Promise<Buffer>>();
  const stopReads = new AbortController();
  const onAbort = () => stopReads.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });

  try {
    if (options.resumeFrom) {
      const buffer = takeBuffer();
      zeroBytes += await hashPrefix(file, startOffset, hash, buffer);
      buffers.push(buffer);
      // Bytes past the checkpoint may be half-written or stale: turn them back into holes.
      await file.truncate(startOffset);
    }
    await file.truncate(size);

    const readChunk = async (offset: number, length: number): Promise<Buffer> => {
      const chunk = takeBuffer().subarray(0, length);
      for (let attempt = 0; ; attempt++) {
        try {
          await fillFromSource(reader, offset, chunk, stopReads.signal);
          return chunk;
        } catch (error) {
          if (stopReads.signal.aborted || attempt >= retries) throw error;
          await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
        }
      }
    };
    const startRead = (offset: number) => {
      const read = readChunk(offset, Math.min(chunkBytes, size - offset));
      read.catch(() => {}); // awaited in order below; this only keeps an early failure from going unhandled
      reads.set(offset, read);
    };

    const throughput = new ThroughputWindow();
    const startedMs = performance.now();
    throughput.record(startedMs, startOffset);
    let lastReportMs = startedMs;
    let nextRead = startOffset;
    for (let offset = startOffset; offset < size; ) {
      while (nextRead < size && nextRead < offset + concurrency * chunkBytes) {
        startRead(nextRead);
        nextRead += chunkBytes;
      }
      const chunk = await (reads.get(offset) as Promise<Buffer>);
      reads.delete(offset);
      signal?.throwIfAborted();
      hash.update(chunk);
      tamper?.(offset, chunk);
      zeroBytes += await writeData(file, chunk, offset);
      buffers.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunkBytes));
      offset += chunk.length;

      const nowMs = performance.now();
      throughput.record(nowMs, offset);
      if (onProgress && nowMs - lastReportMs >= progressIntervalMs && offset < size) {
        await file.datasync(); // a checkpoint is only worth reporting once it survives a crash
        lastReportMs = nowMs;
        onProgress({ ...progressOf(offset, size, throughput.bytesPerSecond()), checkpointOffset: offset });
      }
    }
    await file.datasync();
    onProgress?.({ ...progressOf(size, size, throughput.bytesPerSecond()), checkpointOffset: size });
    return { sha256: `sha256:${hash.digest("hex")}`, bytes: size, zeroBytes };
  } catch (error) {
    stopReads.abort(error);
    await Promise.allSettled(reads.values());
    throw signal?.aborted ? signal.reason : error;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    await file.close();
  }
}

async function openForResume(stagingPath: string, size: number): Promise<FileHandle> {
  const existing = await stat(stagingPath).catch(() => undefined);
  if (!existing) throw new Error(`cannot resume: staging file ${stagingPath} is missing; start the transfer over without resumeFrom`);
  if (existing.size !== size) {
    throw new Error(`cannot resume: staging file ${stagingPath} is ${existing.size} bytes, the source disk ${size}; start over without resumeFrom`);
  }
  return open(stagingPath, "r+");
}

/** Re-hashes the checkpointed prefix from the staging file (local, fast) instead of re-reading the source. */
async function hashPrefix(file: FileHandle, length: number, hash: ReturnType<typeof createHash>, buffer: Buffer): Promise<number> {
  let zeroBytes = 0;
  for (let at = 0; at < length; ) {
    const { bytesRead } = await file.read(buffer, 0, Math.min(buffer.length, length - at), at);
    if (bytesRead === 0) throw new Error(`staging file ended at ${at} while re-hashing the first ${length} bytes`);
    const piece = buffer.subarray(0, bytesRead);
    hash.update(piece);
    zeroBytes += zeroBytesIn(piece);
    at += bytesRead;
  }
  return zeroBytes;
}

function zeroBytesIn(chunk: Buffer): number {
  let dataBytes = 0;
  for (const extent of dataExtents(chunk)) dataBytes += extent.end - extent.start;
  return chunk.length - dataBytes;
}

async function fillFromSource(reader: DiskReader, offset: number, chunk: Buffer, signal: AbortSignal): Promise<void> {
  let filled = 0;
  for await (const piece of reader.readRange(offset, chunk.length, signal)) {
    if (filled + piece.length > chunk.length) {
      throw new Error(`source returned more than the ${chunk.length} bytes asked for at offset ${offset}`);
    }
    chunk.set(piece, filled);
    filled += piece.length;
  }
  if (filled !== chunk.length) {
    throw new Error(`source range at offset ${offset} ended after ${filled} of ${chunk.length} bytes (truncated read)`);
  }
}

/** Writes the chunk's non-zero extents at its disk offset; returns the zero bytes it skipped. */
async function writeData(file: FileHandle, chunk: Buffer, offset: number): Promise<number> {
  let dataBytes = 0;
  for (const { start, end } of dataExtents(chunk)) {
    for (let at = start; at < end; ) {
      const { bytesWritten } = await file.write(chunk, at, end - at, offset + at);
      at += bytesWritten;
    }
    dataBytes += end - start;
  }
  return chunk.length - dataBytes;
}
