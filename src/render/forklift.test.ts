import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { type Conventions, PRESETS } from "../api/conventions.ts";
import type { Provider } from "../api/provider.ts";
import type { VMImport } from "../api/vmimport.ts";
import { renderForklift } from "./forklift.ts";
import { mustValidate, schemas } from "./schemas.test-support.ts";

const coz: Conventions = { ...PRESETS.cozystack, managementEndpoint: "kubectl" };
const credentials = { username: "administrator@vsphere.local", password: "s3cret" };

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
    const { objects, warnings } = renderForklift({ vmImport: vmImport(), source: vcenter, credentials, conventions: coz });
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
    const [src, dst] = renderForklift({ vmImport: vmImport(), source: vcenter, credentials, conventions: coz }).objects;
    assert.equal(src.metadata.annotations?.["helm.sh/resource-policy"], "keep");
    assert.equal(dst.metadata.annotations?.["helm.sh/resource-policy"], "keep");
    assert.deepEqual(src.spec, { type: "vsphere", url: "https://vcenter.example/sdk", secret: { name: "vcenter-forklift", namespace: "migrations" } });
  });

  it("emits Forklift's Secret for the source Provider: user, password and the TLS trust, Forklift's keys only", () => {
    const keys = JSON.parse(readFileSync(new URL("../../test/fixtures/cozystack/forklift/vsphere-secret.keys.json", import.meta.url), "utf8")) as { required: string[]; optional: string[] };
    const sha1 = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01";
    const pinned: Provider = { ...vcenter, spec: { ...vcenter.spec, tls: { thumbprint: sha1.toLowerCase(), caBundle: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" } } };
    const { secret, objects, warnings } = renderForklift({ vmImport: vmImport(), source: pinned, credentials, conventions: coz });
    assert.equal(secret.metadata.name, (objects[0].spec.secret as { name: string }).name, "the source Provider names this Secret");
    assert.equal(secret.metadata.namespace, "migrations");
    assert.deepEqual(secret.stringData, { user: "administrator@vsphere.local", password: "s3cret", thumbprint: sha1, cacert: pinned.spec.tls?.caBundle });
    for (const k of keys.required) assert.ok(k in secret.stringData, `required key ${k}`);
    for (const k of Object.keys(secret.stringData)) assert.ok([...keys.required, ...keys.optional].includes(k), `${k} is a Forklift key`);
    assert.deepEqual(warnings, []);

    const insecure = renderForklift({ vmImport: vmImport(), source: { ...vcenter, spec: { ...vcenter.spec, tls: { insecureSkipVerify: true } } }, credentials, conventions: coz });
    assert.deepEqual(insecure.secret.stringData, { user: "administrator@vsphere.local", password: "s3cret", insecureSkipVerify: "true" });
  });

  it("never weakens trust: a SHA-256 pin Forklift cannot use is a warning, not insecureSkipVerify", () => {
    const sha256 = Array.from({ length: 32 }, () => "AB").join(":");
    const r = renderForklift({ vmImport: vmImport(), source: { ...vcenter, spec: { ...vcenter.spec, tls: { thumbprint: sha256 } } }, credentials, conventions: coz });
    assert.deepEqual(r.secret.stringData, { user: "administrator@vsphere.local", password: "s3cret" });
    assert.match(r.warnings.join("\n"), /SHA-256.*SHA-1/);
  });

  it("puts both vm-import.cozystack.io annotations on the Plan, and the maps and VMs in its spec", () => {
    const plan = renderForklift({ vmImport: vmImport(), source: vcenter, credentials, conventions: coz }).objects.find((o) => o.kind === "Plan")!;
    assert.equal(plan.metadata.annotations?.["vm-import.cozystack.io/adoption-enabled"], "true");
    assert.equal(plan.metadata.annotations?.["vm-import.cozystack.io/target-namespace"], "tenant-a");
    assert.equal(plan.spec.targetNamespace, "tenant-a");
    assert.deepEqual(plan.spec.vms, [{ id: "vm-42" }, { name: "DC0_H0_VM1", targetName: "db" }]);
    assert.deepEqual(plan.spec.map, { network: { name: "wave1", namespace: "migrations" }, storage: { name: "wave1", namespace: "migrations" } });
    assert.equal(plan.spec.targetPowerState, "on");
    const off = renderForklift({ vmImport: vmImport({ adoption: { enabled: false } }), source: vcenter, credentials, conventions: coz }).objects.find((o) => o.kind === "Plan")!;
    assert.equal(off.metadata.annotations?.["vm-import.cozystack.io/adoption-enabled"], "false");
  });

  it("maps networks to pod or Multus and datastores to storage classes", () => {
    const objs = renderForklift({ vmImport: vmImport(), source: vcenter, credentials, conventions: coz }).objects;
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
      () => renderForklift({ vmImport: vmImport({}, "tenant-b"), source: forTenantB, credentials, conventions: coz }),
      /spec.source.providerRef: Provider "tenant-b\/vcenter" is not open to namespace "tenant-a" \(spec.target.namespace\)/,
    );
    const own = vmImport({ target: { providerRef: { name: "kubevirt", namespace: "infra" } }, networkMap: [{ source: "DMZ", target: "tenant-a/dmz" }] }, "tenant-b");
    assert.throws(() => renderForklift({ vmImport: own, source: forTenantB, credentials, conventions: coz }), /not open to namespace "tenant-a" \(spec.networkMap\[0\].target\)/);
    const inOwn = vmImport({ target: { providerRef: { name: "kubevirt" } }, networkMap: [{ source: "DMZ", target: "tenant-b/dmz" }] }, "tenant-b");
    assert.equal(renderForklift({ vmImport: inOwn, source: forTenantB, credentials, conventions: coz }).objects.length, 6);
    // A name says nothing: a Provider open to every namespace lets an admin's import in tenant-b target tenant-a.
    assert.equal(renderForklift({ vmImport: vmImport({}, "tenant-b"), source: vcenter, credentials, conventions: coz }).objects.length, 6);
  });

  it("refuses sources Forklift cannot use, naming the field", () => {
    const noCreds: Provider = { ...vcenter, spec: { type: "vsphere", endpoint: "https://vc/sdk" } };
    assert.throws(() => renderForklift({ vmImport: vmImport(), source: noCreds, credentials, conventions: coz }), /spec\.credentialsRef/);
    const libvirt: Provider = { ...vcenter, spec: { type: "libvirt", uri: "qemu:///system" } };
    assert.throws(() => renderForklift({ vmImport: vmImport(), source: libvirt, credentials, conventions: coz }), /spec\.type "libvirt"/);
  });
});

describe("schema copies", () => {
  it("reject what they must, so passing them means something", () => {
    const plan = renderForklift({ vmImport: vmImport(), source: vcenter, credentials, conventions: coz }).objects.find((o) => o.kind === "Plan")!;
    const { targetNamespace: _dropped, ...withoutTarget } = plan.spec;
    assert.throws(() => mustValidate(schemas.forklift.Plan, { ...plan, spec: withoutTarget }, "Plan"), /targetNamespace/);
    assert.throws(() => mustValidate(schemas.vmInstance, { runStrategy: "Sometimes" }, "values"), /allowed values/);
    assert.throws(() => mustValidate(schemas.vmDisk, { storage: "lots" }, "values"), /pattern/);
  });
});
