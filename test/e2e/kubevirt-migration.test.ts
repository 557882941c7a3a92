// VMMigration to a KubeVirt Provider end to end: govmomi's vCenter simulator as the source, a real
// `bin/landfall serve` (the test-only composition, for the one fault), and as the cluster the test Kubernetes API
// server (objects validated against KubeVirt's and CDI's published OpenAPI) with the simulated CDI importer and
// VM status (test/harness/kube-apiserver/cluster-sim.ts: downloads over HTTPS with the DataVolume's CA, checks the
// checksum, stores the bytes; runStrategy → printableStatus). Proven: the disks land as DataVolumes whose stored
// bytes hash to the source's sha256, the VM as a kubevirt.io/v1 VirtualMachine powered through runStrategy, and an
// image server serving a flipped byte fails the migration with ChecksumMismatch, nothing reported Succeeded.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { KubeObject } from "../../src/api/meta.ts";
import type { Provider } from "../../src/api/provider.ts";
import type { VirtualMachine } from "../../src/api/virtualmachine.ts";
import type { VMMigration } from "../../src/api/vmmigration.ts";
import type { ServeProcess } from "../../src/compose/serve-process.ts";
import { startFaultyServer } from "../harness/faulty-server.ts";
import { type ClusterSimulation, startClusterSimulation } from "../harness/kube-apiserver/cluster-sim.ts";
import { writeKubeconfig } from "../harness/kube-apiserver/kubeconfig.ts";
import { publishedValidators } from "../harness/kube-apiserver/schemas.ts";
import { type KubeApiServer, startKubeApiServer } from "../harness/kube-apiserver/server.ts";
import { api, applyYaml, resourcePath, waitFor } from "../harness/landfall.ts";
import { sha256File } from "../harness/libvirt.ts";
import { startVcsim, type Vcsim, writeRandomContent } from "../harness/vcsim/harness.ts";

const MiB = 1 << 20;
const NS = "kv-e2e";
const CLUSTER_NS = "tenant-a";
let vc: Vcsim;
let cluster: KubeApiServer;
let sim: ClusterSimulation;
let srv: ServeProcess;
let dir: string;
const sums: Record<string, string[]> = {};

async function content(name: string, i: number, sizeBytes: number): Promise<{ contentPath: string; capacityBytes: number }> {
  const path = join(dir, `${name}-${i}.raw`);
  await writeRandomContent(path, sizeBytes);
  sums[name] ??= [];
  sums[name][i] = await sha256File(path);
  return { contentPath: path, capacityBytes: sizeBytes };
}

const migration = async (name: string) => (await api<VMMigration>(srv, resourcePath(NS, "vmmigrations", name))).body;
const finished = (name: string) =>
  waitFor(`VMMigration ${name} to finish`, 180_000, async () => {
    const m = await migration(name);
    return m.status?.phase === "Succeeded" || m.status?.phase === "Failed" ? m : undefined;
  });
const kubevirtVM = (name: string) => cluster.objects.get(cluster.type("kubevirt.io", "VirtualMachine"), CLUSTER_NS, name) as KubeObject & { spec: { runStrategy?: string }; status?: { printableStatus?: string } };
const dataVolumes = () => cluster.objects.list(cluster.type("cdi.kubevirt.io", "DataVolume"), CLUSTER_NS, {}).items;

/** What Forklift leaves behind: a Plan (adoption annotation or not), its KubeVirt VM (labels plan, vmID, migration) and DataVolume. */
async function forkliftImport(plan: string, adoption: string | undefined, vmID: string, vmName: string): Promise<void> {
  const created = cluster.objects.create(cluster.type("forklift.konveyor.io", "Plan"), "migrations", {
    apiVersion: "forklift.konveyor.io/v1beta1",
    kind: "Plan",
    metadata: { name: plan, ...(adoption === undefined ? {} : { annotations: { "vm-import.cozystack.io/adoption-enabled": adoption } }) },
    spec: {
      provider: { source: { name: "vcenter", namespace: "migrations" }, destination: { name: "host", namespace: "migrations" } },
      map: { network: { name: plan, namespace: "migrations" }, storage: { name: plan, namespace: "migrations" } },
      targetNamespace: CLUSTER_NS,
      vms: [{ id: vmID }],
    },
  } as KubeObject);
  cluster.objects.create(cluster.type("cdi.kubevirt.io", "DataVolume"), CLUSTER_NS, {
    apiVersion: "cdi.kubevirt.io/v1beta1",
    kind: "DataVolume",
    metadata: { name: `${vmName}-disk0` },
    spec: { source: { blank: {} }, storage: { resources: { requests: { storage: "1Gi" } } } },
  } as KubeObject);
  cluster.objects.create(cluster.type("kubevirt.io", "VirtualMachine"), CLUSTER_NS, {
    apiVersion: "kubevirt.io/v1",
    kind: "VirtualMachine",
    metadata: { name: vmName, labels: { plan: created.metadata.uid as string, vmID, migration: `${plan}-m1` } },
    spec: {
      runStrategy: "Always",
      template: {
        spec: {
          domain: { cpu: { cores: 1 }, memory: { guest: "512Mi" }, devices: { disks: [{ name: "disk0", disk: { bus: "virtio" } }], interfaces: [{ name: "default", masquerade: {}, macAddress: "02:00:00:00:05:01" }] } },
          networks: [{ name: "default", pod: {} }],
          volumes: [{ name: "disk0", dataVolume: { name: `${vmName}-disk0` } }],
        },
      },
    },
  } as KubeObject);
}

function migrationYaml(name: string): string {
  return `apiVersion: landfall.dev/v1beta1
kind: VMMigration
metadata: {name: ${name}, namespace: ${NS}}
spec:
  source: {providerRef: {name: vcenter}, vmName: ${name}}
  target: {providerRef: {name: cluster}, vmName: ${name}, namespace: ${NS}, powerOn: true}
  options: {verifyChecksums: true, guestConversion: skip}
`;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "landfall-e2e-kubevirt-"));
  const vms = [
    { name: "web01", uuid: randomUUID(), cpus: 2, memoryMiB: 64, powerOn: true, disks: [await content("web01", 0, 6 * MiB), await content("web01", 1, 3 * MiB)], nics: [{ network: "VM Network", mac: "00:50:56:ab:cd:21", model: "vmxnet3" as const }] },
    { name: "db01", uuid: randomUUID(), cpus: 1, memoryMiB: 64, powerOn: false, disks: [await content("db01", 0, 3 * MiB)] },
  ];
  cluster = await startKubeApiServer();
  sim = startClusterSimulation(cluster, { storageDir: join(dir, "pvcs") });
  vc = await startVcsim({ vms });
  // One server for both tests: the fault (the image server flips a byte) strikes db01's disks only.
  await forkliftImport("wave-1", "true", "vm-501", "app01");
  await forkliftImport("wave-2", undefined, "vm-502", "app02");
  srv = await startFaultyServer(join(dir, "data"), { at: "flipImageByte", vm: "db01" });
  const kubeconfig = await readFile(await writeKubeconfig(cluster, dir, CLUSTER_NS), "utf8");
  await applyYaml(
    srv,
    `apiVersion: landfall.dev/v1beta1
kind: Secret
metadata: {name: vcenter-creds, namespace: ${NS}}
stringData: {username: ${vc.username}, password: ${vc.password}}
---
apiVersion: landfall.dev/v1beta1
kind: Provider
metadata: {name: vcenter, namespace: ${NS}}
spec: {type: vsphere, endpoint: "${vc.url}", credentialsRef: {name: vcenter-creds}, tls: {insecureSkipVerify: true}}
---
apiVersion: landfall.dev/v1beta1
kind: Secret
metadata: {name: cluster-kubeconfig, namespace: ${NS}}
stringData:
  kubeconfig: ${JSON.stringify(kubeconfig)}
---
apiVersion: landfall.dev/v1beta1
kind: Provider
metadata: {name: cluster, namespace: ${NS}}
spec: {type: kubevirt, kubeconfigRef: {name: cluster-kubeconfig}, namespace: ${CLUSTER_NS}, storageClass: replicated, diskTransfer: import}
`,
  );
});

after(async () => {
  await srv?.stop();
  await vc?.stop();
  await sim?.idle();
  sim?.stop();
  await cluster?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  if (dir) await rm(`${join(dir, "data")}.fault.json`, { force: true });
});

test("the kubevirt Provider is Ready (Connected) through the kubeconfig in its Secret", async () => {
  const p = await waitFor("Provider cluster Ready", 30_000, async () => {
    const got = (await api<Provider>(srv, resourcePath(NS, "providers", "cluster"))).body;
    return got.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ? got : undefined;
  });
  assert.equal(p.status?.conditions?.find((c) => c.type === "Ready")?.reason, "Connected");
});

test("a 2-disk VM migrates to KubeVirt: DataVolumes and VirtualMachine valid against the published schemas, stored bytes hash to the source, power through runStrategy", async () => {
  await applyYaml(srv, migrationYaml("web01"));
  const m = await finished("web01");
  assert.equal(m.status?.phase, "Succeeded", m.status?.message);
  const disks = m.status?.disks ?? [];
  assert.equal(disks.length, 2);
  const validators = publishedValidators();
  const dvs = dataVolumes();
  for (const [i, d] of disks.entries()) {
    assert.equal(d.sha256, `sha256:${sums.web01[i]}`, `disk ${i}: source hash`);
    assert.equal(d.targetSha256, d.sha256, `disk ${i}: the hash CDI's importer vouched for`);
    const dv = dvs.find((x) => x.metadata.name === d.targetPath) as KubeObject & { status?: { phase?: string } };
    assert.ok(dv, `disk ${i}: DataVolume ${d.targetPath} exists`);
    assert.equal(dv.status?.phase, "Succeeded");
    assert.deepEqual(validators.get("cdi.kubevirt.io/v1beta1/DataVolume")?.(dv), [], "the DataVolume validates against CDI's schema");
    assert.equal(await sha256File(sim.volumeFile(CLUSTER_NS, d.targetPath as string)), sums.web01[i], `disk ${i}: the bytes the importer stored`);
  }
  const vm = (await api<VirtualMachine>(srv, resourcePath(NS, "virtualmachines", "web01"))).body;
  // Named as every target names a VM outside the default namespace (<namespace>--<name>), in the Provider's namespace.
  const domainName = vm.status?.domainName as string;
  assert.equal(domainName, `${NS}--web01`);
  const live = kubevirtVM(domainName);
  assert.deepEqual(validators.get("kubevirt.io/v1/VirtualMachine")?.(live), [], "the VirtualMachine validates against KubeVirt's schema");
  assert.equal(live.spec.runStrategy, "Always", "powerOn: true");
  assert.equal(live.status?.printableStatus, "Running");
  assert.deepEqual(
    [live.metadata.annotations?.["landfall.dev/migrated-from"], live.metadata.annotations?.["landfall.dev/migration"], live.metadata.annotations?.["landfall.dev/disk-checksum"]],
    ["vsphere/vcenter/web01", "web01", `sha256:${sums.web01[0]}`],
    "the KubeVirt VM carries the provenance annotations",
  );
  for (const d of disks) {
    const dv = dvs.find((x) => x.metadata.name === d.targetPath);
    assert.equal(dv?.metadata.annotations?.["landfall.dev/imported-disk-id"], d.diskID, "each DataVolume names its disk");
  }
  assert.equal(vm.status?.powerState, "running");
  assert.equal(vm.status?.providerID, live.metadata.uid, "identity is the KubeVirt VM's uid");
  assert.equal(vm.metadata.annotations?.["landfall.dev/migrated-from"], "vsphere/vcenter/web01");
  assert.equal(vm.metadata.annotations?.["landfall.dev/disk-checksum"], `sha256:${sums.web01[0]}`);
  assert.deepEqual(
    (live.spec as { template: { spec: { volumes: Array<{ dataVolume?: { name: string } }> } } }).template.spec.volumes.map((v) => v.dataVolume?.name),
    disks.map((d) => d.targetPath),
    "the VM's volumes are the DataVolumes",
  );

  // Power off through landfall: runStrategy Halted, and KubeVirt's status comes back as stopped.
  await api(srv, resourcePath(NS, "virtualmachines", "web01"), { method: "PATCH", headers: { "content-type": "application/merge-patch+json" }, body: JSON.stringify({ spec: { powerState: "Off" } }) });
  await waitFor("runStrategy Halted and the VM stopped", 30_000, async () => {
    const got = (await api<VirtualMachine>(srv, resourcePath(NS, "virtualmachines", "web01"))).body;
    return kubevirtVM(domainName).spec.runStrategy === "Halted" && got.status?.powerState === "shutoff" ? true : undefined;
  });
  assert.equal(kubevirtVM(domainName).status?.printableStatus, "Stopped");
});

test("an image server serving a flipped byte fails the migration with ChecksumMismatch; nothing is reported Succeeded", async () => {
  await applyYaml(srv, migrationYaml("db01"));
  const m = await finished("db01");
  assert.equal(m.status?.phase, "Failed");
  const ready = m.status?.conditions?.find((c) => c.type === "Ready");
  assert.equal(ready?.reason, "ChecksumMismatch", m.status?.message);
  assert.match(m.status?.message ?? "", /checksum mismatch/);
  assert.equal(m.status?.disks?.some((d) => d.state === "Verified"), false, "no disk is recorded verified");
  await waitFor("the failed import's DataVolume to be removed", 20_000, async () => (dataVolumes().some((dv) => dv.metadata.name.startsWith("db01-")) ? undefined : true));
  assert.equal((await api(srv, resourcePath(NS, "virtualmachines", "db01"))).status, 404, "no VirtualMachine was created");
  assert.deepEqual(
    cluster.objects.list(cluster.type("kubevirt.io", "VirtualMachine"), CLUSTER_NS, {}).items.filter((v) => v.metadata.name.includes("db01")),
    [],
    "no KubeVirt VM was created for db01",
  );
});

test("serve's adoption scan adopts the KubeVirt VM Forklift imported under a Plan with adoption enabled, and recreates nothing", async () => {
  const before = kubevirtVM("app01");
  // Adopted, and its VirtualMachine reconciled to Ready: reconciling the mirror changes nothing on the cluster.
  const vm = await waitFor("app01 adopted and Ready", 60_000, async () => {
    const got = await api<VirtualMachine>(srv, resourcePath(CLUSTER_NS, "virtualmachines", "app01"));
    return got.status === 200 && got.body.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ? got.body : undefined;
  });
  assert.equal(vm.metadata.labels?.["landfall.dev/adopted"], "true");
  assert.equal(vm.metadata.labels?.["landfall.dev/original-plan"], "wave-1");
  assert.equal(vm.status?.providerID, before.metadata.uid, "matched by the KubeVirt VM's uid");
  assert.equal(vm.spec.importedDisk?.path, "app01-disk0", "the disk is the existing DataVolume");
  const after = kubevirtVM("app01");
  assert.equal(after.metadata.uid, before.metadata.uid, "the KubeVirt VM was not recreated");
  assert.deepEqual(after.spec, before.spec, "nor changed: only its labels");
  assert.equal(after.metadata.labels?.["landfall.dev/adopted"], "true");
  assert.equal((await api(srv, resourcePath(CLUSTER_NS, "virtualmachines", "app02"))).status, 404, "a Plan without the annotation adopts nothing");
  assert.equal(kubevirtVM("app02").metadata.labels?.["landfall.dev/adopted"], undefined);
  assert.ok(cluster.objects.get(cluster.type("cdi.kubevirt.io", "DataVolume"), CLUSTER_NS, "app01-disk0"), "its DataVolume is still there");
});
