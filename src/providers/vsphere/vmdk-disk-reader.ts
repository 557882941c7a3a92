// A DiskReader over a flat VMDK on a datastore: reads the descriptor once, then maps guest byte ranges
// onto the extent files.
import type { DiskReader } from "../contract.ts";
import type { DatastoreFiles } from "./datastore-files.ts";
import { zeros } from "./datastore-files.ts";
import { formatDatastorePath, parseDatastorePath, siblingPath } from "./datastore-path.ts";
import { SourceProviderError } from "./errors.ts";
import {
  assertRawReadable,
  descriptorCapacityBytes,
  looksLikeDescriptor,
  parseVmdkDescriptor,
  sliceExtents,
  type VmdkExtent,
} from "./vmdk-descriptor.ts";

// Descriptors are a few hundred bytes; anything near this size is a binary (sparse) VMDK.
const DESCRIPTOR_MAX_BYTES = 64 * 1024;

export async function openVmdkDisk(
  files: DatastoreFiles,
  disk: { fileName: string; capacityBytes: number },
  signal?: AbortSignal,
): Promise<DiskReader> {
  const descriptorPath = parseDatastorePath(disk.fileName);
  const head = await files.readHead(descriptorPath, DESCRIPTOR_MAX_BYTES, signal);
  let extents: VmdkExtent[];
  let storedBytes: number;
  if (head.length === 0) {
    // An empty descriptor (the simulator's placeholder disks): a disk that was never written reads as zeros.
    extents = [];
    storedBytes = 0;
  } else {
    if (!looksLikeDescriptor(head)) {
      throw new SourceProviderError(
        "NotSupported",
        `disk ${disk.fileName} is a sparse (binary) VMDK: only flat VMDKs can be read over the datastore file API; a sparse disk needs an NFC export`,
      );
    }
    const descriptor = parseVmdkDescriptor(Buffer.from(head).toString("latin1"));
    assertRawReadable(descriptor, disk.fileName);
    storedBytes = descriptorCapacityBytes(descriptor);
    if (storedBytes > disk.capacityBytes) {
      throw new SourceProviderError(
        "SourceError",
        `disk ${disk.fileName}: descriptor describes ${storedBytes} bytes but the VM's device reports ${disk.capacityBytes}; refresh the VM's storage information in vSphere`,
      );
    }
    extents = descriptor.extents;
  }
  // Only what lies past the descriptor's extents reads as zeros; every byte inside them must come from a file.
  const tailBytes = disk.capacityBytes - storedBytes;
  if (tailBytes > 0) extents = [...extents, { access: "RW", sectors: Math.ceil(tailBytes / 512), type: "ZERO", fileOffsetBytes: 0 }];
  return new VmdkDiskReader(files, descriptorPath, extents, disk.capacityBytes, tailBytes);
}

class VmdkDiskReader implements DiskReader {
  readonly sizeBytes: number;
  readonly zeroFilledTailBytes: number;
  private readonly files: DatastoreFiles;
  private readonly descriptorPath: ReturnType<typeof parseDatastorePath>;
  private readonly extents: VmdkExtent[];

  constructor(files: DatastoreFiles, descriptorPath: ReturnType<typeof parseDatastorePath>, extents: VmdkExtent[], sizeBytes: number, zeroFilledTailBytes: number) {
    this.files = files;
    this.descriptorPath = descriptorPath;
    this.extents = extents;
    this.sizeBytes = sizeBytes;
    this.zeroFilledTailBytes = zeroFilledTailBytes;
  }

  async *readRange(offset: number, length: number, signal?: AbortSignal): AsyncIterable<Uint8Array> {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.sizeBytes) {
      throw new RangeError(
        `range [${offset}, ${offset + length}) is outside disk ${formatDatastorePath(this.descriptorPath)} of ${this.sizeBytes} bytes`,
      );
    }
    for (const slice of sliceExtents(this.extents, offset, length)) {
      signal?.throwIfAborted();
      if (slice.extent.type === "ZERO" || !slice.extent.file) {
        yield* zeros(slice.length);
      } else {
        yield* this.files.readRange(siblingPath(this.descriptorPath, slice.extent.file), slice.fileOffset, slice.length, signal);
      }
    }
  }

  async close(): Promise<void> {
    // Each range is its own request; nothing stays open between reads.
  }
}
