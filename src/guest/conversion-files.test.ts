import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { runTool } from "../disk/run-tool.ts";
import { conversionFiles, convertIntoResult, type GuestConversionTools, replaceWithResult } from "./conversion-files.ts";
import type { GuestImage } from "./convert.ts";
import type { GuestReport } from "./report.ts";

let dir = "";
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "landfall-conversion-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const qemuImg = (args: string[]) => runTool("qemu-img", args, { timeoutMs: 30_000 });

async function guestSha256(path: string, format: string): Promise<string> {
  const raw = `${path}.hash.raw`;
  await qemuImg(["convert", "-U", "-f", format, "-O", "raw", path, raw]);
  try {
    return `sha256:${createHash("sha256").update(await readFile(raw)).digest("hex")}`;
  } finally {
    await rm(raw, { force: true });
  }
}

/** Real qemu-img for overlays, flattening and hashes; the guest converter is the test's (a real one takes minutes). */
function tools(convertGuest: GuestConversionTools["convertGuest"]): GuestConversionTools {
  return {
    convertGuest,
    createOverlay: (path, backing, fmt) => qemuImg(["create", "-q", "-f", "qcow2", "-b", backing, "-F", fmt, path]).then(() => undefined),
    flatten: (src, srcFmt, dest, destFmt) => qemuImg(["convert", "-f", srcFmt, "-O", destFmt, src, dest]).then(() => undefined),
    imageSha256: guestSha256,
  };
}

const linux: GuestReport = { os: "linux", distro: "debian", version: "12", actions: ["rebuilt the initramfs"], warnings: [] };

/** Writes into the image as virt-v2v-in-place would (it changes files inside the guest). */
const writeInto = (image: GuestImage, pattern: string) => runTool("qemu-io", ["-f", image.format, "-c", `write -P ${pattern} 0 64k`, image.path], { timeoutMs: 30_000 });

async function verifiedImage(name: string): Promise<GuestImage> {
  const raw = join(dir, `${name}.raw`);
  await writeFile(raw, Buffer.alloc(1 << 20, 0x11));
  const image = { path: join(dir, `${name}.qcow2`), format: "qcow2" };
  await qemuImg(["convert", "-f", "raw", "-O", "qcow2", raw, image.path]);
  await rm(raw);
  return image;
}

test("a conversion killed midway leaves the verified image untouched; the next attempt starts from it, not from the half-converted guest", async () => {
  const image = await verifiedImage("crash");
  const verified = await guestSha256(image.path, image.format);
  const seenAtStart: string[] = [];
  let attempts = 0;
  const converter = tools(async (work) => {
    attempts++;
    seenAtStart.push(await guestSha256(work.path, work.format));
    await writeInto(work, "0x42");
    if (attempts === 1) throw new Error("killed mid-conversion");
    return linux;
  });
  await assert.rejects(convertIntoResult(image, converter), /killed mid-conversion/);
  assert.equal(await guestSha256(image.path, image.format), verified, "the verified image was not modified");
  const outcome = await convertIntoResult(image, converter);
  assert.deepEqual(seenAtStart, [verified, verified], "each attempt began from the verified bytes");
  assert.notEqual(outcome.resultSha256, verified);
  assert.deepEqual(outcome.report, linux);
  assert.equal(await guestSha256(image.path, image.format), verified, "still untouched until the result is recorded");

  await replaceWithResult(image);
  assert.equal(await guestSha256(image.path, image.format), outcome.resultSha256);
  const files = conversionFiles(image);
  for (const f of [files.overlay, files.report, files.result]) await assert.rejects(stat(f), "work files are gone");
  await replaceWithResult(image);
  assert.equal(await guestSha256(image.path, image.format), outcome.resultSha256, "replacing twice changes nothing");
});

test("a finished result not yet recorded (crash after the conversion) is taken as it is: the guest is not converted again", async () => {
  const image = await verifiedImage("recorded");
  let conversions = 0;
  const converter = tools(async (work) => {
    conversions++;
    await writeInto(work, "0x43");
    return linux;
  });
  const first = await convertIntoResult(image, converter);
  const again = await convertIntoResult(image, converter);
  assert.equal(conversions, 1);
  assert.equal(again.resultSha256, first.resultSha256);
  assert.deepEqual(again.report, first.report);
});

test("no operating system: no result, the image stays the one the VM boots from", async () => {
  const image = await verifiedImage("appliance");
  const verified = await guestSha256(image.path, image.format);
  const outcome = await convertIntoResult(image, tools(async () => ({ os: "unknown", actions: [], warnings: [], message: "no OS" })));
  assert.equal(outcome.resultSha256, undefined);
  await replaceWithResult(image);
  assert.equal(await guestSha256(image.path, image.format), verified);
  await assert.rejects(stat(conversionFiles(image).overlay));
});
