import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { MigrationDisk } from "../../api/vmmigration.ts";
import type { GuestConversionTools } from "../../guest/conversion-files.ts";
import { type ConvertBootGuestArgs, convertBootGuest, type GuestConversionRecord } from "./guest-conversion.ts";

let dir = "";
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "landfall-guest-step-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sha = async (path: string) => `sha256:${createHash("sha256").update(await readFile(path)).digest("hex")}`;

/** Raw files stand in for images: overlays are copies, the "converter" appends a marker (what matters is the files' protocol). */
function fakeTools(calls: { conversions: number; hashes: number }, crashAfterConversion = false): GuestConversionTools {
  return {
    createOverlay: (path, backing) => copyFile(backing, path),
    flatten: (src, _f, dest) => copyFile(src, dest),
    imageSha256: async (path) => {
      calls.hashes++;
      return sha(path);
    },
    convertGuest: async (image) => {
      calls.conversions++;
      await writeFile(image.path, Buffer.concat([await readFile(image.path), Buffer.from("converted")]));
      if (crashAfterConversion) throw new Error("killed");
      return { os: "linux", distro: "debian", version: "12", actions: ["rebuilt the initramfs"], warnings: [] };
    },
  };
}

async function setup(name: string, content = "verified bytes"): Promise<{ args: ConvertBootGuestArgs; records: GuestConversionRecord[]; calls: { conversions: number; hashes: number } }> {
  const path = join(dir, `${name}.raw`);
  await writeFile(path, content);
  const disk = { diskID: name, sourcePath: "[ds] x.vmdk", sizeBytes: 14, bytesDone: 14, sha256: await sha(path) } as MigrationDisk;
  const records: GuestConversionRecord[] = [];
  const calls = { conversions: 0, hashes: 0 };
  const args: ConvertBootGuestArgs = {
    image: { path, format: "raw" },
    disk,
    recorded: undefined,
    verifyChecksums: true,
    io: { tools: fakeTools(calls), mayHoldGuest: async () => true },
    record: async (r) => {
      records.push(r);
    },
    mismatch: (m) => new Error(`ChecksumMismatch: ${m}`),
  };
  return { args, records, calls };
}

test("verified, converted into a copy, recorded, then put in place: hashes recorded before and after", async () => {
  const { args, records } = await setup("boot");
  await convertBootGuest(args);
  assert.equal(records.length, 1);
  assert.equal(records[0].targetSha256, args.disk.sha256);
  assert.equal(records[0].convertedSha256, await sha(args.image.path), "the image the VM boots from is the recorded converted one");
  assert.notEqual(records[0].convertedSha256, args.disk.sha256);
  assert.deepEqual(records[0].guest.conversion, ["rebuilt the initramfs"]);
});

test("an image Converting has just read back is not hashed again before its conversion; only the result is", async () => {
  const { args, records, calls } = await setup("proven");
  await convertBootGuest({ ...args, provenSha256: args.disk.sha256 });
  assert.equal(calls.hashes, 1, "the converted result only");
  assert.equal(records[0].targetSha256, args.disk.sha256);
  assert.equal(records[0].convertedSha256, await sha(args.image.path));
});

test("a crash after the record and before the rename: the rerun only renames, never converts again", async () => {
  const { args, records, calls } = await setup("crash-after-record");
  let crashed = false;
  await assert.rejects(
    convertBootGuest({
      ...args,
      record: async (r) => {
        records.push(r);
        crashed = true;
        throw new Error("server killed after the status write");
      },
    }),
    /killed/,
  );
  assert.ok(crashed);
  assert.equal(await sha(args.image.path), args.disk.sha256, "not replaced yet");
  await convertBootGuest({ ...args, recorded: records[0].guest });
  assert.equal(calls.conversions, 1);
  assert.equal(await sha(args.image.path), records[0].convertedSha256);
});

test("a crash during the conversion: the verified image is intact and the rerun converts from it once", async () => {
  const { args, records, calls } = await setup("crash-during");
  await assert.rejects(convertBootGuest({ ...args, io: { ...args.io, tools: fakeTools(calls, true) } }), /killed/);
  assert.equal(await sha(args.image.path), args.disk.sha256);
  await convertBootGuest(args);
  assert.equal(await readFile(args.image.path, "utf8"), "verified bytesconverted", "converted exactly once, from the verified bytes");
  assert.equal(records.length, 1);
});

test("an image damaged before conversion fails with ChecksumMismatch and is not converted", async () => {
  const { args, calls } = await setup("damaged");
  await writeFile(args.image.path, "damaged bytes!");
  await assert.rejects(convertBootGuest(args), /ChecksumMismatch: disk damaged: image .* hashes to sha256:/);
  assert.equal(calls.conversions, 0);
});

test("a disk with no partitions or filesystem: recorded as unknown without hashing or converting", async () => {
  const { args, records, calls } = await setup("appliance");
  await convertBootGuest({ ...args, io: { ...args.io, mayHoldGuest: async () => false } });
  assert.equal(records[0].guest.os, "unknown");
  assert.equal(records[0].convertedSha256, undefined);
  assert.deepEqual(calls, { conversions: 0, hashes: 0 });
});
