// A VMMigration admitted before its Provider was closed to its namespace: Validating fails it with
// ProviderNotAllowed before any Provider is contacted.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DEFAULT_CONVENTIONS } from "../../api/conventions.ts";
import type { VMMigration } from "../../api/vmmigration.ts";
import { openSqliteStore, type SqliteStore } from "../../store/sqlite/index.ts";
import type { ProviderClients } from "../provider/clients.ts";
import { targetProviderRef } from "./plan.ts";
import type { DiskOps } from "./disk-ops.ts";
import { Slots } from "../../runtime/slots.ts";
import { noGuestConversion } from "./guest.fixture.ts";
import { MigrationRunner } from "./runner.ts";
import { MigrationFailure } from "./steps.ts";

describe("MigrationRunner tenancy", () => {
  let store: SqliteStore;
  before(async () => {
    store = await openSqliteStore({ path: ":memory:" });
  });
  after(async () => {
    await store.close();
  });

  it("fails Validating with ProviderNotAllowed when the target Provider is not open to the target namespace", async () => {
    for (const [name, tenants] of [
      ["vcenter", []],
      ["kvm", ["tenant-a"]],
    ] as const) {
      await store.create({ apiVersion: "landfall.dev/v1beta1", kind: "Provider", metadata: { name, namespace: "infra" }, spec: { type: name === "kvm" ? "libvirt" : "vsphere", tenants: [...tenants] } });
    }
    await store.create<VMMigration>({
      apiVersion: "landfall.dev/v1beta1",
      kind: "VMMigration",
      metadata: { name: "web01", namespace: "tenant-a" },
      spec: { source: { providerRef: { name: "vcenter", namespace: "infra" }, vmName: "web01" }, target: { providerRef: { name: "kvm", namespace: "infra" }, namespace: "tenant-b" } },
    } as VMMigration);
    const contacted: string[] = [];
    const clients = {
      sourceByRef: async (_ns: string, n: string) => {
        contacted.push(n);
        throw new Error("the source must not be contacted");
      },
      targetByRef: async (_ns: string, n: string) => {
        contacted.push(n);
        throw new Error("the target must not be contacted");
      },
    } as unknown as ProviderClients;
    const runner = new MigrationRunner({ store, clients, disk: {} as DiskOps, ...noGuestConversion, transferSlots: new Slots(2), conventions: DEFAULT_CONVENTIONS, log: () => undefined });
    await assert.rejects(
      runner.run("tenant-a", "web01", new AbortController().signal),
      (err) => err instanceof MigrationFailure && err.reason === "ProviderNotAllowed" && /Provider "infra\/kvm" is not open to namespace "tenant-b" \(spec.target.namespace\)/.test(err.message),
    );
    assert.deepEqual(contacted, []);
  });
});

describe("targetProviderRef", () => {
  const migration = (ns: string, target: VMMigration["spec"]["target"]): VMMigration =>
    ({ apiVersion: "landfall.dev/v1beta1", kind: "VMMigration", metadata: { name: "m", namespace: ns }, spec: { source: { providerRef: { name: "vc" }, vmName: "a" }, target } }) as VMMigration;

  it("keeps the Provider's namespace when the VM lands in another namespace, so it never binds to a same-named Provider there", () => {
    assert.deepEqual(targetProviderRef(migration("tenant-a", { providerRef: { name: "kvm" }, namespace: "tenant-b" })), { name: "kvm", namespace: "tenant-a" });
    assert.deepEqual(targetProviderRef(migration("tenant-a", { providerRef: { name: "kvm", namespace: "infra" } })), { name: "kvm", namespace: "infra" });
    assert.deepEqual(targetProviderRef(migration("tenant-a", { providerRef: { name: "kvm" } })), { name: "kvm" });
    assert.deepEqual(targetProviderRef(migration("tenant-a", { providerRef: { name: "kvm", namespace: "tenant-b" }, namespace: "tenant-b" })), { name: "kvm" });
  });
});
