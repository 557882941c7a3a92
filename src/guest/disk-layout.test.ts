import assert from "node:assert/strict";
import { test } from "node:test";
import { diskLayout, LAYOUT_PROBE_BYTES, mayHoldOperatingSystem } from "./disk-layout.ts";

function head(): Buffer {
  return Buffer.alloc(LAYOUT_PROBE_BYTES);
}

test("a boot sector with the 0x55AA signature but no partition entries holds no operating system", () => {
  const disk = head();
  disk.write("LANDFALL-BOOT-OK", 16, "latin1");
  disk[510] = 0x55;
  disk[511] = 0xaa;
  assert.deepEqual(diskLayout(disk), { kind: "none" });
  assert.equal(mayHoldOperatingSystem(diskLayout(disk)), false);
});

test("an MBR with one partition entry, a GPT header, and whole-disk filesystems are inspected", () => {
  const mbr = head();
  mbr[510] = 0x55;
  mbr[511] = 0xaa;
  mbr[446 + 4] = 0x83;
  mbr.writeUInt32LE(2048, 446 + 8);
  mbr.writeUInt32LE(4096, 446 + 12);
  assert.equal(diskLayout(mbr).kind, "mbr");

  const gpt = head();
  gpt.write("EFI PART", 512, "latin1");
  assert.equal(diskLayout(gpt).kind, "gpt");

  const ext = head();
  ext[1080] = 0x53;
  ext[1081] = 0xef;
  assert.equal(diskLayout(ext).kind, "filesystem:ext");

  const btrfs = head();
  btrfs.write("_BHRfS_M", 0x10040, "latin1");
  assert.equal(diskLayout(btrfs).kind, "filesystem:btrfs");
  for (const disk of [mbr, gpt, ext, btrfs]) assert.equal(mayHoldOperatingSystem(diskLayout(disk)), true);
});

test("random bytes and zeros hold no operating system; the ext magic alone (1 in 65536 random disks) is not enough", () => {
  assert.equal(diskLayout(head()).kind, "none");
  const noise = head().fill(0xa7);
  noise[1080] = 0x53;
  noise[1081] = 0xef;
  assert.equal(diskLayout(noise).kind, "none");
});
