// A DiskReader over a local raw file: the source for libvirt/local imports, and the reader tests and
// benchmarks use where a real file is the point.
import { open } from "node:fs/promises";
import type { DiskReader } from "../providers/contract.ts";

const PIECE_BYTES = 1024 * 1024;

export async function openFileDiskReader(path: string): Promise<DiskReader> {
  const file = await open(path, "r");
  const { size } = await file.stat();
  return {
    sizeBytes: size,
    async *readRange(offset: number, length: number, signal?: AbortSignal): AsyncIterable<Uint8Array> {
      if (offset < 0 || length < 0 || offset + length > size) {
        throw new RangeError(`range [${offset}, ${offset + length}) is outside ${path} (${size} bytes)`);
      }
      const end = offset + length;
      for (let at = offset; at < end; ) {
        signal?.throwIfAborted();
        // A fresh buffer per piece: consumers may keep pieces while the next one is read.
        const piece = Buffer.allocUnsafe(Math.min(PIECE_BYTES, end - at));
        const { bytesRead } = await file.read(piece, 0, piece.length, at);
        if (bytesRead === 0) throw new Error(`${path} ended at ${at}, expected ${end} bytes (file shrank while reading?)`);
        at += bytesRead;
        yield piece.subarray(0, bytesRead);
      }
    },
    close: () => file.close(),
  };
}
