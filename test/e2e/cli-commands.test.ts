// The CLI (bin/landfall) against a real `bin/landfall serve` process.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { LandfallClient } from "../../src/cli/client.ts";
import { type CliResult, landfall as cli } from "../harness/landfall.ts";
import { type ServeProcess, startServeProcess } from "../../src/compose/serve-process.ts";

let srv: ServeProcess;
let dir: string;
let client: LandfallClient;

type Run = CliResult;

function landfall(args: string[], opts: { token?: string; server?: string; stdin?: string } = {}): Promise<Run> {
  return cli(srv, args, { ...opts, env: { HOME: dir, LANDFALL_DATA_DIR: join(dir, "none") } });
}

const vmYaml = (name: string, spec: string) => `apiVersion: landfall.dev/v1beta1
kind: VirtualMachine
metadata:
  name: ${name}
spec:
  providerRef: {name: kvm}
${spec}`;

before(async () => {
  srv = await startServeProcess();
  dir = await mkdtemp(join(tmpdir(), "landfall-cli-"));
  client = new LandfallClient({ server: srv.url, token: srv.adminToken });
});
after(async () => {
  await srv?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("landfall CLI (real server)", () => {
  it("applies a VirtualMachine and gets it back as JSON with uid and resourceVersion", async () => {
    const file = join(dir, "vm.yaml");
    await writeFile(file, `${vmYaml("web01", "  importedDisk: {diskID: web01-disk0}")}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: notes}\ndata: {a: b}\n`);
    const applied = await landfall(["apply", "-f", file]);
    assert.equal(applied.code, 0, applied.stderr);
    assert.equal(applied.stdout, "virtualmachine/web01 created\nconfigmap/notes created\n");
    const again = await landfall(["apply", "-f", file]);
    assert.equal(again.stdout, "virtualmachine/web01 unchanged\nconfigmap/notes unchanged\n");
    const got = await landfall(["get", "virtualmachine", "web01", "-o", "json"]);
    assert.equal(got.code, 0, got.stderr);
    const obj = JSON.parse(got.stdout);
    assert.equal(obj.kind, "VirtualMachine");
    assert.ok(obj.metadata.uid && obj.metadata.resourceVersion);
    const slash = JSON.parse((await landfall(["get", "vm/web01", "-o", "json"])).stdout);
    assert.equal(slash.metadata.uid, obj.metadata.uid);
    const changed = await landfall(["apply", "-f", "-"], { stdin: vmYaml("web01", "  importedDisk: {diskID: web01-disk0}\n  cpus: 2") });
    assert.equal(changed.stdout, "virtualmachine/web01 configured\n");
  });

  it("refuses imageRef together with importedDisk, or neither, and stores nothing", async () => {
    for (const spec of ["  imageRef: {name: ubuntu}\n  importedDisk: {diskID: d0}", "  cpus: 1"]) {
      const res = await landfall(["apply", "-f", "-"], { stdin: vmYaml("bad", spec) });
      assert.notEqual(res.code, 0);
      assert.match(res.stderr, /^error: .*spec\.imageRef.*spec\.importedDisk/);
      assert.equal(res.stderr.trim().split("\n").length, 1);
    }
    const get = await landfall(["get", "vm", "bad"]);
    assert.notEqual(get.code, 0);
    assert.match(get.stderr, /not found/);
  });

  it("prints tables and lists, and names the known kinds for an unknown one", async () => {
    const table = await landfall(["get", "vms", "-o", "wide"]);
    assert.match(table.stdout, /^NAME\s+PHASE\s+PROVIDER\s+SOURCE\s+ADOPTED\s+AGE\s+PROVIDERID\s+CPUS\s+MEMORY\n/);
    assert.match(table.stdout, /web01\s+(<none>|Pending)\s+kvm\s+importedDisk/);
    const list = JSON.parse((await landfall(["get", "vm", "-o", "json", "-A"])).stdout);
    assert.equal(list.kind, "VirtualMachineList");
    assert.deepEqual(list.items.map((i: { metadata: { name: string } }) => i.metadata.name), ["web01"]);
    const unknown = await landfall(["get", "widgets"]);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /unknown kind "widgets".*virtualmachine \(virtualmachines, vm, vms\)/);
    const described = await landfall(["describe", "vm", "web01"]);
    assert.match(described.stdout, /Name:\s+web01\n/);
    assert.match(described.stdout, /Spec:\n\s+providerRef:/);
    assert.match(described.stdout, /Conditions:/);
  });

  it("waits for a value through the watch, and times out with the last observed value", async () => {
    const image = "apiVersion: landfall.dev/v1beta1\nkind: VMImage\nmetadata: {name: base}\nspec: {providerRef: {name: kvm}, path: /var/lib/landfall/images/base.qcow2}\n";
    assert.equal((await landfall(["apply", "-f", "-"], { stdin: image })).code, 0);
    const waiting = landfall(["wait", "vmimage/base", "--for=jsonpath={.metadata.labels.tier}=gold", "--timeout=20s"]);
    await new Promise((r) => setTimeout(r, 1500));
    await client.request("PATCH", "/apis/landfall.dev/v1beta1/namespaces/default/vmimages/base", {
      body: { metadata: { labels: { tier: "gold" } } },
      contentType: "application/merge-patch+json",
    });
    const done = await waiting;
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /vmimage\/base condition met/);
    // The VMImage controller reports the missing Provider; wait times out showing that last observed condition.
    const late = await landfall(["wait", "vmimage/base", "--for=condition=Ready", "--timeout=3s"]);
    assert.notEqual(late.code, 0);
    assert.match(late.stderr, /timed out after 3s .*last observed: Ready=False \(ProviderNotFound/);
  });

  it("deletes, and wait --for=delete returns once the object is gone", async () => {
    const waiting = landfall(["wait", "vm", "web01", "--for=delete", "--timeout=20s"]);
    await new Promise((r) => setTimeout(r, 1500));
    const del = await landfall(["delete", "vm", "web01", "--cascade=orphan"]);
    assert.equal(del.code, 0, del.stderr);
    // The VM controller's finalizer runs first; orphan leaves the (here absent) domain alone.
    assert.match(del.stdout, /^virtualmachine\/web01 (deleted|deletion requested \(waiting for finalizers: landfall\.dev\/vm-cleanup\))\n$/);
    assert.equal((await waiting).code, 0);
    const again = await landfall(["delete", "vm", "web01"]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /not found/);
  });

  it("creates viewer tokens that cannot write, and explains an unreachable server", async () => {
    const created = await landfall(["token", "create", "--role", "viewer"]);
    assert.equal(created.code, 0, created.stderr);
    const token = created.stdout.trim();
    assert.match(token, /^lf_/);
    const denied = await landfall(["apply", "-f", "-"], { token, stdin: vmYaml("web09", "  importedDisk: {diskID: d9}") });
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /role viewer\) may only read; writing virtualmachines needs an editor or admin token/);
    assert.equal((await landfall(["get", "vm", "-o", "name"], { token })).code, 0);
    const refused = await landfall(["get", "vm"], { server: "http://127.0.0.1:9" });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /cannot reach the landfall server at http:\/\/127\.0\.0\.1:9 .*landfall serve/);
  });

  it("serve refuses plain HTTP off loopback, and exits 0 on SIGTERM", async () => {
    const open = await landfall(["serve", "--data-dir", join(dir, "net"), "--listen", "0.0.0.0:0"]);
    assert.notEqual(open.code, 0);
    assert.match(open.stderr, /needs TLS: pass --tls-cert FILE --tls-key FILE, or --insecure-http/);
    const other = await startServeProcess();
    await other.stop();
    assert.equal(other.child.exitCode, 0);
  });
});
