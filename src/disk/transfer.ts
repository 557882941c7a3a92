// The disk transfer pipeline: source DiskReader → sha256 → sparse raw staging file.
//
// Shape: up to `concurrency` ranged reads of `chunkBytes` run at once (a network source is latency-bound
// per stream); chunks are handed strictly in disk order to one hasher (a worker thread, chunk-hasher.ts, so both
// sha256 passes run beside the event loop), so the hash is the sha256 of the guest-visible byte stream however the
// reads complete. While the worker hashes chunks, the event loop writes them and receives the next ones. Memory is
// bounded by (concurrency + 1) × chunkBytes whatever the disk size, and by the process's pool whatever the number of
// transfers — each chunk's buffer is leased from the pool and given back once its write and its hash are done
// (chunk-buffer-pool.ts, whose bound all transfers share): chunks being read and chunks being hashed and written
// share that window (a chunk is only requested when its buffer fits in it), so a hasher that falls behind slows the
// reads instead of growing memory — and a hasher thread descheduled for a moment on a loaded machine does not stop
// the event loop. All-zero blocks are not written: the file was truncated to the disk size, so they read back as
// zeros (holes).
//
// Source-true across crashes: each chunk's digest is recorded in a sidecar (chunk-digests.ts) as it is read,
// and made durable with the staging file before a checkpoint is reported. A resume checks the local prefix
// against those digests chunk by chunk and reads from the source again every chunk that does not match or has
// no digest, so every byte the final sha256 covers came from the source.
//
// Allocation-aware: given the areas the source says hold data (vSphere's QueryChangedDiskAreas "*" on a snapshot),
// only those bytes are read; the rest of each chunk is zeros, hashed as such — the sha256 is still that of every
// byte of the disk, and `verifySource: reread` (which reads every byte again) catches a source that misreports.
import { type FileHandle, open, stat } from "node:fs/promises";
import type { ChangedArea, DiskReader } from "../providers/contract.ts";
import { areasByChunk } from "./areas.ts";
import { reportCheckpoint } from "./checkpoint-report.ts";
import { ChunkDigestFile, chunkDigestsPath } from "./chunk-digests.ts";
import { chunkBuffers } from "./chunk-buffer-pool.ts";
import { ChunkHasher } from "./chunk-hasher.ts";
import { progressOf, ThroughputWindow, type TransferProgress } from "./progress.ts";
import { readFully, writeFully } from "./file-io.ts";
import { DEFAULT_STALL_TIMEOUT_MS, readChunkFromSource } from "./source-read.ts";
import { dataExtents, type Extent, ZERO_BLOCK_BYTES, zeroRange } from "./zero-blocks.ts";

/**
 * 4 MiB × 2 reads in flight: a window of (2 + 1) × 4 = 12 MiB per transfer. With the range client (ADR 23) the
 * request size and the reads in flight no longer change the speed — 4 × 2, 4 × 4, 8 × 2 and 16 × 1 read the dense
 * 1 GiB alike, and 4 × 2 read the thin 10 GiB no slower than 4 × 4 — so the window is the smallest that keeps a read
 * going while another chunk's areas are read one after another (bench/RESULTS.md, eighth round). The chunk size is
 * also the resume sidecar's (chunk-digests.ts): changing it would orphan the digests of transfers under way.
 */
export const DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;
export const DEFAULT_CONCURRENCY = 2;

/**
 * The chunk buffers the transfers of a process may lease at once (chunk-buffer-pool.ts bound()) when at most
 * `maxTransfers` run: one transfer's whole window — so a lone transfer keeps it, and transfers that run together
 * share it instead of adding theirs up — and no fewer than one buffer per transfer and one more, so that each of
 * many streams (what a larger `--max-transfers` asks for) keeps a chunk in flight.
 */
export function transferBufferBound(maxTransfers: number): number {
  return Math.max(DEFAULT_CONCURRENCY + 1, maxTransfers + 1);
}

export interface TransferCheckpoint extends TransferProgress {
  /**
   * Bytes [0, checkpointOffset) are written and fdatasync'ed, and so are their chunk digests: pass it back as
   * `resumeFrom.offset` after a crash or abort (store it in VMMigration `status.disks[].checkpoint.offset`).
   */
  checkpointOffset: number;
}

export interface TransferDiskOptions {
  reader: DiskReader;
  /**
   * Raw file to write; created (or, without resumeFrom, truncated) and sized to reader.sizeBytes. Its chunk
   * digests go to chunkDigestsPath(stagingPath): remove that file together with the staging file.
   */
  stagingPath: string;
  chunkBytes?: number;
  concurrency?: number;
  /**
   * The areas that may hold data, sorted and disjoint, as the source reports them; every byte outside them reads as
   * zeros and is not read. Absent: every byte is read.
   */
  allocated?: ReadonlyArray<ChangedArea>;
  /** Continue an interrupted transfer into the same staging file from a reported checkpointOffset. */
  resumeFrom?: { offset: number };
  /**
   * Called at most every progressIntervalMs with a durable checkpoint, and once more at the end. A returned
   * promise is awaited before the transfer goes on; a rejection is retried (checkpointRetries), then fails
   * the transfer with that error.
   */
  onProgress?: (progress: TransferCheckpoint) => void | Promise<void>;
  progressIntervalMs?: number;
  /** Aborting stops the reads and rejects with the signal's reason; the staging file stays for resume. */
  signal?: AbortSignal;
  /** Attempts per chunk beyond the first, for transient source errors (connection resets). Default 2. */
  retries?: number;
  /** Longest silence (no bytes) from the source within one read before the read fails. Default 60 s. */
  stallTimeoutMs?: number;
  /** Retries of a failed checkpoint report before the transfer fails with its error. Default 5. */
  checkpointRetries?: number;
  /** First delay before retrying a read or a checkpoint report; doubles per retry. Default 200 ms. */
  retryBaseMs?: number;
}

export interface TransferResult {
  /** sha256 of the source's bytes as read: "sha256:<hex>". */
  sha256: string;
  bytes: number;
  /** Bytes read from the source in this call (all of them unless `allocated` was given or a resumed prefix matched). */
  bytesRead: number;
  /** Bytes in all-zero blocks (left as holes), over the whole disk including a resumed prefix. */
  zeroBytes: number;
  /** Bytes at the disk's end that the source does not store and that read as zeros (reader.zeroFilledTailBytes). */
  zeroFilledTailBytes: number;
  /** Resumed prefix chunks whose local bytes matched the digest recorded when they were read from the source. */
  verifiedChunks: number;
  /** Resumed prefix chunks read from the source again: damaged locally, or without a recorded digest. */
  rereadChunks: number;
}

export async function transferDisk(options: TransferDiskOptions): Promise<TransferResult> {
  const { reader, stagingPath, signal, onProgress } = options;
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const progressIntervalMs = options.progressIntervalMs ?? 1000;
  const retryBaseMs = options.retryBaseMs ?? 200;
  const size = reader.sizeBytes;
  if (!Number.isSafeInteger(size) || size < 0) throw new Error(`disk sizeBytes ${size} must be a non-negative integer`);
  if (!Number.isInteger(chunkBytes) || chunkBytes < ZERO_BLOCK_BYTES || chunkBytes % ZERO_BLOCK_BYTES !== 0) {
    throw new Error(`chunkBytes ${chunkBytes} must be a positive multiple of ${ZERO_BLOCK_BYTES}`);
  }
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`concurrency ${concurrency} must be an integer >= 1`);
  signal?.throwIfAborted();

  const startOffset = options.resumeFrom?.offset ?? 0;
  if (!Number.isSafeInteger(startOffset) || startOffset < 0 || startOffset > size || (startOffset % chunkBytes !== 0 && startOffset !== size)) {
    throw new Error(`resumeFrom.offset ${startOffset} must be a reported checkpoint: a multiple of chunkBytes ${chunkBytes} within the disk (0..${size}), or ${size}`);
  }
  const chunkCount = Math.ceil(size / chunkBytes);
  const prefixChunks = Math.ceil(startOffset / chunkBytes);
  const lengthOf = (index: number) => Math.min(chunkBytes, size - index * chunkBytes);

  const file = options.resumeFrom ? await openForResume(stagingPath, size) : await open(stagingPath, "w");
  const opened = await ChunkDigestFile.open(chunkDigestsPath(stagingPath), { chunkBytes, sizeBytes: size }, prefixChunks).catch(async (error: unknown) => {
    await file.close();
    throw error;
  });
  const { sidecar, digests } = opened;
  // A prefix chunk with a recorded digest is checked locally; every other chunk is read from the source.
  const checkedLocally = (index: number) => index < prefixChunks && digests[index] !== undefined;

  const hasher = new ChunkHasher();
  // The buffers this transfer holds from the process's pool (chunk-buffer-pool.ts): each chunk's is given back once
  // its read, write and hash have settled (any left when the transfer ends, after everything settled). Chunks lease
  // theirs in disk order, within the pool's bound shared by every transfer; the resume check's local buffer, and a
  // chunk it sends back to the source (read after later chunks leased theirs), take one at once instead — a wait
  // there could be for buffers only this transfer's later chunks hold.
  const held = new Set<ArrayBufferLike>();
  const hold = (buffer: Buffer) => {
    held.add(buffer.buffer);
    return buffer;
  };
  const giveBack = (chunk: Buffer) => {
    held.delete(chunk.buffer);
    chunkBuffers.give(chunk);
  };
  const localBuffer = prefixChunks > 0 ? hold(chunkBuffers.take(chunkBytes)) : undefined;
  let zeroBytes = 0;
  let bytesRead = 0;
  let verifiedChunks = 0;
  let rereadChunks = 0;

  const reads = new Map<number, Promise<Buffer>>();
  const stopReads = new AbortController();
  const onAbort = () => stopReads.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  const readOptions = { retries: options.retries ?? 2, stallTimeoutMs: options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS, retryBaseMs, signal: stopReads.signal };
  const checkpointRetry = { retries: options.checkpointRetries ?? 5, baseMs: retryBaseMs, signal };
  // Chunks handed to the hasher, in disk order, with their write, hash and digest record; `busy` of them unfinished.
  const handedOver: Promise<void>[] = [];
  let busy = 0;
  const windowChunks = concurrency + 1;
  const settleHandedOver = async () => {
    while (handedOver.length > 0) await handedOver.shift();
  };

  const areasOf = options.allocated ? areasByChunk(options.allocated, chunkBytes, size) : undefined;
  const fetchChunk = async (index: number, now = false): Promise<Buffer> => {
    const chunk = hold(now ? chunkBuffers.take(chunkBytes) : await chunkBuffers.lease(chunkBytes, stopReads.signal)).subarray(0, lengthOf(index));
    const areas = areasOf?.(index);
    if (!areas) {
      await readChunkFromSource(reader, index * chunkBytes, chunk, readOptions);
      bytesRead += chunk.length;
      return chunk;
    }
    // Zero what is not read: the gaps between the areas.
    let zeroFrom = 0;
    for (const { start, end } of areas) {
      zeroRange(chunk, zeroFrom, start);
      zeroFrom = end;
    }
    zeroRange(chunk, zeroFrom, chunk.length);
    for (const { start, end } of areas) {
      await readChunkFromSource(reader, index * chunkBytes + start, chunk.subarray(start, end), readOptions);
      bytesRead += end - start;
    }
    return chunk;
  };
  const startRead = (index: number) => {
    const read = fetchChunk(index);
    read.catch(() => {}); // awaited in order below; this only keeps an early failure from going unhandled
    reads.set(index, read);
  };
  // A checkpoint is only worth reporting once it, and the digests it covers, survive a crash: the chunks before it
  // written and hashed (`before`: those handed over so far), then the staging file and the sidecar fdatasync'ed.
  const checkpoint = async (offset: number, bytesPerSecond: number, before: Promise<void>[]) => {
    await Promise.all(before);
    await file.datasync();
    await sidecar.sync();
    if (onProgress) await reportCheckpoint(onProgress, { ...progressOf(offset, size, bytesPerSecond), checkpointOffset: offset }, checkpointRetry);
  };
  // Checkpoints during the transfer run beside it — the reads go on while the kernel writes the staging file back
  // (fdatasync) and the status is written — one at a time: the next one waits for the one before, so reports land
  // in order and a status write that keeps failing holds the transfer there, then fails it.
  let checkpointing: Promise<void> | undefined;

  try {
    if (options.resumeFrom) {
      // Bytes past the checkpoint may be half-written or stale: turn them back into holes.
      await file.truncate(startOffset);
    }
    await file.truncate(size);

    const throughput = new ThroughputWindow();
    let lastReportMs = performance.now();
    throughput.record(lastReportMs, startOffset);
    let nextRead = 0;
    for (let index = 0; index < chunkCount; index++) {
      // This chunk's read must be in flight: while the window is full of chunks still being hashed, wait for the oldest.
      while (nextRead <= index && reads.size + busy >= windowChunks) await handedOver.shift();
      for (; nextRead < chunkCount && nextRead < index + concurrency && reads.size + busy < windowChunks; nextRead++) {
        if (!checkedLocally(nextRead)) startRead(nextRead);
      }
      const offset = index * chunkBytes;
      const local = index < prefixChunks && localBuffer ? await readFully(file, localBuffer.subarray(0, lengthOf(index)), offset) : undefined;
      if (local && checkedLocally(index) && (await hasher.check(local, digests[index] as Buffer))) {
        verifiedChunks++;
        zeroBytes += local.length - extentBytes(dataExtents(local));
      } else {
        const pending = reads.get(index);
        reads.delete(index);
        const chunk = await (pending ?? fetchChunk(index, true));
        signal?.throwIfAborted();
        const extents = dataExtents(chunk);
        zeroBytes += chunk.length - extentBytes(extents);
        const recorded = hasher.add(chunk, extents.length === 0).then((digest) => sidecar.record(index, digest));
        const written = local ? writeChanged(file, chunk, local, offset) : writeExtents(file, chunk, extents, offset);
        if (local) rereadChunks++;
        busy++;
        // Both settled, not the first failure: the buffer goes back only when neither may still read it.
        // The buffer goes back even when the write or the hash failed: a failed chunk holding its buffer until the
        // transfer ends let the next chunks' leases wait for buffers nothing would give back (a full target
        // filesystem failing every write hung the transfer).
        const done = Promise.allSettled([recorded, written]).then((outcomes) => {
          busy--;
          giveBack(chunk);
          for (const outcome of outcomes) if (outcome.status === "rejected") throw outcome.reason;
        });
        done.catch(() => {}); // awaited in order later; this only keeps an early failure from going unhandled
        handedOver.push(done);
        // Settled ones are dropped as they go (a failed one is thrown here, not only at the next checkpoint).
        while (handedOver.length > windowChunks) await handedOver.shift();
        // The local buffer is read again for the next prefix chunk: its repair must be finished first.
        if (local) await settleHandedOver();
      }

      const end = offset + lengthOf(index);
      if (end <= startOffset) continue;
      const nowMs = performance.now();
      throughput.record(nowMs, end);
      if (onProgress && nowMs - lastReportMs >= progressIntervalMs && end < size) {
        await checkpointing;
        signal?.throwIfAborted(); // stopped during the last one: report no more
        checkpointing = checkpoint(end, throughput.bytesPerSecond(), [...handedOver]);
        checkpointing.catch(() => {}); // awaited before the next one, at the end, or when the transfer fails
        lastReportMs = performance.now();
      }
    }
    await checkpointing;
    await checkpoint(size, throughput.bytesPerSecond(), [...handedOver]);
    const sha256 = await hasher.finish();
    await sidecar.seal({ chunkBytes, sizeBytes: size }, sha256);
    return {
      sha256,
      bytes: size,
      bytesRead,
      zeroBytes,
      zeroFilledTailBytes: reader.zeroFilledTailBytes ?? 0,
      verifiedChunks,
      rereadChunks,
    };
  } catch (error) {
    stopReads.abort(error);
    await Promise.allSettled([...reads.values(), ...handedOver, checkpointing]);
    throw signal?.aborted ? signal.reason : error;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    // Every read, write and hash has settled here (awaited above, or in the catch), so no buffer is still in use.
    for (const memory of held) chunkBuffers.give(Buffer.from(memory));
    await hasher.close();
    await sidecar.close();
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

function extentBytes(extents: Extent[]): number {
  let bytes = 0;
  for (const { start, end } of extents) bytes += end - start;
  return bytes;
}

/** Writes the chunk's non-zero extents at its disk offset (the rest of a fresh chunk is already a hole). */
async function writeExtents(file: FileHandle, chunk: Buffer, extents: Extent[], offset: number): Promise<void> {
  for (const { start, end } of extents) await writeFully(file, chunk.subarray(start, end), offset + start);
}

/** Repairs a chunk in place: writes the blocks where the source's bytes differ from what the file holds. */
async function writeChanged(file: FileHandle, chunk: Buffer, local: Buffer, offset: number): Promise<void> {
  let runStart = -1;
  for (let start = 0; start < chunk.length; start += ZERO_BLOCK_BYTES) {
    const end = Math.min(start + ZERO_BLOCK_BYTES, chunk.length);
    const differs = chunk.compare(local, start, end, start, end) !== 0;
    if (differs && runStart < 0) runStart = start;
    if (!differs && runStart >= 0) {
      await writeFully(file, chunk.subarray(runStart, start), offset + runStart);
      runStart = -1;
    }
  }
  if (runStart >= 0) await writeFully(file, chunk.subarray(runStart), offset + runStart);
}
