import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Conventions, PRESETS } from "../api/conventions.ts";
import type { VirtualMachine } from "../api/virtualmachine.ts";
import type { TargetVM } from "../providers/contract.ts";
import { renderCozystack } from "./cozystack.ts";
import type { Manifest } from "./manifest.ts";
import { mustValidate, schemas } from "./schemas.test-support.ts";
import { volumesOfLiveKubeVirtVM } from "./vminstance-values.ts";

const coz: Conventions = { ...PRESETS.cozystack, managementEndpoint: "kubectl" };

const vm: VirtualMachine = {
  apiVersion: "landfall.dev/v1beta1",
  kind: "VirtualMachine",
  metadata: {
    name: "web01",
    namespace: "tenant-a",
    annotations: { "landfall.dev/migrated-from": "vsphere/vcenter/web01", "landfall.dev/disk-checksum": "sha256:abc" },
  },
  spec: {
    providerRef: { name: "kvm" },
    importedDisk: { diskID: "web01-disk0", format: "qcow2", source: "migration", sizeGiB: 10 },
    dataDisks: [{ diskID: "web01-data", sizeGiB: 2 }],
    cpus: 4,
    memoryMiB: 4096,
    firmware: "bios",
    diskBus: "sata",
    networks: [
      { name: "user", macAddress: "52:54:00:00:00:01" },
      { name: "backend", macAddress: "52:54:00:00:00:02" },
    ],
    powerState: "Off",
  },
};

/** The same VM as a KubeVirt provider sees it: disks are DataVolumes named by Forklift. */
const liveOnKubeVirt: TargetVM = {
  uuid: "0d7c…",
  name: "web01",
  state: "running",
  cpus: 4,
  memoryMiB: 4096,
  firmware: "bios",
  disks: [
    { path: "web01-disk0", format: "raw", bus: "virtio" },
    { path: "web01-data", format: "raw", bus: "virtio" },
  ],
  nics: [{ network: "user", macAddress: "52:54:00:00:00:01", model: "virtio" }],
  labels: {},
};

const byKind = (objects: Manifest[], kind: string) => objects.filter((o) => o.kind === kind);

describe("renderCozystack (VMInstance)", () => {
  it("references existing volumes by dvName, keeps the name, and creates no VMDisk", () => {
    const { objects } = renderCozystack({ vm, conventions: coz, live: liveOnKubeVirt, existingVolumes: volumesOfLiveKubeVirtVM(liveOnKubeVirt) });
    assert.deepEqual(
      objects.map((o) => o.kind),
      ["VMInstance"],
    );
    const [inst] = objects;
    assert.equal(inst.apiVersion, "apps.cozystack.io/v1alpha1");
    assert.equal(inst.metadata.name, "web01");
    assert.equal(inst.metadata.namespace, "tenant-a");
    mustValidate(schemas.vmInstance, inst.spec, "VMInstance spec");
    const spec = inst.spec as Record<string, unknown>;
    assert.equal(spec.fullnameOverride, "web01");
    assert.deepEqual(spec.disks, [
      { name: "web01-disk0", dvName: "web01-disk0", bus: "virtio" },
      { name: "web01-disk1", dvName: "web01-data", bus: "virtio" },
    ]);
    // Live facts win: the VM runs, so the chart must keep it running.
    assert.equal(spec.runStrategy, "Always");
    assert.deepEqual(spec.resources, { cpu: 4, sockets: 1, memory: "4096Mi" });
    assert.equal(spec.instanceType, "", "unknown instance type must override the chart's u1.medium default");
    assert.equal(spec.instanceProfile, "");
    assert.equal(spec.cloudInitSeed, "");
    assert.deepEqual(spec.networks, []);
    for (const absent of ["external", "externalPorts", "sshKeys", "cloudInit"]) assert.ok(!(absent in spec), `${absent} must be absent`);
    assert.equal(inst.metadata.labels?.["cozystack.io/adopted"], "true");
    assert.equal(inst.metadata.labels?.["app.kubernetes.io/managed-by"], "cozystack");
    assert.equal(inst.metadata.annotations?.["cozystack.io/migrated-from"], "vsphere/vcenter/web01");
  });

  it("needs the vm-import branch: dvName and fullnameOverride are not in main's schema", () => {
    const { objects } = renderCozystack({ vm, conventions: coz, existingVolumes: { "web01-disk0": "dv-0", "web01-data": "dv-1" } });
    const props = (schemas.vmInstanceMain.schema as { properties: Record<string, unknown> }).properties;
    assert.ok(!("fullnameOverride" in props));
    // main's schema still accepts the object (extra keys are allowed) — which is why content is asserted above.
    mustValidate(schemas.vmInstanceMain, objects[0].spec, "VMInstance spec (main)");
  });

  it("renders one VMDisk per disk that must be created, with its size, and MAC warnings", () => {
    const { objects, warnings } = renderCozystack({ vm, conventions: coz, storageClass: "replicated", diskURL: (id) => (id === "web01-disk0" ? "https://landfall.example/disks/web01-disk0" : undefined) });
    const disks = byKind(objects, "VMDisk");
    assert.equal(disks.length, 2);
    for (const d of disks) mustValidate(schemas.vmDisk, d.spec, `VMDisk ${d.metadata.name}`);
    assert.deepEqual(disks[0].spec, { source: { http: { url: "https://landfall.example/disks/web01-disk0" } }, optical: false, storage: "10Gi", storageClass: "replicated" });
    assert.deepEqual(disks[1].spec.source, { upload: {} });
    assert.equal(disks[1].spec.storage, "2Gi");
    const [inst] = byKind(objects, "VMInstance");
    mustValidate(schemas.vmInstance, inst.spec, "VMInstance spec");
    assert.deepEqual((inst.spec as { disks: unknown }).disks, [
      { name: "web01-web01-disk0", bus: "sata" },
      { name: "web01-web01-data", bus: "sata" },
    ]);
    assert.equal(inst.spec.runStrategy, "Halted");
    assert.deepEqual(inst.spec.networks, [{ name: "backend" }]);
    assert.ok(warnings.some((w) => w.includes("52:54:00:00:00:02")));
    assert.ok(!warnings.some((w) => w.includes("52:54:00:00:00:01")), "the pod network keeps its MAC via the kube-ovn IP object");
  });

  it("refuses to guess the size of a disk it must create", () => {
    const noSize: VirtualMachine = { ...vm, spec: { ...vm.spec, importedDisk: { diskID: "web01-disk0" }, dataDisks: [] } };
    assert.throws(() => renderCozystack({ vm: noSize, conventions: coz }), /size is unknown: set sizeGiB/);
  });

  it("uses the instance type where known instead of resources", () => {
    const { objects } = renderCozystack({ vm, conventions: coz, existingVolumes: { "web01-disk0": "a", "web01-data": "b" }, instanceType: "u1.large", instanceProfile: "ubuntu" });
    assert.equal(objects[0].spec.instanceType, "u1.large");
    assert.ok(!("resources" in objects[0].spec));
  });
});

describe("renderCozystack --format helmrelease", () => {
  it("emits a Flux HelmRelease of vm-instance with the same values and settings that never recreate the VM", () => {
    const input = { vm, conventions: coz, live: liveOnKubeVirt, existingVolumes: volumesOfLiveKubeVirtVM(liveOnKubeVirt) };
    const [hr] = renderCozystack(input, "helmrelease").objects;
    const [inst] = renderCozystack(input).objects;
    assert.equal(hr.apiVersion, "helm.toolkit.fluxcd.io/v2");
    assert.equal(hr.kind, "HelmRelease");
    assert.equal(hr.metadata.name, "vm-instance-web01");
    const spec = hr.spec as Record<string, Record<string, unknown>>;
    assert.deepEqual(spec.chart, { spec: { chart: "vm-instance", sourceRef: { kind: "HelmRepository", name: "cozystack" } } });
    assert.equal(spec.install.disableWait, true);
    assert.equal(spec.install.createNamespace, false);
    assert.deepEqual(spec.install.remediation, { retries: 0 });
    assert.equal(spec.upgrade.force, false);
    assert.deepEqual(spec.values, inst.spec);
    mustValidate(schemas.vmInstance, spec.values, "HelmRelease values");
    const v2beta1 = renderCozystack({ ...input, helmReleaseAPIVersion: "helm.toolkit.fluxcd.io/v2beta1" }, "helmrelease").objects[0];
    assert.equal(v2beta1.apiVersion, "helm.toolkit.fluxcd.io/v2beta1");
  });

  it("emits the Helm ownership metadata for the existing KubeVirt VM and its DataVolumes, and none for a VM not in the cluster", () => {
    const { ownership, objects } = renderCozystack({ vm, conventions: coz, live: liveOnKubeVirt, existingVolumes: volumesOfLiveKubeVirtVM(liveOnKubeVirt) });
    assert.deepEqual(
      ownership.map((o) => `${o.apiVersion} ${o.kind} ${o.metadata.namespace}/${o.metadata.name}`),
      ["kubevirt.io/v1 VirtualMachine tenant-a/web01", "cdi.kubevirt.io/v1beta1 DataVolume tenant-a/web01-disk0", "cdi.kubevirt.io/v1beta1 DataVolume tenant-a/web01-data"],
    );
    for (const o of ownership) {
      assert.deepEqual(o.metadata.labels, { "app.kubernetes.io/managed-by": "Helm" });
      assert.deepEqual(o.metadata.annotations, { "meta.helm.sh/release-name": "vm-instance-web01", "meta.helm.sh/release-namespace": "tenant-a" });
    }
    const helm = renderCozystack({ vm, conventions: coz, live: liveOnKubeVirt, existingVolumes: volumesOfLiveKubeVirtVM(liveOnKubeVirt) }, "helmrelease");
    const release = helm.objects.find((o) => o.kind === "HelmRelease");
    assert.equal(release?.spec.releaseName, ownership[0].metadata.annotations["meta.helm.sh/release-name"], "the same release takes them over");
    assert.ok(objects.some((o) => o.kind === "VMInstance"));
    assert.deepEqual(renderCozystack({ vm, conventions: coz }).ownership, []);
  });
});
