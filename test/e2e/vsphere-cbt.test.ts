// Changed-block tracking as the simulator does it (test/harness/vcsim/cbt.go), read through landfall's vSphere
// provider: changeIds on snapshot disks, QueryChangedDiskAreas of exactly the blocks the test wrote between
// two snapshots, "*" as the allocated areas, and a changeId from an earlier tracking session refused; without a
// snapshot, the allocated areas of a powered-off VM's disks as they stand, and a running VM refused.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { SourceProvider } from "../../src/providers/contract.ts";
import { createVsphereSource } from "../../src/providers/vsphere/source-provider.ts";
import { guestWrite, startVcsim, type Vcsim, writeRandomContent } from "../harness/vcsim/harness.ts";

const MiB = 1 << 20;
const BLOCK = 64 * 1024;
let vc: Vcsim;
let dir: string;
let source: SourceProvider;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "landfall-cbt-"));
  await writeRandomContent(join(dir, "d0.raw"), 2 * MiB);
  vc = await startVcsim({
    vms: ["cbt01", "cbt02"].map((name) => ({ name, powerOn: true, disks: [{ contentPath: join(dir, "d0.raw"), capacityBytes: 8 * MiB, thin: true }] })),
  });
  source = createVsphereSource({ endpoint: vc.url, username: vc.username, password: vc.password, tls: { insecureSkipVerify: true } });
});

after(async () => {
  await source?.close();
  await vc?.stop();
  await rm(dir, { recursive: true, force: true });
});

test("changeIds and QueryChangedDiskAreas follow the guest's writes between snapshots", async () => {
  let vm = await source.getVM({ name: "cbt01" });
  assert.equal(vm.changeTrackingEnabled, false);
  await source.setChangeTracking?.(vm.id, true);
  vm = await source.getVM({ name: "cbt01" });
  assert.equal(vm.changeTrackingEnabled, true);
  const key = vm.disks[0].key;

  const s0 = await source.prepareExport(vm, { mode: "snapshot", snapshotName: "cbt-0" });
  const id0 = s0.disks[0].changeId;
  assert.ok(id0?.includes("/"), `snapshot disk carries a changeId, got ${id0}`);
  // "*": the allocated areas — the thin disk's 2 MiB of content, not its 8 MiB capacity.
  assert.deepEqual(await source.queryChangedAreas?.(s0, s0.disks[0], "*"), [{ start: 0, length: 2 * MiB }]);

  await guestWrite(vc, "cbt01", key, 5 * MiB + 512, randomBytes(1024)); // one block
  await guestWrite(vc, "cbt01", key, 3 * MiB, randomBytes(BLOCK * 2)); // two blocks
  const s1 = await source.prepareExport(vm, { mode: "snapshot", snapshotName: "cbt-1" });
  const id1 = s1.disks[0].changeId;
  assert.notEqual(id1, id0);
  assert.deepEqual(await source.queryChangedAreas?.(s1, s1.disks[0], id0 as string), [
    { start: 3 * MiB, length: 2 * BLOCK },
    { start: 5 * MiB, length: BLOCK },
  ]);
  // Removing the older snapshot (consolidation) keeps the newer one's changeId and answers.
  await source.finishExport(s0, { restorePower: false });
  assert.equal((await source.queryChangedAreas?.(s1, s1.disks[0], id1 as string))?.length, 0);
  const still = await source.prepareExport(vm, { mode: "snapshot", snapshotName: "cbt-1" });
  assert.equal(still.disks[0].changeId, id1);

  // A new tracking session refuses the old changeIds.
  await source.setChangeTracking?.(vm.id, false);
  await source.setChangeTracking?.(vm.id, true);
  const s2 = await source.prepareExport(vm, { mode: "snapshot", snapshotName: "cbt-2" });
  await assert.rejects(source.queryChangedAreas?.(s2, s2.disks[0], id1 as string) as Promise<unknown>, /tracking session/);
  await source.finishExport(s1, { restorePower: false });
  await source.finishExport(s2, { restorePower: false });
});

test("without a snapshot, QueryChangedDiskAreas answers for a powered-off VM's disks as they stand, and refuses a running one", async () => {
  let vm = await source.getVM({ name: "cbt02" });
  const untracked = await source.prepareExport(vm, { mode: "cold" });
  await assert.rejects(source.queryChangedAreas?.(untracked, untracked.disks[0], "*") as Promise<unknown>, /changed block tracking is off on the VM/, "a VM without tracking is named as such");
  await source.finishExport(untracked, { restorePower: true });
  await source.setChangeTracking?.(vm.id, true);
  vm = await source.getVM({ name: "cbt02" });
  const running = { vmID: vm.id, mode: "cold" as const, powerStateBefore: vm.powerState, poweredOffByExport: false, disks: vm.disks };
  await assert.rejects(source.queryChangedAreas?.(running, vm.disks[0], "*") as Promise<unknown>, /InvalidPowerState|is poweredOn/);
  const snapshotless = { ...running, mode: "snapshot" as const };
  await assert.rejects(source.queryChangedAreas?.(snapshotless, vm.disks[0], "*") as Promise<unknown>, /has no snapshot/, "a snapshot session without its snapshot is refused before asking");

  const cold = await source.prepareExport(vm, { mode: "cold" });
  assert.equal(cold.snapshotID, undefined);
  assert.deepEqual(await source.queryChangedAreas?.(cold, cold.disks[0], "*"), [{ start: 0, length: 2 * MiB }]);
  // A write to the disk as it stands (no snapshot freezes it) shows in the next answer.
  await guestWrite(vc, "cbt02", vm.disks[0].key, 6 * MiB, randomBytes(BLOCK));
  assert.deepEqual(await source.queryChangedAreas?.(cold, cold.disks[0], "*"), [
    { start: 0, length: 2 * MiB },
    { start: 6 * MiB, length: BLOCK },
  ]);
  await source.finishExport(cold, { restorePower: true });

  // With a snapshot the disk as it stands is a chain: its allocation is left to the layers read.
  const snap = await source.prepareExport(vm, { mode: "snapshot", snapshotName: "cbt-chain" });
  const chained = await source.prepareExport(await source.getVM({ name: "cbt02" }), { mode: "cold" });
  await assert.rejects(source.queryChangedAreas?.(chained, chained.disks[0], "*") as Promise<unknown>, /2 layers, not the one layer .* the export reads/);
  await source.finishExport(chained, { restorePower: false });
  await source.finishExport(snap, { restorePower: false });
});
