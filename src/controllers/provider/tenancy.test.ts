import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { KubeObject } from "../../api/meta.ts";
import type { Provider } from "../../api/provider.ts";
import { isOpenTo, type ProviderUse, tenancyClaims, tenancyRefusal } from "./tenancy.ts";

const provider = (namespace: string, name: string, tenants?: string[]): Provider => ({
  apiVersion: "landfall.dev/v1beta1",
  kind: "Provider",
  metadata: { name, namespace },
  spec: { type: "libvirt", uri: "qemu:///system", ...(tenants ? { tenants } : {}) },
});

const vmImport = (ns: string, spec: Record<string, unknown>): KubeObject => ({
  apiVersion: "landfall.dev/v1beta1",
  kind: "VMImport",
  metadata: { name: "imp", namespace: ns },
  spec: { source: { providerRef: { name: "vc" } }, vms: [{ name: "web01" }], target: { providerRef: { name: "kvm" } }, ...spec },
});

const lookupIn = (providers: Provider[]) => (u: ProviderUse) => providers.find((p) => p.metadata.namespace === u.namespace && p.metadata.name === u.ref.name);

describe("provider tenancy", () => {
  it("opens a Provider without tenants to every namespace, one with tenants only to those", () => {
    assert.ok(isOpenTo(provider("infra", "kvm"), "tenant-b"));
    assert.ok(isOpenTo(provider("infra", "kvm", []), "tenant-b"));
    assert.ok(isOpenTo(provider("infra", "kvm", ["tenant-a"]), "tenant-a"));
    assert.ok(!isOpenTo(provider("infra", "kvm", ["tenant-a"]), "tenant-b"));
  });

  it("resolves a providerRef in its own namespace, else the referring object's", () => {
  });

  it("claims the own namespace, the target namespace, network namespaces and both Providers of an import", () => {
    const claims = tenancyClaims(vmImport("tenant-a", { target: { providerRef: { name: "kvm", namespace: "infra" }, namespace: "tenant-b" }, networkMap: [{ source: "VM Network", target: "tenant-c/vlan10" }, { source: "x", target: "pod" }] }));
    assert.deepEqual(claims?.namespaces, [
      { field: "metadata.namespace", namespace: "tenant-a" },
      { field: "spec.target.namespace", namespace: "tenant-b" },
      { field: "spec.networkMap[0].target", namespace: "tenant-c" },
    ]);
    assert.deepEqual(
      claims?.providers.map((p) => [p.field, p.namespace, p.ref.name]),
      [
        ["spec.source.providerRef", "tenant-a", "vc"],
        ["spec.target.providerRef", "infra", "kvm"],
      ],
    );
    assert.equal(tenancyClaims({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" } }), undefined);
  });

  it("refuses a Provider not open to the target namespace, naming the Provider, the namespace and the field", () => {
    const providers = [provider("tenant-a", "vc"), provider("infra", "kvm", ["tenant-a"])];
    const imp = vmImport("tenant-a", { target: { providerRef: { name: "kvm", namespace: "infra" }, namespace: "tenant-b" } });
    const refusal = tenancyRefusal(tenancyClaims(imp)!, lookupIn(providers));
    assert.equal(refusal?.field, "spec.target.providerRef");
    assert.match(refusal?.message ?? "", /Provider "infra\/kvm" is not open to namespace "tenant-b" \(spec.target.namespace\).*lists tenant-a/);
    const same = vmImport("tenant-a", { target: { providerRef: { name: "kvm", namespace: "infra" } } });
    assert.equal(tenancyRefusal(tenancyClaims(same)!, lookupIn(providers)), undefined);
  });

  it("refuses a source Provider closed to the object's own namespace and a network in a closed namespace", () => {
    const providers = [provider("tenant-a", "vc", ["tenant-z"]), provider("tenant-a", "kvm")];
    assert.match(tenancyRefusal(tenancyClaims(vmImport("tenant-a", {}))!, lookupIn(providers))?.message ?? "", /spec.source.providerRef: Provider "tenant-a\/vc" is not open to namespace "tenant-a"/);
    const open = [provider("tenant-a", "vc", ["tenant-a"]), provider("tenant-a", "kvm")];
    const net = vmImport("tenant-a", { networkMap: [{ source: "VM Network", target: "tenant-b/vlan10" }] });
    assert.match(tenancyRefusal(tenancyClaims(net)!, lookupIn(open))?.message ?? "", /not open to namespace "tenant-b" \(spec.networkMap\[0\].target\)/);
  });

  it("covers VMMigration, VirtualMachine and VMImage references; unknown Providers are left to the controllers", () => {
    const closed = [provider("p", "kvm", ["tenant-x"])];
    const vm: KubeObject = { apiVersion: "landfall.dev/v1beta1", kind: "VirtualMachine", metadata: { name: "v", namespace: "tenant-a" }, spec: { providerRef: { name: "kvm", namespace: "p" } } };
    const img: KubeObject = { apiVersion: "landfall.dev/v1beta1", kind: "VMImage", metadata: { name: "i", namespace: "tenant-a" }, spec: { providerRef: { name: "kvm", namespace: "p" }, path: "/x" } };
    const mig: KubeObject = {
      apiVersion: "landfall.dev/v1beta1",
      kind: "VMMigration",
      metadata: { name: "m", namespace: "tenant-x" },
      spec: { source: { providerRef: { name: "vc" }, vmName: "a" }, target: { providerRef: { name: "kvm", namespace: "p" }, namespace: "tenant-b" } },
    };
    assert.equal(tenancyRefusal(tenancyClaims(vm)!, lookupIn(closed))?.field, "spec.providerRef");
    assert.equal(tenancyRefusal(tenancyClaims(img)!, lookupIn(closed))?.field, "spec.providerRef");
    assert.match(tenancyRefusal(tenancyClaims(mig)!, lookupIn(closed))?.message ?? "", /not open to namespace "tenant-b" \(spec.target.namespace\)/);
    assert.equal(tenancyRefusal(tenancyClaims(vm)!, () => undefined), undefined);
  });
});
