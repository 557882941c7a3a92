// Importing after a guest conversion: the volume must be the converted image Converting hashed. The fault this
// guards against is the verified-but-unconverted image reaching the pool (the result never put in place).
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { VMMigration } from "../../api/vmmigration.ts";
import type { SqliteStore } from "../../store/sqlite/index.ts";
import { stagingDir } from "./plan.ts";
import { closeRunnerFixture, migrationAt, openRunnerFixture, poolStorage, scriptedRunner } from "./runner.fixture.ts";

let store: SqliteStore;
let pool: string;
before(async () => {
  ({ store, pool } = await openRunnerFixture("guest-import"));
});
after(() => closeRunnerFixture({ store, pool }));

/** Runs Importing for a boot disk whose guest was converted to "sha256:cc" (source "sha256:aa"); the volume hashes to `volumeHash`. */
async function importConverted(name: string, volumeHash: string): Promise<{ error: unknown; after: VMMigration }> {
  const target = { ...poolStorage(pool), verifyVolume: async () => volumeHash };
  const source = {
    getVM: async () => {
      throw new Error("stop before creating the VirtualMachine");
    },
  };
  const disk = { imageInfo: async () => ({ format: "qcow2", virtualSizeBytes: 4096 }) };
  const runner = scriptedRunner(store, { source, target, disk });
  // An earlier attempt's import (the adopt path): only the verification runs.
  const volume = join(pool, `${name}-disk0.qcow2`);
  await writeFile(volume, "volume");
  const boot = { diskID: `${name}-disk0`, key: 2000, sourcePath: "[ds] x.vmdk", sizeBytes: 4096, bytesDone: 4096, sha256: "sha256:aa", targetSha256: "sha256:aa", convertedSha256: "sha256:cc", targetPath: volume, targetFormat: "qcow2", state: "Converted" };
  const guest = { os: "linux", distro: "debian", conversion: ["rebuilt the initramfs"] };
  const m = await migrationAt(store, name, { phase: "Importing", source: { vmID: "vm-1" }, guest, disks: [boot] });
  await mkdir(stagingDir(pool, m), { recursive: true });
  const error = await runner.run("default", name, new AbortController().signal).then(() => undefined, (e: unknown) => e);
  return { error, after: await store.get<VMMigration>("VMMigration", "default", name) };
}

test("a volume holding the unconverted image fails with ChecksumMismatch naming the converted hash", async () => {
  const { error, after } = await importConverted("unconv", "sha256:aa");
  assert.equal((error as { reason?: string }).reason, "ChecksumMismatch");
  assert.match((error as Error).message, /hashes to sha256:aa but the converted guest image hashed to sha256:cc/);
  assert.equal(after.status?.disks?.[0].state, "Converted");
});

test("the converted volume verifies; targetSha256 keeps the pre-conversion hash (equal to the source's)", async () => {
  const { error, after } = await importConverted("conv", "sha256:cc");
  assert.match((error as Error).message, /stop before creating the VirtualMachine/);
  const [d] = after.status?.disks ?? [];
  assert.equal(d.state, "Verified");
  assert.equal(d.targetSha256, "sha256:aa");
  assert.equal(d.convertedSha256, "sha256:cc");
});
