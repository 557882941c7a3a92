// Follows a disk's chain over the datastore file API: reads each layer's descriptor and its parent hint,
// from the file a device or snapshot names down to the base disk.
import type { DatastoreFiles } from "./datastore-files.ts";
import { type DatastorePath, formatDatastorePath } from "./datastore-path.ts";
import { type ChainLayer, layerFromHead, parentOf } from "./disk-chain.ts";
import { SourceProviderError } from "./errors.ts";

/** Bytes read from the start of each layer file: text descriptors and embedded ones (sector 1 in qemu-img's and VMware's files) fit. */
export const HEAD_BYTES = 64 * 1024;
/** ESXi allows 32 snapshots per chain; anything deeper is a loop or not a VM's disk. */
const MAX_DEPTH = 64;

export async function resolveChain(files: DatastoreFiles, top: DatastorePath, signal?: AbortSignal): Promise<ChainLayer[]> {
  const chain: ChainLayer[] = [];
  const seen = new Set<string>();
  for (let path: DatastorePath | undefined = top; path; ) {
    const name = formatDatastorePath(path);
    if (seen.has(name)) throw new SourceProviderError("SourceError", `disk chain of ${formatDatastorePath(top)} loops back to ${name}`);
    if (chain.length >= MAX_DEPTH) {
      throw new SourceProviderError("NotSupported", `disk chain of ${formatDatastorePath(top)} is deeper than ${MAX_DEPTH} files; consolidate the VM's snapshots`);
    }
    seen.add(name);
    const layer = layerFromHead(path, await files.readHead(path, HEAD_BYTES, signal));
    chain.push(layer);
    path = parentOf(layer);
  }
  return chain;
}
