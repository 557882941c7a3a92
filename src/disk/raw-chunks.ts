// Reading chunks of a raw file (a staging file) back to check them against their digests, touching only the file's
// data extents as `qemu-img map` reports them (SEEK_DATA/SEEK_HOLE): a hole reads as zeros by definition, and
// read() would fill the page cache with a zero page for every 4 KiB of it — the first pass over the holes of a 10 GiB
// file holding 1 GiB took 12 s here, its data 1.3 s.
import { open } from "node:fs/promises";
import { areasByChunk } from "./areas.ts";
import { chunkBuffers } from "./chunk-buffer-pool.ts";
import type { ChunkLayout } from "./chunk-digests.ts";
import { dataAreas } from "./convert.ts";
import { readFully } from "./file-io.ts";
import { zeroRange } from "./zero-blocks.ts";

/**
 * Hands chunks `indexes` (ascending) of the raw file at `path` to `onChunk`, in order, each in a buffer reused once
 * `onChunk` (awaited when it returns a promise) has settled; `onChunk` returning false stops. The next chunk is read
 * while `onChunk` runs when the transfers' window has a second buffer free. The buffers are the process's chunk
 * buffers (SharedArrayBuffers, chunk-buffer-pool.ts), so `onChunk` may hand them to the sha256 worker. Fails when the
 * file is not `layout.sizeBytes` long.
 */
export async function readRawChunks(
  path: string,
  layout: ChunkLayout,
  indexes: number[],
  onChunk: (index: number, chunk: Buffer) => boolean | undefined | Promise<boolean | undefined>,
  signal?: AbortSignal,
): Promise<void> {
  const file = await open(path, "r");
  const buffers: Buffer[] = [];
  let next: Promise<Buffer> | undefined;
  try {
    const { size } = await file.stat();
    if (size !== layout.sizeBytes) throw new Error(`raw file ${path} is ${size} bytes, its chunk digests are for ${layout.sizeBytes}`);
    if (indexes.length === 0) return;
    const partsOf = areasByChunk(await dataAreas(path, "raw", { signal }), layout.chunkBytes, layout.sizeBytes);
    // Within the transfers' window (chunk-buffer-pool.ts): one buffer, waited for, and a second one to read ahead
    // only when the window has it free now. Each is zero but where a chunk's data was read into it (cleared after).
    buffers.push(await chunkBuffers.lease(layout.chunkBytes, signal));
    const ahead = chunkBuffers.tryLease(layout.chunkBytes);
    if (ahead) buffers.push(ahead);
    for (const buffer of buffers) zeroRange(buffer, 0, buffer.length);
    const read = async (n: number): Promise<Buffer> => {
      const index = indexes[n] as number;
      const start = index * layout.chunkBytes;
      const chunk = (buffers[n % buffers.length] as Buffer).subarray(0, Math.min(layout.chunkBytes, layout.sizeBytes - start));
      for (const part of partsOf(index)) await readFully(file, chunk.subarray(part.start, part.end), start + part.start);
      return chunk;
    };
    next = read(0);
    for (let n = 0; n < indexes.length; n++) {
      signal?.throwIfAborted();
      const chunk = await (next as Promise<Buffer>);
      const more = n + 1 < indexes.length;
      next = more && ahead ? read(n + 1) : undefined;
      next?.catch(() => {}); // awaited next round, or dropped when this one stops
      const index = indexes[n] as number;
      const goOn = await onChunk(index, chunk);
      for (const part of partsOf(index)) zeroRange(chunk, part.start, part.end);
      if (goOn === false) break;
      // With one buffer the next chunk is read into it only now.
      if (more && !ahead) next = read(n + 1);
    }
  } finally {
    // A read still in flight (this one stopped, or failed) must not write into a buffer given back.
    await next?.catch(() => undefined);
    await file.close();
    for (const buffer of buffers) chunkBuffers.give(buffer);
  }
}
