// The sha256 of a raw staging file, for Importing's proof (ADR 0021, ADR 0022). When the transfer that wrote the
// file sealed its chunk digests with the disk's sha256 (chunk-digests.ts) and every chunk of the file still matches
// its digest, the file's sha256 is the seal: the seal is the running hash of exactly the buffers those digests were
// taken from. Checking the digests reads only the file's data extents and hashes only its data blocks (chunkDigest),
// where hashing the file whole costs every byte of its holes too: 8 s for a 10 GiB file holding 1 GiB, against 1 s.
// An unsealed sidecar (a resumed or warm-updated one is unsealed until a transfer seals it again), a missing one, a
// file of another size, any chunk that no longer matches, or a check that fails on its own (qemu-img map refusing
// the file): the file is hashed whole, so damage still shows as a sha256 that is not the source's, and a broken
// shortcut costs time, never the migration.
import { readFile } from "node:fs/promises";
import { imageSha256 } from "./checksum.ts";
import { chunkDigest, chunkDigestsPath, chunkLayoutOf, parseChunkDigests, sealOf } from "./chunk-digests.ts";
import { readRawChunks } from "./raw-chunks.ts";

/**
 * "sha256:<hex>" of the raw file at `stagingPath`, whose chunk digests are at `digestsPath` (by default its own
 * sidecar; a raw volume renamed from a staging file keeps that file's).
 */
export async function stagingSha256(stagingPath: string, signal?: AbortSignal, digestsPath = chunkDigestsPath(stagingPath)): Promise<string> {
  const sidecar = await readFile(digestsPath).catch(() => undefined);
  const layout = sidecar && chunkLayoutOf(sidecar);
  const sealed = layout ? sealOf(sidecar, layout) : undefined;
  // readRawChunks refuses a file of another size: that, like any failure of the check, means hashing it whole.
  if (layout && sealed) {
    const chunkCount = Math.ceil(layout.sizeBytes / layout.chunkBytes);
    const digests = parseChunkDigests(sidecar, layout, chunkCount);
    let matching = 0;
    const checked = await readRawChunks(
      stagingPath,
      layout,
      Array.from({ length: chunkCount }, (_, i) => i),
      (index, chunk) => {
        const ok = digests[index]?.equals(chunkDigest(chunk)) ?? false;
        if (ok) matching++;
        return ok;
      },
      signal,
    ).then(
      () => true,
      () => false,
    );
    signal?.throwIfAborted();
    if (checked && matching === chunkCount) return sealed;
  }
  return imageSha256(stagingPath, "raw", { signal });
}
