// The CLI's VM actions, inventory, adoption errors, logs, renderers and CRDs against a real `bin/landfall serve`
// process — everything that needs no hypervisor (libvirt/vcsim routes are covered by the lead's e2e suites).
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import { findKind } from "../../src/api/kinds.ts";
import type { VirtualMachine } from "../../src/api/virtualmachine.ts";
import { LandfallClient } from "../../src/cli/client.ts";
import { type CliResult, landfall as cli } from "../harness/landfall.ts";
import { type ServeProcess, startServeProcess } from "../../src/compose/serve-process.ts";

let srv: ServeProcess;
let dir: string;
let client: LandfallClient;
const VM = findKind("vm")!;

type Run = CliResult;

function landfall(args: string[], stdin = ""): Promise<Run> {
  return cli(srv, args, { stdin, env: { HOME: dir, LANDFALL_DATA_DIR: join(dir, "none") } });
}

async function ok(args: string[], stdin?: string): Promise<Run> {
  const r = await landfall(args, stdin);
  assert.equal(r.code, 0, `landfall ${args.join(" ")} failed: ${r.stderr}`);
  return r;
}

const kindsOf = (yamlText: string): string[] => {
  const docs = parseAllDocuments(yamlText);
  assert.ok(Array.isArray(docs));
  return docs.map((d) => {
    assert.deepEqual(d.errors, []);
    return (d.toJS() as { kind: string }).kind;
  });
};

const MANIFESTS = `apiVersion: landfall.dev/v1beta1
kind: VirtualMachine
metadata:
  name: web01
spec:
  providerRef: {name: kvm}
  importedDisk: {diskID: web01-disk0, source: import, sizeGiB: 1}
  cpus: 2
  memoryMiB: 2048
---
apiVersion: landfall.dev/v1beta1
kind: VirtualMachine
metadata:
  name: db01
  labels: {cozystack.io/adopted: "true", cozystack.io/original-plan: wave1}
spec:
  providerRef: {name: kvm}
  importedDisk: {diskID: db01-disk0, source: migration, sizeGiB: 2}
---
apiVersion: landfall.dev/v1beta1
kind: VirtualMachine
metadata:
  name: app01
spec:
  providerRef: {name: kvm}
  imageRef: {name: ubuntu-22}
---
apiVersion: v1
kind: Secret
metadata: {name: vcenter-creds}
stringData: {username: user, password: pass}
---
apiVersion: landfall.dev/v1beta1
kind: Provider
metadata: {name: vcenter}
spec:
  type: vsphere
  endpoint: https://127.0.0.1:9/sdk
  credentialsRef: {name: vcenter-creds}
---
apiVersion: landfall.dev/v1beta1
kind: VMImport
metadata: {name: wave1}
spec:
  source: {providerRef: {name: vcenter}}
  vms: [{name: DC0_H0_VM0}, {id: vm-57, targetName: second}]
  target: {providerRef: {name: kvm}}
  networkMap: [{source: VM Network, target: user}]
  storageMap: [{source: LocalDS_0, target: replicated}]
`;

before(async () => {
  srv = await startServeProcess();
  dir = await mkdtemp(join(tmpdir(), "landfall-cli-extra-"));
  client = new LandfallClient({ server: srv.url, token: srv.adminToken });
  await ok(["apply", "-f", "-"], MANIFESTS);
});
after(async () => {
  await srv?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("landfall CLI extra commands (real server)", () => {
  it("prints CRDs for every landfall kind as parseable YAML", async () => {
    const r = await ok(["crds"]);
    const docs = parseAllDocuments(r.stdout);
    assert.ok(Array.isArray(docs));
    const crds = docs.map((d) => d.toJS() as { kind: string; metadata: { name: string }; spec: { versions: Array<{ schema: { openAPIV3Schema: { properties: Record<string, Record<string, unknown>> } } }> } });
    assert.deepEqual(new Set(crds.map((c) => c.kind)), new Set(["CustomResourceDefinition"]));
    assert.deepEqual(crds.map((c) => c.metadata.name).sort(), [
      "providers.landfall.dev",
      "virtualmachines.landfall.dev",
      "vmactions.landfall.dev",
      "vmimages.landfall.dev",
      "vmimports.landfall.dev",
      "vmmigrations.landfall.dev",
    ]);
    const vmSpec = crds.find((c) => c.metadata.name === "virtualmachines.landfall.dev")!.spec.versions[0].schema.openAPIV3Schema.properties.spec;
    assert.deepEqual(vmSpec["x-kubernetes-validations"], [{ rule: "has(self.imageRef) != has(self.importedDisk)", message: "exactly one of spec.imageRef or spec.importedDisk must be set" }]);
  });

  it("start and stop set spec.powerState through a merge patch", async () => {
    assert.equal((await ok(["start", "vm", "web01"])).stdout, "virtualmachine/web01 started\n");
    assert.equal((await client.get<VirtualMachine>(VM, "default", "web01")).spec.powerState, "On");
    assert.equal((await ok(["stop", "vm/web01"])).stdout, "virtualmachine/web01 stopped\n");
    const stopped = await client.get<VirtualMachine>(VM, "default", "web01");
    assert.equal(stopped.spec.powerState, "Off");
    assert.equal(stopped.spec.cpus, 2, "the patch must leave the rest of the spec alone");
    const missing = await landfall(["start", "vm", "nope"]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /^error: .*nope.*not found/);
    const wrongKind = await landfall(["stop", "vmm", "web01"]);
    assert.equal(wrongKind.code, 2);
    assert.match(wrongKind.stderr, /stop works on VirtualMachines only/);
  });

  it("get vm shows where each disk came from and which VMs are adopted", async () => {
    const r = await ok(["get", "vm"]);
    const [header, ...rows] = r.stdout.trimEnd().split("\n");
    assert.deepEqual(header.split(/\s+/), ["NAME", "PHASE", "PROVIDER", "SOURCE", "ADOPTED", "AGE"]);
    const row = (name: string) => rows.find((l) => l.startsWith(`${name} `))?.split(/\s+/);
    assert.deepEqual(row("app01")?.slice(2, 5), ["kvm", "image:ubuntu-22", "false"]);
    assert.deepEqual(row("db01")?.slice(2, 5), ["kvm", "migration", "true"]);
    assert.deepEqual(row("web01")?.slice(2, 5), ["kvm", "import", "false"]);
  });

  it("inventory of an unknown provider fails with a clear message", async () => {
    const r = await landfall(["inventory", "ghost"]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^error: provider "ghost" not found in namespace "default"; list providers with 'landfall get providers -n default'$/m);
    assert.equal(r.stderr.trim().split("\n").length, 1);
  });

  it("adopt and unadopt refuse what they cannot do, naming why", async () => {
    const noVM = await landfall(["adopt", "kvm"]);
    assert.equal(noVM.code, 2);
    assert.match(noVM.stderr, /adopt needs PROVIDER\/VM/);
    const notAdopted = await landfall(["unadopt", "vm", "web01"]);
    assert.equal(notAdopted.code, 1);
    assert.match(notAdopted.stderr, /web01.*is not adopted/);
    assert.ok(await client.get(VM, "default", "web01"), "a refused unadopt leaves the VirtualMachine");
  });

  it("logs prints the events of an object and fails for a missing one", async () => {
    const r = await ok(["logs", "vm/web01"]);
    assert.ok(/^TIME\s+TYPE\s+REASON\s+MESSAGE\n/.test(r.stdout) || /no events recorded for virtualmachine\/web01/.test(r.stderr), r.stdout + r.stderr);
    const missing = await landfall(["logs", "vmm", "nope"]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /not found/);
  });

  it("renders a VirtualMachine for Cozystack as VMInstance (+VMDisk) and as a HelmRelease", async () => {
    const r = await ok(["render", "cozystack", "db01"]);
    assert.deepEqual(kindsOf(r.stdout), ["VMDisk", "VMInstance"]);
    const [disk, instance] = parseAllDocuments(r.stdout) as unknown as Array<{ toJS(): Record<string, Record<string, unknown>> }>;
    assert.equal(disk.toJS().spec.storage, "2Gi");
    assert.equal(instance.toJS().spec.fullnameOverride, "db01");
    assert.equal((instance.toJS().metadata.labels as Record<string, string>)["cozystack.io/original-plan"], "wave1");
    assert.match(r.stderr, /^# warning: VMDisk .* waits for an upload/m);
    const helm = await ok(["render", "cozystack", "db01", "--format", "helmrelease", "--preset", "landfall"]);
    assert.deepEqual(kindsOf(helm.stdout), ["VMDisk", "HelmRelease"]);
    assert.match(helm.stdout, /landfall\.dev\/adopted: "true"/);
    const json = JSON.parse((await ok(["render", "cozystack", "web01", "-o", "json"])).stdout);
    assert.deepEqual(json.items.map((i: { kind: string }) => i.kind), ["VMDisk", "VMInstance"]);
    const image = await landfall(["render", "cozystack", "app01"]);
    assert.equal(image.code, 1);
    assert.match(image.stderr, /no spec\.importedDisk/);
  });

  it("wait on a VMMigration reports its phase on stderr and keeps the timeout error", async () => {
    const mig = `apiVersion: landfall.dev/v1beta1
kind: VMMigration
metadata: {name: mig1}
spec:
  source: {providerRef: {name: vcenter}, vmName: DC0_H0_VM0}
  target: {providerRef: {name: kvm}, vmName: mig1}
`;
    await ok(["apply", "-f", "-"], mig);
    const r = await landfall(["wait", "vmm/mig1", "--for=jsonpath={.status.phase}=NeverReached", "--timeout=2s"]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^vmmigration\/mig1 [A-Z][a-z]+/);
    assert.match(r.stderr, /\nerror: timed out after 2s waiting for vmmigration\/mig1/);
    assert.doesNotMatch(r.stderr, /\r/, "off a TTY the progress line is never redrawn");
  });

  it("renders a VMImport as Forklift objects", async () => {
    const r = await ok(["render", "forklift", "wave1"]);
    // Forklift's own Secret first (its keys: user, password), then what references it.
    assert.deepEqual(kindsOf(r.stdout), ["Secret", "Provider", "Provider", "NetworkMap", "StorageMap", "Plan", "Migration"]);
    const plan = (parseAllDocuments(r.stdout) as unknown as Array<{ toJS(): { kind: string; metadata: { annotations: Record<string, string> }; spec: { vms: unknown[] } } }>)
      .map((d) => d.toJS())
      .find((d) => d.kind === "Plan")!;
    assert.equal(plan.metadata.annotations["vm-import.cozystack.io/adoption-enabled"], "true");
    assert.deepEqual(plan.spec.vms, [{ name: "DC0_H0_VM0" }, { id: "vm-57", targetName: "second" }]);
    const missing = await landfall(["render", "forklift", "nope"]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope.*not found/);
  });
});
