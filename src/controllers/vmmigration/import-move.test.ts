// Importing moves the converted image into the pool (consumeSource) instead of writing a second copy of the disk.
import assert from "node:assert/strict";
import { copyFile, mkdir, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, it } from "node:test";
import type { VMMigration } from "../../api/vmmigration.ts";
import type { ImportDiskRequest } from "../../providers/contract.ts";
import type { SqliteStore } from "../../store/sqlite/index.ts";
import { convertedFile, stagingDir } from "./plan.ts";
import { closeRunnerFixture, migrationAt, openRunnerFixture, poolStorage, scriptedRunner } from "./runner.fixture.ts";

let store: SqliteStore;
let pool: string;
before(async () => {
  ({ store, pool } = await openRunnerFixture("import-move"));
});
after(() => closeRunnerFixture({ store, pool }));

it("the converted image becomes the volume by rename: the volume is the staged file, not a copy", async () => {
  // A target that does what the contract says: consumeSource moves the file, otherwise it copies.
  const target = {
    ...poolStorage(pool),
    importDisk: async (r: ImportDiskRequest) => {
      const path = join(pool, `${r.diskID}.${r.format}`);
      if (r.consumeSource) await rename(r.sourcePath, path);
      else await copyFile(r.sourcePath, path);
      return { diskID: r.diskID, path, format: r.format, virtualSizeBytes: 4096 };
    },  verifyVolume: async () => "sha256:aa",
  };
  const source = {
    getVM: async () => {
      throw new Error("stop before creating the VirtualMachine");
    },
  };
  const disk = { imageInfo: async () => ({ format: "qcow2", virtualSizeBytes: 4096 }) };
  const runner = scriptedRunner(store, { source, target, disk });
  const converted = { diskID: "web02-disk0", key: 2000, sizeBytes: 4096, bytesDone: 4096, sha256: "sha256:aa", targetFormat: "qcow2", state: "Converted" };
  const m = await migrationAt(store, "web02", { phase: "Importing", source: { vmID: "vm-4" }, disks: [converted] });
  await mkdir(stagingDir(pool, m), { recursive: true });
  const staged = convertedFile(stagingDir(pool, m), converted as never);
  await writeFile(staged, "converted image");
  const stagedInode = (await stat(staged)).ino;

  await assert.rejects(runner.run("default", "web02", new AbortController().signal), /stop before creating the VirtualMachine/);
  const done = await store.get<VMMigration>("VMMigration", "default", "web02");
  assert.equal(done.status?.disks?.[0]?.state, "Verified");
  assert.equal((await stat(join(pool, "web02-disk0.qcow2"))).ino, stagedInode, "the volume is the staged file itself");
});
