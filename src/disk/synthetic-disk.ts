// A deterministic, offset-addressable disk of any size that holds almost no memory: used by the pipeline's
// tests and the benchmark. Data regions alternate with all-zero regions (sparse handling is exercised).
// Data at offset o is pattern[o mod PATTERN_BYTES]: the pattern is AES-CTR keystream and its length is no
// multiple of any chunk size, so every chunk differs and a reordering bug changes the hash. Pieces are views
// of one immutable pattern (and one zero buffer), so the reader itself makes no garbage and memory tests
// measure the pipeline, not this fixture.
import { createCipheriv } from "node:crypto";
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

const PATTERN_BYTES = 1024 * 1024 + 4099;

function patternFor(seed: number): Buffer {
  const key = Buffer.alloc(16);
  key.writeUInt32BE(seed >>> 0, 0);
  return createCipheriv("aes-128-ctr", key, Buffer.alloc(16)).update(Buffer.alloc(PATTERN_BYTES));
}

export function syntheticDisk(options: SyntheticDiskOptions): DiskReader {
  const { sizeBytes, regionBytes = 1024 * 1024, seed = 1, pieceBytes = 256 * 1024 } = options;
  const pattern = patternFor(seed);
  const zeros = Buffer.alloc(pieceBytes);
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
        let n = Math.min(pieceBytes, end - at, regionEnd - at);
        if (Math.floor(at / regionBytes) % 2 === 0) {
          const from = at % PATTERN_BYTES;
          n = Math.min(n, PATTERN_BYTES - from);
          yield pattern.subarray(from, from + n);
        } else {
          yield zeros.subarray(0, n);
        }
        at += n;
        // Let other ranges and timers run, as a network reader would.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    },
    close: async () => {},
  };
}

/** A reader's whole content in memory: only for small test disks. */
export async function readerBytes(reader: DiskReader): Promise<Buffer> {
  const pieces: Uint8Array[] = [];
  for await (const piece of reader.readRange(0, reader.sizeBytes)) pieces.push(piece);
  return Buffer.concat(pieces);
}
