// Path confinement follows providerRef.namespace: a VirtualMachine that names a Provider in another namespace is
// judged against that Provider's storage, never waved through because its own namespace has no such Provider.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Provider } from "../api/provider.ts";
import type { VirtualMachine } from "../api/virtualmachine.ts";
import { openSqliteStore, type SqliteStore } from "../store/sqlite/index.ts";
import type { Principal } from "../server/auth.ts";
import type { VMImport } from "../api/vmimport.ts";
import type { VMMigration } from "../api/vmmigration.ts";
import { storageMapAdmission, storagePathAdmission } from "./admission.ts";

const admin: Principal = { id: "test", name: "admin", role: "admin" };

describe("storagePathAdmission", () => {
  let store: SqliteStore;
  let pool: string;
  before(async () => {
    store = await openSqliteStore({ path: ":memory:" });
    pool = await mkdtemp(join(tmpdir(), "landfall-admission-"));
    await store.create<Provider>({
      apiVersion: "landfall.dev/v1beta1",
      kind: "Provider",
      metadata: { name: "kvm", namespace: "infra" },
      spec: { type: "libvirt", uri: "qemu:///system", storagePool: "infra-pool", storagePoolPath: pool },
    } as Provider);
  });
  after(async () => {
    await store.close();
    await rm(pool, { recursive: true, force: true });
  });

  const vm = (path: string): VirtualMachine =>
    ({
      apiVersion: "landfall.dev/v1beta1",
      kind: "VirtualMachine",
      metadata: { name: "web01", namespace: "team-a" },
      spec: { providerRef: { name: "kvm", namespace: "infra" }, importedDisk: { diskID: "web01-disk0", path, format: "qcow2" } },
    }) as VirtualMachine;

  it("rejects a disk path outside the storage of the Provider in providerRef.namespace", async () => {
    await assert.rejects(storagePathAdmission(store)("CREATE", vm("/etc/shadow"), undefined, admin), (err: Error) => {
      assert.match(`${err.message} ${JSON.stringify(err)}`, /spec\.importedDisk\.path.*\/etc\/shadow.*infra-pool/s);
      return true;
    });
  });

  it("admits a path inside that Provider's pool", async () => {
    await storagePathAdmission(store)("CREATE", vm(join(pool, "web01-disk0.qcow2")), undefined, admin);
  });
});

describe("storageMapAdmission", () => {
  let store: SqliteStore;
  before(async () => {
    store = await openSqliteStore({ path: ":memory:" });
    await store.create<Provider>({
      apiVersion: "landfall.dev/v1beta1",
      kind: "Provider",
      metadata: { name: "kvm", namespace: "default" },
      spec: { type: "libvirt", uri: "qemu:///system", storagePool: "main", storagePoolPath: "/srv/main", storagePools: [{ name: "fast", path: "/srv/fast" }] },
    } as Provider);
  });
  after(async () => {
    await store.close();
  });

  const migration = (target: string): VMMigration => ({
    apiVersion: "landfall.dev/v1beta1",
    kind: "VMMigration",
    metadata: { name: "m", namespace: "default" },
    spec: { source: { providerRef: { name: "vc" }, vmName: "db01" }, target: { providerRef: { name: "kvm" }, storageMap: [{ source: "LocalDS_0", target }] } },
  });
  const vmImport = (target: string, provider = "kvm"): VMImport => ({
    apiVersion: "landfall.dev/v1beta1",
    kind: "VMImport",
    metadata: { name: "wave", namespace: "default" },
    spec: { source: { providerRef: { name: "vc" } }, vms: [{ name: "db01" }], target: { providerRef: { name: provider } }, storageMap: [{ source: "LocalDS_1", target }] },
  });

  it("refuses a VMMigration or VMImport whose storageMap names a pool the Provider does not declare, naming the field and the pools", async () => {
    await assert.rejects(storageMapAdmission(store)("CREATE", migration("gold"), undefined, admin), (err: Error & { code?: number; details?: { causes?: Array<{ field?: string }> } }) => {
      assert.equal(err.code, 422);
      assert.equal(err.details?.causes?.[0]?.field, "spec.target.storageMap[0].target");
      assert.match(err.message, /"gold" is not a storage pool of Provider "kvm"; use one of "main", "fast"/);
      return true;
    });
    await assert.rejects(storageMapAdmission(store)("UPDATE", vmImport("gold"), undefined, admin), /spec\.storageMap\[0\]\.target: .*"gold"/);
  });

  it("admits declared pools, and leaves a missing Provider to the migration to report", async () => {
    await storageMapAdmission(store)("CREATE", migration("fast"), undefined, admin);
    await storageMapAdmission(store)("CREATE", vmImport("main"), undefined, admin);
    await storageMapAdmission(store)("CREATE", vmImport("gold", "absent"), undefined, admin);
  });
});
