// A VMMigration admitted before its Provider was closed to its namespace: Validating fails it with
// ProviderNotAllowed before any Provider is contacted.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { VMMigration } from "../../api/vmmigration.ts";
import { targetProviderRef } from "./plan.ts";
import { closeRunnerFixture, openRunnerFixture, type RunnerFixture, scriptedRunner } from "./runner.fixture.ts";
import { MigrationFailure } from "./steps.ts";

describe("MigrationRunner tenancy", () => {
  let fixture: RunnerFixture;
  before(async () => {
    fixture = await openRunnerFixture("tenancy");
  });
  after(() => closeRunnerFixture(fixture));

  it("fails Validating with ProviderNotAllowed when the target Provider is not open to the target namespace", async () => {
    const { store } = fixture;
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
    };
    const runner = scriptedRunner(store, { clients });
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
