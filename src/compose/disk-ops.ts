// The production disk pipeline handed to the migration runner: src/disk's transfer, qemu-img conversion and
// independent read-back hashes.
import type { DiskOps } from "../controllers/vmmigration/disk-ops.ts";
import { imageSha256, readerSha256 } from "../disk/checksum.ts";
import { convertImage, imageInfo, writeAreasInto } from "../disk/convert.ts";
import { imageSha256FromStaging, stagingSha256 } from "../disk/staging-proof.ts";
import { transferDisk } from "../disk/transfer.ts";
import { applyChangedAreas, checkImageChunks, verifyUnverified } from "../disk/changed-areas.ts";
import { markImageAreasWritten, verifyImageUnverified } from "../disk/target-chunks.ts";

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
  stagingSha256: (path, signal) => stagingSha256(path, signal),
  imageSha256FromStaging: (a) => imageSha256FromStaging(a.image, a.format, a.stagingPath, { signal: a.signal, stagingHash: a.stagingHash }),
  readerSha256: (reader, signal) => readerSha256(reader, signal),
  applyChangedAreas: (a) => applyChangedAreas(a),
  verifyUnverified: (path, signal) => verifyUnverified(path, signal),
  writeAreas: async (a) => {
    await writeAreasInto(a.src, a.dest, a.destFormat, a.areas, { signal: a.signal });
  },
  markImageAreasWritten: (a) => markImageAreasWritten(a.image, a.stagingPath, a.areas),
  verifyImageUnverified: (a) => verifyImageUnverified(a.image, a.format, a.stagingPath, a.signal),
  checkImageChunks: (a) => checkImageChunks(a.image, a.format, a.stagingPath, a.signal),
};
