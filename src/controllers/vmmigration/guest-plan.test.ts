import assert from "node:assert/strict";
import { test } from "node:test";
import type { MigrationGuest } from "../../api/guest.ts";
import { DEFAULT_CONVENTIONS } from "../../api/conventions.ts";
import type { VMMigration } from "../../api/vmmigration.ts";
import { virtualMachineFor } from "./plan.ts";
import { convertsGuestOn, diskBusForGuest, guestAnnotation, machineTypeForGuest, windowsConversionProblem } from "./guest-plan.ts";

function migration(options: VMMigration["spec"]["options"] = {}, diskBus?: "virtio" | "sata"): VMMigration {
  return {
    apiVersion: "landfall.dev/v1beta1",
    kind: "VMMigration",
    metadata: { name: "m", namespace: "default" },
    spec: { source: { providerRef: { name: "vc" }, vmName: "web01" }, target: { providerRef: { name: "kvm" }, ...(diskBus ? { diskBus } : {}) }, options },
  } as VMMigration;
}
const converted: MigrationGuest = { os: "linux", distro: "debian", version: "12", conversion: ["rebuilt the initramfs"] };
const unknown: MigrationGuest = { os: "unknown", conversion: [] };

test("only the boot disk is converted, and only with guestConversion auto (the default)", () => {
  assert.equal(convertsGuestOn(migration(), 0), true);
  assert.equal(convertsGuestOn(migration(), 1), false);
  assert.equal(convertsGuestOn(migration({ guestConversion: "skip" }), 0), false);
});

test("Windows without virtio-win fails Validating with what is missing and where it was looked for", () => {
  const problem = windowsConversionProblem(migration(), "windows2019srv_64Guest", { path: "/usr/share/virtio-win", present: false });
  assert.match(problem ?? "", /Windows guest \(guestId windows2019srv_64Guest\)/);
  assert.match(problem ?? "", /\/usr\/share\/virtio-win/);
  assert.match(problem ?? "", /guestConversion: skip/);
  assert.equal(windowsConversionProblem(migration(), "windows2019srv_64Guest", { path: "/x", present: true }), undefined);
  assert.equal(windowsConversionProblem(migration({ guestConversion: "skip" }), "windows2019srv_64Guest", { path: "/x", present: false }), undefined);
  assert.equal(windowsConversionProblem(migration(), "debian12_64Guest", { path: "/x", present: false }), undefined);
});

test("disk bus: the user's choice wins; converted guests get virtio; unconverted guests SATA; disks without an OS virtio", () => {
  assert.equal(diskBusForGuest(migration({ guestConversion: "skip" }, "virtio"), "debian12_64Guest", undefined), "virtio");
  assert.equal(diskBusForGuest(migration(), "debian12_64Guest", converted), "virtio");
  assert.equal(diskBusForGuest(migration({ guestConversion: "skip" }), "debian12_64Guest", undefined), "sata");
  assert.equal(diskBusForGuest(migration(), "windows9Server64Guest", unknown), "sata");
  assert.equal(diskBusForGuest(migration(), "otherGuest", unknown), "virtio");
});

test("q35 only for a converted guest; the annotation carries the actions", () => {
  assert.equal(machineTypeForGuest(converted), "q35");
  assert.equal(machineTypeForGuest(unknown), undefined);
  assert.deepEqual(JSON.parse(guestAnnotation(converted)).conversion, ["rebuilt the initramfs"]);
});

test("the created VM boots from the converted image: disk-checksum is its hash, source-checksum the source's", () => {
  const m = migration();
  m.metadata.uid = "0d6e6c8e-0000-4000-8000-000000000001";
  m.status = { guest: converted };
  const disks = [
    { diskID: "web01-disk0", sourcePath: "[ds] web01.vmdk", sizeBytes: 1024, bytesDone: 1024, sha256: "sha256:aa", targetSha256: "sha256:aa", convertedSha256: "sha256:cc", targetPath: "/pool/web01-disk0.qcow2", targetFormat: "qcow2" },
    { diskID: "web01-disk1", sourcePath: "[ds] web01_1.vmdk", sizeBytes: 1024, bytesDone: 1024, sha256: "sha256:bb", targetSha256: "sha256:bb", targetPath: "/pool/web01-disk1.qcow2", targetFormat: "qcow2" },
  ];
  const sourceVM = { name: "web01", id: "vm-1", uuid: "", powerState: "poweredOff" as const, guestOS: "debian12_64Guest", cpus: 1, memoryMiB: 1024, firmware: "bios" as const, disks: [], nics: [] };
  const vm = virtualMachineFor({ migration: m, sourceVM, sourceProviderType: "vsphere", disks, conventions: DEFAULT_CONVENTIONS });
  assert.equal(vm.metadata.annotations?.["landfall.dev/disk-checksum"], "sha256:cc");
  assert.equal(vm.metadata.annotations?.["landfall.dev/source-checksum"], "sha256:aa");
  assert.deepEqual(JSON.parse(vm.metadata.annotations?.["landfall.dev/guest"] ?? "{}").conversion, ["rebuilt the initramfs"]);
  assert.equal(vm.spec.diskBus, "virtio");
  assert.equal(vm.spec.machineType, "q35");

  m.status = { guest: unknown };
  const plain = virtualMachineFor({ migration: m, sourceVM, sourceProviderType: "vsphere", disks: [{ ...disks[0], convertedSha256: undefined }], conventions: DEFAULT_CONVENTIONS });
  assert.equal(plain.metadata.annotations?.["landfall.dev/disk-checksum"], "sha256:aa");
  assert.equal(plain.spec.machineType, undefined);
});
