// Reading a disk whose chain has sparse layers (snapshot deltas, hosted sparse, streamOptimized): the layers
// above a flat base — or all of them when the base is sparse too — are downloaded into a scratch directory
// and composed by qemu-img; ranges the composition takes from a flat base are read over the datastore API
// like any flat disk. The bytes served are the guest-visible bytes of the chain's top.
import { mkdir, mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { dirname, join, posix } from "node:path";
import { mergeAreas } from "../../disk/areas.ts";
import { dataAreas } from "../../disk/convert.ts";
import { runTool, timeoutForBytes } from "../../disk/run-tool.ts";
import type { ChangedArea, DiskLayer, DiskOrigin, DiskReader } from "../contract.ts";
import { zeros } from "./datastore-files.ts";
import { type DatastorePath, formatDatastorePath } from "./datastore-path.ts";
import type { Downloaded } from "./datastore-download.ts";
import { type ChainLayer, layerEntries, layerFromHead } from "./disk-chain.ts";
import { HEAD_BYTES } from "./disk-chain-resolve.ts";
import { composeCowdChain } from "./cowd-compose.ts";
import { SourceProviderError } from "./errors.ts";

export interface ComposeSources {
  download(file: DatastorePath, dest: string, signal?: AbortSignal): Promise<Downloaded>;
  /** A reader of the flat base disk over the datastore API. */
  openBase(layer: ChainLayer): Promise<DiskReader>;
}

/** One entry of `qemu-img map --output=json`. */
export interface MapEntry {
  start: number;
  length: number;
  depth: number;
  present: boolean;
}

export interface Segment {
  start: number;
  end: number;
  source: "local" | "base" | "zero";
}

/** Which source serves each guest range: the flat base at `baseDepth`, the composed local file, or zeros. Pure. */
export function segmentsFromMap(entries: MapEntry[], baseDepth: number | undefined): Segment[] {
  const out: Segment[] = [];
  for (const e of entries) {
    const source: Segment["source"] = !e.present ? "zero" : e.depth === baseDepth ? "base" : "local";
    const last = out[out.length - 1];
    if (last && last.source === source && last.end === e.start) last.end = e.start + e.length;
    else out.push({ start: e.start, end: e.start + e.length, source });
  }
  return out;
}

/** A vmfsSparse delta: a descriptor naming one VMFSSPARSE (COWD) extent. */
const isCowdLayer = (l: ChainLayer): boolean =>
  l.kind === "descriptor" && !l.empty && l.descriptor.extents.length === 1 && l.descriptor.extents[0].type === "VMFSSPARSE" && l.files.length === 2;

const sameFiles = (a: ChainLayer, b: ChainLayer) =>
  a.descriptor.parentFileNameHint === b.descriptor.parentFileNameHint &&
  a.files.map(formatDatastorePath).join("\n") === b.files.map(formatDatastorePath).join("\n");

/** Flat base stand-in: same name and CID, empty extent of the same size; qemu-img map tells its ranges apart by depth. */
function standInDescriptor(base: ChainLayer, capacityBytes: number, extentName: string): string {
  return [
    "# Disk DescriptorFile",
    "version=1",
    `CID=${base.descriptor.cid || "fffffffe"}`,
    "parentCID=ffffffff",
    'createType="monolithicFlat"',
    "",
    `RW ${capacityBytes / 512} FLAT "${extentName}" 0`,
    "",
  ].join("\n");
}

export async function openComposedDisk(
  sources: ComposeSources,
  chain: ChainLayer[],
  plan: { download: ChainLayer[]; remoteBase?: ChainLayer },
  capacityBytes: number,
  scratchRoot: string,
  signal?: AbortSignal,
): Promise<DiskReader> {
  const topDir = posix.dirname(chain[0].path.path);
  const dir = await mkdtemp(join(scratchRoot, "landfall-vsphere-chain-"));
  const localOf = (p: DatastorePath) => join(dir, "layers", posix.relative(topDir, p.path));
  let base: DiskReader | undefined;
  try {
    const layers: DiskLayer[] = [];
    for (const layer of plan.download) {
      for (const { path, format } of layerEntries(layer)) {
        const dest = localOf(path);
        await mkdir(dirname(dest), { recursive: true });
        const got = await sources.download(path, dest, signal);
        layers.push({ file: formatDatastorePath(path), format, sha256: got.sha256 });
      }
      // The names qemu-img follows come from the downloaded bytes: they must be the ones checked when planning.
      const fh = await open(localOf(layer.path));
      const head = Buffer.alloc(HEAD_BYTES);
      const { bytesRead } = await fh.read(head, 0, HEAD_BYTES, 0).finally(() => fh.close());
      if (!sameFiles(layerFromHead(layer.path, head.subarray(0, bytesRead)), layer)) {
        throw new SourceProviderError("SourceError", `${formatDatastorePath(layer.path)} changed while it was read (its parent or extents differ); retry`);
      }
    }
    let baseDepth: number | undefined;
    if (plan.remoteBase) {
      const extentName = `${posix.basename(plan.remoteBase.path.path)}.landfall-standin`;
      const standIn = localOf(plan.remoteBase.path);
      await mkdir(dirname(standIn), { recursive: true });
      await writeFile(standIn, standInDescriptor(plan.remoteBase, capacityBytes, extentName));
      const extent = await open(join(dirname(standIn), extentName), "w");
      await extent.truncate(capacityBytes).finally(() => extent.close());
      baseDepth = chain.length - 1;
      for (const { path, format } of layerEntries(plan.remoteBase)) layers.push({ file: formatDatastorePath(path), format });
    }
    const top = localOf(chain[0].path);
    const timeoutMs = timeoutForBytes(capacityBytes);
    const composed = join(dir, "composed.raw");
    let segments: Segment[] = [{ start: 0, end: capacityBytes, source: "local" }];
    if (plan.remoteBase && plan.download.every(isCowdLayer)) {
      // vmfsSparse deltas over a flat base (ESXi's snapshots): composed from their grain tables, reading only
      // the grains they hold (cowd-compose.ts) instead of a qemu-img pass over every sector of the disk.
      segments = await composeCowdChain(plan.download.map((l) => localOf(l.files[1])), composed, capacityBytes);
      base = await sources.openBase(plan.remoteBase);
    } else {
      await runTool("qemu-img", ["convert", "-f", "vmdk", "-O", "raw", top, composed], { timeoutMs, signal });
    }
    if (baseDepth !== undefined && !base) {
      const map = JSON.parse(await runTool("qemu-img", ["map", "--output=json", "-f", "vmdk", top], { timeoutMs, signal })) as MapEntry[];
      segments = segmentsFromMap(map, baseDepth);
      base = plan.remoteBase ? await sources.openBase(plan.remoteBase) : undefined;
    }
    const covered = segments.length ? segments[segments.length - 1].end : 0;
    if (covered !== capacityBytes) {
      throw new SourceProviderError("SourceError", `disk ${formatDatastorePath(chain[0].path)}: the composed chain has ${covered} bytes, the device ${capacityBytes}`);
    }
    return new ComposedDiskReader(composed, segments, base, capacityBytes, dir, { transport: "datastore", chain: layers });
  } catch (err) {
    await base?.close();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

const CHUNK = 1 << 20;

/** Serves guest ranges from the composed local file, the remote flat base, or zeros, per segment. */
export class ComposedDiskReader implements DiskReader {
  readonly sizeBytes: number;
  readonly origin: DiskOrigin;
  private readonly localPath: string;
  private readonly segments: Segment[];
  private readonly base: DiskReader | undefined;
  private readonly scratch: string;

  constructor(localPath: string, segments: Segment[], base: DiskReader | undefined, sizeBytes: number, scratch: string, origin: DiskOrigin) {
    this.localPath = localPath;
    this.segments = segments;
    this.base = base;
    this.sizeBytes = sizeBytes;
    this.scratch = scratch;
    this.origin = origin;
  }

  /**
   * The flat base's ranges (its allocation is unknown here: a snapshot's "*" query knows it) and the data extents of
   * the composed file within its ranges; ranges that no layer holds are zeros.
   */
  async allocatedAreas(signal?: AbortSignal): Promise<ChangedArea[]> {
    const local = this.segments.some((s) => s.source === "local") ? await dataAreas(this.localPath, "raw", { signal }) : [];
    const out: ChangedArea[] = [];
    for (const seg of this.segments) {
      if (seg.source === "base") out.push({ start: seg.start, length: seg.end - seg.start });
      if (seg.source !== "local") continue;
      for (const a of local) {
        const start = Math.max(a.start, seg.start);
        const end = Math.min(a.start + a.length, seg.end);
        if (end > start) out.push({ start, length: end - start });
      }
    }
    return mergeAreas(out);
  }

  async *readRange(offset: number, length: number, signal?: AbortSignal): AsyncIterable<Uint8Array> {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.sizeBytes) {
      throw new RangeError(`range [${offset}, ${offset + length}) is outside the disk of ${this.sizeBytes} bytes`);
    }
    const end = offset + length;
    for (const seg of this.segments) {
      if (seg.end <= offset || seg.start >= end) continue;
      const from = Math.max(seg.start, offset);
      const to = Math.min(seg.end, end);
      signal?.throwIfAborted();
      if (seg.source === "zero") yield* zeros(to - from);
      else if (seg.source === "base" && this.base) yield* this.base.readRange(from, to - from, signal);
      else yield* this.readLocal(from, to - from, signal);
    }
  }

  private async *readLocal(offset: number, length: number, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
    const fh = await open(this.localPath);
    try {
      for (let done = 0; done < length; ) {
        signal?.throwIfAborted();
        const buf = Buffer.alloc(Math.min(CHUNK, length - done));
        const { bytesRead } = await fh.read(buf, 0, buf.length, offset + done);
        if (bytesRead === 0) {
          yield* zeros(length - done);
          return;
        }
        done += bytesRead;
        yield buf.subarray(0, bytesRead);
      }
    } finally {
      await fh.close();
    }
  }

  async close(): Promise<void> {
    await this.base?.close();
    await rm(this.scratch, { recursive: true, force: true });
  }
}
