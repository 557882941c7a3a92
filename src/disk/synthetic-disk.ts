// A deterministic, offset-addressable disk of any size that holds no memory: used by the pipeline's tests
// and the benchmark. Data regions are AES-128-CTR keystream (every 16-byte block differs, so a reordering
// bug changes the hash), alternating with all-zero regions so sparse handling is exercised.
import { createCipheriv, createHash } from "node:crypto";
import type { DiskReader } from "../providers/contract.ts";

export interface SyntheticDiskOptions {
  sizeBytes: number;
  /** Data and zero regions alternate with this period; region 0 is data. Default 1 MiB. */
  regionBytes?: number;
  /** Different seeds give different content. */
  seed?: number;
  /** Largest piece readRange yields. Default 256 KiB. */
  pieceBytes?: number;
}

const KEY_BYTES = 16;

function keystreamAt(seed: number, offset: number, length: number): Buffer {
  const key = Buffer.alloc(KEY_BYTES);
  key.writeUInt32BE(seed >>> 0, 0);
  const aligned = offset - (offset % 16);
  const iv = Buffer.alloc(16);
  // CTR increments the whole IV as a 128-bit big-endian counter: IV = offset/16 starts at that offset.
  iv.writeBigUInt64BE(BigInt(aligned / 16), 8);
  const cipher = createCipheriv("aes-128-ctr", key, iv);
  const stream = cipher.update(Buffer.alloc(offset - aligned + length));
  return stream.subarray(offset - aligned);
}

export function syntheticDisk(options: SyntheticDiskOptions): DiskReader {
  const { sizeBytes, regionBytes = 1024 * 1024, seed = 1, pieceBytes = 256 * 1024 } = options;
  return {
    sizeBytes,
    async *readRange(offset: number, length: number, signal?: AbortSignal): AsyncIterable<Uint8Array> {
      if (offset < 0 || length < 0 || offset + length > sizeBytes) {
        throw new RangeError(`range [${offset}, ${offset + length}) is outside the synthetic disk (${sizeBytes} bytes)`);
      }
      const end = offset + length;
      for (let at = offset; at < end; ) {
        signal?.throwIfAborted();
        const regionEnd = (Math.floor(at / regionBytes) + 1) * regionBytes;
        const n = Math.min(pieceBytes, end - at, regionEnd - at);
        const isData = Math.floor(at / regionBytes) % 2 === 0;
        yield isData ? keystreamAt(seed, at, n) : Buffer.alloc(n);
        at += n;
        // Let other ranges and timers run, as a network reader would.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    },
    close: async () => {},
  };
}

/** sha256 of a reader's whole content, read sequentially: the reference the pipeline must match. */
export async function readerSha256(reader: DiskReader): Promise<string> {
  const hash = createHash("sha256");
  for await (const piece of reader.readRange(0, reader.sizeBytes)) hash.update(piece);
  return `sha256:${hash.digest("hex")}`;
}
