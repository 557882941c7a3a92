// Importing moves the converted image into the pool (consumeSource) instead of writing a second copy of the disk.
import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp, rename, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { DEFAULT_CONVENTIONS } from "../../api/conventions.ts";
import type { VMMigration } from "../../api/vmmigration.ts";
import type { ImportDiskRequest } from "../../providers/contract.ts";
import { Slots } from "../../runtime/slots.ts";
import { openSqliteStore, type SqliteStore } from "../../store/sqlite/index.ts";
import type { ProviderClients } from "../provider/clients.ts";
import type { DiskOps } from "./disk-ops.ts";
import { convertedFile, stagingDir } from "./plan.ts";
import { noGuestConversion } from "./guest.fixture.ts";
import { MigrationRunner } from "./runner.ts";

let store: SqliteStore;
let pool: string;
before(async () => {
  store = await openSqliteStore({ path: ":memory:" });
  pool = await mkdtemp(join(tmpdir(), "landfall-import-move-"));
});
after(async () => {
  await store.close();
  await rm(pool, { recursive: true, force: true });
});

it("the converted image becomes the volume by rename: the volume is the staged file, not a copy", async () => {
  // A target that does what the contract says: consumeSource moves the file, otherwise it copies.
  const target = {
    ensureStorage: async () => ({ pool: "test", path: pool, availableBytes: 1 << 30 }),
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
  const clients = {
    leaseSource: async () => ({ provider: { spec: { type: "vsphere" } }, client: source, release: async () => undefined }),
    leaseTarget: async () => ({ provider: { spec: { type: "libvirt" } }, client: target, release: async () => undefined }),
  } as unknown as ProviderClients;
  const disk = { imageInfo: async () => ({ format: "qcow2", virtualSizeBytes: 4096 }) } as unknown as DiskOps;
  const runner = new MigrationRunner({ store, clients, disk, ...noGuestConversion, transferSlots: new Slots(2), conventions: DEFAULT_CONVENTIONS, log: () => undefined });
  const m = await store.create<VMMigration>({
    apiVersion: "landfall.dev/v1beta1",
    kind: "VMMigration",
    metadata: { name: "web02", namespace: "default" },
    spec: { source: { providerRef: { name: "vcenter" }, vmName: "web02" }, target: { providerRef: { name: "kvm" } } },
  } as VMMigration);
  const converted = { diskID: "web02-disk0", key: 2000, sizeBytes: 4096, bytesDone: 4096, sha256: "sha256:aa", targetFormat: "qcow2", state: "Converted" };
  await store.updateStatus<VMMigration>({ ...m, status: { phase: "Importing", source: { vmID: "vm-4" }, disks: [converted] } } as VMMigration);
  await mkdir(stagingDir(pool, m), { recursive: true });
  const staged = convertedFile(stagingDir(pool, m), converted as never);
  await writeFile(staged, "converted image");
  const stagedInode = (await stat(staged)).ino;

  await assert.rejects(runner.run("default", "web02", new AbortController().signal), /stop before creating the VirtualMachine/);
  const done = await store.get<VMMigration>("VMMigration", "default", "web02");
  assert.equal(done.status?.disks?.[0]?.state, "Verified");
  assert.equal((await stat(join(pool, "web02-disk0.qcow2"))).ino, stagedInode, "the volume is the staged file itself");
});
