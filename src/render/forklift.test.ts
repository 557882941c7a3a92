import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Conventions, PRESETS } from "../api/conventions.ts";
import type { Provider } from "../api/provider.ts";
import type { VMImport } from "../api/vmimport.ts";
import { renderForklift } from "./forklift.ts";
import { mustValidate, schemas } from "./schemas.test-support.ts";

const coz: Conventions = { ...PRESETS.cozystack, managementEndpoint: "kubectl" };

const vcenter: Provider = {
  apiVersion: "landfall.dev/v1beta1",
  kind: "Provider",
  metadata: { name: "vcenter", namespace: "migrations" },
  spec: { type: "vsphere", endpoint: "https://vcenter.example/sdk", credentialsRef: { name: "vcenter-creds" } },
};

function vmImport(over: Partial<VMImport["spec"]> = {}, namespace = "migrations"): VMImport {
  return {
    apiVersion: "landfall.dev/v1beta1",
    kind: "VMImport",
    metadata: { name: "wave1", namespace },
    spec: {
      source: { providerRef: { name: "vcenter" } },
      vms: [{ id: "vm-42" }, { name: "DC0_H0_VM1", targetName: "db" }],
      target: { providerRef: { name: "kubevirt" }, namespace: "tenant-a", powerOn: true },
      networkMap: [
        { source: "VM Network", target: "pod" },
        { source: "DMZ", target: "dmz-net" },
      ],
      storageMap: [{ source: "LocalDS_0", target: "replicated" }],
      ...over,
    },
  };
}

describe("renderForklift", () => {
  it("renders Providers, maps, Plan and Migration that match Forklift's CRD schemas", () => {
    const { objects, warnings } = renderForklift({ vmImport: vmImport(), source: vcenter, conventions: coz });
    assert.deepEqual(
      objects.map((o) => `${o.kind}/${o.metadata.name}`),
      ["Provider/vcenter", "Provider/host", "NetworkMap/wave1", "StorageMap/wave1", "Plan/wave1", "Migration/wave1"],
    );
    assert.deepEqual(warnings, []);
    for (const o of objects) {
      assert.equal(o.apiVersion, "forklift.konveyor.io/v1beta1");
      assert.equal(o.metadata.namespace, "migrations");
      assert.equal(o.metadata.labels?.["cozystack.io/vm-import"], "wave1");
      mustValidate(schemas.forklift[o.kind], o, `${o.kind}/${o.metadata.name}`);
    }
  });

  it("keeps Providers on deletion and references the credentials Secret", () => {
    const [src, dst] = renderForklift({ vmImport: vmImport(), source: vcenter, conventions: coz }).objects;
    assert.equal(src.metadata.annotations?.["helm.sh/resource-policy"], "keep");
    assert.equal(dst.metadata.annotations?.["helm.sh/resource-policy"], "keep");
    assert.deepEqual(src.spec, { type: "vsphere", url: "https://vcenter.example/sdk", secret: { name: "vcenter-creds", namespace: "migrations" } });
  });

  it("puts both vm-import.cozystack.io annotations on the Plan, and the maps and VMs in its spec", () => {
    const plan = renderForklift({ vmImport: vmImport(), source: vcenter, conventions: coz }).objects.find((o) => o.kind === "Plan")!;
    assert.equal(plan.metadata.annotations?.["vm-import.cozystack.io/adoption-enabled"], "true");
    assert.equal(plan.metadata.annotations?.["vm-import.cozystack.io/target-namespace"], "tenant-a");
    assert.equal(plan.spec.targetNamespace, "tenant-a");
    assert.deepEqual(plan.spec.vms, [{ id: "vm-42" }, { name: "DC0_H0_VM1", targetName: "db" }]);
    assert.deepEqual(plan.spec.map, { network: { name: "wave1", namespace: "migrations" }, storage: { name: "wave1", namespace: "migrations" } });
    assert.equal(plan.spec.targetPowerState, "on");
    const off = renderForklift({ vmImport: vmImport({ adoption: { enabled: false } }), source: vcenter, conventions: coz }).objects.find((o) => o.kind === "Plan")!;
    assert.equal(off.metadata.annotations?.["vm-import.cozystack.io/adoption-enabled"], "false");
  });

  it("maps networks to pod or Multus and datastores to storage classes", () => {
    const objs = renderForklift({ vmImport: vmImport(), source: vcenter, conventions: coz }).objects;
    const nm = objs.find((o) => o.kind === "NetworkMap")!;
    assert.deepEqual(nm.spec.map, [
      { source: { name: "VM Network" }, destination: { type: "pod" } },
      { source: { name: "DMZ" }, destination: { type: "multus", namespace: "tenant-a", name: "dmz-net" } },
    ]);
    const sm = objs.find((o) => o.kind === "StorageMap")!;
    assert.deepEqual(sm.spec.map, [{ source: { name: "LocalDS_0" }, destination: { storageClass: "replicated" } }]);
    const mig = objs.find((o) => o.kind === "Migration")!;
    assert.deepEqual(mig.spec, { plan: { name: "wave1", namespace: "migrations" } });
  });

  it("applies Provider tenancy: the source Provider must be open to the import's, the target's and every network's namespace", () => {
    const forTenantB: Provider = { ...vcenter, spec: { ...vcenter.spec, tenants: ["tenant-b"] } };
    assert.throws(
      () => renderForklift({ vmImport: vmImport({}, "tenant-b"), source: forTenantB, conventions: coz }),
      /spec.source.providerRef: Provider "tenant-b\/vcenter" is not open to namespace "tenant-a" \(spec.target.namespace\)/,
    );
    const own = vmImport({ target: { providerRef: { name: "kubevirt", namespace: "infra" } }, networkMap: [{ source: "DMZ", target: "tenant-a/dmz" }] }, "tenant-b");
    assert.throws(() => renderForklift({ vmImport: own, source: forTenantB, conventions: coz }), /not open to namespace "tenant-a" \(spec.networkMap\[0\].target\)/);
    const inOwn = vmImport({ target: { providerRef: { name: "kubevirt" } }, networkMap: [{ source: "DMZ", target: "tenant-b/dmz" }] }, "tenant-b");
    assert.equal(renderForklift({ vmImport: inOwn, source: forTenantB, conventions: coz }).objects.length, 6);
    // A name says nothing: a Provider open to every namespace lets an admin's import in tenant-b target tenant-a.
    assert.equal(renderForklift({ vmImport: vmImport({}, "tenant-b"), source: vcenter, conventions: coz }).objects.length, 6);
  });

  it("refuses sources Forklift cannot use, naming the field", () => {
    const noCreds: Provider = { ...vcenter, spec: { type: "vsphere", endpoint: "https://vc/sdk" } };
    assert.throws(() => renderForklift({ vmImport: vmImport(), source: noCreds, conventions: coz }), /spec\.credentialsRef/);
    const libvirt: Provider = { ...vcenter, spec: { type: "libvirt", uri: "qemu:///system" } };
    assert.throws(() => renderForklift({ vmImport: vmImport(), source: libvirt, conventions: coz }), /spec\.type "libvirt"/);
  });
});

describe("schema copies", () => {
  it("reject what they must, so passing them means something", () => {
    const plan = renderForklift({ vmImport: vmImport(), source: vcenter, conventions: coz }).objects.find((o) => o.kind === "Plan")!;
    const { targetNamespace: _dropped, ...withoutTarget } = plan.spec;
    assert.throws(() => mustValidate(schemas.forklift.Plan, { ...plan, spec: withoutTarget }, "Plan"), /targetNamespace/);
    assert.throws(() => mustValidate(schemas.vmInstance, { runStrategy: "Sometimes" }, "values"), /allowed values/);
    assert.throws(() => mustValidate(schemas.vmDisk, { storage: "lots" }, "values"), /pattern/);
  });
});
