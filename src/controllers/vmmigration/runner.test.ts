// The runner's Creating phase with a real (in-memory) store and scripted providers: it polls until the
// VirtualMachine controller reports Ready, and those polls must not leave listeners on the migration's signal.
import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DEFAULT_CONVENTIONS } from "../../api/conventions.ts";
import type { VirtualMachine } from "../../api/virtualmachine.ts";
import type { VMMigration } from "../../api/vmmigration.ts";
import type { SourceProvider, SourceVM } from "../../providers/contract.ts";
import { openSqliteStore, type SqliteStore } from "../../store/sqlite/index.ts";
import type { ProviderClients } from "../provider/clients.ts";
import { stagingDir } from "./plan.ts";
import type { DiskOps } from "./disk-ops.ts";
import { Slots } from "../../runtime/slots.ts";
import { noGuestConversion } from "./guest.fixture.ts";
import { MigrationRunner } from "./runner.ts";

const sourceVM: SourceVM = {
  id: "vm-1",
  name: "web01",
  powerState: "poweredOff",
  cpus: 1,
  memoryMiB: 512,
  firmware: "bios",
  disks: [],
  nics: [],
} as unknown as SourceVM;

describe("MigrationRunner", () => {
  let store: SqliteStore;
  let pool: string;
  before(async () => {
    store = await openSqliteStore({ path: ":memory:" });
    pool = await mkdtemp(join(tmpdir(), "landfall-runner-"));
  });
  after(async () => {
    await store.close();
    await rm(pool, { recursive: true, force: true });
  });

  it("waits for the VirtualMachine to be Ready without piling abort listeners on the migration's signal", async () => {
    const finished: string[] = [];
    const source = {
      type: "vsphere",
      getVM: async () => sourceVM,
      finishExport: async () => {
        finished.push("finishExport");
      },
    } as unknown as SourceProvider;
    const clients = {
      leaseSource: async () => ({ provider: { spec: { type: "vsphere" } }, client: source, release: async () => undefined }),
      leaseTarget: async () => ({ provider: { spec: { type: "libvirt" } }, client: {}, release: async () => undefined }),
    } as unknown as ProviderClients;
    const runner = new MigrationRunner({ store, clients, disk: {} as DiskOps, ...noGuestConversion, transferSlots: new Slots(2), conventions: DEFAULT_CONVENTIONS, log: () => undefined });

    const m = await store.create<VMMigration>({
      apiVersion: "landfall.dev/v1beta1",
      kind: "VMMigration",
      metadata: { name: "web01", namespace: "default" },
      spec: { source: { providerRef: { name: "vcenter" }, vmName: "web01" }, target: { providerRef: { name: "kvm" }, vmName: "web01" } },
    } as VMMigration);
    await store.updateStatus<VMMigration>({ ...m, status: { phase: "Creating", source: { vmID: "vm-1" }, disks: [] } });
    const vm = await store.create<VirtualMachine>({
      apiVersion: "landfall.dev/v1beta1",
      kind: "VirtualMachine",
      metadata: { name: "web01", namespace: "default" },
      spec: { providerRef: { name: "kvm" }, importedDisk: { diskID: "web01-disk0", path: "/pool/web01-disk0.qcow2", format: "qcow2", sizeGiB: 1 } },
    } as VirtualMachine);
    // The VirtualMachine controller's part, after a few of the runner's polls.
    const ready = setTimeout(() => {
      void store.updateStatus<VirtualMachine>({
        ...vm,
        status: { phase: "Running", providerID: "uuid-1", conditions: [{ type: "Ready", status: "True", reason: "Running", message: "up", lastTransitionTime: new Date().toISOString() }] },
      });
    }, 1200);

    const stop = new AbortController();
    try {
      await runner.run("default", "web01", stop.signal);
    } finally {
      clearTimeout(ready);
    }
    const done = await store.get<VMMigration>("VMMigration", "default", "web01");
    assert.equal(done.status?.phase, "Succeeded");
    assert.deepEqual(finished, ["finishExport"]);
    assert.equal(getEventListeners(stop.signal, "abort").length, 0);
  });

  it("hands the migration's signal to the conversion, so cancelling stops qemu-img", async () => {
    const signals: Array<AbortSignal | undefined> = [];
    const target = { ensureStorage: async () => ({ pool: "test", path: pool, availableBytes: 1 << 30 }) };
    const clients = {
      leaseSource: async () => ({ provider: { spec: { type: "vsphere" } }, client: {}, release: async () => undefined }),
      leaseTarget: async () => ({ provider: { spec: { type: "libvirt" } }, client: target, release: async () => undefined }),
    } as unknown as ProviderClients;
    const disk = {
      convert: async (args: { signal?: AbortSignal }) => {
        signals.push(args.signal);
        throw new Error("stop after the conversion started");
      },
    } as unknown as DiskOps;
    const runner = new MigrationRunner({ store, clients, disk, ...noGuestConversion, transferSlots: new Slots(2), conventions: DEFAULT_CONVENTIONS, log: () => undefined });
    const m = await store.create<VMMigration>({
      apiVersion: "landfall.dev/v1beta1",
      kind: "VMMigration",
      metadata: { name: "db01", namespace: "default" },
      spec: { source: { providerRef: { name: "vcenter" }, vmName: "db01" }, target: { providerRef: { name: "kvm" } } },
    } as VMMigration);
    const transferred = { diskID: "db01-disk0", key: 2000, sizeBytes: 4096, bytesDone: 4096, targetFormat: "qcow2", state: "Transferred" };
    await store.updateStatus<VMMigration>({ ...m, status: { phase: "Converting", disks: [transferred] } } as VMMigration);
    const staged = stagingDir(pool, m);
    await mkdir(staged, { recursive: true });
    await writeFile(join(staged, "db01-disk0.raw"), Buffer.alloc(4096));

    const stop = new AbortController();
    await assert.rejects(runner.run("default", "db01", stop.signal), /stop after the conversion started/);
    assert.equal(signals.length, 1);
    assert.equal(signals[0], stop.signal);
  });

  it("a volume already in the pool under the disk's name (an import killed before it was recorded) is adopted, verified and not imported again", async () => {
    const imports: string[] = [];
    const hashed: string[] = [];
    const target = {
      ensureStorage: async () => ({ pool: "test", path: pool, availableBytes: 1 << 30 }),
      importDisk: async (r: { diskID: string }) => {
        imports.push(r.diskID);
        throw Object.assign(new Error(`volume ${r.diskID} already exists`), { code: "AlreadyExists" });
      },
      verifyVolume: async (v: { path: string }) => {
        hashed.push(v.path);
        return "sha256:aa";
      },
    };
    const source = {
      getVM: async () => {
        throw new Error("stop before creating the VirtualMachine");
      },
    };
    const clients = {
      leaseSource: async () => ({ provider: { spec: { type: "vsphere" } }, client: source, release: async () => undefined }),
      leaseTarget: async () => ({ provider: { spec: { type: "libvirt" } }, client: target, release: async () => undefined }),
    } as unknown as ProviderClients;
    const disk = { imageInfo: async () => ({ format: "qcow2", virtualSizeBytes: 4096 }) } as unknown as DiskOps;
    const runner = new MigrationRunner({ store, clients, disk, ...noGuestConversion, transferSlots: new Slots(2), conventions: DEFAULT_CONVENTIONS, log: () => undefined });
    const m = await store.create<VMMigration>({
      apiVersion: "landfall.dev/v1beta1",
      kind: "VMMigration",
      metadata: { name: "app01", namespace: "default" },
      spec: { source: { providerRef: { name: "vcenter" }, vmName: "app01" }, target: { providerRef: { name: "kvm" } } },
    } as VMMigration);
    const volume = join(pool, "app01-disk0.qcow2");
    await writeFile(volume, "the volume an earlier attempt imported");
    const converted = { diskID: "app01-disk0", key: 2000, sourcePath: "[ds] app01.vmdk", sizeBytes: 4096, bytesDone: 4096, sha256: "sha256:aa", targetPath: volume, targetFormat: "qcow2", state: "Converted" };
    await store.updateStatus<VMMigration>({ ...m, status: { phase: "Importing", source: { vmID: "vm-3" }, disks: [converted] } } as VMMigration);
    const staged = stagingDir(pool, m);
    await mkdir(staged, { recursive: true });

    await assert.rejects(runner.run("default", "app01", new AbortController().signal), /stop before creating the VirtualMachine/);
    assert.deepEqual(imports, [], "never imported a second time");
    assert.deepEqual(hashed, [volume], "the adopted volume's hash was checked like a fresh import's");
    const after = await store.get<VMMigration>("VMMigration", "default", "app01");
    assert.equal(after.status?.phase, "Creating");
    assert.equal(after.status?.disks?.[0].state, "Verified");
    assert.equal(after.status?.disks?.[0].targetSha256, "sha256:aa");
    await assert.rejects(stat(staged), "the staging directory goes once every disk is recorded Verified");
  });

  it("records the export intent before shutting the guest down, so a rerun after the shutdown still knows the migration powered it off", async () => {
    let power: "poweredOn" | "poweredOff" = "poweredOn";
    const recordedAtShutdown: Array<string | boolean | undefined> = [];
    const disks = [{ key: 2000, label: "Hard disk 1", fileName: "[ds] db02/db02.vmdk", capacityBytes: 4096, datastore: "ds", controller: "scsi" }];
    let crash = true;
    const source = {
      getVM: async () => ({ ...sourceVM, id: "vm-9", name: "db02", powerState: power, disks }),
      prepareExport: async (vm: SourceVM) => {
        const now = await store.get<VMMigration>("VMMigration", "default", "db02");
        recordedAtShutdown.push(now.status?.source?.powerStateBefore, now.status?.source?.poweredOffByMigration);
        power = "poweredOff";
        if (crash) throw new Error("killed right after the guest shut down");
        return { vmID: vm.id, mode: "cold", powerStateBefore: vm.powerState, poweredOffByExport: vm.powerState === "poweredOn", disks };
      },
    };
    const target = {
      ensureStorage: async () => {
        throw new Error("stop before transferring");
      },
    };
    const clients = {
      leaseSource: async () => ({ provider: { spec: { type: "vsphere" } }, client: source, release: async () => undefined }),
      leaseTarget: async () => ({ provider: { spec: { type: "libvirt" } }, client: target, release: async () => undefined }),
    } as unknown as ProviderClients;
    const runner = new MigrationRunner({ store, clients, disk: {} as DiskOps, ...noGuestConversion, transferSlots: new Slots(2), conventions: DEFAULT_CONVENTIONS, log: () => undefined });
    const m = await store.create<VMMigration>({
      apiVersion: "landfall.dev/v1beta1",
      kind: "VMMigration",
      metadata: { name: "db02", namespace: "default" },
      spec: { source: { providerRef: { name: "vcenter" }, vmName: "db02" }, target: { providerRef: { name: "kvm" } }, options: { restoreSourcePower: true } },
    } as VMMigration);
    await store.updateStatus<VMMigration>({ ...m, status: { phase: "Exporting", source: { vmID: "vm-9" }, disks: [] } } as VMMigration);

    await assert.rejects(runner.run("default", "db02", new AbortController().signal), /killed right after the guest shut down/);
    assert.deepEqual(recordedAtShutdown, ["poweredOn", true], "intent was in status before the effect");
    crash = false;
    await assert.rejects(runner.run("default", "db02", new AbortController().signal), /stop before transferring/);
    const after = await store.get<VMMigration>("VMMigration", "default", "db02");
    assert.equal(after.status?.source?.powerStateBefore, "poweredOn", "not overwritten by the rerun's poweredOff");
    assert.equal(after.status?.source?.poweredOffByMigration, true, "so finishing or failing powers it back on");
    assert.deepEqual(after.status?.source?.exportDisks, disks, "the session's disks are recorded for the transfer");
    assert.equal(after.status?.phase, "Transferring");
  });
});
