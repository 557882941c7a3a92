// Validating with a storageMap: each disk is planned into the pool its datastore maps to (status.disks[].pool), and
// a pool the target does not declare fails the migration for good, naming the pools it does — also where no
// admission check ran (operator mode, or a Provider changed after the migration was admitted).
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { DEFAULT_CONVENTIONS } from "../../api/conventions.ts";
import type { VMMigration } from "../../api/vmmigration.ts";
import type { SourceVM, TargetStorage } from "../../providers/contract.ts";
import { Slots } from "../../runtime/slots.ts";
import { openSqliteStore, type SqliteStore } from "../../store/sqlite/index.ts";
import type { ProviderClients } from "../provider/clients.ts";
import type { DiskOps } from "./disk-ops.ts";
import { noGuestConversion } from "./guest.fixture.ts";
import { MigrationRunner } from "./runner.ts";

const vm: SourceVM = {
  id: "vm-7",
  name: "db01",
  uuid: "4211aaaa-0000-0000-0000-000000000007",
  powerState: "poweredOff",
  guestOS: "otherGuest",
  cpus: 1,
  memoryMiB: 512,
  firmware: "bios",
  disks: [
    { key: 2000, label: "Hard disk 1", fileName: "[LocalDS_0] db01/db01.vmdk", capacityBytes: 1 << 20, datastore: "LocalDS_0", controller: "scsi" },
    { key: 2001, label: "Hard disk 2", fileName: "[LocalDS_1] db01/db01_1.vmdk", capacityBytes: 1 << 20, datastore: "LocalDS_1", controller: "scsi" },
  ],
  nics: [],
};

describe("Validating places disks by datastore", () => {
  let store: SqliteStore;
  let dir: string;
  before(async () => {
    store = await openSqliteStore({ path: ":memory:" });
    dir = await mkdtemp(join(tmpdir(), "landfall-validate-pools-"));
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  function runnerWith(pools: string[], sourceVM: () => Promise<SourceVM> = async () => vm, ensured?: () => Promise<void>): MigrationRunner {
    const ready = { ready: true, reason: "Connected", message: "ok" };
    const source = { type: "vsphere", check: async () => ready, getVM: sourceVM, prepareExport: async () => Promise.reject(new Error("stop after Validating")) };
    const target = {
      type: "libvirt",
      check: async () => ready,
      getVM: async () => undefined,
      ensureStorage: async (pool = pools[0]): Promise<TargetStorage> => {
        await ensured?.();
        if (!pools.includes(pool)) throw Object.assign(new Error(`storage pool "${pool}" is not one of this Provider's pools (${pools.map((p) => `"${p}"`).join(", ")})`), { code: "InvalidArgument" });
        return { pool, path: join(dir, pool), availableBytes: 1 << 30 };
      },
    };
    const clients = {
      leaseSource: async () => ({ provider: { spec: { type: "vsphere" } }, client: source, release: async () => undefined }),
      leaseTarget: async () => ({ provider: { spec: { type: "libvirt" } }, client: target, release: async () => undefined }),
    } as unknown as ProviderClients;
    return new MigrationRunner({ store, clients, disk: {} as DiskOps, ...noGuestConversion, transferSlots: new Slots(2), conventions: DEFAULT_CONVENTIONS, log: () => undefined });
  }

  const create = (name: string, storageMap: Array<{ source: string; target: string }>) =>
    store.create<VMMigration>({
      apiVersion: "landfall.dev/v1beta1",
      kind: "VMMigration",
      metadata: { name, namespace: "default" },
      spec: { source: { providerRef: { name: "vcenter" }, vmName: "db01" }, target: { providerRef: { name: "kvm" }, vmName: name, storageMap } },
    } as VMMigration);

  it("records each disk's pool from its datastore; an unmapped datastore goes to the default pool", async () => {
    await create("placed", [{ source: "LocalDS_1", target: "fast" }]);
    await assert.rejects(runnerWith(["main", "fast"]).run("default", "placed", new AbortController().signal), /stop after Validating/);
    const m = await store.get<VMMigration>("VMMigration", "default", "placed");
    assert.deepEqual(
      m.status?.disks?.map((d) => [d.pool, d.targetPath?.startsWith(join(dir, d.pool ?? "?"))]),
      [
        ["main", true],
        ["fast", true],
      ],
    );
  });

  it("fails for good on a pool the target does not declare, naming the pools it does", async () => {
    await create("unknown", [{ source: "LocalDS_1", target: "gold" }]);
    await assert.rejects(runnerWith(["main", "fast"]).run("default", "unknown", new AbortController().signal), (err: Error & { reason?: string }) => {
      assert.equal(err.reason, "InvalidStorageMap");
      assert.match(err.message, /spec\.target\.storageMap: storage pool "gold" is not one of this Provider's pools \("main", "fast"\)/);
      return true;
    });
  });

  it("ensures the target's pool while the source looks the VM up, and reports the source's failure first", async () => {
    await create("overlap", []);
    let ensuring!: () => void;
    const ensureStarted = new Promise<void>((resolve) => {
      ensuring = resolve;
    });
    // The source answers only once the target's pool is being ensured: run one after the other, this would hang.
    const answered = runnerWith(["main"], async () => ensureStarted.then(() => vm), async () => ensuring());
    const hung = sleep(5_000, undefined, { ref: false }).then(() => Promise.reject(new Error("Validating hung: the pool was not ensured beside the source lookup")));
    await assert.rejects(Promise.race([answered.run("default", "overlap", new AbortController().signal), hung]), /stop after Validating/);
    await create("both-fail", []);
    const notFound = async (): Promise<SourceVM> => Promise.reject(Object.assign(new Error("no VM db01"), { code: "NotFound" }));
    const broken = runnerWith(["main"], notFound, async () => Promise.reject(new Error("libvirtd unreachable")));
    await assert.rejects(broken.run("default", "both-fail", new AbortController().signal), (err: Error & { reason?: string }) => {
      assert.equal(err.reason, "SourceVMNotFound");
      return true;
    });
  });
});
