// Whole reads and writes at a position: `FileHandle.read`/`write` may move fewer bytes than asked (a signal, a
// full pipe, a short file); these loop until every byte moved, and a file that ends first is an error.
import type { FileHandle } from "node:fs/promises";

/** Fills `into` from `file` at `position`; a file that ends first is an error. */
export async function readFully(file: FileHandle, into: Buffer, position: number): Promise<Buffer> {
  for (let at = 0; at < into.length; ) {
    const { bytesRead } = await file.read(into, at, into.length - at, position + at);
    if (bytesRead === 0) throw new Error(`file ended at ${position + at}, before the ${into.length} bytes at ${position}`);
    at += bytesRead;
  }
  return into;
}

/** Writes all of `bytes` into `file` at `position`. */
export async function writeFully(file: FileHandle, bytes: Buffer, position: number): Promise<void> {
  for (let at = 0; at < bytes.length; ) {
    const { bytesWritten } = await file.write(bytes, at, bytes.length - at, position + at);
    at += bytesWritten;
  }
}
