// Tenancy admission and namespace authorization through the real server routes, in process with an in-memory store.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { openSqliteStore } from "../store/sqlite/index.ts";
import type { ResourceStore } from "../store/types.ts";
import { memoryAuth } from "../server/auth.ts";
import { buildServer } from "../server/build.ts";
import { tenancyAdmission } from "./admission.ts";

const G = "/apis/landfall.dev/v1beta1";
const tokens = { admin: "admin-t", editorA: "editor-a-t", viewer: "viewer-t" };
let app: FastifyInstance;
let store: ResourceStore;

const call = async (method: "GET" | "POST" | "PUT" | "DELETE", url: string, token: string, body?: unknown) => {
  const res = await app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(body ? { payload: body as Record<string, unknown> } : {}) });
  return { status: res.statusCode, body: res.json() as { message?: string; details?: { causes?: Array<{ field: string }> } } };
};

const provider = (ns: string, name: string, type: string, tenants?: string[]) => ({
  apiVersion: "landfall.dev/v1beta1",
  kind: "Provider",
  metadata: { name, namespace: ns },
  spec: { type, ...(type === "libvirt" ? { uri: "qemu:///system" } : { endpoint: "https://vc/sdk" }), ...(tenants ? { tenants } : {}) },
});
const vmImport = (ns: string, name: string, target: Record<string, unknown>) => ({
  apiVersion: "landfall.dev/v1beta1",
  kind: "VMImport",
  metadata: { name, namespace: ns },
  spec: { source: { providerRef: { name: "vc", namespace: "infra" } }, vms: [{ name: "web01" }], target: { providerRef: { name: "kvm", namespace: "infra" }, ...target } },
});
const vm = (ns: string, name: string, providerRef: Record<string, string>) => ({
  apiVersion: "landfall.dev/v1beta1",
  kind: "VirtualMachine",
  metadata: { name, namespace: ns },
  spec: { providerRef, importedDisk: { diskID: `${name}-d`, path: `/var/lib/landfall/images/${name}.qcow2` } },
});

before(async () => {
  store = await openSqliteStore({ path: ":memory:" });
  app = buildServer({
    store,
    auth: memoryAuth([
      { token: tokens.admin, role: "admin" },
      { token: tokens.editorA, role: "editor", name: "tenant-a-ci", namespaces: ["tenant-a"] },
      { token: tokens.viewer, role: "viewer" },
    ]),
    version: "test",
    admission: [tenancyAdmission(store)],
  });
  await app.ready();
  for (const p of [provider("infra", "vc", "vsphere", ["tenant-a", "tenant-b"]), provider("infra", "kvm", "libvirt", ["tenant-a", "tenant-b"]), provider("infra", "kvm-b", "libvirt", ["tenant-b"]), provider("tenant-a", "own", "libvirt")]) {
    assert.equal((await call("POST", `${G}/namespaces/${p.metadata.namespace}/providers`, tokens.admin, p)).status, 201);
  }
});

after(async () => {
  await app?.close();
  await store?.close();
});

describe("a namespaced editor token", () => {
  it("reads and writes its own namespace only, naming the namespace it may not use", async () => {
    assert.equal((await call("POST", `${G}/namespaces/tenant-a/virtualmachines`, tokens.editorA, vm("tenant-a", "web", { name: "kvm", namespace: "infra" }))).status, 201);
    assert.equal((await call("GET", `${G}/namespaces/tenant-a/virtualmachines/web`, tokens.editorA)).status, 200);
    assert.equal((await call("POST", `${G}/namespaces/tenant-b/virtualmachines`, tokens.admin, vm("tenant-b", "db", { name: "kvm-b", namespace: "infra" }))).status, 201);
    const read = await call("GET", `${G}/namespaces/tenant-b/virtualmachines/db`, tokens.editorA);
    assert.equal(read.status, 403);
    assert.match(read.body.message ?? "", /may not read namespace "tenant-b"/);
    const write = await call("POST", `${G}/namespaces/tenant-b/virtualmachines`, tokens.editorA, vm("tenant-b", "x", { name: "kvm-b", namespace: "infra" }));
    assert.equal(write.status, 403);
    assert.match(write.body.message ?? "", /may not write in namespace "tenant-b"/);
    const everywhere = await call("GET", `${G}/virtualmachines`, tokens.editorA);
    assert.equal(everywhere.status, 200);
    const names = (everywhere.body as { items?: Array<{ metadata: { namespace: string } }> }).items?.map((o) => o.metadata.namespace);
    assert.deepEqual([...new Set(names)], ["tenant-a"], "a list across namespaces shows only the token's namespaces");
  });

  it("cannot use a Provider whose tenants leave its namespace out (403 naming the Provider)", async () => {
    const res = await call("POST", `${G}/namespaces/tenant-a/virtualmachines`, tokens.editorA, vm("tenant-a", "sneaky", { name: "kvm-b", namespace: "infra" }));
    assert.equal(res.status, 403);
    assert.match(res.body.message ?? "", /Provider "infra\/kvm-b" is not open to namespace "tenant-a"/);
    assert.equal(res.body.details?.causes?.[0]?.field, "spec.providerRef");
  });

  it("cannot start a cross-tenant VMImport (tenant-a → tenant-b); an admin can", async () => {
    const res = await call("POST", `${G}/namespaces/tenant-a/vmimports`, tokens.editorA, vmImport("tenant-a", "cross", { namespace: "tenant-b" }));
    assert.equal(res.status, 403);
    assert.match(res.body.message ?? "", /spec.target.namespace "tenant-b": token "tenant-a-ci" \(ID [0-9a-f]+, role editor, namespaces tenant-a\) may not write in namespace "tenant-b"/);
    assert.equal((await call("POST", `${G}/namespaces/tenant-a/vmimports`, tokens.editorA, vmImport("tenant-a", "own", {}))).status, 201);
    assert.equal((await call("POST", `${G}/namespaces/tenant-a/vmimports`, tokens.admin, vmImport("tenant-a", "cross", { namespace: "tenant-b" }))).status, 201);
  });

  it("may not create or update Providers, even in its own namespace", async () => {
    const res = await call("POST", `${G}/namespaces/tenant-a/providers`, tokens.editorA, provider("tenant-a", "mine", "libvirt"));
    assert.equal(res.status, 403);
    assert.match(res.body.message ?? "", /may not write providers: only admins/);
    const put = await call("PUT", `${G}/namespaces/tenant-a/providers/own`, tokens.editorA, provider("tenant-a", "own", "libvirt", ["tenant-b"]));
    assert.equal(put.status, 403);
    assert.match(put.body.message ?? "", /may not write providers/);
    const del = await call("DELETE", `${G}/namespaces/tenant-a/providers/own`, tokens.editorA);
    assert.equal(del.status, 403);
    assert.match(del.body.message ?? "", /may not write providers/);
    assert.equal((await call("GET", `${G}/namespaces/tenant-a/providers/own`, tokens.admin)).status, 200, "the Provider is still there");
  });
});

describe("every caller", () => {
  it("is held to a Provider's tenants, admins too: a VMImport may not send tenant-a's VMs through a Provider closed to tenant-a", async () => {
    const res = await call("POST", `${G}/namespaces/tenant-b/vmimports`, tokens.admin, vmImport("tenant-b", "to-a", { providerRef: { name: "kvm-b", namespace: "infra" }, namespace: "tenant-a" }));
    assert.equal(res.status, 403);
    assert.match(res.body.message ?? "", /spec.target.providerRef: Provider "infra\/kvm-b" is not open to namespace "tenant-a" \(spec.target.namespace\)/);
  });

  it("viewers still only read", async () => {
    assert.equal((await call("GET", `${G}/namespaces/tenant-b/virtualmachines`, tokens.viewer)).status, 200);
    assert.equal((await call("POST", `${G}/namespaces/tenant-b/virtualmachines`, tokens.viewer, vm("tenant-b", "v", { name: "kvm-b", namespace: "infra" }))).status, 403);
  });
});
