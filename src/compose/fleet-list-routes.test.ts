// The Imported VMs list and the paged inventory through a real server: pages that add up to the whole list,
// both adoption prefixes, filters, one hypervisor read for many pages, and tenancy (a token limited to
// namespaces sees only those; another namespace's route is a 403).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { KubeObject } from "../api/meta.ts";
import type { Provider } from "../api/provider.ts";
import { ProviderClients } from "../controllers/provider/clients.ts";
import { inventoryOf } from "../controllers/provider/inventory.ts";
import { InventoryCache } from "../controllers/provider/inventory-cache.ts";
import type { SourceProvider, SourceVM } from "../providers/contract.ts";
import { memoryAuth } from "../server/auth.ts";
import { buildServer } from "../server/build.ts";
import { openSqliteStore, type SqliteStore } from "../store/sqlite/store.ts";
import { registerImportedVMRoutes } from "./imported-vms-route.ts";
import { registerInventoryRoutes } from "./routes.ts";

const G = "/apis/landfall.dev/v1beta1";
const NAMESPACES = ["team-a", "team-b", "team-c"];
const PER_NAMESPACE = 40;
const SOURCE_VMS = 250;
let store: SqliteStore;
let app: ReturnType<typeof buildServer>;
let hypervisorReads = 0;

const sourceVM = (i: number): SourceVM => ({ name: `vm-${String(i).padStart(4, "0")}`, id: `vm-${i}`, uuid: `u-${i}`, powerState: i % 2 ? "poweredOn" : "poweredOff", guestOS: i % 10 === 0 ? "windows2019srv_64Guest" : "debian12_64Guest", cpus: 1, memoryMiB: 512, firmware: "bios", disks: [], nics: [] });

before(async () => {
  store = await openSqliteStore({ path: ":memory:" });
  for (const namespace of NAMESPACES) {
    for (let i = 0; i < PER_NAMESPACE; i++) {
      // Even VMs adopted under landfall.dev, odd ones under cozystack.io; every fifth not adopted at all.
      const prefix = i % 2 ? "cozystack.io" : "landfall.dev";
      const labels: Record<string, string> = i % 5 === 4 ? {} : { [`${prefix}/adopted`]: "true", [`${prefix}/original-plan`]: `wave-${i % 3}`, team: i % 4 ? "web" : "db" };
      const name = `vm-${String(i).padStart(3, "0")}`;
      await store.create({ apiVersion: "landfall.dev/v1beta1", kind: "VirtualMachine", metadata: { name, namespace, labels }, spec: { providerRef: { name: "kvm" }, cpus: 1, memoryMiB: 512, importedDisk: { diskID: `d-${namespace}-${i}` } } });
      if (i % 5 !== 4) {
        await store.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `vm-adopted-${name}`, namespace, labels: { [`${prefix}/type`]: "adopted-vm" } }, data: { vmName: name, sourcePlan: `wave-${i % 3}`, sourceType: i % 3 ? "vmware" : "forklift" } });
      }
    }
    await store.create({ apiVersion: "landfall.dev/v1beta1", kind: "Secret", metadata: { name: "creds", namespace }, stringData: { username: "u", password: "p" } });
    await store.create<Provider>({ apiVersion: "landfall.dev/v1beta1", kind: "Provider", metadata: { name: "vcenter", namespace }, spec: { type: "vsphere", endpoint: "https://vc.example/sdk", credentialsRef: { name: "creds" } } } as Provider);
  }
  // The hypervisor: a source whose listVMs is counted (what the cache must spare).
  const source = {
    listVMs: async () => {
      hypervisorReads++;
      return Array.from({ length: SOURCE_VMS }, (_, i) => sourceVM(SOURCE_VMS - 1 - i));
    },
    close: async () => undefined,
  } as unknown as SourceProvider;
  const clients = new ProviderClients(store, { source: { vsphere: () => source }, target: {} });
  const cache = new InventoryCache((p) => inventoryOf(clients, p), { maxAgeMs: 60_000 });
  app = buildServer({
    store,
    auth: memoryAuth([
      { token: "admin", role: "admin" },
      { token: "tenant", role: "viewer", namespaces: ["team-b"] },
    ]),
    version: "test",
    routes: (server, helpers) => {
      registerInventoryRoutes(helpers, store, clients, cache);
      registerImportedVMRoutes(server, helpers, store);
    },
  });
});
after(async () => {
  await app.close();
  await store.close();
});

async function get<T = { kind: string; items: KubeObject[]; metadata: { continue?: string; remainingItemCount?: number; resourceVersion?: string; readAt?: string }; records?: Record<string, { sourcePlan?: string; sourceType?: string }> }>(url: string, token = "admin") {
  const res = await app.inject({ method: "GET", url, headers: { authorization: `Bearer ${token}` } });
  return { status: res.statusCode, body: JSON.parse(res.body) as T };
}

async function allPages(url: string, token = "admin") {
  const items: KubeObject[] = [];
  let cont: string | undefined;
  let pages = 0;
  do {
    const { status, body } = await get(`${url}${url.includes("?") ? "&" : "?"}limit=25${cont ? `&continue=${encodeURIComponent(cont)}` : ""}`, token);
    assert.equal(status, 200, JSON.stringify(body));
    items.push(...body.items);
    cont = body.metadata.continue;
    pages++;
  } while (cont);
  return { items, pages };
}

const key = (o: KubeObject) => `${o.metadata.namespace}/${o.metadata.name}`;

test("Imported VMs: pages of 25 add up to every VM adopted under either prefix, once each, in order", async () => {
  const { items, pages } = await allPages(`${G}/importedvms`);
  assert.equal(items.length, NAMESPACES.length * 32);
  assert.equal(pages, Math.ceil(items.length / 25));
  const keys = items.map(key);
  assert.deepEqual(keys, [...new Set(keys)].sort());
  assert.ok(items.every((o) => o.metadata.labels?.["landfall.dev/adopted"] === "true" || o.metadata.labels?.["cozystack.io/adopted"] === "true"));
  assert.ok(items.some((o) => o.metadata.labels?.["cozystack.io/adopted"] === "true") && items.some((o) => o.metadata.labels?.["landfall.dev/adopted"] === "true"));
  const first = await get(`${G}/importedvms?limit=5`);
  assert.equal(first.body.kind, "ImportedVMList");
  assert.deepEqual(first.body.records?.["team-a/vm-000"], { sourcePlan: "wave-0", sourceType: "forklift" });
  assert.equal(first.body.metadata.resourceVersion, await store.revision());
});

test("Imported VMs: label selector, plan and source type filter on the server", async () => {
  const { body } = await get(`${G}/importedvms?labelSelector=${encodeURIComponent("team=db")}&plan=wave-0&sourceType=forklift`);
  assert.ok(body.items.length > 0);
  for (const o of body.items) {
    assert.equal(o.metadata.labels?.team, "db");
    assert.deepEqual(body.records?.[key(o)], { sourcePlan: "wave-0", sourceType: "forklift" });
  }
  // i ≡ 0 (mod 4) and (mod 3), adopted (i mod 5 ≠ 4): 0, 12 and 36 in each namespace.
  assert.equal(body.items.length, NAMESPACES.length * 3);
  const bad = await get(`${G}/importedvms?labelSelector=${encodeURIComponent("team in (")}`);
  assert.equal(bad.status, 400, JSON.stringify(bad.body));
});

test("Imported VMs: a tenant token lists its namespace only, and another namespace's route is refused", async () => {
  const { items } = await allPages(`${G}/importedvms`, "tenant");
  assert.equal(items.length, 32);
  assert.ok(items.every((o) => o.metadata.namespace === "team-b"));
  assert.equal((await get(`${G}/namespaces/team-b/importedvms`, "tenant")).body.items.length, 32);
  const refused = await get(`${G}/namespaces/team-a/importedvms`, "tenant");
  assert.equal(refused.status, 403);
  assert.match(JSON.stringify(refused.body), /team-a/);
  assert.equal((await get(`${G}/importedvms`, "nobody")).status, 401);
});

test("Inventory: pages of the cached list add up to the whole inventory, read from the hypervisor once", async () => {
  const before = hypervisorReads;
  const { items, pages } = await allPages(`${G}/namespaces/team-a/providers/vcenter/vms`);
  assert.equal(hypervisorReads - before, 1, "one read of the hypervisor for every page");
  assert.equal(pages, 10);
  assert.deepEqual(
    items.map((vm) => (vm as unknown as SourceVM).name),
    Array.from({ length: SOURCE_VMS }, (_, i) => sourceVM(i).name),
  );
  const filtered = await get<{ items: SourceVM[]; metadata: { readAt: string } }>(`${G}/namespaces/team-a/providers/vcenter/vms?search=WINDOWS&power=poweredOff&limit=100`);
  assert.equal(filtered.body.items.length, 25);
  assert.ok(filtered.body.items.every((vm) => vm.guestOS.startsWith("windows") && vm.powerState === "poweredOff"));
  assert.ok(!Number.isNaN(Date.parse(filtered.body.metadata.readAt)));
  await get(`${G}/namespaces/team-a/providers/vcenter/vms?limit=1&refresh=true`);
  assert.equal(hypervisorReads - before, 2, "refresh=true reads the hypervisor again");
  const bad = await get(`${G}/namespaces/team-a/providers/vcenter/vms?limit=-1`);
  assert.equal(bad.status, 400);
  assert.match((bad.body as unknown as { message: string }).message, /limit "-1"/);
});

test("Inventory: a tenant token pages its namespace's Provider and is refused another's", async () => {
  assert.equal((await get(`${G}/namespaces/team-b/providers/vcenter/vms?limit=10`, "tenant")).body.items.length, 10);
  const refused = await get(`${G}/namespaces/team-a/providers/vcenter/vms?limit=10`, "tenant");
  assert.equal(refused.status, 403);
  assert.match(JSON.stringify(refused.body), /team-a/);
});
