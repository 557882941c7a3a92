// Tenancy through a real `bin/landfall serve`, its CLI and its HTTP API: a token created with
// `landfall token create --role editor --namespace tenant-a` is confined to tenant-a — it cannot read or write
// tenant-b, cannot use a Provider whose tenants leave tenant-a out, cannot start an import into tenant-b, cannot
// create Providers — while an admin may send tenant-a's import to tenant-b through a Provider open to both.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type ServeProcess, startServeProcess } from "../../src/compose/serve-process.ts";
import { api, applyYaml, landfall, resourcePath } from "../harness/landfall.ts";

let srv: ServeProcess;
let tenantToken: string;

const vm = (ns: string, name: string, provider: string) => `apiVersion: landfall.dev/v1beta1
kind: VirtualMachine
metadata: {name: ${name}, namespace: ${ns}}
spec: {providerRef: {name: ${provider}, namespace: infra}, importedDisk: {diskID: ${name}-d, path: /var/lib/landfall/images/${name}.qcow2}, powerState: Off}
`;
const vmImport = (ns: string, name: string, targetNs: string) => `apiVersion: landfall.dev/v1beta1
kind: VMImport
metadata: {name: ${name}, namespace: ${ns}}
spec:
  source: {providerRef: {name: vcenter, namespace: infra}}
  vms: [{name: web01}]
  target: {providerRef: {name: kvm, namespace: infra}, namespace: ${targetNs}}
`;
const asTenant = (args: string[], stdin?: string) => landfall(srv, args, { token: tenantToken, ...(stdin ? { stdin } : {}) });
const tenantApi = (path: string, init: RequestInit = {}) => api({ url: srv.url, adminToken: tenantToken }, path, init);

before(async () => {
  // No controllers: admission and authorization are what is under test, and nothing may contact the Providers.
  srv = await startServeProcess({ args: ["--controllers", "none"] });
  await applyYaml(
    srv,
    `apiVersion: landfall.dev/v1beta1
kind: Provider
metadata: {name: vcenter, namespace: infra}
spec: {type: vsphere, endpoint: "https://127.0.0.1:9/sdk", tenants: [tenant-a, tenant-b]}
---
apiVersion: landfall.dev/v1beta1
kind: Provider
metadata: {name: kvm, namespace: infra}
spec: {type: libvirt, uri: "test:///default", tenants: [tenant-a, tenant-b]}
---
apiVersion: landfall.dev/v1beta1
kind: Provider
metadata: {name: kvm-b, namespace: infra}
spec: {type: libvirt, uri: "test:///default", tenants: [tenant-b]}
---
${vm("tenant-b", "db01", "kvm-b")}`,
  );
  const created = await landfall(srv, ["token", "create", "--role", "editor", "--namespace", "tenant-a", "--name", "tenant-a-ci"]);
  assert.equal(created.code, 0, created.stderr);
  tenantToken = created.stdout.trim();
  assert.match(tenantToken, /^lf_/);
});

after(async () => {
  await srv?.stop();
});

describe("a tenant token (editor, namespace tenant-a)", { timeout: 60_000 }, () => {
  it("works in tenant-a", async () => {
    const applied = await asTenant(["apply", "-f", "-"], vm("tenant-a", "web01", "kvm"));
    assert.equal(applied.code, 0, applied.stderr);
    const got = await asTenant(["get", "vm", "web01", "-n", "tenant-a", "-o", "json"]);
    assert.equal(got.code, 0, got.stderr);
    assert.equal(JSON.parse(got.stdout).metadata.namespace, "tenant-a");
  });

  it("cannot read or write tenant-b objects (CLI and API answer 403 naming tenant-b)", async () => {
    const read = await asTenant(["get", "vm", "db01", "-n", "tenant-b"]);
    assert.notEqual(read.code, 0);
    assert.match(read.stderr, /may not read namespace "tenant-b"/);
    const list = await tenantApi(resourcePath("tenant-b", "virtualmachines"));
    assert.equal(list.status, 403);
    // apply reads before it writes, so the CLI meets the read refusal first; the API write is refused too.
    const write = await asTenant(["apply", "-f", "-"], vm("tenant-b", "intruder", "kvm"));
    assert.notEqual(write.code, 0);
    assert.match(write.stderr, /may not read namespace "tenant-b"/);
    const post = await tenantApi(resourcePath("tenant-b", "virtualmachines"), { method: "POST", body: JSON.stringify({ apiVersion: "landfall.dev/v1beta1", kind: "VirtualMachine", metadata: { name: "intruder" }, spec: { providerRef: { name: "kvm", namespace: "infra" } } }) });
    assert.equal(post.status, 403);
    assert.match((post.body as { message?: string }).message ?? "", /may not write in namespace "tenant-b"/);
    const del = await tenantApi(resourcePath("tenant-b", "virtualmachines", "db01"), { method: "DELETE" });
    assert.equal(del.status, 403);
    assert.equal((await api(srv, resourcePath("tenant-b", "virtualmachines", "db01"))).status, 200, "tenant-b's VM is untouched");
    const everywhere = await tenantApi("/apis/landfall.dev/v1beta1/virtualmachines");
    assert.equal(everywhere.status, 200);
    const namespaces = new Set((everywhere.body as unknown as { items: Array<{ metadata: { namespace: string } }> }).items.map((o) => o.metadata.namespace));
    assert.deepEqual([...namespaces], ["tenant-a"], "a list across namespaces shows only the token's own");
  });

  it("cannot use a Provider whose tenants do not include tenant-a", async () => {
    const r = await asTenant(["apply", "-f", "-"], vm("tenant-a", "sneaky", "kvm-b"));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Provider "infra\/kvm-b" is not open to namespace "tenant-a"/);
    const adopt = await tenantApi(`${resourcePath("infra", "providers", "kvm-b")}/adopt`, { method: "POST", body: JSON.stringify({ vm: "test" }) });
    assert.equal(adopt.status, 403, "adopting from a Provider in another namespace needs that namespace");
  });

  it("cannot create a Provider", async () => {
    const r = await asTenant(
      ["apply", "-f", "-"],
      `apiVersion: landfall.dev/v1beta1
kind: Provider
metadata: {name: mine, namespace: tenant-a}
spec: {type: libvirt, uri: "test:///default"}
`,
    );
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /may not write providers: only admins/);
  });

  it("gets 403 for a cross-tenant VMImport (tenant-a → tenant-b); an admin may create it", async () => {
    const refused = await tenantApi(resourcePath("tenant-a", "vmimports"), { method: "POST", body: JSON.stringify(crossImport()) });
    assert.equal(refused.status, 403);
    assert.match((refused.body as { message?: string }).message ?? "", /spec.target.namespace "tenant-b": token "tenant-a-ci" \(ID [0-9a-f]+, role editor, namespaces tenant-a\) may not write in namespace "tenant-b"/);
    const cli = await asTenant(["apply", "-f", "-"], vmImport("tenant-a", "cross", "tenant-b"));
    assert.notEqual(cli.code, 0);
    assert.match(cli.stderr, /may not write in namespace "tenant-b"/);
    await applyYaml(srv, vmImport("tenant-a", "cross", "tenant-b"));
    assert.equal((await api(srv, resourcePath("tenant-a", "vmimports", "cross"))).status, 200);
  });
});

describe("a Provider closed after admission", { timeout: 60_000 }, () => {
  it("stops the tenant's VM actions through it: change, restart, clone and unadopt answer 403 naming the Provider", async () => {
    await applyYaml(srv, vm("tenant-a", "later", "kvm"));
    // An admin closes infra/kvm to tenant-a after the VM was admitted.
    await applyYaml(
      srv,
      `apiVersion: landfall.dev/v1beta1
kind: Provider
metadata: {name: kvm, namespace: infra}
spec: {type: libvirt, uri: "test:///default", tenants: [tenant-b]}
`,
    );
    const base = resourcePath("tenant-a", "virtualmachines", "later");
    const patch = await tenantApi(base, { method: "PATCH", headers: { "content-type": "application/merge-patch+json" }, body: JSON.stringify({ spec: { powerState: "On" } }) });
    assert.equal(patch.status, 403);
    assert.match((patch.body as { message?: string }).message ?? "", /Provider "infra\/kvm" is not open to namespace "tenant-a"/);
    for (const action of ["restart", "clone", "unadopt"]) {
      const r = await tenantApi(`${base}/${action}`, { method: "POST", body: JSON.stringify({ name: "copy" }) });
      assert.equal(r.status, 403, `${action}: ${JSON.stringify(r.body)}`);
      assert.match((r.body as { message?: string }).message ?? "", new RegExp(`cannot ${action} VirtualMachine "tenant-a/later": spec.providerRef: Provider "infra/kvm" is not open`));
    }
  });
});

describe("an adoption request", { timeout: 60_000 }, () => {
  it("is refused with 403 when the Provider is not open to the namespace the VM would land in", async () => {
    // infra/kvm-b serves tenant-b only; an unclaimed VM adopted from it would land in infra.
    const r = await api<{ message?: string }>(srv, `${resourcePath("infra", "providers", "kvm-b")}/adopt`, { method: "POST", body: JSON.stringify({ vm: "test" }) });
    assert.equal(r.status, 403, JSON.stringify(r.body));
    assert.match(r.body.message ?? "", /Provider "infra\/kvm-b" is not open to its own namespace "infra"/);
  });
});

function crossImport() {
  return {
    apiVersion: "landfall.dev/v1beta1",
    kind: "VMImport",
    metadata: { name: "cross", namespace: "tenant-a" },
    spec: { source: { providerRef: { name: "vcenter", namespace: "infra" } }, vms: [{ name: "web01" }], target: { providerRef: { name: "kvm", namespace: "infra" }, namespace: "tenant-b" } },
  };
}
