import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubeObject } from "../../api/meta.ts";
import { virtualMachinesUsing } from "./provider-watch.ts";

const vm = (namespace: string, name: string, providerRef: { name: string; namespace?: string }): KubeObject => ({
  apiVersion: "landfall.dev/v1beta1",
  kind: "VirtualMachine",
  metadata: { namespace, name },
  spec: { providerRef },
});
const provider = (namespace: string, name: string): KubeObject => ({ apiVersion: "landfall.dev/v1beta1", kind: "Provider", metadata: { namespace, name }, spec: { type: "libvirt" } });

test("a Provider change names the VirtualMachines that reference it, in their namespace or across", () => {
  const vms = [vm("team-a", "web", { name: "kvm" }), vm("team-a", "db", { name: "other" }), vm("team-b", "app", { name: "kvm", namespace: "team-a" }), vm("team-b", "own", { name: "kvm" })];
  const map = virtualMachinesUsing(() => vms);
  assert.deepEqual(map(provider("team-a", "kvm")), [
    { namespace: "team-a", name: "web" },
    { namespace: "team-b", name: "app" },
  ]);
  assert.deepEqual(map(provider("team-b", "kvm")), [{ namespace: "team-b", name: "own" }]);
  assert.deepEqual(map(provider("team-c", "kvm")), []);
});
