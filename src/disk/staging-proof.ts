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
import { compareImages } from "./convert.ts";
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

/** What reading an image back against the raw staging file it was made from found. */
export interface ImageReadBack {
  /** "sha256:<hex>" of the image's guest-visible bytes. */
  sha256: string;
  /** Where the image and the staging file part, when they do. */
  difference?: string;
}

/**
 * The guest-visible sha256 of `image` (in `format`), made from the raw staging file `staging`: `qemu-img compare` of
 * the two (zero regions by block status, data compared) beside the staging file's sha256 (stagingSha256: its sealed
 * chunk digests checked, else hashed whole) — identical bytes make the staging file's sha256 the image's, in about
 * the time of the check alone. `stagingHash` is that sha256 when the caller started it already (Converting starts it
 * beside qemu-img convert). When the images differ, the image is hashed whole and the difference said.
 */
export async function imageSha256FromStaging(image: string, format: string, staging: string, options: { signal?: AbortSignal; stagingHash?: Promise<string> } = {}): Promise<ImageReadBack> {
  const [same, stagingHash] = await Promise.all([compareImages(staging, "raw", image, format, { signal: options.signal }), options.stagingHash ?? stagingSha256(staging, options.signal)]);
  if (same.identical) return { sha256: stagingHash };
  return { sha256: await imageSha256(image, format, { signal: options.signal }), difference: `it differs from the staging file ${staging} it was made from (${same.difference})` };
}

/**
 * Where a read-back whose sha256 is not the source's found the damage: the image where it parts from its staging
 * file, or the staging file itself.
 */
export function readBackWhere(found: ImageReadBack, staging: string): string {
  return found.difference ?? `the staging file ${staging} it was made from hashes to ${found.sha256}`;
}
