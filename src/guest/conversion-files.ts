// Guest conversion that never modifies the verified image: virt-v2v-in-place works on a qcow2 overlay of it,
// the overlay is flattened into a result file, and only once the migration recorded the result's hash does the
// result replace the verified image. Every attempt after a crash starts again from the untouched verified image
// (the overlay of a killed attempt is discarded), so a guest is never converted twice in place.
//
// Files beside the image <dir>/<name>.<ext>:
//   <name>.guest-overlay.qcow2   virt-v2v-in-place's work (backed by the image); discarded when found stale
//   <name>.guest-report.json     the conversion's report, written before the result appears
//   <name>.guest.<ext>           the converted guest, flattened; appears whole (renamed from .partial)
import { readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import type { GuestImage } from "./convert.ts";
import type { GuestReport } from "./report.ts";

export interface ConversionFiles {
  overlay: string;
  report: string;
  result: string;
}

/** Pure: the files a conversion of `image` uses. */
export function conversionFiles(image: GuestImage): ConversionFiles {
  const ext = extname(image.path);
  const stem = join(dirname(image.path), basename(image.path, ext));
  return { overlay: `${stem}.guest-overlay.qcow2`, report: `${stem}.guest-report.json`, result: `${stem}.guest${ext}` };
}

export interface GuestConversionTools {
  convertGuest(image: GuestImage, signal?: AbortSignal): Promise<GuestReport>;
  /** qemu-img create -f qcow2 -b backing -F backingFormat path */
  createOverlay(path: string, backingPath: string, backingFormat: string): Promise<void>;
  /** qemu-img convert: a standalone copy of src (backing chain flattened) in destFormat. */
  flatten(src: string, srcFormat: string, dest: string, destFormat: string, signal?: AbortSignal): Promise<void>;
  imageSha256(path: string, format: string, signal?: AbortSignal): Promise<string>;
}

export interface ConversionOutcome {
  report: GuestReport;
  /** sha256:<hex> of the converted guest; absent when nothing was converted (no operating system). */
  resultSha256?: string;
}

const exists = (path: string) => stat(path).then(() => true, () => false);

/**
 * Converts the guest on `image` into the result file, leaving `image` as it was. Idempotent: a result and report
 * left by an earlier attempt are taken as they are; a stale overlay is thrown away and the conversion starts over.
 */
export async function convertIntoResult(image: GuestImage, tools: GuestConversionTools, signal?: AbortSignal): Promise<ConversionOutcome> {
  const files = conversionFiles(image);
  if ((await exists(files.result)) && (await exists(files.report))) {
    const report = JSON.parse(await readFile(files.report, "utf8")) as GuestReport;
    return { report, resultSha256: await tools.imageSha256(files.result, image.format, signal) };
  }
  await Promise.all([files.overlay, files.report, files.result, `${files.result}.partial`].map((f) => rm(f, { force: true })));
  await tools.createOverlay(files.overlay, image.path, image.format);
  const report = await tools.convertGuest({ path: files.overlay, format: "qcow2" }, signal);
  if (report.os === "unknown") {
    await rm(files.overlay, { force: true });
    return { report };
  }
  await tools.flatten(files.overlay, "qcow2", `${files.result}.partial`, image.format, signal);
  await writeFile(files.report, JSON.stringify(report));
  await rename(`${files.result}.partial`, files.result);
  await rm(files.overlay, { force: true });
  return { report, resultSha256: await tools.imageSha256(files.result, image.format, signal) };
}

/**
 * Puts the converted guest in the image's place, once its hash is recorded; idempotent (nothing to do when the
 * result was moved already or there was none).
 */
export async function replaceWithResult(image: GuestImage): Promise<void> {
  const files = conversionFiles(image);
  if (await exists(files.result)) await rename(files.result, image.path);
  await Promise.all([files.overlay, files.report].map((f) => rm(f, { force: true })));
}
