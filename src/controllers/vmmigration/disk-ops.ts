// The disk pipeline as the migration runner uses it. src/compose/disk-ops.ts builds it from src/disk; a test-only
// composition (test/harness/faulty-wiring.ts) wraps it to inject faults.
import type { ChangedArea, DiskReader } from "../../providers/contract.ts";

export interface TransferProgress {
  bytesDone: number;
  bytesTotal: number;
  bytesPerSecond?: number;
  etaSeconds?: number;
  checkpointOffset?: number;
}

export interface DiskOps {
  /** onProgress returns the status write's Promise; the transfer awaits it, so a checkpoint is durable before it counts. */
  transfer(args: {
    reader: DiskReader;
    stagingPath: string;
    /** The areas the source says hold data (sorted, disjoint); the rest is zeros and not read. Absent: read every byte. */
    allocated?: ChangedArea[];
    resumeFrom?: { offset: number };
    onProgress: (p: TransferProgress) => void | Promise<void>;
    signal: AbortSignal;
    /** How long the source may send nothing before the attempt fails (default 60 s). */
    stallTimeoutMs?: number;
  }): Promise<{ sha256: string; bytesRead?: number; verifiedChunks?: number; rereadChunks?: number; zeroFilledTailBytes?: number }>;
  convert(args: { src: string; srcFormat: string; dest: string; destFormat: string; signal?: AbortSignal }): Promise<void>;
  /** Format and guest-visible size of an image, as qemu-img reads it. */
  imageInfo(path: string, format: string): Promise<{ format: string; virtualSizeBytes: number }>;
  /** Guest-visible sha256 of a finished image, read back independently: "sha256:<hex>". */
  imageSha256(path: string, format: string, signal?: AbortSignal): Promise<string>;
  /** sha256 of a raw staging file the transfer wrote: its sealed chunk digests checked, else hashed whole (staging-proof.ts). */
  stagingSha256(stagingPath: string, signal?: AbortSignal): Promise<string>;
  /**
   * Guest-visible sha256 of an image made from a raw staging file, read back against it: compared with it while its
   * sha256 is proven (`stagingHash`, when already under way); hashed whole when they differ (staging-proof.ts).
   */
  imageSha256FromStaging(args: { image: string; format: string; stagingPath: string; stagingHash?: Promise<string>; signal?: AbortSignal }): Promise<{ sha256: string; difference?: string }>;
  /** sha256 of a source disk re-read range by range (options.verifySource: reread). */
  readerSha256(reader: DiskReader, signal?: AbortSignal): Promise<string>;
  /** Warm precopy: reads only `areas` into a staging file transfer() wrote, updating the digests of the chunks they touch (marked unverified first). */
  applyChangedAreas(args: { reader: DiskReader; stagingPath: string; areas: ChangedArea[]; signal: AbortSignal }): Promise<{ bytes: number; chunks: number }>;
  /** Warm: reads back the staging file's chunks not verified since they were last written, against their digests; marks the ones that match. */
  verifyUnverified(stagingPath: string, signal?: AbortSignal): Promise<{ checked: number; mismatched: ChangedArea[] }>;
  /** Warm: writes `areas` of the raw staging file into the same ranges of the target-format image, in place. */
  writeAreas(args: { src: string; dest: string; destFormat: string; areas: ChangedArea[]; signal?: AbortSignal }): Promise<void>;
  /** Warm: durably marks the target image's chunks that `areas` touch unverified; call before writeAreas writes them. */
  markImageAreasWritten(args: { image: string; stagingPath: string; areas: ChangedArea[] }): Promise<void>;
  /** Warm: reads back the target image's chunks not verified since they were last written, against the staging file's source digests; marks the ones that match. */
  verifyImageUnverified(args: { image: string; format: string; stagingPath: string; signal?: AbortSignal }): Promise<{ checked: number; mismatched: ChangedArea[] }>;
  /** Warm: reads an image back in full (the finished target image at cutover, or the raw staging file after the VM runs) — its sha256, and each chunk against the staging file's source digests. */
  checkImageChunks(args: { image: string; format: string; stagingPath: string; signal?: AbortSignal }): Promise<{ sha256: string; chunks: number; mismatched: ChangedArea[] }>;
}
