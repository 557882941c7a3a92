// Cloning copies disks through the VM's Provider: refused (403) once the Provider is closed to the VM's namespace,
// before the Provider is contacted.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DEFAULT_CONVENTIONS } from "../../api/conventions.ts";
import { isApiError } from "../../api/errors.ts";
import { openSqliteStore, type SqliteStore } from "../../store/sqlite/index.ts";
import type { ProviderClients } from "../provider/clients.ts";
import { cloneVirtualMachine } from "./clone.ts";

describe("cloneVirtualMachine tenancy", () => {
  let store: SqliteStore;
  before(async () => {
    store = await openSqliteStore({ path: ":memory:" });
  });
  after(async () => {
    await store.close();
  });

  it("refuses with 403 naming the Provider when it is not open to the VM's namespace, and contacts nothing", async () => {
    await store.create({ apiVersion: "landfall.dev/v1beta1", kind: "Provider", metadata: { name: "kvm", namespace: "infra" }, spec: { type: "libvirt", tenants: ["tenant-b"] } });
    const vm = await store.create({
      apiVersion: "landfall.dev/v1beta1",
      kind: "VirtualMachine",
      metadata: { name: "web01", namespace: "tenant-a" },
      spec: { providerRef: { name: "kvm", namespace: "infra" }, importedDisk: { diskID: "d", path: "/var/lib/landfall/images/d.qcow2" } },
    });
    await store.updateStatus({ ...vm, status: { providerID: "0b6c1f5e-3f53-4a44-9d49-2f1f2a7e0c01" } });
    let contacted = 0;
    const clients = {
      targetByRef: async () => {
        contacted++;
        throw new Error("the Provider must not be contacted");
      },
    } as unknown as ProviderClients;
    await assert.rejects(
      cloneVirtualMachine({ store, clients, conventions: DEFAULT_CONVENTIONS }, "tenant-a", "web01", "web02", false),
      (err) => isApiError(err, "Forbidden") && /Provider "infra\/kvm" is not open to namespace "tenant-a"/.test(err.message),
    );
    assert.equal(contacted, 0);
  });
});
