// The production tools of a guest conversion: virt-v2v-in-place through convertGuest, qemu-img for overlays and
// flattening, the pipeline's guest-visible sha256. The composition root builds one; tests inject their own.
import { imageSha256 } from "../disk/checksum.ts";
import { runTool, timeoutForBytes } from "../disk/run-tool.ts";
import type { GuestConversionTools } from "./conversion-files.ts";
import { convertGuest } from "./convert.ts";

export interface GuestToolsOptions {
  /** libguestfs' appliance under TCG (no hardware virtualization on this host). */
  forceTcg: boolean;
  timeoutMs?: number;
}

export function guestConversionTools(options: GuestToolsOptions): GuestConversionTools {
  return {
    convertGuest: (image, signal) => convertGuest(image, { forceTcg: options.forceTcg, timeoutMs: options.timeoutMs, signal }),
    createOverlay: async (path, backingPath, backingFormat) => {
      await runTool("qemu-img", ["create", "-q", "-f", "qcow2", "-b", backingPath, "-F", backingFormat, path], { timeoutMs: 60_000 });
    },
    flatten: async (src, srcFormat, dest, destFormat, signal) => {
      await runTool("qemu-img", ["convert", "-f", srcFormat, "-O", destFormat, src, dest], { timeoutMs: timeoutForBytes(64 * 2 ** 30), signal });
    },
    imageSha256: (path, format, signal) => imageSha256(path, format, { signal }),
  };
}
