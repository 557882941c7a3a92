import assert from "node:assert/strict";
import { test } from "node:test";
import { backingChain, disksOf, mapVM, nicsOf, portgroupKeysOf, readableBy, snapshotCount } from "./vm-mapping.ts";

const devices = [
  { "@_type": "ParaVirtualSCSIController", key: "1000" },
  { "@_type": "VirtualAHCIController", key: "15000" },
  {
    "@_type": "VirtualDisk",
    key: "255511522",
    controllerKey: "1000",
    deviceInfo: { label: "Hard disk 1" },
    backing: { "@_type": "VirtualDiskFlatVer2BackingInfo", fileName: "[LocalDS_0] web01/web01.vmdk", thinProvisioned: "true" },
    capacityInKB: "1024",
    capacityInBytes: "0",
  },
  {
    "@_type": "VirtualDisk",
    key: "2001",
    controllerKey: "15000",
    deviceInfo: { label: "Hard disk 2" },
    backing: { "@_type": "VirtualDiskFlatVer2BackingInfo", fileName: "[san 1] web01/web01_1.vmdk" },
    capacityInKB: "1",
    capacityInBytes: "10737418240",
  },
  {
    "@_type": "VirtualVmxnet3",
    key: "4000",
    macAddress: "00:50:56:AB:CD:EF",
    backing: { "@_type": "VirtualEthernetCardNetworkBackingInfo", deviceName: "VM Network" },
  },
  {
    "@_type": "VirtualE1000e",
    key: "4001",
    macAddress: "00:50:56:00:00:02",
    backing: { "@_type": "VirtualEthernetCardDistributedVirtualPortBackingInfo", port: { portgroupKey: "dvportgroup-13" } },
  },
];

test("disks: capacity falls back to capacityInKB, controller kind from the controller device", () => {
  assert.deepEqual(disksOf(devices), [
    {
      key: 255511522,
      label: "Hard disk 1",
      fileName: "[LocalDS_0] web01/web01.vmdk",
      capacityBytes: 1024 * 1024,
      datastore: "LocalDS_0",
      controller: "scsi",
      thinProvisioned: true,
      chain: [{ file: "[LocalDS_0] web01/web01.vmdk", format: "flat" }],
      readableBy: ["datastore", "nfc"],
    },
    {
      key: 2001,
      label: "Hard disk 2",
      fileName: "[san 1] web01/web01_1.vmdk",
      capacityBytes: 10737418240,
      datastore: "san 1",
      controller: "sata",
      chain: [{ file: "[san 1] web01/web01_1.vmdk", format: "flat" }],
      readableBy: ["datastore", "nfc"],
    },
  ]);
});

test("nics: model from the device type, network from the backing (portgroups by name when known)", () => {
  assert.deepEqual(portgroupKeysOf(devices), ["dvportgroup-13"]);
  assert.deepEqual(nicsOf(devices, new Map([["dvportgroup-13", "DC0_DVPG0"]])), [
    { network: "VM Network", macAddress: "00:50:56:ab:cd:ef", model: "vmxnet3" },
    { network: "DC0_DVPG0", macAddress: "00:50:56:00:00:02", model: "e1000e" },
  ]);
});

test("mapVM reads config, firmware and power state", () => {
  const vm = mapVM("vm-42", {
    name: "web01",
    "config.uuid": "421c3a5e-0000-0000-0000-000000000001",
    "config.guestId": "ubuntu64Guest",
    "config.firmware": "efi",
    "config.hardware.numCPU": "4",
    "config.hardware.memoryMB": "2048",
    "config.hardware.device": { VirtualDevice: devices },
    "runtime.powerState": { "#text": "suspended", "@_type": "VirtualMachinePowerState" },
  });
  assert.equal(vm.firmware, "uefi");
  assert.equal(vm.powerState, "suspended");
  assert.equal(vm.cpus, 4);
  assert.equal(vm.memoryMiB, 2048);
  assert.equal(vm.disks.length, 2);
  assert.equal(vm.nics[1].network, "dvportgroup-13", "unresolved portgroups keep their key");
});

test("a disk with snapshots reports its chain top first, in vSphere's format terms, and which transports read it", () => {
  const backing = {
    "@_type": "VirtualDiskFlatVer2BackingInfo",
    fileName: "[ds] db/db-000002.vmdk",
    deltaDiskFormat: "seSparseFormat",
    parent: {
      fileName: "[ds] db/db-000001.vmdk",
      deltaDiskFormat: "redoLogFormat",
      parent: { fileName: "[ds] db/db.vmdk" },
    },
  };
  const chain = backingChain(backing);
  assert.deepEqual(chain, [
    { file: "[ds] db/db-000002.vmdk", format: "seSparse" },
    { file: "[ds] db/db-000001.vmdk", format: "redoLog" },
    { file: "[ds] db/db.vmdk", format: "flat" },
  ]);
  assert.deepEqual(readableBy(chain), ["datastore", "nfc"]);
  assert.deepEqual(readableBy([{ format: "native" }, { format: "flat" }]), ["nfc"], "a vSAN/vVol object is no datastore file");
  assert.deepEqual(readableBy([{ format: "redoLog" }, { format: "flat" }]), ["datastore", "nfc"]);
  const rdm = backingChain({ "@_type": "VirtualDiskRawDiskMappingVer1BackingInfo", fileName: "[ds] db/lun.vmdk", compatibilityMode: "physicalMode" });
  assert.deepEqual(rdm, [{ file: "[ds] db/lun.vmdk", format: "rdm (physical)" }]);
  assert.deepEqual(readableBy(rdm), []);
  assert.deepEqual(readableBy(backingChain({ "@_type": "VirtualDiskRawDiskMappingVer1BackingInfo", compatibilityMode: "virtualMode" })), ["nfc"]);
  assert.equal(snapshotCount(undefined), 0);
  assert.equal(snapshotCount({ rootSnapshotList: { snapshot: "s1", childSnapshotList: [{ snapshot: "s2" }, { snapshot: "s3", childSnapshotList: { snapshot: "s4" } }] } }), 4);
});
