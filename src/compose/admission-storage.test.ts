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
import { storagePathAdmission } from "./admission.ts";

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
