// Per-chunk sha256 of the bytes as they were read from the source, kept in a sidecar file next to the staging
// file. After a crash, the resumed transfer checks its local prefix against these digests chunk by chunk, so
// the final sha256 is of bytes that each came from the source, never of whatever the local copy holds.
//
// Format (binary, little-endian): a 32-byte header — magic "LFCHUNK2", chunkBytes (u64), disk sizeBytes (u64),
// 8 reserved zero bytes — then record i (chunk i's 32-byte digest, chunkDigest) at byte 32 + 32·i. ("LFCHUNK1"
// sidecars held the plain sha256 of each chunk: they match no layout now, so their chunks are read again.) Chunks
// are hashed in disk order, so in normal operation the file only grows; a record rewritten after a repair stays in
// place.
// A sidecar whose header does not match the transfer (other chunk size, other disk size, damaged) is ignored
// and rewritten: every chunk it would have covered is then read from the source again.
//
// The seal: a finished transfer writes the disk's sha256 (its running hash, over the very buffers whose digests are
// recorded) as one more record after the last chunk's. Opening the sidecar for writing again (a resume, a warm
// precopy's changed areas) truncates it away; only the transfer that records every digest seals it. So a sealed
// sidecar whose every chunk digest matches its staging file proves the file's sha256 is the seal, without hashing
// the file's holes again (staging-proof.ts).
import { createHash } from "node:crypto";
import { type FileHandle, open, readFile } from "node:fs/promises";
import { writeFully } from "./file-io.ts";
import { dataExtents } from "./zero-blocks.ts";

const MAGIC = Buffer.from("LFCHUNK2", "latin1");
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

/**
 * One chunk's digest, as recorded in the sidecar: the sha256 of each maximal run of the chunk's non-zero 4 KiB
 * blocks (zero-blocks.ts), in order, each as its offset and length within the chunk (u32 LE each) and then its
 * bytes. A chunk's length is fixed by its layout, so this encoding is one-to-one: the digest identifies the chunk's
 * bytes as surely as the sha256 of all of them, but costs only the blocks that hold data — a thin disk's holes are
 * not hashed again for every chunk (the disk's own sha256 still covers every byte, once). An all-zero chunk's
 * digest is the sha256 of nothing.
 */
export function chunkDigest(chunk: Uint8Array): Buffer {
  const hash = createHash("sha256");
  const run = Buffer.alloc(8);
  for (const { start, end } of dataExtents(chunk)) {
    run.writeUInt32LE(start, 0);
    run.writeUInt32LE(end - start, 4);
    hash.update(run).update(chunk.subarray(start, end));
  }
  return hash.digest();
}

/**
 * Gathers a stream of pieces (a disk's bytes from `firstIndex`'s chunk on, in order) into whole chunks of `layout`,
 * handing each to `onChunk` in a buffer reused for the next one; end() hands over a last, shorter chunk.
 */
export class ChunkAssembler {
  readonly #layout: ChunkLayout;
  readonly #buffer: Buffer;
  readonly #onChunk: (index: number, chunk: Buffer) => void;
  #index: number;
  #filled = 0;

  constructor(layout: ChunkLayout, firstIndex: number, onChunk: (index: number, chunk: Buffer) => void) {
    this.#layout = layout;
    this.#buffer = Buffer.allocUnsafe(layout.chunkBytes);
    this.#onChunk = onChunk;
    this.#index = firstIndex;
  }

  push(piece: Uint8Array): void {
    for (let at = 0; at < piece.length; ) {
      const length = Math.min(this.#layout.chunkBytes, this.#layout.sizeBytes - this.#index * this.#layout.chunkBytes);
      const take = Math.min(piece.length - at, length - this.#filled);
      this.#buffer.set(piece.subarray(at, at + take), this.#filled);
      this.#filled += take;
      at += take;
      if (this.#filled === length) this.end();
    }
  }

  /** Hands over the chunk gathered so far, if any. */
  end(): void {
    if (this.#filled === 0) return;
    this.#onChunk(this.#index++, this.#buffer.subarray(0, this.#filled));
    this.#filled = 0;
  }
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

/** The sha256 a sidecar was sealed with ("sha256:<hex>"), or undefined when it is not sealed. Pure. */
export function sealOf(bytes: Buffer, layout: ChunkLayout): string | undefined {
  const at = HEADER_BYTES + Math.ceil(layout.sizeBytes / layout.chunkBytes) * DIGEST_BYTES;
  if (bytes.length !== at + DIGEST_BYTES || !bytes.subarray(0, HEADER_BYTES).equals(encodeHeader(layout))) return undefined;
  return `sha256:${bytes.subarray(at).toString("hex")}`;
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

  /** Seals the sidecar of a finished transfer of `layout` with the disk's sha256 ("sha256:<hex>"), durably. */
  async seal(layout: ChunkLayout, sha256: string): Promise<void> {
    const digest = Buffer.from(sha256.replace(/^sha256:/, ""), "hex");
    if (digest.length !== DIGEST_BYTES) throw new Error(`cannot seal chunk digests with "${sha256}": not a sha256`);
    await writeFully(this.#file, digest, HEADER_BYTES + Math.ceil(layout.sizeBytes / layout.chunkBytes) * DIGEST_BYTES);
    await this.#file.datasync();
  }

  /** fdatasync: call before reporting a checkpoint that covers the recorded chunks. */
  async sync(): Promise<void> {
    await this.#file.datasync();
  }

  async close(): Promise<void> {
    await this.#file.close();
  }
}
