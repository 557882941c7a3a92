// KubeVirt and CDI manifests validate against KubeVirt's and CDI's published OpenAPI (strictly: unknown fields
// are errors) and say what the VM is: devices, MACs, firmware, UUID, networks, run strategy, provenance.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { publishedValidators } from "../../../test/harness/kube-apiserver/schemas.ts";
import type { TargetVMSpec } from "../contract.ts";
import { dataVolumeManifest, quantity, virtualMachineManifest } from "./manifests.ts";

const validators = publishedValidators();
const validate = (o: { apiVersion: string; kind: string }) => {
  const v = validators.get(`${o.apiVersion}/${o.kind}`);
  assert.ok(v, `no schema for ${o.apiVersion} ${o.kind}`);
  return v(o);
};

const spec: TargetVMSpec = {
  name: "web01",
  uuid: "4210a1b2-0000-4000-8000-000000000001",
  cpus: 2,
  memoryMiB: 2048,
  firmware: "uefi",
  disks: [
    { path: "web01-disk0", format: "raw", bus: "sata" },
    { path: "web01-data", format: "raw", bus: "virtio" },
  ],
  nics: [
    { network: "user", model: "virtio", macAddress: "00:50:56:AA:BB:01" },
    { network: "tenant-a/backend", model: "e1000e", macAddress: "00:50:56:aa:bb:02" },
  ],
  labels: { app: "web" },
};

describe("KubeVirt and CDI manifests", () => {
  it("a DataVolume imports over HTTPS with the image's sha256, and is valid CDI", () => {
    const dv = dataVolumeManifest({
      name: "web01-disk0",
      namespace: "tenant-a",
      sizeBytes: 10 * 2 ** 30,
      source: { type: "http", url: "https://landfall.example/images/t0k3n/web01-disk0.qcow2", checksum: `sha256:${"a".repeat(64)}`, certConfigMap: "landfall-ca" },
      storageClass: "replicated",
      annotations: { "landfall.dev/disk-checksum": `sha256:${"a".repeat(64)}` },
    });
    assert.deepEqual(validate(dv), []);
    assert.deepEqual(dv.spec.source, { http: { url: "https://landfall.example/images/t0k3n/web01-disk0.qcow2", checksum: `sha256:${"a".repeat(64)}`, certConfigMap: "landfall-ca" } });
    assert.deepEqual(dv.spec.storage, { resources: { requests: { storage: "10Gi" } }, storageClassName: "replicated" });
    const upload = dataVolumeManifest({ name: "d", namespace: "n", sizeBytes: 4194304, source: { type: "upload" } });
    assert.deepEqual(validate(upload), []);
    assert.equal(quantity(4194304), "4194304", "sizes that are not whole GiB stay exact");
  });

  it("a VirtualMachine keeps devices, MACs, firmware and UUID, maps networks to pod or Multus, and is valid KubeVirt", () => {
    const vm = virtualMachineManifest({ spec, namespace: "tenant-a", dataVolumes: ["web01-disk0", "web01-data"], runStrategy: "Halted", annotations: { "landfall.dev/migrated-from": "vsphere/vcenter/web01" } });
    assert.deepEqual(validate(vm), []);
    const t = (vm.spec.template as { spec: Record<string, Record<string, unknown>> }).spec;
    assert.equal(vm.spec.runStrategy, "Halted");
    assert.deepEqual(t.domain.firmware, { uuid: spec.uuid, bootloader: { efi: { secureBoot: false } } });
    assert.deepEqual(t.domain.cpu, { cores: 2, sockets: 1, threads: 1 });
    assert.deepEqual(t.domain.memory, { guest: "2048Mi" });
    const devices = t.domain.devices as { disks: unknown[]; interfaces: unknown[] };
    assert.deepEqual(devices.disks, [
      { name: "disk0", bootOrder: 1, disk: { bus: "sata" } },
      { name: "disk1", disk: { bus: "virtio" } },
    ]);
    assert.deepEqual(devices.interfaces, [
      { name: "nic0", model: "virtio", masquerade: {}, macAddress: "00:50:56:aa:bb:01" },
      { name: "nic1", model: "e1000e", bridge: {}, macAddress: "00:50:56:aa:bb:02" },
    ]);
    assert.deepEqual(t.networks, [
      { name: "nic0", pod: {} },
      { name: "nic1", multus: { networkName: "tenant-a/backend" } },
    ]);
    assert.deepEqual(t.volumes, [
      { name: "disk0", dataVolume: { name: "web01-disk0" } },
      { name: "disk1", dataVolume: { name: "web01-data" } },
    ]);
    assert.equal(vm.metadata.annotations?.["landfall.dev/migrated-from"], "vsphere/vcenter/web01");
  });

  it("the schema check catches what KubeVirt would refuse (so passing it means something)", () => {
    const vm = virtualMachineManifest({ spec, namespace: "n", dataVolumes: ["a", "b"], runStrategy: "Always" });
    (vm.spec as Record<string, unknown>).runStrategyy = "Always";
    assert.match(JSON.stringify(validate(vm)), /runStrategyy/);
    assert.throws(() => virtualMachineManifest({ spec, namespace: "n", dataVolumes: ["a"], runStrategy: "Always" }), /2 disks but 1 DataVolumes/);
  });
});
