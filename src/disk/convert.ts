// The one qemu-img wrapper: image metadata, conversion (the sparse raw staging file into the target image),
// resize and overlays — formats always explicit, every call through run-tool.ts. The libvirt target runs these
// behind its ToolRunner's bound.
//
// Measured here (1 GiB half-zero sparse raw → qcow2, page cache): plain `qemu-img convert` ≈ 0.23 s; `-W`,
// `-m 4` and `-o cluster_size=1M` made no measurable difference, so the defaults stay (64 KiB clusters,
// compat 1.1). A raw target is the staging file itself: renamed, never copied.
import { mkdtemp, open, readFile, rename, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Area, mergeAreas, sectorAligned } from "./areas.ts";
import { createNoFollow } from "./confinement.ts";
import { runTool, timeoutForBytes, ToolError } from "./run-tool.ts";

export interface ImageInfo {
  format: string;
  virtualSizeBytes: number;
  /** Bytes allocated on the host filesystem. */
  actualSizeBytes: number;
  /** The backing file as qemu will open it (relative names joined to the image's directory). */
  backingFile?: string;
  /** The backing file's format as the image records it; absent when qemu would have to probe. */
  backingFormat?: string;
  /** qcow2's external data file (guest bytes live there), as recorded in the image. */
  dataFile?: string;
}

export interface ConvertImageOptions {
  src: string;
  srcFormat: string;
  dest: string;
  destFormat: string;
  /** Grow the result to this virtual size when it is larger than the source (VirtualMachine sizeGiB). */
  sizeBytes?: number;
  signal?: AbortSignal;
}

// Formats are passed to qemu-img explicitly (never probed: a raw guest disk can carry a qcow2 header);
// this list keeps arbitrary strings away from its -f/-O.
const KNOWN_FORMATS = new Set(["raw", "qcow2", "vmdk", "vdi", "vhdx", "vpc", "qed"]);

function checkFormat(field: string, format: string): void {
  if (!KNOWN_FORMATS.has(format)) {
    throw new Error(`${field} "${format}" is not a supported image format (one of ${[...KNOWN_FORMATS].join(", ")})`);
  }
}

/** qemu-img's `info --output=json` → ImageInfo. */
export function parseImageInfo(json: string): ImageInfo {
  let info: {
    format?: string;
    "virtual-size"?: number;
    "actual-size"?: number;
    "backing-filename"?: string;
    "full-backing-filename"?: string;
    "backing-filename-format"?: string;
    "format-specific"?: { data?: { "data-file"?: string } };
  };
  try {
    info = JSON.parse(json);
  } catch (error) {
    throw new Error(`qemu-img info printed no JSON: ${json.slice(0, 200)}`, { cause: error });
  }
  const backingFile = info["full-backing-filename"] ?? info["backing-filename"];
  const dataFile = info["format-specific"]?.data?.["data-file"];
  return {
    format: String(info.format ?? ""),
    virtualSizeBytes: Number(info["virtual-size"] ?? 0),
    actualSizeBytes: Number(info["actual-size"] ?? 0),
    ...(backingFile ? { backingFile } : {}),
    ...(info["backing-filename-format"] ? { backingFormat: info["backing-filename-format"] } : {}),
    ...(dataFile ? { dataFile } : {}),
  };
}

/**
 * `qemu-img info` of one image of a known format (never probed: probing a VMDK opens its extents); `-U` so the
 * image of a running VM can be inspected. Without --backing-chain qemu-img opens the image with
 * BDRV_O_NO_BACKING: its backing file is named, never opened (checked with strace on qemu 7.2) —
 * backing-chain.ts relies on that to judge each name before anything opens it.
 */
export async function imageInfo(path: string, options: { format: string; signal?: AbortSignal }): Promise<ImageInfo> {
  checkFormat("format", options.format);
  return parseImageInfo(await runTool("qemu-img", ["info", "--output=json", "-U", "-f", options.format, path], { timeoutMs: 30_000, signal: options.signal }));
}

/** `qemu-img convert` of `src` into `dest` (which it creates or truncates); formats always explicit. */
export async function convertFile(src: string, srcFormat: string, dest: string, destFormat: string, options: { timeoutMs: number; signal?: AbortSignal }): Promise<void> {
  checkFormat("srcFormat", srcFormat);
  checkFormat("destFormat", destFormat);
  await runTool("qemu-img", ["convert", "-f", srcFormat, "-O", destFormat, src, dest], options);
}

/**
 * `qemu-img compare` of two images' guest-visible bytes (formats explicit; regions both report as zero are skipped by
 * block status, everything else compared): identical, or where the first difference is. Measured here: 0.18 s for
 * a 1 GiB half-zero raw file against its qcow2 (page cache).
 */
export async function compareImages(a: string, aFormat: string, b: string, bFormat: string, options: { signal?: AbortSignal } = {}): Promise<{ identical: true } | { identical: false; difference: string }> {
  checkFormat("format", aFormat);
  checkFormat("format", bFormat);
  const { size } = await stat(a);
  const said: string[] = [];
  try {
    await runTool("qemu-img", ["compare", "-f", aFormat, "-F", bFormat, a, b], { timeoutMs: timeoutForBytes(size), signal: options.signal, onOutputLine: (line) => said.push(line) });
    return { identical: true };
  } catch (error) {
    // Exit 1: the images differ ("Content mismatch at offset N!"); 2 and more: compare itself failed.
    if (!(error instanceof ToolError) || error.exitCode !== 1) throw error;
    return { identical: false, difference: said.join(" ").trim() || "the images differ" };
  }
}

const MAP_ENTRY = /"start": (\d+), "length": (\d+),.*"data": (true|false)/;

/**
 * The areas of an image that hold data, as `qemu-img map` reports them (for a raw file: the filesystem's data
 * extents, SEEK_DATA/SEEK_HOLE; everything else reads as zeros), sorted and merged. Reading only these skips the
 * holes, which read() would otherwise fill with zero pages — measured here: hashing a 10 GiB file holding 1 GiB
 * took 12 s the first time through its holes, 1 s through its data alone.
 */
export async function dataAreas(path: string, format: string, options: { signal?: AbortSignal } = {}): Promise<Area[]> {
  checkFormat("format", format);
  const areas: Area[] = [];
  await runTool("qemu-img", ["map", "--output=json", "-f", format, path], {
    timeoutMs: 120_000,
    signal: options.signal,
    onOutputLine: (line) => {
      const m = MAP_ENTRY.exec(line);
      if (m?.[3] === "true") areas.push({ start: Number(m[1]), length: Number(m[2]) });
    },
  });
  return mergeAreas(areas);
}

/**
 * Copies the byte ranges `areas` of the raw image `src` into the same ranges of the existing image `dest`
 * (any format, written in place): one `qemu-img convert -n` per merged range, both sides opened as raw windows
 * (`offset`/`size`) through json: filenames, so no other byte of `dest` is touched. Measured here: ≈ 35 ms per
 * range on an idle host.
 */
export async function writeAreasInto(src: string, dest: string, destFormat: string, areas: ReadonlyArray<{ start: number; length: number }>, options: { signal?: AbortSignal } = {}): Promise<number> {
  checkFormat("destFormat", destFormat);
  // qemu's raw windows take whole 512-byte sectors; the widened bytes come from the same (authoritative) src.
  const size = (await stat(src)).size;
  const merged = mergeAreas(areas.map((a) => sectorAligned(a, size)));
  for (const a of merged) {
    options.signal?.throwIfAborted();
    const window = (file: object) => `json:${JSON.stringify({ driver: "raw", offset: a.start, size: a.length, file })}`;
    const from = window({ driver: "file", filename: src });
    const into = window({ driver: destFormat, file: { driver: "file", filename: dest } });
    await runTool("qemu-img", ["convert", "-n", "-f", "raw", "-O", "raw", from, into], { timeoutMs: timeoutForBytes(a.length), signal: options.signal });
  }
  return merged.length;
}

/** The first `bytes` guest-visible bytes of an image, whatever its format (`qemu-img dd` into a scratch file). */
export async function readImageHead(path: string, format: string, bytes: number, options: { signal?: AbortSignal } = {}): Promise<Buffer> {
  checkFormat("format", format);
  const dir = await mkdtemp(join(tmpdir(), "landfall-head-"));
  try {
    const out = join(dir, "head.raw");
    await runTool("qemu-img", ["dd", "-f", format, "-O", "raw", `bs=${bytes}`, "count=1", `if=${path}`, `of=${out}`], { timeoutMs: 60_000, signal: options.signal });
    return await readFile(out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Grows (or shrinks) an image's virtual size. */
export async function resizeImage(path: string, format: string, sizeBytes: number, options: { signal?: AbortSignal } = {}): Promise<void> {
  checkFormat("format", format);
  await runTool("qemu-img", ["resize", "-f", format, path, String(sizeBytes)], { timeoutMs: 60_000, signal: options.signal });
}

/** A qcow2 overlay: writes land in `path`, the backing file is only read. */
export async function createOverlayImage(path: string, backingPath: string, backingFormat: string, sizeBytes?: number): Promise<void> {
  checkFormat("backingFormat", backingFormat);
  const args = ["create", "-f", "qcow2", "-b", backingPath, "-F", backingFormat, path];
  if (sizeBytes !== undefined) args.push(String(sizeBytes));
  await runTool("qemu-img", args, { timeoutMs: 60_000 });
}

/**
 * Converts `src` into `dest`. Writes `<dest>.partial` and renames it when complete and flushed, so a dest
 * that exists is always whole. For raw → raw the source file is moved, not copied (it is consumed).
 */
export async function convertImage(options: ConvertImageOptions): Promise<ImageInfo> {
  const { src, srcFormat, dest, destFormat, sizeBytes, signal } = options;
  checkFormat("srcFormat", srcFormat);
  checkFormat("destFormat", destFormat);
  const before = await imageInfo(src, { format: srcFormat, signal });
  const partial = `${dest}.partial`;
  let movedSource = false;
  try {
    movedSource = srcFormat === "raw" && destFormat === "raw" && (await moved(src, partial));
    if (!movedSource) {
      await createNoFollow(partial);
      await convertFile(src, srcFormat, partial, destFormat, { timeoutMs: timeoutForBytes(before.virtualSizeBytes), signal });
    }
    if (sizeBytes !== undefined && sizeBytes > before.virtualSizeBytes) await resizeImage(partial, destFormat, sizeBytes, { signal });
    await flushFile(partial);
    await rename(partial, dest);
  } catch (error) {
    // Never lose the staging file: a moved source goes back where it was.
    if (movedSource) await rename(partial, src);
    else await rm(partial, { force: true });
    throw error;
  }
  return imageInfo(dest, { format: destFormat, signal });
}

/** Renames when source and target share a filesystem; false (nothing done) when they do not. */
async function moved(from: string, to: string): Promise<boolean> {
  try {
    await rename(from, to);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EXDEV") return false;
    throw error;
  }
}

async function flushFile(path: string): Promise<void> {
  const file = await open(path, "r+");
  try {
    await file.datasync();
  } finally {
    await file.close();
  }
}
