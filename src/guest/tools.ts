// The production tools of a guest conversion: virt-v2v-in-place through convertGuest, qemu-img for overlays and
// flattening, the pipeline's guest-visible sha256. The composition root builds one; tests inject their own.
import { imageSha256 } from "../disk/checksum.ts";
import { convertFile, createOverlayImage, imageInfo } from "../disk/convert.ts";
import { timeoutForBytes } from "../disk/run-tool.ts";
import type { GuestConversionTools } from "./conversion-files.ts";
import { convertGuest } from "./convert.ts";

export interface GuestToolsOptions {
  /** Whether libguestfs' appliance must run under TCG (no hardware virtualization on this host). */
  forceTcg: () => Promise<boolean>;
  timeoutMs?: number;
}

export function guestConversionTools(options: GuestToolsOptions): GuestConversionTools {
  return {
    convertGuest: async (image, signal) => convertGuest(image, { forceTcg: await options.forceTcg(), timeoutMs: options.timeoutMs, signal }),
    createOverlay: (path, backingPath, backingFormat) => createOverlayImage(path, backingPath, backingFormat),
    flatten: async (src, srcFormat, dest, destFormat, signal) => {
      const info = await imageInfo(src, { format: srcFormat, signal });
      await convertFile(src, srcFormat, dest, destFormat, { timeoutMs: timeoutForBytes(info.virtualSizeBytes), signal });
    },
    imageSha256: (path, format, signal) => imageSha256(path, format, { signal }),
  };
}
