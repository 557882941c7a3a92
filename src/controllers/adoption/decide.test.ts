import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ConfigMap } from "../../api/configmap.ts";
import { type Conventions, PRESETS } from "../../api/conventions.ts";
import type { Provider } from "../../api/provider.ts";
import { validateObject as validate } from "../../api/validate.ts";
import type { VirtualMachine } from "../../api/virtualmachine.ts";
import type { VMImport } from "../../api/vmimport.ts";
import type { TargetVM } from "../../providers/contract.ts";
import {
  type AdoptionAction,
  type AdoptionInput,
  adoptionConfigMap,
  adoptionLabels,
  decideAdoption,
  forkliftClaim,
  mirrorVirtualMachine,
  planFromForkliftPlan,
  adoptedLocation,
  unadoptActions,
} from "./decide.ts";

const coz: Conventions = { ...PRESETS.cozystack, managementEndpoint: "kubectl" };
const NOW = "2026-11-23T10:00:00Z";

function live(over: Partial<TargetVM> & { uuid: string; name: string }): TargetVM {
  return {
    state: "running",
    cpus: 2,
    memoryMiB: 2048,
    firmware: "uefi",
    disks: [
      { path: `/var/lib/landfall/images/${over.name}-disk0.qcow2`, format: "qcow2", bus: "sata", device: "sda" },
      { path: `/var/lib/landfall/images/${over.name}-data.raw`, format: "raw", bus: "sata", device: "sdb" },
      { path: "/isos/tools.iso", format: "raw", bus: "sata", readonly: true },
    ],
    nics: [{ network: "user", macAddress: "52:54:00:AA:BB:01", model: "e1000" }],
    labels: {},
    ...over,
  };
}

const vsphere: Provider = {
  apiVersion: "landfall.dev/v1beta1",
  kind: "Provider",
  metadata: { name: "vcenter", namespace: "default" },
  spec: { type: "vsphere", endpoint: "https://vc/sdk" },
};

function kvm(namespace = "default", tenants?: string[]): Provider {
  return { apiVersion: "landfall.dev/v1beta1", kind: "Provider", metadata: { name: "kvm", namespace }, spec: { type: "libvirt", uri: "qemu:///system", ...(tenants ? { tenants } : {}) } };
}

function vmImport(name: string, namespace: string, over: Partial<VMImport["spec"]> = {}, status?: VMImport["status"]): VMImport {
  return {
    apiVersion: "landfall.dev/v1beta1",
    kind: "VMImport",
    metadata: { name, namespace, uid: `uid-${name}` },
    spec: { source: { providerRef: { name: "vcenter" } }, vms: [{ name: "web01", id: "vm-42" }], target: { providerRef: { name: "kvm" } }, ...over },
    ...(status ? { status } : {}),
  };
}

function managedVM(name: string, namespace: string, uuid: string, labels?: Record<string, string>): VirtualMachine {
  return {
    apiVersion: "landfall.dev/v1beta1",
    kind: "VirtualMachine",
    metadata: { name, namespace, ...(labels ? { labels } : {}) },
    spec: { providerRef: { name: "kvm" }, importedDisk: { diskID: `${name}-disk0` } },
    status: { providerID: uuid },
  };
}

function input(over: Partial<AdoptionInput>): AdoptionInput {
  return { conventions: coz, provider: kvm(), liveVMs: [], managed: [], imports: [], configMaps: [], sourceProviders: [vsphere], now: NOW, ...over };
}

/** Applies the actions the way the executor would, so a second pass sees the result. */
function execute(actions: AdoptionAction[], world: { liveVMs: TargetVM[]; managed: VirtualMachine[]; configMaps: ConfigMap[] }) {
  for (const a of actions) {
    if (a.type === "set-labels") {
      const vm = world.liveVMs.find((v) => v.uuid === a.uuid)!;
      for (const [k, v] of Object.entries(a.labels)) {
        if (v === null) delete vm.labels[k];
        else vm.labels[k] = v;
      }
    } else if (a.type === "create-configmap") world.configMaps.push(a.configMap);
    else if (a.type === "create-virtualmachine") world.managed.push(a.virtualMachine);
    else assert.fail(`adoption emitted ${a.type}`);
  }
}

const types = (actions: AdoptionAction[]) => actions.map((a) => a.type).sort();

describe("builders", () => {
  it("adoptionLabels uses the preset's prefix and manager", () => {
    assert.deepEqual(adoptionLabels(coz, "import-a"), {
      "cozystack.io/adopted": "true",
      "cozystack.io/source": "vm-import",
      "cozystack.io/original-plan": "import-a",
      "app.kubernetes.io/managed-by": "cozystack",
    });
    const lf = adoptionLabels({ prefix: "landfall.dev", manager: "landfall", managementEndpoint: "x" }, "p");
    assert.equal(lf["landfall.dev/adopted"], "true");
  });

  it("adoptionConfigMap carries the type label and the five fields, and validates as a ConfigMap", () => {
    const cm = adoptionConfigMap(coz, { vmName: "web01", namespace: "tenant-a", sourcePlan: "imp", sourceType: "vmware", adoptedAt: NOW, managementEndpoint: "kubectl" });
    assert.equal(cm.metadata.name, "vm-adopted-web01");
    assert.equal(cm.metadata.namespace, "tenant-a");
    assert.equal(cm.metadata.labels?.["cozystack.io/type"], "adopted-vm");
    assert.deepEqual(cm.data, { vmName: "web01", sourcePlan: "imp", sourceType: "vmware", adoptedAt: NOW, managementEndpoint: "kubectl" });
    validate(cm);
  });

  it("mirrorVirtualMachine mirrors disks, MACs, firmware, bus and power, and validates", () => {
    // libvirt reports real UUIDs; the mirror pins it (lower-cased) in spec.uuid, which the schema checks.
    const uuid = "4C1F2A9E-0B7D-4E55-9A61-2D3C4B5A6978";
    const vm = mirrorVirtualMachine(coz, live({ uuid, name: "web01" }), { providerName: "kvm", providerNamespace: "default", namespace: "default", name: "web01", plan: "p" });
    assert.deepEqual(vm.spec.importedDisk, { diskID: "web01-disk0", path: "/var/lib/landfall/images/web01-disk0.qcow2", format: "qcow2", source: "import" });
    assert.deepEqual(vm.spec.dataDisks, [{ diskID: "web01-data", path: "/var/lib/landfall/images/web01-data.raw", format: "raw" }]);
    assert.equal(vm.spec.cpus, 2);
    assert.equal(vm.spec.memoryMiB, 2048);
    assert.equal(vm.spec.firmware, "uefi");
    assert.equal(vm.spec.diskBus, "sata");
    assert.deepEqual(vm.spec.networks, [{ name: "user", macAddress: "52:54:00:aa:bb:01", model: "e1000" }]);
    assert.equal(vm.spec.powerState, "On");
    assert.equal(vm.status?.providerID, uuid);
    assert.equal(vm.spec.uuid, uuid.toLowerCase());
    assert.equal(vm.metadata.labels?.["cozystack.io/adopted"], "true");
    validate({ ...vm, status: undefined });
    assert.deepEqual(vm.spec.providerRef, { name: "kvm" });
    const off = mirrorVirtualMachine(coz, live({ uuid: "u-2", name: "db", state: "shutoff" }), { providerName: "kvm", providerNamespace: "infra", namespace: "default", name: "db" });
    assert.equal(off.spec.powerState, "Off");
    assert.deepEqual(off.spec.providerRef, { name: "kvm", namespace: "infra" }, "a Provider in another namespace is referenced with its namespace");
  });

  it("forkliftClaim recognises the note's labels and released Forklift's", () => {
    assert.deepEqual(forkliftClaim({ "forklift.konveyor.io/plan": "p1", "forklift.konveyor.io/vm-name": "web01" }), { planName: "p1", vmName: "web01" });
    assert.deepEqual(forkliftClaim({ plan: "0f3e-uid", migration: "m-uid", vmID: "vm-42", app: "x" }), { planUID: "0f3e-uid", migration: "m-uid", vmID: "vm-42" });
    assert.equal(forkliftClaim({ app: "web" }), undefined);
  });
});

describe("decideAdoption", () => {
  it("adopts a VM landfall created through a VMImport with labels and ConfigMap only", () => {
    const imp = vmImport("imp", "default", {}, { vms: [{ name: "web01", id: "vm-42", targetName: "web01", migration: "imp-web01", phase: "Succeeded" }] });
    const world = { liveVMs: [live({ uuid: "u-1", name: "web01" })], managed: [managedVM("web01", "default", "u-1")], configMaps: [] as ConfigMap[] };
    const [d] = decideAdoption(input({ ...world, imports: [imp] }));
    assert.equal(d.decision, "adopt");
    assert.equal(d.plan, "imp");
    assert.deepEqual(types(d.actions), ["create-configmap", "set-labels"]);
    const cm = d.actions.find((a) => a.type === "create-configmap");
    assert.equal(cm?.type === "create-configmap" && cm.configMap.data?.sourceType, "vmware");
    execute(d.actions, world);
    const [again] = decideAdoption(input({ ...world, imports: [imp] }));
    assert.equal(again.decision, "already-adopted");
    assert.deepEqual(again.actions, []);
  });

  it("leaves a VMImport's VMs alone when its adoption is disabled", () => {
    const imp = vmImport("imp", "default", { adoption: { enabled: false } }, { vms: [{ name: "web01", targetName: "web01", migration: "imp-web01" }] });
    const [d] = decideAdoption(input({ liveVMs: [live({ uuid: "u-1", name: "web01" })], managed: [managedVM("web01", "default", "u-1")], imports: [imp] }));
    assert.equal(d.decision, "ignore");
    assert.match(d.reason, /adoption disabled/);
  });

  it("adopts a Forklift-created VM for a verified plan, with a mirror VirtualMachine; a second pass does nothing", () => {
    const plan = planFromForkliftPlan({
      metadata: { name: "imp", namespace: "default", uid: "plan-uid", annotations: { "vm-import.cozystack.io/adoption-enabled": "true" } },
      spec: { targetNamespace: "tenant-a", vms: [{ id: "vm-42" }] },
    });
    const vm = live({ uuid: "u-9", name: "tenant-a--web01", labels: { plan: "plan-uid", vmID: "vm-42", migration: "m" } });
    const world = { liveVMs: [vm], managed: [] as VirtualMachine[], configMaps: [] as ConfigMap[] };
    const [d] = decideAdoption(input({ ...world, forkliftPlans: [plan] }));
    assert.equal(d.decision, "adopt", d.reason);
    assert.deepEqual(types(d.actions), ["create-configmap", "create-virtualmachine", "set-labels"]);
    const mirror = d.actions.find((a) => a.type === "create-virtualmachine");
    assert.ok(mirror?.type === "create-virtualmachine");
    assert.equal(mirror.virtualMachine.metadata.namespace, "tenant-a");
    assert.equal(mirror.virtualMachine.metadata.name, "web01");
    assert.equal(mirror.virtualMachine.spec.importedDisk?.source, "import");
    assert.deepEqual(mirror.virtualMachine.spec.providerRef, { name: "kvm", namespace: "default" }, "a mirror in another namespace names the Provider's");
    execute(d.actions, world);
    const second = decideAdoption(input({ ...world, forkliftPlans: [plan] }));
    assert.equal(second[0].decision, "already-adopted", second[0].reason);
    assert.deepEqual(second[0].actions, []);
  });

  it("does not repair the records of a VirtualMachine being deleted (an unadopt in progress): the labels stay off", () => {
    const vm = live({ uuid: "u-7", name: "hand", labels: {} });
    const adopted = managedVM("hand", "default", "u-7", adoptionLabels(coz, "wave"));
    // Without a deletionTimestamp the missing labels and ConfigMap are repaired…
    const repaired = decideAdoption(input({ liveVMs: [vm], managed: [adopted] }));
    assert.equal(repaired[0].decision, "adopt", repaired[0].reason);
    assert.ok(repaired[0].actions.some((a) => a.type === "set-labels"));
    // …but not while the unadopt's orphaned VirtualMachine waits for its finalizer.
    const deleting = { ...adopted, metadata: { ...adopted.metadata, deletionTimestamp: NOW, annotations: { "landfall.dev/orphan": "true" } } };
    const [d] = decideAdoption(input({ liveVMs: [vm], managed: [deleting] }));
    assert.equal(d.decision, "ignore");
    assert.match(d.reason, /being deleted/);
    assert.deepEqual(d.actions, []);
  });

  it("never takes a namespace from a domain's name: a claimed VM lands in its plan's target namespace", () => {
    const imp = vmImport("imp", "tenant-a", { vms: [{ name: "web01" }] });
    // The domain's name says tenant-b; only the plan decides where it goes.
    const vm = live({ uuid: "u-5", name: "tenant-b--web01", labels: { "forklift.konveyor.io/plan": "imp", "forklift.konveyor.io/vm-name": "web01" } });
    const [d] = decideAdoption(input({ liveVMs: [vm], imports: [imp], provider: kvm("tenant-a") }));
    assert.equal(d.decision, "adopt", d.reason);
    const mirror = d.actions.find((a) => a.type === "create-virtualmachine");
    assert.ok(mirror?.type === "create-virtualmachine");
    assert.equal(mirror.virtualMachine.metadata.namespace, "tenant-a");
    assert.equal(mirror.virtualMachine.metadata.name, "tenant-b-web01");
  });

  it("decides no namespace for a claim by name that plans in two namespaces both satisfy", () => {
    // tenant-a creates a VMImport with tenant-b's plan name, listing the same VM, to pull tenant-b's VM over.
    const shared = { target: { providerRef: { name: "kvm", namespace: "infra" } }, vms: [{ name: "web01" }] };
    const imports = [vmImport("imp", "tenant-a", shared), vmImport("imp", "tenant-b", shared)];
    const vm = live({ uuid: "u-5", name: "web01", labels: { "cozystack.io/original-plan": "imp" } });
    const [d] = decideAdoption(input({ liveVMs: [vm], imports, provider: kvm("infra") }));
    assert.equal(d.decision, "ignore");
    assert.match(d.reason, /VMImport tenant-a\/imp and VMImport tenant-b\/imp all list/);
    assert.deepEqual(d.actions, []);
  });

  it("honours a plan claim only when the plan targets this Provider", () => {
    const imp = vmImport("imp", "tenant-a", { vms: [{ name: "web01" }], target: { providerRef: { name: "other-kvm" } } });
    const vm = live({ uuid: "u-5", name: "web01", labels: { "forklift.konveyor.io/plan": "imp", "forklift.konveyor.io/vm-name": "web01" } });
    const [d] = decideAdoption(input({ liveVMs: [vm], imports: [imp], provider: kvm("tenant-a") }));
    assert.equal(d.decision, "ignore");
    assert.match(d.reason, /does not target Provider "tenant-a\/kvm"/);
  });

  it("refuses a claimed VM whose plan's target namespace the Provider is not open to", () => {
    // A VMImport in tenant-a that targets tenant-b through a Provider (infra/kvm) open to tenant-a only.
    const imp = vmImport("imp", "tenant-a", { vms: [{ name: "web01" }], target: { providerRef: { name: "kvm", namespace: "infra" }, namespace: "tenant-b" } });
    const vm = live({ uuid: "u-5", name: "web01", labels: { "cozystack.io/original-plan": "imp" } });
    const [d] = decideAdoption(input({ liveVMs: [vm], imports: [imp], provider: kvm("infra", ["tenant-a"]) }));
    assert.equal(d.decision, "ignore");
    assert.equal(d.forbidden, true);
    assert.match(d.reason, /Provider "infra\/kvm" is not open to namespace "tenant-b"/);
    assert.deepEqual(d.actions, []);
    const [open] = decideAdoption(input({ liveVMs: [vm], imports: [imp], provider: kvm("infra", ["tenant-a", "tenant-b"]) }));
    assert.equal(open.decision, "adopt", open.reason);
    const mirror = open.actions.find((a) => a.type === "create-virtualmachine");
    assert.ok(mirror?.type === "create-virtualmachine");
    assert.equal(mirror.virtualMachine.metadata.namespace, "tenant-b");
    assert.deepEqual(mirror.virtualMachine.spec.providerRef, { name: "kvm", namespace: "infra" });
  });

  it("ignores a plan claim for a VM the plan does not list", () => {
    const imp = vmImport("imp", "default", { vms: [{ name: "web01" }] });
    const vm = live({ uuid: "u-6", name: "intruder", labels: { "forklift.konveyor.io/plan": "imp", "forklift.konveyor.io/vm-name": "intruder" } });
    const [d] = decideAdoption(input({ liveVMs: [vm], imports: [imp] }));
    assert.equal(d.decision, "ignore");
    assert.match(d.reason, /does not list it/);
  });

  it("matches by UID: a same-named VM with another UUID is not the managed one", () => {
    const managed = managedVM("web01", "default", "u-1", { ...adoptionLabels(coz, "imp") });
    const cm = adoptionConfigMap(coz, { vmName: "web01", namespace: "default", sourcePlan: "imp", sourceType: "vmware", adoptedAt: NOW, managementEndpoint: "kubectl" });
    const renamed = live({ uuid: "u-1", name: "web01-renamed", labels: adoptionLabels(coz, "imp") });
    const impostor = live({ uuid: "u-2", name: "web01", labels: {} });
    const [a, b] = decideAdoption(input({ liveVMs: [renamed, impostor], managed: [managed], configMaps: [cm], requests: [{ uuid: "u-2" }] }));
    assert.equal(a.decision, "already-adopted");
    assert.equal(b.decision, "ignore");
    assert.match(b.reason, /never matched by name/);
  });

  it("adopts on an explicit request by UUID, and refuses an ambiguous name", () => {
    const one = live({ uuid: "u-7", name: "lonely" });
    const [d] = decideAdoption(input({ liveVMs: [one], requests: [{ uuid: "u-7", plan: "by-hand" }] }));
    assert.equal(d.decision, "adopt");
    assert.equal(d.plan, "by-hand");
    const twins = [live({ uuid: "t-1", name: "twin" }), live({ uuid: "t-2", name: "twin" })];
    const res = decideAdoption(input({ liveVMs: twins, requests: [{ name: "twin" }] }));
    assert.deepEqual(
      res.map((r) => r.decision),
      ["ignore", "ignore"],
    );
    assert.match(res[0].reason, /request it by UUID/);
  });

  it("adopts an unclaimed, requested VM into its Provider's namespace, named after its domain without that namespace's prefix", () => {
    // `adopt kvm/tenant-a--web01 -n tenant-a` must give tenant-a/web01, whose domain name is the one it already has.
    assert.deepEqual(adoptedLocation(live({ uuid: "u-9", name: "tenant-a--web01" }), "tenant-a"), { namespace: "tenant-a", name: "web01" });
    assert.deepEqual(adoptedLocation(live({ uuid: "u-9", name: "tenant-b--web01" }), "tenant-a"), { namespace: "tenant-a", name: "tenant-b-web01" });
    assert.deepEqual(adoptedLocation(live({ uuid: "u-9", name: "Legacy_VM" }), "default"), { namespace: "default", name: "legacy-vm" });
    const [d] = decideAdoption(input({ liveVMs: [live({ uuid: "u-9", name: "tenant-b--web01" })], requests: [{ uuid: "u-9" }], provider: kvm("tenant-a") }));
    const created = d.actions.find((a) => a.type === "create-virtualmachine");
    assert.ok(created?.type === "create-virtualmachine");
    assert.equal(created.virtualMachine.metadata.namespace, "tenant-a", "the domain's name says tenant-b; the Provider's namespace decides");
    assert.equal(created.virtualMachine.metadata.name, "tenant-b-web01");
  });

  it("refuses (forbidden) a requested adoption from a Provider not open to its own namespace", () => {
    const [d] = decideAdoption(input({ liveVMs: [live({ uuid: "u-9", name: "web01" })], requests: [{ uuid: "u-9" }], provider: kvm("infra", ["tenant-a"]) }));
    assert.equal(d.decision, "ignore");
    assert.equal(d.forbidden, true);
    assert.match(d.reason, /not open to its own namespace "infra"/);
  });

  it("ignores VMs with no claim at all", () => {
    const [d] = decideAdoption(input({ liveVMs: [live({ uuid: "u-8", name: "random" })] }));
    assert.equal(d.decision, "ignore");
    assert.deepEqual(d.actions, []);
  });
});

describe("unadoptActions", () => {
  it("removes labels, ConfigMap and the VirtualMachine (orphan) and never touches the VM or disks", () => {
    const vm = live({ uuid: "u-1", name: "web01", labels: { ...adoptionLabels(coz, "imp"), keep: "me" } });
    const cm = adoptionConfigMap(coz, { vmName: "web01", namespace: "default", sourcePlan: "imp", sourceType: "vmware", adoptedAt: NOW, managementEndpoint: "kubectl" });
    const actions = unadoptActions({ conventions: coz, live: vm, virtualMachine: managedVM("web01", "default", "u-1"), configMap: cm });
    assert.deepEqual(types(actions), ["delete-configmap", "orphan-virtualmachine", "set-labels"]);
    const labels = actions.find((a) => a.type === "set-labels");
    assert.ok(labels?.type === "set-labels");
    assert.deepEqual(labels.labels, {
      "cozystack.io/adopted": null,
      "cozystack.io/source": null,
      "cozystack.io/original-plan": null,
      "app.kubernetes.io/managed-by": null,
    });
    assert.equal(unadoptActions({ conventions: coz, live: live({ uuid: "x", name: "plain" }) }).length, 0);
  });
});
