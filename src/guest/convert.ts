// Converts the guest on a disk image for KVM in place with virt-v2v-in-place (libguestfs): virtio drivers in
// the initramfs, VMware tools removed, bootloader and fstab fixed. A disk without an operating system (an
// appliance's data, a raw boot sector) is reported as os "unknown" and left untouched, never an error.
// libguestfs boots a small appliance VM; without hardware virtualization it must run under TCG (forceTcg).
import { readImageHead } from "../disk/convert.ts";
import { runTool, ToolError } from "../disk/run-tool.ts";
import { diskLayout, LAYOUT_PROBE_BYTES, mayHoldOperatingSystem } from "./disk-layout.ts";
import { guestReport, type GuestReport, unknownGuest } from "./report.ts";
import { emptyV2vSummary, foundNoOperatingSystem, readV2vLine } from "./v2v-log.ts";

export interface GuestImage {
  path: string;
  /** qemu format name: qcow2, raw, … */
  format: string;
}

export interface ConvertGuestOptions {
  /** Run libguestfs' appliance under TCG (hosts without hardware virtualization, such as PVM). */
  forceTcg: boolean;
  /** Bound on the whole conversion (default 30 min: an appliance under TCG rebuilding an initramfs is slow). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export class GuestConversionError extends Error {
  constructor(message: string) {
    super(`${message} (set spec.options.guestConversion: skip to migrate the disk unchanged)`);
    this.name = "GuestConversionError";
  }
}

/** Why a disk with neither partitions nor a filesystem is left as it is. */
export const NO_OPERATING_SYSTEM = "the disk has no partition table and no filesystem: nothing to convert, copied unchanged";

export const DEFAULT_CONVERSION_TIMEOUT_MS = 30 * 60_000;
const FORMAT_RE = /^[a-z0-9]+$/;

/** The first LAYOUT_PROBE_BYTES of the guest-visible disk, whatever the image format. */
export const readDiskHead = (image: GuestImage, signal?: AbortSignal): Promise<Uint8Array> => readImageHead(image.path, image.format, LAYOUT_PROBE_BYTES, { signal });

/** Cheap (reads LAYOUT_PROBE_BYTES): whether the disk could hold an operating system worth inspecting. */
export async function mayHoldGuest(image: GuestImage, signal?: AbortSignal): Promise<boolean> {
  return mayHoldOperatingSystem(diskLayout(await readDiskHead(image, signal)));
}

export async function convertGuest(image: GuestImage, options: ConvertGuestOptions): Promise<GuestReport> {
  if (!image.path.startsWith("/")) throw new Error(`guest conversion: image path ${JSON.stringify(image.path)} must be absolute`);
  if (!FORMAT_RE.test(image.format)) throw new Error(`guest conversion: image format ${JSON.stringify(image.format)} is not a qemu format name`);
  const layout = diskLayout(await readDiskHead(image, options.signal));
  if (!mayHoldOperatingSystem(layout)) {
    return unknownGuest(NO_OPERATING_SYSTEM);
  }
  const summary = emptyV2vSummary();
  const env: NodeJS.ProcessEnv = { ...process.env, LIBGUESTFS_BACKEND: "direct" };
  if (options.forceTcg) env["LIBGUESTFS_BACKEND_SETTINGS"] = "force_tcg";
  else delete env["LIBGUESTFS_BACKEND_SETTINGS"];
  try {
    await runTool("virt-v2v-in-place", ["-v", "-i", "disk", "-if", image.format, "--root", "first", image.path], {
      timeoutMs: options.timeoutMs ?? DEFAULT_CONVERSION_TIMEOUT_MS,
      signal: options.signal,
      env,
      onOutputLine: (line) => readV2vLine(summary, line),
    });
  } catch (error) {
    if (error instanceof ToolError && error.exitCode !== null && foundNoOperatingSystem(summary)) {
      return unknownGuest(`virt-v2v found no operating system on the disk (${layout.kind}): copied unchanged`);
    }
    if (error instanceof ToolError && summary.errors.length > 0) {
      throw new GuestConversionError(`virt-v2v-in-place failed on ${image.path}: ${summary.errors.join("; ")}`);
    }
    throw error;
  }
  return guestReport(summary);
}
