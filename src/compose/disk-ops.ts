// The production disk pipeline handed to the migration runner: src/disk's transfer, qemu-img conversion and
// independent read-back hashes.
import type { DiskOps } from "../controllers/vmmigration/disk-ops.ts";
import { imageSha256, readerSha256 } from "../disk/checksum.ts";
import { convertImage, imageInfo } from "../disk/convert.ts";
import { transferDisk } from "../disk/transfer.ts";

export const diskOps: DiskOps = {
  transfer: (a) => transferDisk(a),
  convert: async (a) => {
    await convertImage(a);
  },
  imageInfo: async (path, format) => {
    const info = await imageInfo(path, { format });
    return { format: info.format, virtualSizeBytes: info.virtualSizeBytes };
  },
  imageSha256: (path, format, signal) => imageSha256(path, format, { signal }),
  readerSha256: (reader, signal) => readerSha256(reader, signal),
};
