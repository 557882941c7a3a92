// Per-chunk sha256 of the bytes as they were read from the source, kept in a sidecar file next to the staging
// file. After a crash, the resumed transfer checks its local prefix against these digests chunk by chunk, so
// the final sha256 is of bytes that each came from the source, never of whatever the local copy holds.
//
// Format (binary, little-endian): a 32-byte header — magic "LFCHUNK1", chunkBytes (u64), disk sizeBytes (u64),
// 8 reserved zero bytes — then record i (the 32-byte sha256 of chunk i) at byte 32 + 32·i. Chunks are hashed
// in disk order, so in normal operation the file only grows; a record rewritten after a repair stays in place.
// A sidecar whose header does not match the transfer (other chunk size, other disk size, damaged) is ignored
// and rewritten: every chunk it would have covered is then read from the source again.
import { createHash } from "node:crypto";
import { type FileHandle, open, readFile } from "node:fs/promises";

const MAGIC = Buffer.from("LFCHUNK1", "latin1");
const HEADER_BYTES = 32;
const DIGEST_BYTES = 32;

/** The sidecar's path for a staging file: remove it together with the staging file. */
export function chunkDigestsPath(stagingPath: string): string {
  return `${stagingPath}.digests`;
}

export interface ChunkLayout {
  chunkBytes: number;
  sizeBytes: number;
}

/** sha256 of one chunk, as recorded in the sidecar. */
export function chunkDigest(chunk: Uint8Array): Buffer {
  return createHash("sha256").update(chunk).digest();
}

/** A chunk sidecar's 32-byte header: its 8-byte magic, then the layout it was written for (chunk and disk size). */
export function sidecarHeader(magic: Buffer, layout: ChunkLayout): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  magic.copy(header, 0);
  header.writeBigUInt64LE(BigInt(layout.chunkBytes), 8);
  header.writeBigUInt64LE(BigInt(layout.sizeBytes), 16);
  return header;
}

const encodeHeader = (layout: ChunkLayout): Buffer => sidecarHeader(MAGIC, layout);

const ALL_ZERO = Buffer.alloc(DIGEST_BYTES);

/**
 * The digests a sidecar holds for `layout`, at most `maxChunks` of them. Pure. `undefined` entries are chunks
 * without a usable record (never written, or a hole left by a torn write); a header for another layout, or
 * no header at all, gives no digests.
 */
export function parseChunkDigests(bytes: Buffer, layout: ChunkLayout, maxChunks: number): Array<Buffer | undefined> {
  if (bytes.length < HEADER_BYTES || !bytes.subarray(0, HEADER_BYTES).equals(encodeHeader(layout))) return [];
  const count = Math.min(maxChunks, Math.floor((bytes.length - HEADER_BYTES) / DIGEST_BYTES));
  const digests: Array<Buffer | undefined> = [];
  for (let i = 0; i < count; i++) {
    const at = HEADER_BYTES + i * DIGEST_BYTES;
    const digest = bytes.subarray(at, at + DIGEST_BYTES);
    digests.push(digest.equals(ALL_ZERO) ? undefined : Buffer.from(digest));
  }
  return digests;
}

/** The layout a sidecar's header names, or undefined when it has none (absent, damaged, not a sidecar). Pure. */
export function chunkLayoutOf(bytes: Buffer): ChunkLayout | undefined {
  if (bytes.length < HEADER_BYTES || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const layout = { chunkBytes: Number(bytes.readBigUInt64LE(8)), sizeBytes: Number(bytes.readBigUInt64LE(16)) };
  return bytes.subarray(0, HEADER_BYTES).equals(encodeHeader(layout)) && layout.chunkBytes > 0 ? layout : undefined;
}

/** The sidecar of one transfer, open for recording. */
export class ChunkDigestFile {
  readonly #file: FileHandle;

  private constructor(file: FileHandle) {
    this.#file = file;
  }

  /**
   * Opens the sidecar at `path`. With `keepChunks` > 0 the digests of the first `keepChunks` chunks it holds
   * for this layout are returned (and everything after them dropped); otherwise, or when it belongs to
   * another layout, it starts empty.
   */
  static async open(path: string, layout: ChunkLayout, keepChunks: number): Promise<{ sidecar: ChunkDigestFile; digests: Array<Buffer | undefined> }> {
    const existing = keepChunks > 0 ? await readFile(path).catch(() => undefined) : undefined;
    const digests = existing ? parseChunkDigests(existing, layout, keepChunks) : [];
    const file = await open(path, existing ? "r+" : "w");
    try {
      const header = encodeHeader(layout);
      await writeFully(file, header, 0);
      await file.truncate(HEADER_BYTES + digests.length * DIGEST_BYTES);
      return { sidecar: new ChunkDigestFile(file), digests };
    } catch (error) {
      await file.close();
      throw error;
    }
  }

  /** Records chunk `index`'s digest (durable after the next sync). */
  async record(index: number, digest: Buffer): Promise<void> {
    await writeFully(this.#file, digest, HEADER_BYTES + index * DIGEST_BYTES);
  }

  /** fdatasync: call before reporting a checkpoint that covers the recorded chunks. */
  async sync(): Promise<void> {
    await this.#file.datasync();
  }

  async close(): Promise<void> {
    await this.#file.close();
  }
}

async function writeFully(file: FileHandle, bytes: Buffer, position: number): Promise<void> {
  for (let at = 0; at < bytes.length; ) {
    const { bytesWritten } = await file.write(bytes, at, bytes.length - at, position + at);
    at += bytesWritten;
  }
}
