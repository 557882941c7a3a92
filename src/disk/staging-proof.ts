// The sha256 of a raw staging file, for Importing's proof (ADR 0021, ADR 0022). When the transfer that wrote the
// file sealed its chunk digests with the disk's sha256 (chunk-digests.ts) and every chunk of the file still matches
// its digest, the file's sha256 is the seal: the seal is the running hash of exactly the buffers those digests were
// taken from. Checking the digests reads only the file's data extents and hashes only its data blocks (chunkDigest),
// where hashing the file whole costs every byte of its holes too: 8 s for a 10 GiB file holding 1 GiB, against 1 s. An unsealed
// sidecar (a resumed or warm-updated one is unsealed until a transfer seals it again), a missing one, or any chunk
// that no longer matches: the file is hashed whole, so damage still shows as a sha256 that is not the source's.
import { open, readFile } from "node:fs/promises";
import { areasByChunk } from "./areas.ts";
import { imageSha256 } from "./checksum.ts";
import { type ChunkLayout, chunkDigest, chunkDigestsPath, chunkLayoutOf, parseChunkDigests, sealOf } from "./chunk-digests.ts";
import { dataAreas } from "./convert.ts";

/** "sha256:<hex>" of the raw file at `stagingPath`. */
export async function stagingSha256(stagingPath: string, signal?: AbortSignal): Promise<string> {
  const sidecar = await readFile(chunkDigestsPath(stagingPath)).catch(() => undefined);
  const layout = sidecar && chunkLayoutOf(sidecar);
  const sealed = layout ? sealOf(sidecar, layout) : undefined;
  if (layout && sealed && (await everyChunkMatches(stagingPath, layout, parseChunkDigests(sidecar, layout, Number.MAX_SAFE_INTEGER), signal))) return sealed;
  return imageSha256(stagingPath, "raw", { signal });
}

/**
 * Whether the file is `layout.sizeBytes` long and each of its chunks matches its digest. Only the file's data
 * extents are read (qemu-img map): a hole reads as zeros by definition, and reading it would cost a zero page each.
 */
async function everyChunkMatches(path: string, layout: ChunkLayout, digests: Array<Buffer | undefined>, signal?: AbortSignal): Promise<boolean> {
  const file = await open(path, "r");
  try {
    if ((await file.stat()).size !== layout.sizeBytes) return false;
    const partsOf = areasByChunk(await dataAreas(path, "raw", { signal }), layout.chunkBytes, layout.sizeBytes);
    // Two buffers, zero but where a chunk's data was read into them (cleared again after): the next chunk is read
    // while this one is hashed.
    const buffers = [Buffer.alloc(layout.chunkBytes), Buffer.alloc(layout.chunkBytes)];
    const chunkCount = Math.ceil(layout.sizeBytes / layout.chunkBytes);
    const read = async (index: number): Promise<Buffer> => {
      const start = index * layout.chunkBytes;
      const chunk = (buffers[index % 2] as Buffer).subarray(0, Math.min(layout.chunkBytes, layout.sizeBytes - start));
      for (const part of partsOf(index)) await readFully(file, chunk.subarray(part.start, part.end), start + part.start);
      return chunk;
    };
    let next = chunkCount > 0 ? read(0) : undefined;
    for (let index = 0; index < chunkCount; index++) {
      signal?.throwIfAborted();
      const chunk = await (next as Promise<Buffer>);
      next = index + 1 < chunkCount ? read(index + 1) : undefined;
      const want = digests[index];
      const matches = want !== undefined && chunkDigest(chunk).equals(want);
      for (const part of partsOf(index)) chunk.fill(0, part.start, part.end);
      if (!matches) {
        await next?.catch(() => undefined);
        return false;
      }
    }
    return true;
  } finally {
    await file.close();
  }
}

async function readFully(file: Awaited<ReturnType<typeof open>>, into: Buffer, position: number): Promise<Buffer> {
  for (let at = 0; at < into.length; ) {
    const { bytesRead } = await file.read(into, at, into.length - at, position + at);
    if (bytesRead === 0) throw new Error(`staging file ended at ${position + at}, before the ${into.length} bytes at ${position}`);
    at += bytesRead;
  }
  return into;
}
