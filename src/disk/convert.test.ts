// convertImage, imageInfo and imageSha256 against the real qemu-img / qemu-nbd / nbdcopy.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { access, lstat, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ChecksumMismatchError, imageSha256, verifyMatch } from "./checksum.ts";
import { convertImage, imageInfo, parseImageInfo } from "./convert.ts";
import { readerBytes, syntheticDisk } from "./synthetic-disk.ts";
import { transferDisk } from "./transfer.ts";
import type { DiskReader } from "../providers/contract.ts";

/** The reader's bytes where the offset is in the first 64 KiB of each MiB, zeros elsewhere. */
async function* onlyFirstRegionPerMiB(reader: DiskReader, offset: number, length: number, signal?: AbortSignal): AsyncIterable<Uint8Array> {
  let at = offset;
  for await (const piece of reader.readRange(offset, length, signal)) {
    const out = Buffer.from(piece);
    for (let i = 0; i < out.length; ) {
      const inMiB = (at + i) % MiB;
      const runEnd = Math.min(out.length, i + (inMiB < 64 * 1024 ? 64 * 1024 : MiB) - inMiB);
      if (inMiB >= 64 * 1024) out.fill(0, i, runEnd);
      i = runEnd;
    }
    at += out.length;
    yield out;
  }
}

const MiB = 1024 * 1024;
let dir: string;
let lockHolder: ChildProcess | undefined;
let content: Buffer;
let sourceHash: string;

/** A fresh staging file holding the synthetic disk, as the pipeline leaves it. */
async function staged(name: string): Promise<string> {
  const path = join(dir, name);
  const result = await transferDisk({ reader: syntheticDisk({ sizeBytes: 6 * MiB + 65536, seed: 4 }), stagingPath: path, chunkBytes: MiB });
  assert.equal(result.sha256, sourceHash);
  return path;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "landfall-convert-"));
  content = await readerBytes(syntheticDisk({ sizeBytes: 6 * MiB + 65536, seed: 4 }));
  sourceHash = `sha256:${createHash("sha256").update(content).digest("hex")}`;
});
after(async () => {
  lockHolder?.kill("SIGKILL");
  await rm(dir, { recursive: true, force: true });
});

describe("convertImage + imageSha256", () => {
  test("raw → qcow2: the qcow2's guest-visible hash equals the source hash", async () => {
    const src = await staged("q.raw");
    const dest = join(dir, "q.qcow2");
    const info = await convertImage({ src, srcFormat: "raw", dest, destFormat: "qcow2" });
    assert.equal(info.format, "qcow2");
    assert.equal(info.virtualSizeBytes, content.length);
    assert.ok(info.actualSizeBytes < content.length, `qcow2 of a half-zero disk should be sparse (${info.actualSizeBytes})`);
    await assert.rejects(access(`${dest}.partial`), "no .partial file is left behind");
    assert.equal(await imageSha256(dest, "qcow2"), sourceHash);
    assert.equal(await imageSha256(src, "raw"), sourceHash, "the staging file stays for a raw→qcow2 conversion");
  });

  test("raw → vmdk decodes to the same hash", async () => {
    const dest = join(dir, "v.vmdk");
    await convertImage({ src: await staged("v.raw"), srcFormat: "raw", dest, destFormat: "vmdk" });
    assert.equal((await imageInfo(dest, { format: "vmdk" })).virtualSizeBytes, content.length);
    assert.equal(await imageSha256(dest, "vmdk"), sourceHash);
  });

  test("raw → raw moves the staging file instead of copying it", async () => {
    const src = await staged("r.raw");
    const { ino } = await stat(src);
    const dest = join(dir, "r-final.raw");
    await convertImage({ src, srcFormat: "raw", dest, destFormat: "raw" });
    assert.equal((await stat(dest)).ino, ino, "dest should be the same inode (renamed)");
    await assert.rejects(access(src));
    assert.ok((await readFile(dest)).equals(content));
  });

  test("a mostly-zero disk stays sparse from the staging file to the qcow2: each costs what the data holds", async () => {
    // 64 KiB of data (one qcow2 cluster) every 1 MiB of a 32 MiB disk: 2 MiB of data.
    const sizeBytes = 32 * MiB;
    const reader = syntheticDisk({ sizeBytes, regionBytes: 64 * 1024, seed: 11 });
    const sparse: DiskReader = { sizeBytes, readRange: (offset, length, signal) => onlyFirstRegionPerMiB(reader, offset, length, signal), close: async () => {} };
    const src = join(dir, "sparse.raw");
    const result = await transferDisk({ reader: sparse, stagingPath: src, chunkBytes: MiB });
    const dataBytes = 2 * MiB;
    assert.equal(result.zeroBytes, sizeBytes - dataBytes);
    const dest = join(dir, "sparse.qcow2");
    await convertImage({ src, srcFormat: "raw", dest, destFormat: "qcow2" });
    for (const [path, slack] of [
      [src, 64 * 1024], // the filesystem's own extent blocks
      [dest, MiB], // qcow2 metadata: header, L1/L2 tables, refcounts
    ] as const) {
      const allocated = (await stat(path)).blocks * 512;
      assert.ok(allocated <= dataBytes + slack, `${path}: ${allocated} bytes allocated for ${dataBytes} bytes of data: the image became dense`);
    }
    assert.equal(await imageSha256(dest, "qcow2"), result.sha256);
  });

  test("sizeBytes grows the disk; the hash covers the grown zeros", async () => {
    const dest = join(dir, "grown.qcow2");
    const sizeBytes = content.length + 2 * MiB;
    const info = await convertImage({ src: await staged("g.raw"), srcFormat: "raw", dest, destFormat: "qcow2", sizeBytes });
    assert.equal(info.virtualSizeBytes, sizeBytes);
    const grown = Buffer.concat([content, Buffer.alloc(2 * MiB)]);
    assert.equal(await imageSha256(dest, "qcow2"), `sha256:${createHash("sha256").update(grown).digest("hex")}`);
  });

  test("imageSha256 reads the image of a running VM (write-locked by another process)", async () => {
    const image = join(dir, "locked.qcow2");
    await convertImage({ src: await staged("l.raw"), srcFormat: "raw", dest: image, destFormat: "qcow2" });
    // qemu-nbd opening the image read-write takes QEMU's write lock, exactly as a running domain does.
    const socket = join(dir, "lock.sock");
    lockHolder = spawn("qemu-nbd", ["-f", "qcow2", "--socket", socket, image], { stdio: "ignore" });
    for (let i = 0; i < 100 && !(await access(socket).then(() => true, () => false)); i++) await new Promise((r) => setTimeout(r, 20));
    const lockedOut = await spawnStatus("qemu-img", ["info", "-f", "qcow2", image]);
    assert.notEqual(lockedOut, 0, "without -U the image must be reported as locked, else this test proves nothing");
    assert.equal(await imageSha256(image, "qcow2"), sourceHash);
  });

  test("a decoder that fails part-way gives an error naming it, never the digest of what it wrote", async () => {
    const image = join(dir, "fail.qcow2");
    await convertImage({ src: await staged("fail.raw"), srcFormat: "raw", dest: image, destFormat: "qcow2" });
    // Fault injection: an nbdcopy earlier on PATH writes part of an image and fails.
    const fakeBin = join(dir, "fake-bin");
    await mkdir(fakeBin);
    await writeFile(join(fakeBin, "nbdcopy"), "#!/bin/sh\nprintf 'half an image'\necho 'nbdcopy: read error' >&2\nexit 3\n", { mode: 0o755 });
    const path = process.env.PATH;
    process.env.PATH = `${fakeBin}:${path}`;
    try {
      await assert.rejects(imageSha256(image, "qcow2"), (error: Error) => /nbdcopy .* exited with code 3: nbdcopy: read error/.test(error.message));
    } finally {
      process.env.PATH = path;
    }
    assert.equal(await imageSha256(image, "qcow2"), sourceHash, "the real decoder still hashes the image");
  });

  test("errors name the command and carry qemu-img's stderr", async () => {
    const bogus = join(dir, "bogus.qcow2");
    await writeFile(bogus, "not an image");
    await assert.rejects(
      convertImage({ src: bogus, srcFormat: "qcow2", dest: join(dir, "out.raw"), destFormat: "raw" }),
      (error: Error) => /qemu-img info/.test(error.message) && /qcow2/i.test(error.message) && /exited with code 1: /.test(error.message),
    );
    await assert.rejects(access(join(dir, "out.raw.partial")));
    await assert.rejects(convertImage({ src: bogus, srcFormat: "iso; rm -rf /", dest: bogus, destFormat: "raw" }), /srcFormat "iso; rm -rf \/" is not a supported image format/);
  });
});

function spawnStatus(command: string, args: string[]): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: "ignore", timeout: 10_000 });
    child.on("close", (code) => resolve(code));
  });
}

describe("verifyMatch", () => {
  const a = `sha256:${"a".repeat(64)}`;
  const b = `sha256:${"b".repeat(64)}`;
  test("passes on equal checksums", () => {
    verifyMatch(a, a, "disk-0");
  });
  test("a mismatch names the disk and both hashes", () => {
    assert.throws(
      () => verifyMatch(a, b, "Hard disk 1"),
      (error: unknown) =>
        error instanceof ChecksumMismatchError &&
        error.reason === "ChecksumMismatch" &&
        error.message.includes(a) &&
        error.message.includes(b) &&
        error.message.includes("Hard disk 1"),
    );
  });
  test("rejects a malformed checksum instead of comparing it", () => {
    assert.throws(() => verifyMatch("abc", a, "d"), /expected checksum "abc" is not of the form sha256:<64 hex digits>/);
  });
});

describe("convertImage never writes through a symlink", () => {
  test("a symlink planted at the partial name is replaced, not written through", async () => {
    const victim = join(dir, "victim.img");
    await writeFile(victim, "untouched");
    const src = join(dir, "small.raw");
    await writeFile(src, Buffer.alloc(MiB, 7));
    const dest = join(dir, "small.qcow2");
    await symlink(victim, `${dest}.partial`);
    await convertImage({ src, srcFormat: "raw", dest, destFormat: "qcow2" });
    assert.equal(await readFile(victim, "utf8"), "untouched");
    assert.ok((await lstat(dest)).isFile());
  });
});

describe("parseImageInfo", () => {
  test("reads qemu-img info --output=json, backing file, its format and a data file", () => {
    const info = parseImageInfo(
      JSON.stringify({
        format: "qcow2",
        "virtual-size": 8388608,
        "actual-size": 200704,
        "backing-filename": "base.raw",
        "full-backing-filename": "/p/base.raw",
        "backing-filename-format": "raw",
        "format-specific": { type: "qcow2", data: { "data-file": "/p/data.raw" } },
      }),
    );
    assert.deepEqual(info, { format: "qcow2", virtualSizeBytes: 8388608, actualSizeBytes: 200704, backingFile: "/p/base.raw", backingFormat: "raw", dataFile: "/p/data.raw" });
    assert.throws(() => parseImageInfo("qemu-img: oops"), /printed no JSON/);
  });
});
