import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { chunkBuffers } from "./chunk-buffer-pool.ts";
import { ChunkDigestFile, chunkDigest, chunkDigestsPath, chunkLayoutOf, sealOf } from "./chunk-digests.ts";
import { openFileDiskReader } from "./file-reader.ts";
import { stagingSha256 } from "./staging-proof.ts";
import { transferDisk } from "./transfer.ts";

const MiB = 1 << 20;
let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "landfall-staging-proof-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sha256 = (bytes: Uint8Array) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

/** A thin disk (data in two places, holes elsewhere) transferred into a staging file, as Transferring leaves it. */
async function staged(label: string): Promise<{ staging: string; content: Buffer; result: Awaited<ReturnType<typeof transferDisk>> }> {
  const content = Buffer.alloc(10 * MiB + 4096);
  randomBytes(300 * 1024).copy(content, MiB);
  randomBytes(4096).copy(content, 9 * MiB + 100);
  const source = join(dir, `${label}-source.raw`);
  await writeFile(source, content);
  const reader = await openFileDiskReader(source);
  const staging = join(dir, `${label}.raw`);
  try {
    return { staging, content, result: await transferDisk({ reader, stagingPath: staging, chunkBytes: 4 * MiB }) };
  } finally {
    await reader.close();
  }
}

async function flipByte(path: string, offset: number): Promise<void> {
  const f = await open(path, "r+");
  try {
    const b = Buffer.alloc(1);
    await f.read(b, 0, 1, offset);
    b[0] = (b[0] as number) ^ 0xff;
    await f.write(b, 0, 1, offset);
  } finally {
    await f.close();
  }
}

describe("chunkDigest", () => {
  test("identifies the chunk's bytes: equal chunks agree; a byte changed in data, or set in a hole, changes it", () => {
    const chunk = Buffer.alloc(64 * 1024);
    randomBytes(5000).copy(chunk, 8192);
    const same = Buffer.from(chunk);
    assert.deepEqual(chunkDigest(chunk), chunkDigest(same));
    const inData = Buffer.from(chunk);
    inData[9000] = (inData[9000] as number) ^ 1;
    const inHole = Buffer.from(chunk);
    inHole[40_000] = 1;
    // The same data run at another offset is other bytes too.
    const moved = Buffer.alloc(64 * 1024);
    chunk.copy(moved, 12_288, 8192, 8192 + 8192);
    const digests = [chunk, inData, inHole, moved].map((c) => chunkDigest(c).toString("hex"));
    assert.equal(new Set(digests).size, 4);
    assert.equal(`sha256:${chunkDigest(Buffer.alloc(4 * MiB)).toString("hex")}`, sha256(Buffer.alloc(0)), "an all-zero chunk hashes nothing");
  });
});

describe("sealed chunk digests", () => {
  test("a finished transfer seals its sidecar with the disk's sha256; reopening it for writing drops the seal", async () => {
    const { staging, content, result } = await staged("seal");
    assert.equal(result.sha256, sha256(content));
    const sidecar = await readFile(chunkDigestsPath(staging));
    const layout = chunkLayoutOf(sidecar);
    assert.ok(layout);
    assert.equal(sealOf(sidecar, layout), result.sha256);
    // What a resume or a warm precopy does: the digests stay, the seal goes.
    const { sidecar: reopened } = await ChunkDigestFile.open(chunkDigestsPath(staging), layout, 3);
    await reopened.close();
    assert.equal(sealOf(await readFile(chunkDigestsPath(staging)), layout), undefined);
  });

  test("stagingSha256 answers the seal when every chunk matches its digest — it does not hash the file whole", async () => {
    const { staging, result } = await staged("intact");
    assert.equal(await stagingSha256(staging), result.sha256);
    // Shown by a seal that is not the file's sha256: answered as is, so the file was not hashed.
    const sidecar = await readFile(chunkDigestsPath(staging));
    const forged = Buffer.from(sidecar);
    forged.fill(0xab, forged.length - 32);
    await writeFile(chunkDigestsPath(staging), forged);
    assert.equal(await stagingSha256(staging), `sha256:${"ab".repeat(32)}`);
  });

  test("the read-back stays within the transfers' window: it waits while every buffer is out, then checks every chunk with one", async () => {
    const { staging } = await staged("window");
    // A forged seal is answered only when every chunk matched its digest: the check ran, not the fallback.
    const sidecar = await readFile(chunkDigestsPath(staging));
    sidecar.fill(0xcd, sidecar.length - 32);
    await writeFile(chunkDigestsPath(staging), sidecar);
    chunkBuffers.bound(1);
    try {
      const window = await chunkBuffers.lease(4 * MiB);
      let answered = false;
      const proof = stagingSha256(staging).then((answer) => {
        answered = true;
        return answer;
      });
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(answered, false, "no buffer past the window");
      assert.equal(chunkBuffers.waiting, 1);
      chunkBuffers.give(window);
      assert.equal(await proof, `sha256:${"cd".repeat(32)}`, "every chunk checked with the one buffer (no read-ahead)");
      assert.equal(chunkBuffers.allocated, 1);
    } finally {
      chunkBuffers.bound(Number.POSITIVE_INFINITY);
    }
  });

  test("a byte flipped in the file's data or in one of its holes: the file is hashed whole, and the hash is not the source's", async () => {
    for (const [label, offset] of [["data", MiB + 10], ["hole", 6 * MiB]] as const) {
      const { staging, content, result } = await staged(`flip-${label}`);
      await flipByte(staging, offset);
      const damaged = Buffer.from(content);
      damaged[offset] = (damaged[offset] as number) ^ 0xff;
      const answer = await stagingSha256(staging);
      assert.notEqual(answer, result.sha256, label);
      assert.equal(answer, sha256(damaged), `${label}: the file's own sha256`);
    }
  });

  test("an unsealed sidecar, a missing one, or a file of another size: hashed whole", async () => {
    const { staging, content } = await staged("unsealed");
    const sidecar = await readFile(chunkDigestsPath(staging));
    await writeFile(chunkDigestsPath(staging), sidecar.subarray(0, sidecar.length - 32));
    assert.equal(await stagingSha256(staging), sha256(content));
    await rm(chunkDigestsPath(staging));
    assert.equal(await stagingSha256(staging), sha256(content));
    const { staging: longer, content: longerContent } = await staged("longer");
    const f = await open(longer, "r+");
    await f.truncate(longerContent.length + 4096);
    await f.close();
    assert.equal(await stagingSha256(longer), sha256(Buffer.concat([longerContent, Buffer.alloc(4096)])));
  });

  test("a check that fails on its own (qemu-img map refusing the file) falls back to hashing the file whole", async () => {
    const { staging, content } = await staged("map-fails");
    // A qemu-img that refuses `map` and runs every other command: test code only, first on PATH for this call.
    const bin = join(dir, "failing-map-bin");
    await mkdir(bin, { recursive: true });
    const real = execFileSync("sh", ["-c", "command -v qemu-img"]).toString().trim();
    await writeFile(join(bin, "qemu-img"), `#!/bin/sh\n[ "$1" = map ] && { echo "map refused" >&2; exit 1; }\nexec ${real} "$@"\n`, { mode: 0o755 });
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    try {
      assert.equal(await stagingSha256(staging), sha256(content));
    } finally {
      process.env.PATH = path;
    }
  });
});
