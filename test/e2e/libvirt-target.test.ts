// The TargetProvider contract against real libvirtd (qemu:///system) and QEMU, in a throwaway pool under
// /var/lib/landfall-test/<random>/. Two guest boots prove imported and overlay disks really boot. The verifyVolume
// part of the contract runs in its own pool.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { open, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { chunkDigestsPath } from "../../src/disk/chunk-digests.ts";
import { transferDisk } from "../../src/disk/transfer.ts";
import type { TargetProvider } from "../../src/providers/contract.ts";
import { createLibvirtTarget } from "../../src/providers/libvirt/target.ts";
import { runTargetContract } from "../../src/providers/target.contract.ts";
import { runVolumeVerificationContract } from "../../src/providers/volume-verification.contract.ts";
import { waitForConsole, writeBootDisk } from "../harness/bootdisk.ts";
import { createTempLibvirt, guestBytesSha256, sha256File, TEST_URI, type TempLibvirt } from "../harness/libvirt.ts";

const MiB = 2 ** 20;

runTargetContract("libvirt", async () => {
  const env = await createTempLibvirt("target");
  return {
    provider: createLibvirtTarget({
      uri: TEST_URI,
      storagePool: env.pool,
      storagePoolPath: env.poolPath,
      consoleLogDir: env.consoleLogDir,
    }),
    namePrefix: env.prefix,
    scratchDir: env.scratchDir,
    writeBootDisk,
    waitForMarker: async (vm, marker, timeoutMs) => {
      if (!vm.consoleLog) throw new Error(`VM ${vm.name} has no console log`);
      await waitForConsole(vm.consoleLog, marker, timeoutMs);
    },
    guestSha256: guestBytesSha256,
    fileSha256: sha256File,
    fileExists: async (path) => (await stat(path).catch(() => undefined)) !== undefined,
    teardown: env.cleanup,
  };
});

// verifyVolume reads the volume back; the damage is a byte flipped in the pool's file after the import.
runVolumeVerificationContract("libvirt", async () => {
  const env = await createTempLibvirt("verify");
  const provider = createLibvirtTarget({ uri: TEST_URI, storagePool: env.pool, storagePoolPath: env.poolPath, consoleLogDir: env.consoleLogDir });
  return {
    provider,
    scratchDir: env.scratchDir,
    importDamaged: async (request) => {
      const volume = await provider.importDisk(request);
      const fh = await open(volume.path, "r+");
      try {
        const b = Buffer.alloc(1);
        await fh.read(b, 0, 1, 4096);
        b[0] ^= 0xff;
        await fh.write(b, 0, 1, 4096);
      } finally {
        await fh.close();
      }
      return volume;
    },
    teardown: env.cleanup,
  };
});

describe("libvirt verifyVolume given the staging file the volume was made from", () => {
  let env: TempLibvirt;
  let provider: TargetProvider;
  before(async () => {
    env = await createTempLibvirt("verify-staging");
    provider = createLibvirtTarget({ uri: TEST_URI, storagePool: env.pool, storagePoolPath: env.poolPath, consoleLogDir: env.consoleLogDir });
  });
  after(async () => {
    await provider?.close();
    await env?.cleanup();
  });

  /** A disk transferred into a raw staging file inside the pool, as a migration stages it, and its source sha256. */
  async function staged(label: string) {
    const storage = await provider.ensureStorage();
    const bytes = Buffer.concat([randomBytes(3 * MiB), Buffer.alloc(5 * MiB), randomBytes(MiB + 512)]);
    const stagingPath = join(storage.path, `${label}.raw`);
    const reader = { sizeBytes: bytes.length, readRange: async function* (offset: number, length: number) { yield bytes.subarray(offset, offset + length); }, close: async () => {} };
    const { sha256 } = await transferDisk({ reader, stagingPath, chunkBytes: MiB });
    return { sha256, stagingPath };
  }

  const flip = async (path: string, at: number) => {
    const fh = await open(path, "r+");
    await fh.write(Buffer.from([0x5a]), 0, 1, at);
    await fh.close();
  };

  it("proves an intact qcow2 import identical to its staging file and answers with the source's sha256", async () => {
    const source = await staged("intact");
    const volume = await provider.importDisk({ diskID: "staged-intact", sourcePath: source.stagingPath, sourceFormat: "raw", format: "qcow2" });
    assert.equal(await provider.verifyVolume(volume, undefined, source), source.sha256);
    assert.equal(await provider.verifyVolume(volume), source.sha256, "the whole-volume hash agrees");
  });

  it("a volume damaged after it was made: both hashes and where it differs from the staging file", async () => {
    const source = await staged("damaged");
    const volume = await provider.importDisk({ diskID: "staged-damaged", sourcePath: source.stagingPath, sourceFormat: "raw", format: "raw" });
    await flip(volume.path, 4 * MiB + 7); // inside the zero region
    await assert.rejects(provider.verifyVolume(volume, undefined, source), (err: Error & { code?: string }) => {
      assert.equal(err.code, "ChecksumMismatch");
      assert.match(err.message, /differs from the staging file .*offset 4194304/);
      assert.equal(new Set(err.message.match(/sha256:[0-9a-f]{64}/g)).size, 2, err.message);
      return true;
    });
  });

  it("a staging file damaged before the volume was made: the staging file's own hash gives it away", async () => {
    const source = await staged("bad-staging");
    await flip(source.stagingPath, 600);
    const volume = await provider.importDisk({ diskID: "staged-bad", sourcePath: source.stagingPath, sourceFormat: "raw", format: "qcow2" });
    await assert.rejects(provider.verifyVolume(volume, undefined, source), (err: Error & { code?: string }) => err.code === "ChecksumMismatch" && /the staging file .* hashes to sha256:/.test(err.message));
  });

  it("without its staging file (a raw volume is the renamed staging file) the volume is hashed whole; a staging path outside the pool is refused", async () => {
    const source = await staged("renamed");
    const volume = await provider.importDisk({ diskID: "staged-renamed", sourcePath: source.stagingPath, sourceFormat: "raw", format: "raw", consumeSource: true });
    assert.equal(await provider.verifyVolume(volume, undefined, source), source.sha256);
    await assert.rejects(provider.verifyVolume(volume, undefined, { ...source, stagingPath: "/etc/passwd" }), (err: Error & { code?: string }) => err.code === "OutsideStorage");
  });

  it("a raw volume renamed from its staging file is proven by the staging file's sealed digests; a byte flipped in its zeros shows as its own sha256", async () => {
    const source = await staged("renamed-sealed");
    const digestsPath = chunkDigestsPath(source.stagingPath);
    const volume = await provider.importDisk({ diskID: "staged-renamed-sealed", sourcePath: source.stagingPath, sourceFormat: "raw", format: "raw", consumeSource: true });
    const withDigests = { ...source, digestsPath };
    assert.equal(await provider.verifyVolume(volume, undefined, withDigests), source.sha256);
    // A seal that is not the volume's sha256 is answered as is: the volume was proven by its digests, not hashed whole.
    const sidecar = await readFile(digestsPath);
    await writeFile(digestsPath, Buffer.concat([sidecar.subarray(0, sidecar.length - 32), Buffer.alloc(32, 0xab)]));
    assert.equal(await provider.verifyVolume(volume, undefined, withDigests), `sha256:${"ab".repeat(32)}`);
    await writeFile(digestsPath, sidecar);
    await flip(volume.path, 4 * MiB + 7);
    const damaged = await provider.verifyVolume(volume, undefined, withDigests);
    assert.notEqual(damaged, source.sha256);
    assert.equal(damaged, await provider.verifyVolume(volume), "the volume's own, whole sha256");
    await assert.rejects(provider.verifyVolume(volume, undefined, { ...withDigests, digestsPath: "/etc/passwd" }), (err: Error & { code?: string }) => err.code === "OutsideStorage");
  });
});
