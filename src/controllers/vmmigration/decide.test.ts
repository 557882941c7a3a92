// The migration's decisions, with plain objects: what a rerun after a crash does at each step.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MigrationDisk, VMMigration } from "../../api/vmmigration.ts";
import { LibvirtError } from "../../providers/libvirt/errors.ts";
import { SourceProviderError } from "../../providers/vsphere/errors.ts";
import { classifyFailure, convertAction, exportDiskRecord, exportIntent, exportIntentRecorded, exportSessionOf, importAction, readsBackWhenConverted, sourceDiskFor, transferStart } from "./decide.ts";
import { snapshotNameFor } from "./plan.ts";
import { MigrationFailure } from "./steps.ts";

function migration(mode: "cold" | "snapshot", source?: NonNullable<VMMigration["status"]>["source"]): VMMigration {
  return {
    apiVersion: "landfall.dev/v1beta1",
    kind: "VMMigration",
    metadata: { name: "web01", namespace: "default", uid: "0f1e2d3c-aaaa-bbbb-cccc-000000000001" },
    spec: { source: { providerRef: { name: "vc" }, vmName: "web01" }, target: { providerRef: { name: "kvm" } }, options: { mode } },
    ...(source ? { status: { phase: "Exporting", source } } : {}),
  } as VMMigration;
}

const disk = (over: Partial<MigrationDisk> = {}): MigrationDisk => ({ diskID: "web01-disk0-0f1e", key: 2000, sourcePath: "[ds] web01.vmdk", sizeBytes: 4096, bytesDone: 4096, targetFormat: "qcow2", state: "Transferred", ...over });

describe("exportIntent", () => {
  it("records the power state before the migration once: a rerun that finds the guest already shut down keeps poweredOn", () => {
    const first = exportIntent(migration("cold", { vmID: "vm-1" }), "poweredOn");
    assert.deepEqual(first, { powerStateBefore: "poweredOn", poweredOffByMigration: true });
    // The crash came after the shutdown and before anything else: the rerun observes poweredOff.
    const rerun = exportIntent(migration("cold", { vmID: "vm-1", ...first }), "poweredOff");
    assert.deepEqual(rerun, first);
  });

  it("a VM the user had off is not the migration's to power on", () => {
    assert.deepEqual(exportIntent(migration("cold", { vmID: "vm-1" }), "poweredOff"), { powerStateBefore: "poweredOff", poweredOffByMigration: false });
  });

  it("snapshot mode names the snapshot after the migration's UID, the same on every attempt, and never powers off", () => {
    const m = migration("snapshot", { vmID: "vm-1" });
    const intent = exportIntent(m, "poweredOn");
    assert.equal(intent.snapshotName, `landfall-export-${m.metadata.uid}`);
    assert.equal(intent.snapshotName, snapshotNameFor(m));
    assert.equal(intent.poweredOffByMigration, false);
    assert.equal(exportIntentRecorded(m), false);
    assert.equal(exportIntentRecorded(migration("snapshot", { vmID: "vm-1", ...intent })), true);
  });
});

describe("exportSessionOf", () => {
  it("reads the disks prepareExport returned (recorded in status), not the VM's current devices", () => {
    const frozen = { key: 2000, label: "Hard disk 1", fileName: "[ds] web01/web01-000001.vmdk", capacityBytes: 4096, datastore: "ds", controller: "scsi" };
    const s = exportSessionOf(migration("snapshot", { vmID: "vm-1", powerStateBefore: "poweredOn", poweredOffByMigration: false, snapshotName: "n", snapshotID: "snapshot-7", exportDisks: [frozen] }));
    assert.deepEqual(s.disks, [frozen]);
    assert.equal(s.snapshotID, "snapshot-7");
    assert.equal(sourceDiskFor(s, disk()).fileName, frozen.fileName);
    assert.throws(() => sourceDiskFor(s, disk({ key: 2001 })), (err: unknown) => err instanceof MigrationFailure && err.reason === "SourceChanged");
  });
});

describe("resuming the disk steps", () => {
  it("a transfer resumes from its checkpoint only while its staging file exists", () => {
    assert.deepEqual(transferStart(disk({ state: "Transferring", checkpoint: { offset: 2048 } }), true), { offset: 2048 });
    assert.equal(transferStart(disk({ state: "Transferring", checkpoint: { offset: 2048 } }), false), undefined);
  });

  it("a converted file found on resume is adopted; a lost input is re-transferred, never failed as 'no such file'", () => {
    assert.equal(convertAction(disk(), { converted: true, staging: true }), "adopt");
    assert.equal(convertAction(disk(), { converted: false, staging: true }), "convert");
    assert.equal(convertAction(disk(), { converted: false, staging: false }), "inputLost");
    assert.equal(convertAction(disk({ targetFormat: "raw" }), { converted: false, staging: true }), "record");
  });

  it("Converting reads back a cold image the import will rename, once, and only with its staging file and sha256 at hand", () => {
    const m = migration("cold");
    const d = disk({ sha256: "sha256:aa" });
    const at = { stagingFound: true, fileTarget: true, stagingPool: true };
    assert.equal(readsBackWhenConverted(m, d, at), true);
    assert.equal(readsBackWhenConverted(migration("snapshot"), d, at), true);
    assert.equal(readsBackWhenConverted({ ...m, spec: { ...m.spec, options: { mode: "warm" } } }, d, at), false, "warm: the cutover reads back");
    assert.equal(readsBackWhenConverted({ ...m, spec: { ...m.spec, options: { verifyChecksums: false } } }, d, at), false, "no checksums asked");
    assert.equal(readsBackWhenConverted(m, { ...d, targetFormat: "raw" }, at), false, "raw: the staging file is the image");
    assert.equal(readsBackWhenConverted(m, { ...d, sha256: undefined }, at), false, "no source sha256 to prove");
    assert.equal(readsBackWhenConverted(m, { ...d, targetSha256: "sha256:aa" }, at), false, "read back (or a guest conversion recorded) already");
    assert.equal(readsBackWhenConverted(m, d, { ...at, stagingFound: false }), false, "nothing to read it back against: Importing hashes the volume");
    assert.equal(readsBackWhenConverted(m, d, { ...at, fileTarget: false }), false, "a KubeVirt target checks its own copy");
    assert.equal(readsBackWhenConverted(m, d, { ...at, stagingPool: false }), false, "another pool may be another filesystem: a copy");
  });

  it("a volume under the disk's own name with the right format and size is adopted, not imported again", () => {
    const d = disk({ state: "Converted" });
    assert.equal(importAction(d, { volume: { format: "qcow2", virtualSizeBytes: 4096 }, staged: false }), "adopt");
    assert.equal(importAction(d, { volume: { format: "raw", virtualSizeBytes: 4096 }, staged: true }), "foreign");
    assert.equal(importAction(d, { volume: { format: "qcow2", virtualSizeBytes: 8192 }, staged: true }), "foreign");
    assert.equal(importAction(d, { staged: true }), "import");
    assert.equal(importAction(d, { staged: false }), "inputLost");
  });
});

describe("classifyFailure", () => {
  it("a full disk is permanent, with its own reason, in any phase", () => {
    const enospc = Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    assert.deepEqual(classifyFailure(enospc, "Transferring"), { permanent: true, reason: "InsufficientSpace" });
    assert.deepEqual(classifyFailure(new Error("qemu-img: error while writing: No space left on device"), "Converting"), { permanent: true, reason: "InsufficientSpace" });
  });

  it("MigrationFailure keeps its reason; unsupported sources are permanent", () => {
    assert.deepEqual(classifyFailure(new MigrationFailure("ChecksumMismatch", "x"), "Importing"), { permanent: true, reason: "ChecksumMismatch" });
    assert.deepEqual(classifyFailure(new SourceProviderError("NotSupported", "sparse vmdk"), "Transferring"), { permanent: true, reason: "NotSupported" });
  });

  it("network trouble is a transient SourceUnavailable; libvirt trouble is TargetUnavailable, not SourceUnavailable", () => {
    const reset = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
    assert.deepEqual(classifyFailure(reset, "Transferring"), { permanent: false, reason: "SourceUnavailable" });
    assert.deepEqual(classifyFailure(new Error("fetch failed", { cause: reset }), "Transferring"), { permanent: false, reason: "SourceUnavailable" });
    assert.deepEqual(classifyFailure(new LibvirtError("CommandFailed", "virsh vol-list"), "Importing"), { permanent: false, reason: "TargetUnavailable" });
    assert.deepEqual(classifyFailure(new LibvirtError("InvalidArgument", "bad format"), "Importing"), { permanent: true, reason: "InvalidTarget" });
  });

  it("anything unrecognised is retried, and its reason names the phase where it happened", () => {
    assert.deepEqual(classifyFailure(new Error("boom"), "Converting"), { permanent: false, reason: "ConvertingFailed" });
  });
});

describe("exportDiskRecord", () => {
  it("keeps only the fields status.source.exportDisks allows, so a later spec edit validates", () => {
    const disk = {
      key: 2000,
      label: "Hard disk 1",
      fileName: "[ds] vm/vm-000001.vmdk",
      capacityBytes: 1024,
      datastore: "ds",
      controller: "scsi",
      thinProvisioned: true,
      changeId: "52 1f/3",
      chain: [{ file: "[ds] vm/vm.vmdk", format: "flat" }],
      readableBy: ["datastore" as const],
    };
    assert.deepEqual(exportDiskRecord(disk), { key: 2000, label: "Hard disk 1", fileName: "[ds] vm/vm-000001.vmdk", capacityBytes: 1024, datastore: "ds", controller: "scsi", thinProvisioned: true, changeId: "52 1f/3" });
  });
});

describe("exportIntent in warm mode", () => {
  const warm = { metadata: { name: "w", uid: "u" }, spec: { source: { providerRef: { name: "vc" } }, target: { providerRef: { name: "kvm" } }, options: { mode: "warm" } } } as unknown as VMMigration;
  it("records the VM's change tracking and does not power it off (the cutover does)", () => {
    assert.deepEqual(exportIntent(warm, "poweredOn", false), { powerStateBefore: "poweredOn", poweredOffByMigration: false, changeTrackingBefore: false });
    assert.equal(exportIntentRecorded(warm), false);
    const recorded = { ...warm, status: { source: { powerStateBefore: "poweredOn", poweredOffByMigration: false, changeTrackingBefore: true } } } as VMMigration;
    assert.equal(exportIntentRecorded(recorded), true);
    assert.equal(exportIntent(recorded, "poweredOff", false).changeTrackingBefore, true, "a rerun keeps what was recorded");
  });
});
