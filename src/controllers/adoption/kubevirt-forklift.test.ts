// Adoption on a KubeVirt target in Kubernetes mode, through the real AdoptionService, Kubernetes store and
// KubeVirt provider against the test API server (Forklift Plans, KubeVirt VMs and landfall's CRDs validated
// against their published schemas): VMs Forklift imported (labels plan = Plan UID, vmID, migration) are adopted
// only when their Plan carries vm-import.cozystack.io/adoption-enabled: "true" and lists them.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type KubeApiServer, startKubeApiServer } from "../../../test/harness/kube-apiserver/server.ts";
import { type Conventions, PRESETS } from "../../api/conventions.ts";
import type { KubeObject } from "../../api/meta.ts";
import type { VirtualMachine } from "../../api/virtualmachine.ts";
import type { TargetProvider } from "../../providers/contract.ts";
import { createKubeVirtTarget } from "../../providers/kubevirt/target.ts";
import { kubeConfigFor } from "../../store/kubernetes/kubeconfig.ts";
import { createKubernetesStore } from "../../store/kubernetes/store.ts";
import type { ResourceStore } from "../../store/types.ts";
import { ProviderClients } from "../provider/clients.ts";
import { AdoptionService } from "./service.ts";

const NS = "tenant-a";
const coz: Conventions = { ...PRESETS.cozystack, managementEndpoint: "kubectl" } as Conventions;

describe("adoption of Forklift-imported KubeVirt VMs (Kubernetes mode)", () => {
  let api: KubeApiServer;
  let store: ResourceStore;
  let target: TargetProvider;
  let adoption: AdoptionService;

  const plan = (name: string, enabled: string | undefined, vmID: string) =>
    api.objects.create(api.type("forklift.konveyor.io", "Plan"), "migrations", {
      apiVersion: "forklift.konveyor.io/v1beta1",
      kind: "Plan",
      metadata: { name, ...(enabled === undefined ? {} : { annotations: { "vm-import.cozystack.io/adoption-enabled": enabled } }) },
      spec: {
        provider: { source: { name: "vcenter", namespace: "migrations" }, destination: { name: "host", namespace: "migrations" } },
        map: { network: { name: name, namespace: "migrations" }, storage: { name: name, namespace: "migrations" } },
        targetNamespace: NS,
        vms: [{ id: vmID }],
      },
    } as KubeObject);

  const forkliftVM = (name: string, planUID: string, vmID: string) =>
    target.createVM({
      name,
      cpus: 1,
      memoryMiB: 1024,
      firmware: "bios",
      disks: [{ path: `${name}-disk0`, format: "raw", bus: "virtio" }],
      nics: [{ network: "user", model: "virtio", macAddress: "02:00:00:00:00:09" }],
      labels: { plan: planUID, vmID, migration: "m-1" },
    });

  before(async () => {
    api = await startKubeApiServer();
    const kubeConfig = kubeConfigFor({ server: api.url, token: api.token });
    store = createKubernetesStore({ kubeConfig });
    target = createKubeVirtTarget({ kubeConfig, conventions: coz, namespace: NS });
    await store.create({ apiVersion: "landfall.dev/v1beta1", kind: "Provider", metadata: { name: "kv", namespace: NS }, spec: { type: "kubevirt", namespace: NS } });
    const clients = new ProviderClients(store, { source: {}, target: { kubevirt: () => target } });
    adoption = new AdoptionService({ store, clients, conventions: coz, log: () => {}, virtualSize: async () => 0 });
  });
  after(async () => {
    await store.close();
    await api.close();
  });

  test("adopts the VM of a Plan with adoption enabled; leaves those of a Plan without it untouched", async () => {
    const enabled = plan("wave-1", "true", "vm-42");
    const disabled = plan("wave-2", "false", "vm-43");
    const unannotated = plan("wave-3", undefined, "vm-44");
    const web = await forkliftVM("web01", enabled.metadata.uid as string, "vm-42");
    await forkliftVM("db01", disabled.metadata.uid as string, "vm-43");
    await forkliftVM("app01", unannotated.metadata.uid as string, "vm-44");
    await forkliftVM("claimer", enabled.metadata.uid as string, "vm-99"); // claims wave-1, which does not list it

    const adopted = await adoption.scan(NS, "kv");
    assert.deepEqual(
      adopted.map((d) => d.name),
      ["web01"],
    );
    const vm = await store.get<VirtualMachine>("VirtualMachine", NS, "web01");
    assert.equal(vm.metadata.labels?.["cozystack.io/adopted"], "true");
    assert.equal(vm.metadata.labels?.["cozystack.io/original-plan"], "wave-1");
    assert.equal(vm.status?.providerID, web.uuid, "matched by identity (uid), never by name");
    assert.equal(vm.spec.importedDisk?.path, "web01-disk0", "the disk is the existing DataVolume");
    assert.equal((await target.getVM({ uuid: web.uuid }))?.labels["cozystack.io/adopted"], "true");
    assert.equal(((await store.get<KubeObject>("ConfigMap", NS, "vm-adopted-web01")).data as Record<string, string>).sourcePlan, "wave-1");
    for (const other of ["db01", "app01", "claimer"]) {
      await assert.rejects(store.get("VirtualMachine", NS, other), /not found/, `${other} is not adopted`);
      assert.equal((await target.getVM({ name: other }))?.labels["cozystack.io/adopted"], undefined);
    }
  });
});
