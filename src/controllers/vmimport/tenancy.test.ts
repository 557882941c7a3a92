// A VMImport whose target Provider is not open to its target namespace fails validation with ProviderNotAllowed
// before any Provider is contacted (admission may predate a change of the Provider's tenants).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DEFAULT_CONVENTIONS } from "../../api/conventions.ts";
import type { VMImport } from "../../api/vmimport.ts";
import { openSqliteStore, type SqliteStore } from "../../store/sqlite/index.ts";
import type { AdoptionService } from "../adoption/service.ts";
import type { ProviderClients } from "../provider/clients.ts";
import { vmImportReconciler } from "./reconcile.ts";

describe("vmImportReconciler tenancy", () => {
  let store: SqliteStore;
  before(async () => {
    store = await openSqliteStore({ path: ":memory:" });
  });
  after(async () => {
    await store.close();
  });

  it("fails a cross-tenant import with ProviderNotAllowed and contacts no Provider", async () => {
    await store.create({ apiVersion: "landfall.dev/v1beta1", kind: "Provider", metadata: { name: "vcenter", namespace: "tenant-a" }, spec: { type: "vsphere" } });
    await store.create({ apiVersion: "landfall.dev/v1beta1", kind: "Provider", metadata: { name: "kvm", namespace: "tenant-a" }, spec: { type: "libvirt", tenants: ["tenant-a"] } });
    await store.create({
      apiVersion: "landfall.dev/v1beta1",
      kind: "VMImport",
      metadata: { name: "cross", namespace: "tenant-a" },
      spec: { source: { providerRef: { name: "vcenter" } }, vms: [{ name: "web01" }], target: { providerRef: { name: "kvm" }, namespace: "tenant-b" } },
    });
    let contacted = 0;
    const refuse = async () => {
      contacted++;
      throw new Error("no Provider may be contacted");
    };
    const reconcile = vmImportReconciler({
      store,
      clients: { sourceByRef: refuse, targetByRef: refuse } as unknown as ProviderClients,
      adoption: {} as AdoptionService,
      conventions: DEFAULT_CONVENTIONS,
      log: () => undefined,
    });
    await reconcile({ namespace: "tenant-a", name: "cross" }); // finalizer
    await reconcile({ namespace: "tenant-a", name: "cross" });
    const imp = await store.get<VMImport>("VMImport", "tenant-a", "cross");
    assert.equal(imp.status?.phase, "Failed");
    const ready = imp.status?.conditions?.find((c) => c.type === "Ready");
    assert.equal(ready?.reason, "ProviderNotAllowed");
    assert.match(ready?.message ?? "", /spec.target.providerRef: Provider "tenant-a\/kvm" is not open to namespace "tenant-b"/);
    assert.equal(contacted, 0);
  });
});
