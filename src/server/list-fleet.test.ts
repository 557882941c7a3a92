// Lists at fleet size (10,000 VirtualMachines in 10 namespaces) through the server, which answers them from the
// store's JSON text: tenancy, label selectors, pages and Secret redaction must hold on that path too.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { KubeObject } from "../api/meta.ts";
import { openSqliteStore, type SqliteStore } from "../store/sqlite/store.ts";
import { memoryAuth } from "./auth.ts";
import { buildServer } from "./build.ts";
import { REDACTED } from "./redact.ts";

const G = "/apis/landfall.dev/v1beta1";
const VMS = 10_000;
const NAMESPACES = 10;
let store: SqliteStore;
let app: ReturnType<typeof buildServer>;

before(async () => {
  store = await openSqliteStore({ path: ":memory:" });
  for (let i = 0; i < VMS; i++) {
    await store.create({
      apiVersion: "landfall.dev/v1beta1",
      kind: "VirtualMachine",
      metadata: { name: `vm-${String(i).padStart(5, "0")}`, namespace: `fleet-${i % NAMESPACES}`, labels: { app: `app-${i % 100}` } },
      spec: { providerRef: { name: "kvm" }, cpus: 1, memoryMiB: 512, importedDisk: { diskID: `d${i}` } },
    });
  }
  for (const ns of ["fleet-3", "fleet-5"]) {
    await store.create({ apiVersion: "v1", kind: "Secret", metadata: { name: "creds", namespace: ns }, stringData: { password: "hunter2" } });
  }
  app = buildServer({
    store,
    auth: memoryAuth([
      { token: "admin", role: "admin" },
      { token: "tenant", role: "editor", namespaces: ["fleet-3", "fleet-7"] },
    ]),
    version: "test",
  });
});
after(async () => {
  await app.close();
  await store.close();
});

async function list(url: string, token = "admin"): Promise<{ status: number; body: { kind: string; items: KubeObject[]; metadata: { continue?: string; resourceVersion: string } } }> {
  const res = await app.inject({ method: "GET", url, headers: { authorization: `Bearer ${token}` } });
  return { status: res.statusCode, body: JSON.parse(res.body) };
}

test("the whole list of 10,000 is every stored object, in order, as get returns it", async () => {
  const { status, body } = await list(`${G}/virtualmachines`);
  assert.equal(status, 200);
  assert.equal(body.kind, "VirtualMachineList");
  assert.equal(body.items.length, VMS);
  assert.equal(body.metadata.resourceVersion, await store.revision());
  const keys = body.items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
  assert.deepEqual(keys, [...keys].sort(), "ordered by namespace, then name");
  assert.deepEqual(body.items[1234], await store.get("VirtualMachine", body.items[1234].metadata.namespace ?? "", body.items[1234].metadata.name));
});

test("a tenant's list across namespaces holds only its namespaces' objects, all of them", async () => {
  const { status, body } = await list(`${G}/virtualmachines`, "tenant");
  assert.equal(status, 200);
  assert.equal(body.items.length, 2 * (VMS / NAMESPACES));
  assert.deepEqual(new Set(body.items.map((o) => o.metadata.namespace)), new Set(["fleet-3", "fleet-7"]));
  const selected = await list(`${G}/virtualmachines?labelSelector=app%3Dapp-13`, "tenant");
  assert.deepEqual(new Set(selected.body.items.map((o) => o.metadata.namespace)), new Set(["fleet-3"]), "app-13 lives in fleet-3 only");
  assert.equal(selected.body.items.length, VMS / 100);
  assert.equal((await list(`${G}/namespaces/fleet-5/virtualmachines`, "tenant")).status, 403);
  const secrets = await list("/api/v1/secrets", "tenant");
  assert.deepEqual(secrets.body.items.map((o) => o.metadata.namespace), ["fleet-3"]);
});

test("a label selector at 10,000 selects exactly the matching objects", async () => {
  const { body } = await list(`${G}/virtualmachines?labelSelector=app%20in%20(app-7,app-8)`);
  assert.equal(body.items.length, 2 * (VMS / 100));
  assert.ok(body.items.every((o) => o.metadata.labels?.app === "app-7" || o.metadata.labels?.app === "app-8"));
});

test("pages of 500 walk all 10,000 exactly once", async () => {
  const seen = new Set<string>();
  let cont: string | undefined;
  let pages = 0;
  do {
    const { body } = await list(`${G}/namespaces/fleet-4/virtualmachines?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ""}`);
    for (const o of body.items) seen.add(o.metadata.name);
    cont = body.metadata.continue;
    pages++;
  } while (cont);
  assert.equal(seen.size, VMS / NAMESPACES);
  assert.equal(pages, 2);
  const across = await list(`${G}/virtualmachines?limit=500`);
  assert.equal(across.body.items.length, 500);
  assert.ok(across.body.metadata.continue);
});

test("Secrets in a list stay redacted, even for an admin", async () => {
  const { body } = await list("/api/v1/secrets");
  assert.equal(body.items.length, 2);
  for (const s of body.items) assert.deepEqual(s.data, { password: REDACTED });
});
