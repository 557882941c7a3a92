// `landfall render cozystack|forklift` against a real `bin/landfall serve` (no hypervisor: the objects are applied
// and read back over the API). Output is validated against the published schemas copied under
// test/fixtures/cozystack, and its content asserted — the schemas allow extra keys, so validity alone proves little.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import { DEFAULT_CONVENTIONS, PRESETS } from "../../src/api/conventions.ts";
import type { VirtualMachine } from "../../src/api/virtualmachine.ts";
import { type CliResult, landfall as cli } from "../harness/landfall.ts";
import { type ServeProcess, startServeProcess } from "../../src/compose/serve-process.ts";
import { renderCozystack } from "../../src/render/cozystack.ts";
import type { Manifest } from "../../src/render/manifest.ts";
import { mustValidate, schemas } from "../../src/render/schemas.test-support.ts";

const NS = "tenant-a";
let srv: ServeProcess;

function landfall(args: string[], stdin = ""): Promise<CliResult> {
  return cli(srv, args, { stdin });
}

async function renderJSON(args: string[]): Promise<Manifest[]> {
  const r = await landfall([...args, "-o", "json"]);
  assert.equal(r.code, 0, r.stderr);
  const list = JSON.parse(r.stdout) as { kind: string; items: Manifest[] };
  assert.equal(list.kind, "List");
  return list.items;
}

// The vCenter endpoint is never contacted: rendering needs only the objects.
const MANIFESTS = `apiVersion: landfall.dev/v1beta1
kind: Secret
metadata: {name: vc-creds, namespace: ${NS}}
stringData: {username: user, password: pass}
---
apiVersion: landfall.dev/v1beta1
kind: Provider
metadata: {name: vcenter, namespace: ${NS}}
spec: {type: vsphere, endpoint: "https://127.0.0.1:9/sdk", credentialsRef: {name: vc-creds}, tls: {insecureSkipVerify: true}}
---
apiVersion: landfall.dev/v1beta1
kind: VirtualMachine
metadata:
  name: web01
  namespace: ${NS}
  labels: {landfall.dev/adopted: "true", landfall.dev/original-plan: wave-1}
  annotations: {landfall.dev/migrated-from: vsphere/vcenter/web01}
spec:
  providerRef: {name: kvm}
  importedDisk: {diskID: web01-disk0, format: qcow2, source: migration, sizeGiB: 10}
  dataDisks: [{diskID: web01-data, sizeGiB: 2}]
  cpus: 4
  memoryMiB: 4096
  firmware: bios
  networks: [{name: user, macAddress: "52:54:00:00:00:01"}]
  powerState: On
---
apiVersion: landfall.dev/v1beta1
kind: VMImport
metadata: {name: wave-1, namespace: ${NS}}
spec:
  source: {providerRef: {name: vcenter}}
  vms: [{name: web01}, {id: vm-42, targetName: db01}]
  target: {providerRef: {name: kvm}, namespace: ${NS}, powerOn: true}
  networkMap: [{source: "VM Network", target: user}, {source: "Backend", target: backend-net}]
  storageMap: [{source: LocalDS_0, target: replicated}]
  adoption: {enabled: true}
---
apiVersion: landfall.dev/v1beta1
kind: VMImport
metadata: {name: no-adopt, namespace: ${NS}}
spec:
  source: {providerRef: {name: vcenter}}
  vms: [{name: web02}]
  target: {providerRef: {name: kvm}}
  adoption: {enabled: false}
---
apiVersion: landfall.dev/v1beta1
kind: VMImport
metadata: {name: cross-tenant, namespace: ${NS}}
spec:
  source: {providerRef: {name: vcenter}}
  vms: [{name: web03}]
  target: {providerRef: {name: kvm}, namespace: tenant-b}
`;

before(async () => {
  srv = await startServeProcess();
  const applied = await landfall(["apply", "-f", "-"], MANIFESTS);
  assert.equal(applied.code, 0, applied.stderr);
  // Admitted while vcenter served every namespace; then an admin closes it to all but tenant-a, so the
  // cross-tenant import is one the renderer must refuse on its own.
  const closed = await landfall(["apply", "-f", "-"], `apiVersion: landfall.dev/v1beta1
kind: Provider
metadata: {name: vcenter, namespace: ${NS}}
spec: {type: vsphere, endpoint: "https://127.0.0.1:9/sdk", credentialsRef: {name: vc-creds}, tls: {insecureSkipVerify: true}, tenants: [${NS}]}
`);
  assert.equal(closed.code, 0, closed.stderr);
});

after(async () => {
  await srv?.stop();
});

describe("render (real server, published schemas)", { timeout: 60_000 }, () => {
  it("render cozystack: a VMInstance that keeps the name and size, plus a VMDisk per disk to create", async () => {
    const objects = await renderJSON(["render", "cozystack", "web01", "-n", NS]);
    assert.deepEqual(
      objects.map((o) => o.kind),
      ["VMDisk", "VMDisk", "VMInstance"],
    );
    const inst = objects[2];
    assert.equal(inst.apiVersion, "apps.cozystack.io/v1alpha1");
    assert.equal(inst.metadata.name, "web01");
    assert.equal(inst.metadata.namespace, NS);
    mustValidate(schemas.vmInstance, inst.spec, "VMInstance spec");
    const spec = inst.spec as Record<string, unknown>;
    assert.equal(spec.fullnameOverride, "web01");
    assert.deepEqual(spec.resources, { cpu: 4, sockets: 1, memory: "4096Mi" });
    assert.equal(spec.runStrategy, "Always");
    // The cozystack preset's labels, with the plan the server recorded under its own prefix.
    assert.equal(inst.metadata.labels?.["cozystack.io/adopted"], "true");
    assert.equal(inst.metadata.labels?.["cozystack.io/original-plan"], "wave-1");
    assert.equal(inst.metadata.labels?.["app.kubernetes.io/managed-by"], "cozystack");

    const disks = objects.slice(0, 2);
    for (const d of disks) mustValidate(schemas.vmDisk, d.spec, `VMDisk ${d.metadata.name}`);
    assert.deepEqual(
      disks.map((d) => d.spec.storage),
      ["10Gi", "2Gi"],
    );
    // The VMInstance attaches exactly the VMDisks it comes with.
    assert.deepEqual(
      (spec.disks as Array<{ name: string; dvName?: string }>).map((d) => d.name),
      disks.map((d) => d.metadata.name),
    );
    assert.ok((spec.disks as Array<{ dvName?: string }>).every((d) => d.dvName === undefined), "disks to create have no dvName");
  });

  it("render cozystack prints the same objects as YAML documents, and the HelmRelease carries the same values", async () => {
    const yaml = await landfall(["render", "cozystack", "web01", "-n", NS]);
    assert.equal(yaml.code, 0, yaml.stderr);
    const docs = parseAllDocuments(yaml.stdout).map((d) => d.toJSON() as Manifest);
    assert.deepEqual(docs, await renderJSON(["render", "cozystack", "web01", "-n", NS]));
    const helm = await renderJSON(["render", "cozystack", "web01", "-n", NS, "--format", "helmrelease"]);
    assert.deepEqual(
      helm.map((o) => o.kind),
      ["VMDisk", "VMDisk", "HelmRelease"],
    );
    const hr = helm[2];
    assert.equal(hr.metadata.name, "vm-instance-web01");
    const values = (hr.spec as { values: Record<string, unknown> }).values;
    mustValidate(schemas.vmInstance, values, "HelmRelease values");
    assert.equal(values.fullnameOverride, "web01");
    assert.deepEqual(values, docs[2].spec);
  });

  it("existing volumes are referenced by dvName (renderer on the VirtualMachine read back from the API)", async () => {
    // The CLI passes existing volumes only for a VM living on KubeVirt; with none here, call the renderer directly.
    const got = await landfall(["get", "vm", "web01", "-n", NS, "-o", "json"]);
    assert.equal(got.code, 0, got.stderr);
    const vm = JSON.parse(got.stdout) as VirtualMachine;
    const conventions = { ...DEFAULT_CONVENTIONS, ...PRESETS.cozystack };
    const { objects } = renderCozystack({ vm, conventions, plan: "wave-1", existingVolumes: { "web01-disk0": "web01-disk0-dv", "web01-data": "web01-data-dv" } });
    assert.deepEqual(
      objects.map((o) => o.kind),
      ["VMInstance"],
      "an existing disk is never re-created as a VMDisk",
    );
    mustValidate(schemas.vmInstance, objects[0].spec, "VMInstance spec");
    const spec = objects[0].spec as { fullnameOverride: string; disks: Array<{ dvName?: string }>; resources: unknown };
    assert.equal(spec.fullnameOverride, "web01");
    assert.deepEqual(
      spec.disks.map((d) => d.dvName),
      ["web01-disk0-dv", "web01-data-dv"],
    );
    assert.deepEqual(spec.resources, { cpu: 4, sockets: 1, memory: "4096Mi" });
  });

  it("render forklift: Providers, maps, Plan (with the two vm-import annotations) and Migration, all schema-valid", async () => {
    const objects = await renderJSON(["render", "forklift", "wave-1", "-n", NS]);
    assert.deepEqual(
      objects.map((o) => o.kind),
      ["Provider", "Provider", "NetworkMap", "StorageMap", "Plan", "Migration"],
    );
    for (const o of objects) {
      assert.equal(o.apiVersion, "forklift.konveyor.io/v1beta1");
      mustValidate(schemas.forklift[o.kind], o, `${o.kind}/${o.metadata.name}`);
    }
    const plan = objects[4];
    assert.equal(plan.metadata.annotations?.["vm-import.cozystack.io/adoption-enabled"], "true");
    assert.equal(plan.metadata.annotations?.["vm-import.cozystack.io/target-namespace"], NS);
    const planSpec = plan.spec as { targetNamespace: string; vms: unknown[]; targetPowerState?: string };
    assert.equal(planSpec.targetNamespace, NS);
    assert.deepEqual(planSpec.vms, [{ name: "web01" }, { id: "vm-42", targetName: "db01" }]);
    assert.equal(planSpec.targetPowerState, "on");
    const source = objects[0];
    assert.equal((source.spec as { url: string }).url, "https://127.0.0.1:9/sdk");
    assert.equal(source.metadata.annotations?.["helm.sh/resource-policy"], "keep");
    const nets = (objects[2].spec as { map: Array<{ destination: Record<string, string> }> }).map.map((m) => m.destination);
    assert.deepEqual(nets, [{ type: "pod" }, { type: "multus", namespace: NS, name: "backend-net" }]);
    assert.deepEqual((objects[3].spec as { map: unknown[] }).map, [{ source: { name: "LocalDS_0" }, destination: { storageClass: "replicated" } }]);
    assert.deepEqual((objects[5].spec as { plan: unknown }).plan, { name: "wave-1", namespace: NS });
  });

  it("render forklift records adoption disabled, and refuses an import whose source Provider does not serve its target namespace", async () => {
    const [plan] = (await renderJSON(["render", "forklift", "no-adopt", "-n", NS])).filter((o) => o.kind === "Plan");
    assert.equal(plan.metadata.annotations?.["vm-import.cozystack.io/adoption-enabled"], "false");
    assert.equal(plan.metadata.annotations?.["vm-import.cozystack.io/target-namespace"], NS, "the target namespace defaults to the import's own");
    const cross = await landfall(["render", "forklift", "cross-tenant", "-n", NS]);
    assert.notEqual(cross.code, 0);
    assert.match(cross.stderr, /Provider "tenant-a\/vcenter" is not open to namespace "tenant-b" \(spec.target.namespace\)/);
    assert.equal(cross.stdout, "", "nothing half-rendered on stdout");
  });
});
