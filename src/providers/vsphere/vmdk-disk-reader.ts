// A DiskReader over one flat layer (descriptor + FLAT/VMFS/ZERO extents) on a datastore: maps guest byte
// ranges onto the extent files.
import { zeroRange } from "../../disk/zero-blocks.ts";
import type { DiskOrigin, DiskReader } from "../contract.ts";
import type { DatastoreFiles } from "./datastore-files.ts";
import { zeros } from "./datastore-files.ts";
import { formatDatastorePath, type DatastorePath, siblingPath } from "./datastore-path.ts";
import { type ChainLayer, layerEntries } from "./disk-chain.ts";
import { descriptorCapacityBytes, sliceExtents, type VmdkExtent } from "./vmdk-descriptor.ts";

/**
 * Reads a raw layer (planChainRead said "raw", or the flat base under a composed chain). Every byte inside the
 * descriptor's extents comes from a file; only what lies past them reads as zeros, and is reported as
 * zeroFilledTailBytes (an empty descriptor — the simulator's never-written placeholder disk — is all tail).
 */
export function openFlatLayer(files: DatastoreFiles, layer: ChainLayer, capacityBytes: number): DiskReader {
  const described: VmdkExtent[] = layer.empty ? [] : layer.descriptor.extents;
  const storedBytes = layer.empty ? 0 : descriptorCapacityBytes(layer.descriptor);
  const tailBytes = Math.max(0, capacityBytes - storedBytes);
  const extents = tailBytes > 0 ? [...described, { access: "RW", sectors: Math.ceil(tailBytes / 512), type: "ZERO" as const, fileOffsetBytes: 0 }] : described;
  const origin: DiskOrigin = {
    transport: "datastore",
    chain: layerEntries(layer).map((e) => ({ file: formatDatastorePath(e.path), format: e.format })),
  };
  return new VmdkDiskReader(files, layer.path, extents, capacityBytes, origin, tailBytes);
}

class VmdkDiskReader implements DiskReader {
  readonly sizeBytes: number;
  readonly origin: DiskOrigin;
  readonly zeroFilledTailBytes: number;
  readonly readInto?: DiskReader["readInto"];
  private readonly files: DatastoreFiles;
  private readonly descriptorPath: DatastorePath;
  private readonly extents: VmdkExtent[];

  constructor(files: DatastoreFiles, descriptorPath: DatastorePath, extents: VmdkExtent[], sizeBytes: number, origin: DiskOrigin, zeroFilledTailBytes: number) {
    this.origin = origin;
    this.zeroFilledTailBytes = zeroFilledTailBytes;
    this.files = files;
    this.descriptorPath = descriptorPath;
    this.extents = extents;
    this.sizeBytes = sizeBytes;
    // readRange's bytes written into the caller's buffer, when the files can (the datastore API's range client).
    const readRangeInto = files.readRangeInto?.bind(files);
    if (readRangeInto) this.readInto = (offset, into, signal, onBytes) => this.fillFromFiles(readRangeInto, offset, into, signal, onBytes);
  }

  private checkRange(offset: number, length: number): void {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.sizeBytes) {
      throw new RangeError(
        `range [${offset}, ${offset + length}) is outside disk ${formatDatastorePath(this.descriptorPath)} of ${this.sizeBytes} bytes`,
      );
    }
  }

  async *readRange(offset: number, length: number, signal?: AbortSignal): AsyncIterable<Uint8Array> {
    this.checkRange(offset, length);
    for (const slice of sliceExtents(this.extents, offset, length)) {
      signal?.throwIfAborted();
      if (slice.extent.type === "ZERO" || !slice.extent.file) {
        yield* zeros(slice.length);
      } else {
        yield* this.files.readRange(siblingPath(this.descriptorPath, slice.extent.file), slice.fileOffset, slice.length, signal);
      }
    }
  }

  private async fillFromFiles(
    readRangeInto: NonNullable<DatastoreFiles["readRangeInto"]>,
    offset: number,
    into: Buffer,
    signal?: AbortSignal,
    onBytes?: (bytes: number) => void,
  ): Promise<void> {
    this.checkRange(offset, into.length);
    let at = 0;
    for (const slice of sliceExtents(this.extents, offset, into.length)) {
      signal?.throwIfAborted();
      const part = into.subarray(at, at + slice.length);
      if (slice.extent.type === "ZERO" || !slice.extent.file) {
        zeroRange(part, 0, part.length);
        onBytes?.(part.length);
      } else {
        await readRangeInto(siblingPath(this.descriptorPath, slice.extent.file), slice.fileOffset, part, signal, onBytes);
      }
      at += slice.length;
    }
  }

  async close(): Promise<void> {
    // Each range is its own request; nothing stays open between reads.
  }
}
