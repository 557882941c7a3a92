// Warm migration's disk side: copying only the changed areas of a source disk into a staging file a full
// transfer (transfer.ts) wrote earlier, keeping its per-chunk source digests true, and checking every chunk of
// the finished staging file against them.
//
// A chunk's digest is the sha256 of the source's bytes of that chunk. After the changed areas are written, a
// touched chunk's digest is recomputed from the staging file: its changed bytes were just read from the source,
// its other bytes are those the source had when they were last read and that changed-block tracking says have
// not changed since. verifyChunks then proves the staging file still holds exactly those bytes.
import { createHash } from "node:crypto";
import { type FileHandle, open, readFile } from "node:fs/promises";
import type { ChangedArea, DiskReader } from "../providers/contract.ts";
import { ChunkDigestFile, type ChunkLayout, chunkDigest, chunkDigestsPath, chunkLayoutOf, parseChunkDigests } from "./chunk-digests.ts";
import { DEFAULT_STALL_TIMEOUT_MS, readChunkFromSource } from "./source-read.ts";

const PIECE_BYTES = 4 * 1024 * 1024;

async function layoutOf(stagingPath: string): Promise<{ layout: ChunkLayout; sidecar: Buffer }> {
  const path = chunkDigestsPath(stagingPath);
  const sidecar = await readFile(path).catch((err: NodeJS.ErrnoException) => {
    throw new Error(`chunk digests ${path} of staging file ${stagingPath} are missing (${err.code}); the full copy (precopy 0) must be done again`);
  });
  const layout = chunkLayoutOf(sidecar);
  if (!layout) throw new Error(`chunk digests ${path} have no valid header; the full copy (precopy 0) must be done again`);
  return { layout, sidecar };
}

/** Indexes of the chunks the areas touch, ascending. Pure. */
export function touchedChunks(areas: ChangedArea[], layout: ChunkLayout): number[] {
  const touched = new Set<number>();
  for (const a of areas) {
    const end = Math.min(a.start + a.length, layout.sizeBytes);
    for (let i = Math.floor(a.start / layout.chunkBytes); i * layout.chunkBytes < end; i++) touched.add(i);
  }
  return [...touched].sort((x, y) => x - y);
}

export interface ApplyChangedAreasOptions {
  reader: DiskReader;
  stagingPath: string;
  areas: ChangedArea[];
  signal?: AbortSignal;
  retries?: number;
  stallTimeoutMs?: number;
}

/**
 * Reads `areas` from the source into the staging file and records the new digests of the chunks they touch;
 * both are fdatasync'ed before it returns. Idempotent: running it again for the same frozen source state
 * writes the same bytes and digests (what a resumed precopy does).
 */
export async function applyChangedAreas(options: ApplyChangedAreasOptions): Promise<{ bytes: number; chunks: number }> {
  const { reader, stagingPath, areas } = options;
  const { layout } = await layoutOf(stagingPath);
  if (layout.sizeBytes !== reader.sizeBytes) {
    throw new Error(`staging file ${stagingPath} was written for a ${layout.sizeBytes}-byte disk, the source disk has ${reader.sizeBytes} bytes; the full copy must be done again`);
  }
  const signal = options.signal ?? new AbortController().signal;
  const readOptions = { retries: options.retries ?? 2, stallTimeoutMs: options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS, retryBaseMs: 200, signal };
  const chunkCount = Math.ceil(layout.sizeBytes / layout.chunkBytes);
  const file = await open(stagingPath, "r+");
  let sidecar: ChunkDigestFile | undefined;
  try {
    sidecar = (await ChunkDigestFile.open(chunkDigestsPath(stagingPath), layout, chunkCount)).sidecar;
    const buffer = Buffer.allocUnsafe(Math.max(PIECE_BYTES, layout.chunkBytes));
    let bytes = 0;
    for (const a of areas) {
      const end = Math.min(a.start + a.length, layout.sizeBytes);
      for (let at = a.start; at < end; at += PIECE_BYTES) {
        signal.throwIfAborted();
        const piece = buffer.subarray(0, Math.min(PIECE_BYTES, end - at));
        await readChunkFromSource(reader, at, piece, readOptions);
        await writeFully(file, piece, at);
        bytes += piece.length;
      }
    }
    const touched = touchedChunks(areas, layout);
    for (const index of touched) {
      const chunk = await readFully(file, buffer.subarray(0, Math.min(layout.chunkBytes, layout.sizeBytes - index * layout.chunkBytes)), index * layout.chunkBytes);
      await sidecar.record(index, chunkDigest(chunk));
    }
    await file.datasync();
    await sidecar.sync();
    return { bytes, chunks: touched.length };
  } finally {
    await sidecar?.close();
    await file.close();
  }
}

export interface ChunkVerification {
  /** sha256 of the whole staging file: "sha256:<hex>". */
  sha256: string;
  chunks: number;
  /** Chunks whose bytes do not match their recorded digest (or that have none), as byte ranges. */
  mismatched: ChangedArea[];
}

/** Checks every chunk of the staging file against its recorded source digest, hashing the file on the way. */
export async function verifyChunks(stagingPath: string, signal?: AbortSignal): Promise<ChunkVerification> {
  const { layout, sidecar } = await layoutOf(stagingPath);
  const chunkCount = Math.ceil(layout.sizeBytes / layout.chunkBytes);
  const digests = parseChunkDigests(sidecar, layout, chunkCount);
  const hash = createHash("sha256");
  const mismatched: ChangedArea[] = [];
  const file = await open(stagingPath, "r");
  try {
    const buffer = Buffer.allocUnsafe(layout.chunkBytes);
    for (let i = 0; i < chunkCount; i++) {
      signal?.throwIfAborted();
      const start = i * layout.chunkBytes;
      const chunk = await readFully(file, buffer.subarray(0, Math.min(layout.chunkBytes, layout.sizeBytes - start)), start);
      hash.update(chunk);
      const want = digests[i];
      if (!want || !chunkDigest(chunk).equals(want)) mismatched.push({ start, length: chunk.length });
    }
  } finally {
    await file.close();
  }
  return { sha256: `sha256:${hash.digest("hex")}`, chunks: chunkCount, mismatched };
}

async function writeFully(file: FileHandle, bytes: Buffer, position: number): Promise<void> {
  for (let at = 0; at < bytes.length; ) {
    const { bytesWritten } = await file.write(bytes, at, bytes.length - at, position + at);
    at += bytesWritten;
  }
}

async function readFully(file: FileHandle, into: Buffer, position: number): Promise<Buffer> {
  for (let at = 0; at < into.length; ) {
    const { bytesRead } = await file.read(into, at, into.length - at, position + at);
    if (bytesRead === 0) throw new Error(`staging file ended at ${position + at}; it is shorter than the disk`);
    at += bytesRead;
  }
  return into;
}
