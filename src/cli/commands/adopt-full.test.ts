// Full Cozystack adoption against the test Kubernetes API server (KubeVirt, CDI and Flux objects validated against
// their published schemas): the existing VM and DataVolumes get Helm's ownership metadata first, then the
// HelmRelease; the VM is neither recreated (same uid) nor restarted (spec untouched); each step is reported and
// recorded; a VM whose disks are not all in the cluster is refused before anything is written.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type KubeApiServer, startKubeApiServer } from "../../../test/harness/kube-apiserver/server.ts";
import { PRESETS } from "../../api/conventions.ts";
import type { KubeObject } from "../../api/meta.ts";
import type { VirtualMachine } from "../../api/virtualmachine.ts";
import { mirrorVirtualMachine } from "../../controllers/adoption/decide.ts";
import { dataVolumeManifest } from "../../providers/kubevirt/manifests.ts";
import { createKubeVirtTarget } from "../../providers/kubevirt/target.ts";
import { kubeConfigFor } from "../../store/kubernetes/kubeconfig.ts";
import { adoptFull } from "./adopt-full.ts";

const NS = "tenant-a";
const coz = { ...PRESETS.cozystack, managementEndpoint: "kubectl" } as Parameters<typeof mirrorVirtualMachine>[0];

describe("adopt --full (Kubernetes mode)", () => {
  let api: KubeApiServer;
  const kubeConfig = () => kubeConfigFor({ server: api.url, token: api.token });
  const vms = () => api.type("kubevirt.io", "VirtualMachine");
  const dvs = () => api.type("cdi.kubevirt.io", "DataVolume");

  /** A running KubeVirt VM with its DataVolumes, adopted by landfall (mirror VirtualMachine with providerID). */
  async function adoptedKubeVirtVM(name: string, disks: string[], withDataVolumes: string[], extraDisk?: { diskID: string; sizeGiB: number }): Promise<{ uid: string }> {
    for (const d of withDataVolumes) api.objects.create(dvs(), NS, dataVolumeManifest({ name: d, namespace: NS, sizeBytes: 2 ** 30, source: { type: "upload" } }) as unknown as KubeObject);
    const target = createKubeVirtTarget({ kubeConfig: kubeConfig(), conventions: coz, namespace: NS });
    const live = await target.createVM({
      name,
      cpus: 2,
      memoryMiB: 2048,
      firmware: "bios",
      disks: disks.map((path) => ({ path, format: "raw", bus: "virtio" })),
      nics: [{ network: "user", model: "virtio", macAddress: "02:00:00:00:00:01" }],
    });
    await target.setPower(live.uuid, "start");
    const running = (await target.getVM({ uuid: live.uuid })) as NonNullable<Awaited<ReturnType<typeof target.getVM>>>;
    const mirror = mirrorVirtualMachine(coz, running, { providerName: "kv", providerNamespace: NS, namespace: NS, name, plan: "wave-1" });
    if (extraDisk) mirror.spec.dataDisks = [...(mirror.spec.dataDisks ?? []), { ...extraDisk, path: extraDisk.diskID }];
    const { status, ...spec } = mirror;
    const created = api.objects.create(api.type("landfall.dev", "VirtualMachine"), NS, spec as KubeObject);
    api.objects.update(api.type("landfall.dev", "VirtualMachine"), NS, name, { ...created, status }, "status");
    return { uid: live.uuid };
  }

  before(async () => {
    api = await startKubeApiServer();
    api.objects.create(api.type("landfall.dev", "Provider"), NS, { apiVersion: "landfall.dev/v1beta1", kind: "Provider", metadata: { name: "kv" }, spec: { type: "kubevirt", namespace: NS } });
  });
  after(async () => api.close());

  test("ownership metadata first, then the HelmRelease; the VM keeps its uid and spec; steps reported and recorded", async () => {
    const { uid } = await adoptedKubeVirtVM("web01", ["web01-disk0", "web01-data"], ["web01-disk0", "web01-data"]);
    const before = api.objects.get(vms(), NS, "web01");
    const reported: string[] = [];
    const writesBefore = api.objects.writes.get("HelmRelease") ?? 0;
    const steps = await adoptFull({ kubeConfig: kubeConfig(), namespace: NS, vm: "web01", conventions: coz, report: (l) => reported.push(l) });
    assert.deepEqual(steps, reported);
    assert.deepEqual(reported, [
      "Helm ownership (release vm-instance-web01) on VirtualMachine tenant-a/web01",
      "Helm ownership (release vm-instance-web01) on DataVolume tenant-a/web01-disk0",
      "Helm ownership (release vm-instance-web01) on DataVolume tenant-a/web01-data",
      "HelmRelease tenant-a/vm-instance-web01 created",
    ]);
    const after = api.objects.get(vms(), NS, "web01");
    assert.equal(after.metadata.uid, uid, "not recreated");
    assert.deepEqual(after.spec, before.spec, "not restarted: runStrategy and template untouched");
    for (const o of [after, api.objects.get(dvs(), NS, "web01-disk0"), api.objects.get(dvs(), NS, "web01-data")]) {
      assert.equal(o.metadata.labels?.["app.kubernetes.io/managed-by"], "Helm");
      assert.equal(o.metadata.annotations?.["meta.helm.sh/release-name"], "vm-instance-web01");
      assert.equal(o.metadata.annotations?.["meta.helm.sh/release-namespace"], NS);
    }
    const release = api.objects.get(api.type("helm.toolkit.fluxcd.io", "HelmRelease"), NS, "vm-instance-web01") as KubeObject & { spec: { values: { fullnameOverride: string; disks: Array<{ dvName?: string }>; runStrategy: string } } };
    assert.equal(release.spec.values.fullnameOverride, "web01");
    assert.deepEqual(release.spec.values.disks.map((d) => d.dvName), ["web01-disk0", "web01-data"]);
    assert.equal(release.spec.values.runStrategy, "Always");
    assert.equal((api.objects.writes.get("HelmRelease") ?? 0) - writesBefore, 1);
    const vm = api.objects.get(api.type("landfall.dev", "VirtualMachine"), NS, "web01") as VirtualMachine;
    const condition = vm.status?.conditions?.find((c) => c.type === "FullyAdopted");
    assert.equal(condition?.status, "True");
    assert.equal(condition?.message, reported.join("; "));
    // A second run changes nothing but updating the same HelmRelease.
    const again = await adoptFull({ kubeConfig: kubeConfig(), namespace: NS, vm: "web01", conventions: coz, report: () => {} });
    assert.equal(again.at(-1), "HelmRelease tenant-a/vm-instance-web01 updated");
    assert.equal(api.objects.get(vms(), NS, "web01").metadata.uid, uid);
  });

  test("a disk that is not a DataVolume in the cluster: refused, and nothing is written", async () => {
    // landfall knows a second disk the cluster has no DataVolume for: the release would have to create it.
    await adoptedKubeVirtVM("db01", ["db01-disk0"], ["db01-disk0"], { diskID: "db01-extra", sizeGiB: 1 });
    const writes = [...api.objects.writes.entries()];
    await assert.rejects(
      adoptFull({ kubeConfig: kubeConfig(), namespace: NS, vm: "db01", conventions: coz, report: () => {} }),
      /cannot be fully adopted in place: disk\(s\) .* are not DataVolumes in the cluster/,
    );
    assert.deepEqual([...api.objects.writes.entries()], writes, "no object was touched");
    assert.equal(api.objects.get(dvs(), NS, "db01-disk0").metadata.labels?.["app.kubernetes.io/managed-by"], undefined);
  });
});
