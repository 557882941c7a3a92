// Placement by datastore: each disk goes to the pool its datastore maps to, an unmapped datastore to the default
// pool, and every pool the plan uses must have room.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { VMMigration } from "../../api/vmmigration.ts";
import type { SourceVM, TargetStorage } from "../../providers/contract.ts";
import { planDisks, poolForDatastore, poolsNeeded } from "./plan.ts";
import { spaceShortfalls } from "./space.ts";

const GiB = 2 ** 30;

const vm: SourceVM = {
  name: "db01",
  id: "vm-9",
  uuid: "u",
  powerState: "poweredOff",
  guestOS: "otherGuest",
  cpus: 1,
  memoryMiB: 512,
  firmware: "bios",
  disks: [
    { key: 2000, label: "Hard disk 1", fileName: "[LocalDS_0] db01/db01.vmdk", capacityBytes: 2 * GiB, datastore: "LocalDS_0", controller: "scsi" },
    { key: 2001, label: "Hard disk 2", fileName: "[LocalDS_1] db01/db01_1.vmdk", capacityBytes: 3 * GiB, datastore: "LocalDS_1", controller: "scsi" },
    { key: 2002, label: "Hard disk 3", fileName: "[SAN] db01/db01_2.vmdk", capacityBytes: 1 * GiB, datastore: "SAN", controller: "scsi" },
  ],
  nics: [],
};

function migration(storageMap?: Array<{ source: string; target: string }>): VMMigration {
  return {
    apiVersion: "landfall.dev/v1beta1",
    kind: "VMMigration",
    metadata: { name: "m", namespace: "default", uid: "abcd1234-0000" },
    spec: { source: { providerRef: { name: "vc" }, vmName: "db01" }, target: { providerRef: { name: "kvm" }, vmName: "db01", ...(storageMap ? { storageMap } : {}) } },
  };
}

const pools: Record<string, { pool: string; path: string }> = { main: { pool: "main", path: "/pools/main" }, fast: { pool: "fast", path: "/pools/fast" }, bulk: { pool: "bulk", path: "/pools/bulk" } };
const storageOf = (p: string | undefined) => pools[p ?? "main"];

describe("poolForDatastore", () => {
  it("is the storageMap's target for the datastore, undefined (the default pool) without an entry", () => {
    const map = [{ source: "LocalDS_1", target: "fast" }];
    assert.equal(poolForDatastore("LocalDS_1", map), "fast");
    assert.equal(poolForDatastore("LocalDS_0", map), undefined);
    assert.equal(poolForDatastore("LocalDS_0", undefined), undefined);
  });
});

describe("planDisks", () => {
  it("places each disk in the pool its own datastore maps to: a VM on two datastores lands in two pools", () => {
    const m = migration([
      { source: "LocalDS_0", target: "bulk" },
      { source: "LocalDS_1", target: "fast" },
    ]);
    const disks = planDisks(m, vm, storageOf);
    assert.deepEqual(
      disks.map((d) => [d.pool, d.targetPath]),
      [
        ["bulk", "/pools/bulk/db01-disk0-abcd.qcow2"],
        ["fast", "/pools/fast/db01-disk1-abcd.qcow2"],
        ["main", "/pools/main/db01-disk2-abcd.qcow2"],
      ],
    );
    assert.deepEqual(poolsNeeded(m, vm), ["bulk", "fast", undefined]);
  });

  it("puts every disk in the default pool without a storageMap", () => {
    assert.deepEqual(
      planDisks(migration(), vm, storageOf).map((d) => d.pool),
      ["main", "main", "main"],
    );
    assert.deepEqual(poolsNeeded(migration(), vm), [undefined]);
  });
});

describe("spaceShortfalls", () => {
  const storage = (pool: string, freeGiB: number): TargetStorage => ({ pool, path: `/pools/${pool}`, availableBytes: freeGiB * GiB });
  const disks = planDisks(migration([{ source: "LocalDS_1", target: "fast" }]), vm, storageOf);

  it("asks the staging (default) pool for every disk and each other pool for its own disks", () => {
    assert.deepEqual(spaceShortfalls(disks, storage("main", 6), [storage("fast", 3)]), []);
    const short = spaceShortfalls(disks, storage("main", 5), [storage("fast", 2)]);
    assert.equal(short.length, 2);
    assert.match(short[0], /storage pool "main" \(\/pools\/main\) has 5\.0 GiB free; the VM's disks need up to 6\.0 GiB/);
    assert.match(short[1], /storage pool "fast" \(\/pools\/fast\) has 2\.0 GiB free; its disks need 3\.0 GiB/);
  });
});
