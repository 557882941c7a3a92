// Warm migration: verification of the target-format image itself, chunk by chunk, while the VM still runs. Each
// precopy writes the changed areas of the staging file into the target image in place (writeAreasInto); the
// chunks they touch are first marked unverified in `<image>.verified` (chunk-verified.ts, fdatasync'ed), and
// after the write they are read back from the image (its guest-visible bytes, decoded by qemu-nbd) and matched
// against the staging file's source digests; only a match marks a chunk verified. The cutover then reads back only
// the chunks not so marked — the final delta — instead of the whole image.
import type { ChangedArea } from "../providers/contract.ts";
import { layoutOf, touchedChunks } from "./changed-areas.ts";
import { streamImageRange } from "./checksum.ts";
import { ChunkAssembler, type ChunkLayout, chunkDigest, parseChunkDigests } from "./chunk-digests.ts";
import { markUnverified, markVerified, readVerifiedMarks, unverifiedChunks } from "./chunk-verified.ts";

/** Durably marks the image's chunks that `areas` touch as unverified: call before writing them into the image. */
export async function markImageAreasWritten(image: string, stagingPath: string, areas: ChangedArea[]): Promise<void> {
  const { layout } = await layoutOf(stagingPath);
  await markUnverified(image, layout, touchedChunks(areas, layout));
}

/** Runs of consecutive chunks (ascending indexes) as byte ranges of the disk. Pure. */
export function chunkRuns(chunks: number[], layout: ChunkLayout): ChangedArea[] {
  const runs: ChangedArea[] = [];
  for (const i of chunks) {
    const start = i * layout.chunkBytes;
    const length = Math.min(layout.chunkBytes, layout.sizeBytes - start);
    const last = runs.at(-1);
    if (last && last.start + last.length === start) last.length += length;
    else runs.push({ start, length });
  }
  return runs;
}

/**
 * Reads back every chunk of the target image not marked verified in `<image>.verified` and compares it with the
 * staging file's source digest of that chunk; the ones that match are marked verified. Returns how many were
 * read back and the ones that differ (as byte ranges).
 */
export async function verifyImageUnverified(image: string, format: string, stagingPath: string, signal?: AbortSignal): Promise<{ checked: number; mismatched: ChangedArea[] }> {
  const { layout, sidecar } = await layoutOf(stagingPath);
  const chunkCount = Math.ceil(layout.sizeBytes / layout.chunkBytes);
  const digests = parseChunkDigests(sidecar, layout, chunkCount);
  const pending = unverifiedChunks(await readVerifiedMarks(image), layout, chunkCount);
  const passed: number[] = [];
  const mismatched: ChangedArea[] = [];
  for (const run of chunkRuns(pending, layout)) {
    const chunks = new ChunkAssembler(layout, run.start / layout.chunkBytes, (index, chunk) => {
      const want = digests[index];
      if (want && chunkDigest(chunk).equals(want)) passed.push(index);
      else mismatched.push({ start: index * layout.chunkBytes, length: chunk.length });
    });
    await streamImageRange(image, format, run, (piece) => chunks.push(piece), signal);
    chunks.end();
  }
  await markVerified(image, layout, passed);
  return { checked: pending.length, mismatched };
}
