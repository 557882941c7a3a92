// A disk's backing chain as its VMDK files describe it, and how to read it. Pure: resolving the files over
// the datastore API is disk-chain-resolve.ts, reading is chain-disk-reader.ts.
//
// ESXi keeps a disk that has snapshots as a chain: the base (flat) disk, then one delta per snapshot, each
// naming its parent (parentFileNameHint). The guest sees the top of the chain; a snapshot's frozen state
// is the chain from the file the snapshot names down to the base.
import { type DatastorePath, formatDatastorePath, siblingPath } from "./datastore-path.ts";
import { SourceProviderError } from "./errors.ts";
import {
  descriptorCapacityBytes,
  embeddedDescriptor,
  type ExtentType,
  parseVmdkDescriptor,
  type VmdkDescriptor,
  type VmdkFileKind,
  vmdkFileKind,
} from "./vmdk-descriptor.ts";

export interface ChainLayer {
  /** The file the device (or the child's parent hint) names. */
  path: DatastorePath;
  kind: VmdkFileKind;
  /** An empty descriptor file: the simulator's never-written placeholder disk (reads as zeros). */
  empty: boolean;
  descriptor: VmdkDescriptor;
  /** The files holding this layer: the descriptor and its extents, or the one hosted sparse file. */
  files: DatastorePath[];
}

/** Extent types whose bytes are the guest's bytes at the extent's offset: readable by range over HTTP. */
const RAW_EXTENTS: ReadonlySet<ExtentType> = new Set(["FLAT", "VMFS", "ZERO"]);
/** Extent types QEMU decodes (hosted sparse, streamOptimized, vmfsSparse/COWD, SEsparse). */
const DECODABLE_EXTENTS: ReadonlySet<ExtentType> = new Set(["SPARSE", "VMFSSPARSE", "SESPARSE"]);

export const isRawLayer = (l: ChainLayer): boolean => l.empty || l.descriptor.extents.every((e) => RAW_EXTENTS.has(e.type));

/** The layer's format as its descriptor names it (createType; the extent type when createType is absent). */
export function layerFormat(l: ChainLayer): string {
  if (l.empty) return "empty";
  return l.descriptor.createType || l.descriptor.extents[0]?.type.toLowerCase() || "unknown";
}

/** The layer's files with their formats: the descriptor (or sparse file) by createType, extents by extent type. */
export function layerEntries(l: ChainLayer): Array<{ path: DatastorePath; format: string }> {
  if (l.empty) return [{ path: l.path, format: layerFormat(l) }];
  if (l.kind !== "descriptor") return l.files.map((path) => ({ path, format: layerFormat(l) }));
  const extents = l.descriptor.extents.filter((e) => e.file);
  return [{ path: l.path, format: layerFormat(l) }, ...extents.map((e, i) => ({ path: l.files[i + 1], format: e.type.toLowerCase() }))];
}

export const hasParent = (d: VmdkDescriptor): boolean => d.parentCID !== "ffffffff";

export type ChainReadPlan =
  /** One flat layer: ranges map straight onto extent files over the datastore API. */
  | { kind: "raw" }
  /**
   * Compose locally: download `download` (every layer above a flat base, or every layer when the base is
   * sparse too), let qemu-img compose them, and read ranges the composition takes from a flat base over HTTP.
   */
  | { kind: "composed"; download: ChainLayer[]; remoteBase?: ChainLayer };

/**
 * How a chain (top first) can be read, or a NotSupported error naming the file, its format and what the
 * user can do. Checks the top's described size against the device's capacity.
 */
export function planChainRead(chain: ChainLayer[], capacityBytes: number, diskName: string): ChainReadPlan {
  if (chain.length === 0) throw new SourceProviderError("SourceError", `disk ${diskName}: no backing file`);
  for (const layer of chain) {
    const file = formatDatastorePath(layer.path);
    if (layer.kind === "cowd") {
      throw new SourceProviderError(
        "NotSupported",
        `disk ${diskName}: ${file} is a bare vmfsSparse (COWD) extent without its descriptor; point the disk at the descriptor (.vmdk) that names it`,
      );
    }
    if (layer.empty) continue;
    if (layer.descriptor.extents.length === 0) {
      throw new SourceProviderError("NotSupported", `disk ${diskName}: ${file} (format "${layerFormat(layer)}") lists no extents; consolidate the VM's snapshots or use transport nfc`);
    }
    for (const e of layer.descriptor.extents) {
      if (e.type === "VMFSRDM" || e.type === "VMFSRAW") {
        throw new SourceProviderError(
          "NotSupported",
          `disk ${diskName}: ${file} is a raw device mapping (extent type ${e.type}${e.file ? ` "${e.file}"` : ""}): its bytes live on a LUN, not in a datastore file; use transport nfc, or migrate the RDM to a virtual disk first`,
        );
      }
      if (!RAW_EXTENTS.has(e.type) && !DECODABLE_EXTENTS.has(e.type)) {
        throw new SourceProviderError(
          "NotSupported",
          `disk ${diskName}: ${file} has a ${e.type} extent (format "${layerFormat(layer)}") landfall cannot decode; consolidate the VM's snapshots (Delete All) or use transport nfc`,
        );
      }
    }
  }
  const top = chain[0];
  if (!top.empty) {
    const described = descriptorCapacityBytes(top.descriptor);
    // Shorter is allowed: the tail past the descriptor's extents reads as zeros and is reported (zeroFilledTailBytes).
    if (described > capacityBytes) {
      throw new SourceProviderError(
        "SourceError",
        `disk ${diskName}: ${formatDatastorePath(top.path)} describes ${described} bytes but the VM's device reports ${capacityBytes}; refresh the VM's storage information in vSphere`,
      );
    }
  }
  if (chain.length === 1 && isRawLayer(top)) return { kind: "raw" };
  const base = chain[chain.length - 1];
  if (isRawLayer(base)) return { kind: "composed", download: chain.slice(0, -1), remoteBase: base };
  return { kind: "composed", download: chain };
}

const EMPTY_DESCRIPTOR: VmdkDescriptor = { createType: "", cid: "", parentCID: "ffffffff", extents: [] };

/** Reads one layer from its file's first bytes (HEAD_BYTES suffice: descriptors are small, and qemu-img and ESXi embed them near the start). */
export function layerFromHead(path: DatastorePath, head: Uint8Array): ChainLayer {
  if (head.length === 0) return { path, kind: "descriptor", empty: true, descriptor: EMPTY_DESCRIPTOR, files: [] };
  const kind = vmdkFileKind(head);
  if (kind === "cowd") return { path, kind, empty: false, descriptor: EMPTY_DESCRIPTOR, files: [path] };
  if (kind === "hostedSparse") {
    const text = embeddedDescriptor(head);
    if (text === undefined) {
      throw new SourceProviderError("NotSupported", `${formatDatastorePath(path)} is a hosted sparse VMDK whose descriptor is not within its first ${head.length} bytes; use transport nfc`);
    }
    return { path, kind, empty: false, descriptor: parseVmdkDescriptor(text), files: [path] };
  }
  const descriptor = parseVmdkDescriptor(Buffer.from(head).toString("latin1"));
  const extentFiles = descriptor.extents.filter((e) => e.file).map((e) => siblingPath(path, e.file as string));
  return { path, kind, empty: false, descriptor, files: [path, ...extentFiles] };
}

/** The parent a delta layer names, resolved inside its directory; undefined for a base disk. */
export function parentOf(layer: ChainLayer): DatastorePath | undefined {
  if (layer.empty || layer.kind === "cowd" || !hasParent(layer.descriptor)) return undefined;
  const hint = layer.descriptor.parentFileNameHint;
  if (!hint) {
    throw new SourceProviderError(
      "NotSupported",
      `${formatDatastorePath(layer.path)} is a delta (parentCID ${layer.descriptor.parentCID}) without parentFileNameHint, so its parent cannot be found; consolidate the VM's snapshots`,
    );
  }
  return siblingPath(layer.path, hint);
}
