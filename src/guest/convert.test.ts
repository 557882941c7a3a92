import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runTool } from "../disk/run-tool.ts";
import { convertGuest, readDiskHead } from "./convert.ts";
import { LAYOUT_PROBE_BYTES } from "./disk-layout.ts";

test("a disk without partitions or filesystems is os unknown, untouched, and no libguestfs appliance is booted", async () => {
  const dir = await mkdtemp(join(tmpdir(), "landfall-guest-"));
  try {
    const sector = Buffer.alloc(512);
    sector.write("LANDFALL-BOOT-OK", 16, "latin1");
    sector[510] = 0x55;
    sector[511] = 0xaa;
    const raw = join(dir, "boot.raw");
    await writeFile(raw, Buffer.concat([sector, Buffer.alloc(1024 * 1024 - 512)]));
    const qcow2 = join(dir, "boot.qcow2");
    await runTool("qemu-img", ["convert", "-f", "raw", "-O", "qcow2", raw, qcow2], { timeoutMs: 30_000 });
    const before = createHash("sha256").update(await readFile(qcow2)).digest("hex");
    const started = Date.now();
    // forceTcg false and a 10 s bound: reaching virt-v2v would fail or time out, so passing proves it was not run.
    const report = await convertGuest({ path: qcow2, format: "qcow2" }, { forceTcg: false, timeoutMs: 10_000 });
    assert.equal(report.os, "unknown");
    assert.deepEqual(report.actions, []);
    assert.match(report.message ?? "", /no partition table/);
    assert.ok(Date.now() - started < 10_000);
    assert.equal(createHash("sha256").update(await readFile(qcow2)).digest("hex"), before);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("readDiskHead reads guest-visible bytes through the image format", async () => {
  const dir = await mkdtemp(join(tmpdir(), "landfall-guest-"));
  try {
    const raw = join(dir, "d.raw");
    const content = Buffer.alloc(2 * LAYOUT_PROBE_BYTES, 0x5a);
    await writeFile(raw, content);
    const qcow2 = join(dir, "d.qcow2");
    await runTool("qemu-img", ["convert", "-f", "raw", "-O", "qcow2", raw, qcow2], { timeoutMs: 30_000 });
    const head = await readDiskHead({ path: qcow2, format: "qcow2" });
    assert.equal(head.length, LAYOUT_PROBE_BYTES);
    assert.ok(head.every((b) => b === 0x5a));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
