// Which chunks of a warm migration's staging file — or of its target-format image — were verified against their
// source digest since they were last written: a sidecar beside the file (`<file>.verified`), so that the cutover,
// with the source off, checks only the chunks written after their last verification instead of the whole disk.
//
// Format: a 32-byte header (magic "LFVERIF1", chunkBytes u64, sizeBytes u64, 8 zero bytes), then one byte per
// chunk: 1 = verified, anything else (or no byte, or no file, or a header for another layout) = not verified.
// Crash safety is by ordering: a chunk is marked unverified (and the mark fdatasync'ed) BEFORE any byte of it is
// written, and marked verified only AFTER it was read back and matched its digest. A lost mark after a crash can
// only be a lost "verified" — the chunk is then checked again, never skipped.
import { type FileHandle, open, readFile, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { type ChunkLayout, sidecarHeader } from "./chunk-digests.ts";

const MAGIC = Buffer.from("LFVERIF1", "latin1");
const HEADER_BYTES = 32;
const VERIFIED = 1;

/** The marks' path for a staging file or target image; it lives and dies with the staging directory. */
export function verifiedMarksPath(file: string): string {
  return `${file}.verified`;
}

const header = (layout: ChunkLayout): Buffer => sidecarHeader(MAGIC, layout);

/** The chunks (ascending indexes below `chunkCount`) the marks do not record as verified. Pure. */
export function unverifiedChunks(marks: Buffer | undefined, layout: ChunkLayout, chunkCount: number): number[] {
  const valid = marks !== undefined && marks.length >= HEADER_BYTES && marks.subarray(0, HEADER_BYTES).equals(header(layout));
  const out: number[] = [];
  for (let i = 0; i < chunkCount; i++) if (!valid || marks[HEADER_BYTES + i] !== VERIFIED) out.push(i);
  return out;
}

/** Reads the marks; a missing file means nothing is verified. */
export async function readVerifiedMarks(file: string): Promise<Buffer | undefined> {
  return readFile(verifiedMarksPath(file)).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return undefined;
    throw err;
  });
}

async function openMarks(file: string, layout: ChunkLayout): Promise<FileHandle> {
  const path = verifiedMarksPath(file);
  const existing = await readVerifiedMarks(file);
  const marks = await open(path, existing ? "r+" : "w");
  if (!existing?.subarray(0, HEADER_BYTES).equals(header(layout))) {
    // Another layout's marks (or none): start with nothing verified.
    await marks.truncate(0);
    await marks.write(header(layout), 0, HEADER_BYTES, 0);
  }
  return marks;
}

async function setMarks(file: string, layout: ChunkLayout, chunks: number[], value: number): Promise<void> {
  if (chunks.length === 0) return;
  const marks = await openMarks(file, layout);
  try {
    const one = Buffer.from([value]);
    for (const i of chunks) await marks.write(one, 0, 1, HEADER_BYTES + i);
    await marks.datasync();
  } finally {
    await marks.close();
  }
}

/** Durably records that `chunks` are about to be written: call before writing any of their bytes. */
export const markUnverified = (file: string, layout: ChunkLayout, chunks: number[]) => setMarks(file, layout, chunks, 0);

/** Durably records that `chunks` were read back and matched their digests. */
export const markVerified = (file: string, layout: ChunkLayout, chunks: number[]) => setMarks(file, layout, chunks, VERIFIED);

/** Durably forgets every verification: call before a full copy (or conversion) rewrites the file. */
export async function forgetVerified(file: string): Promise<void> {
  await rm(verifiedMarksPath(file), { force: true });
  const dir = await open(dirname(file), "r");
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
