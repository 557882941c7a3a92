// The reconciler's crash safety, with a real (in-memory) store and a scripted target: the process dies right
// after the domain was defined, before status recorded it. The next reconcile must find everything it needs.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DEFAULT_CONVENTIONS } from "../../api/conventions.ts";
import type { Provider } from "../../api/provider.ts";
import type { VirtualMachine } from "../../api/virtualmachine.ts";
import type { TargetProvider, TargetVM, TargetVMSpec } from "../../providers/contract.ts";
import { openSqliteStore, type SqliteStore } from "../../store/sqlite/index.ts";
import type { ProviderClients } from "../provider/clients.ts";
import { VM_FINALIZER } from "./decide.ts";
import { virtualMachineReconciler } from "./reconcile.ts";

const CHECKSUM = `sha256:${"ab".repeat(32)}`;
/** What the reconciler did to disks, in order. */
const order: string[] = [];

/** A target whose first createVM defines the domain and then "crashes" the caller. */
function crashingTarget(poolPath: string, crashes = 1): TargetProvider & { domains: Map<string, TargetVM> } {
  const domains = new Map<string, TargetVM>();
  const target = {
    type: "libvirt",
    domains,
    check: async () => ({ ready: true, reason: "Connected", message: "ok" }),
    ensureStorage: async () => ({ pool: "test", path: poolPath, availableBytes: 1 << 30 }),
    getVM: async (ref: { uuid?: string; name?: string }) => [...domains.values()].find((d) => (ref.uuid ? d.uuid === ref.uuid : d.name === ref.name)),
    createVM: async (spec: TargetVMSpec) => {
      const vm: TargetVM = { uuid: spec.uuid as string, name: spec.name, state: "shutoff", cpus: spec.cpus, memoryMiB: spec.memoryMiB, firmware: spec.firmware, disks: spec.disks, nics: [], labels: spec.labels ?? {} };
      domains.set(vm.uuid, vm);
      if (crashes-- > 0) throw new Error("process killed after virsh define");
      return vm;
    },
    setPower: async (uuid: string, action: string) => {
      const d = domains.get(uuid);
      if (d) d.state = action === "start" ? "running" : "shutoff";
    },
    setLabels: async () => undefined,
    growDisk: async (path: string) => {
      order.push("grow");
      return { diskID: "d", path, format: "raw", virtualSizeBytes: 1 << 30 };
    },
  };
  return target as unknown as TargetProvider & { domains: Map<string, TargetVM> };
}

describe("virtualMachineReconciler after a crash between define and status", () => {
  let store: SqliteStore;
  let dir: string;
  before(async () => {
    store = await openSqliteStore({ path: ":memory:" });
    dir = await mkdtemp(join(tmpdir(), "landfall-vm-reconcile-"));
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps the checksum of the disk as placed and converges to one running domain", async () => {
    const disk = join(dir, "web01.raw");
    await writeFile(disk, Buffer.alloc(4096));
    await store.create({ apiVersion: "landfall.dev/v1beta1", kind: "Provider", metadata: { name: "kvm", namespace: "default" }, spec: { type: "libvirt", storagePool: "test", storagePoolPath: dir } });
    await store.create({
      apiVersion: "landfall.dev/v1beta1",
      kind: "VirtualMachine",
      metadata: { name: "web01", namespace: "default" },
      spec: { providerRef: { name: "kvm" }, importedDisk: { diskID: "web01", path: disk, format: "raw", sizeGiB: 1 } },
    });
    const target = crashingTarget(dir);
    let hashed = 0;
    const reconcile = virtualMachineReconciler({
      store,
      clients: { target: async () => target } as unknown as ProviderClients,
      conventions: DEFAULT_CONVENTIONS,
      imageSha256: async () => {
        order.push("hash");
        hashed++;
        return CHECKSUM;
      },
      virtualSize: async () => 4096,
      log: () => undefined,
    });
    const key = { namespace: "default", name: "web01" };
    await assert.rejects(reconcile(key), /process killed/);
    await reconcile(key); // a new process: finds the domain by UUID and starts it
    const vm = await store.get<VirtualMachine>("VirtualMachine", "default", "web01");
    assert.equal(target.domains.size, 1);
    const [domain] = target.domains.values();
    assert.equal(vm.status?.providerID, domain.uuid);
    assert.equal(domain.state, "running");
    assert.equal(vm.status?.diskInfo?.targetChecksum, CHECKSUM);
    assert.equal(hashed, 1, "the disk is hashed once, before first boot");
    assert.deepEqual(order.slice(0, 2), ["hash", "grow"], "hashed as placed, before growing to sizeGiB");
  });
});

describe("virtualMachineReconciler on a new VirtualMachine", () => {
  let store: SqliteStore;
  let dir: string;
  before(async () => {
    store = await openSqliteStore({ path: ":memory:" });
    dir = await mkdtemp(join(tmpdir(), "landfall-vm-first-"));
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("adds its finalizer and defines the domain in one pass, the finalizer stored before the domain is defined", async () => {
    const disk = join(dir, "web02.raw");
    await writeFile(disk, Buffer.alloc(4096));
    await store.create({ apiVersion: "landfall.dev/v1beta1", kind: "Provider", metadata: { name: "kvm", namespace: "default" }, spec: { type: "libvirt", storagePool: "test", storagePoolPath: dir } });
    await store.create({ apiVersion: "landfall.dev/v1beta1", kind: "VirtualMachine", metadata: { name: "web02", namespace: "default" }, spec: { providerRef: { name: "kvm" }, importedDisk: { diskID: "web02", path: disk, format: "raw" } } });
    const target = crashingTarget(dir, 0);
    const define = target.createVM.bind(target);
    const finalizersAtDefine: Array<string[] | undefined> = [];
    target.createVM = async (spec) => {
      finalizersAtDefine.push((await store.get<VirtualMachine>("VirtualMachine", "default", "web02")).metadata.finalizers);
      return define(spec);
    };
    const reconcile = virtualMachineReconciler({ store, clients: { target: async () => target } as unknown as ProviderClients, conventions: DEFAULT_CONVENTIONS, imageSha256: async () => CHECKSUM, virtualSize: async () => 4096, log: () => undefined });
    const result = await reconcile({ namespace: "default", name: "web02" });
    assert.deepEqual(finalizersAtDefine, [[VM_FINALIZER]]);
    const vm = await store.get<VirtualMachine>("VirtualMachine", "default", "web02");
    assert.equal(vm.status?.providerID, [...target.domains.values()][0]?.uuid);
    assert.equal(vm.status?.conditions?.find((c) => c.type === "Ready")?.status, "True");
    assert.equal(result, undefined, "settled: nothing to requeue");
  });
});

describe("virtualMachineReconciler when the Provider's tenants no longer include the VM's namespace", () => {
  let store: SqliteStore;
  let dir: string;
  before(async () => {
    store = await openSqliteStore({ path: ":memory:" });
    dir = await mkdtemp(join(tmpdir(), "landfall-vm-tenancy-"));
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("fails with ProviderNotAllowed, leaves the running domain alone, and a delete forgets the VM without touching it", async () => {
    const disk = join(dir, "web01.raw");
    await writeFile(disk, Buffer.alloc(4096));
    await store.create({ apiVersion: "landfall.dev/v1beta1", kind: "Provider", metadata: { name: "kvm", namespace: "infra" }, spec: { type: "libvirt", storagePool: "test", storagePoolPath: dir, tenants: ["tenant-a"] } });
    await store.create({
      apiVersion: "landfall.dev/v1beta1",
      kind: "VirtualMachine",
      metadata: { name: "web01", namespace: "tenant-a" },
      spec: { providerRef: { name: "kvm", namespace: "infra" }, importedDisk: { diskID: "web01", path: disk, format: "raw" } },
    });
    const target = crashingTarget(dir, 0);
    let contacted = 0;
    const reconcile = virtualMachineReconciler({
      store,
      clients: {
        target: async () => {
          contacted++;
          return target;
        },
      } as unknown as ProviderClients,
      conventions: DEFAULT_CONVENTIONS,
      imageSha256: async () => CHECKSUM,
      virtualSize: async () => 4096,
      log: () => undefined,
    });
    const key = { namespace: "tenant-a", name: "web01" };
    await reconcile(key);
    const [domain] = target.domains.values();
    assert.equal(domain?.state, "running", "allowed: the domain is defined and started");

    // The fault: an admin closes the Provider to tenant-a after the VM was admitted.
    const p = await store.get<Provider>("Provider", "infra", "kvm");
    await store.update({ ...p, spec: { ...p.spec, tenants: ["tenant-b"] } });
    const before = contacted;
    await reconcile(key);
    const vm = await store.get<VirtualMachine>("VirtualMachine", "tenant-a", "web01");
    assert.equal(vm.status?.phase, "Failed");
    const ready = vm.status?.conditions?.find((c) => c.type === "Ready");
    assert.equal(ready?.reason, "ProviderNotAllowed");
    assert.match(ready?.message ?? "", /Provider "infra\/kvm" is not open to namespace "tenant-a"/);
    assert.equal(contacted, before, "the closed Provider is not contacted");

    await store.delete("VirtualMachine", "tenant-a", "web01");
    await reconcile(key);
    await assert.rejects(store.get("VirtualMachine", "tenant-a", "web01"), /not found/i);
    assert.equal(target.domains.size, 1, "the domain is not deleted through a Provider the namespace may not use");
    assert.equal(domain.state, "running");
  });
});
