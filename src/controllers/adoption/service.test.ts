// The adoption service runs one operation at a time. Each operation surveys (lists live VMs and records) and
// then acts on what it saw: a periodic scan whose survey straddled an unadopt used to "repair" the labels the
// unadopt had just removed (seen as a flaky e2e: the tracking ConfigMap or labels came back).
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { DEFAULT_CONVENTIONS } from "../../api/conventions.ts";
import type { ConfigMap } from "../../api/configmap.ts";
import type { Provider } from "../../api/provider.ts";
import type { VirtualMachine } from "../../api/virtualmachine.ts";
import type { TargetProvider, TargetVM } from "../../providers/contract.ts";
import { openSqliteStore, type SqliteStore } from "../../store/sqlite/index.ts";
import { ProviderClients } from "../provider/clients.ts";
import { adoptionConfigMap, adoptionLabels } from "./decide.ts";
import { AdoptionService } from "./service.ts";

const UUID = "6f1d3c1e-8a4b-4c2d-9e0f-123456789abc";
let store: SqliteStore;
let clients: ProviderClients;
const live: TargetVM = {
  uuid: UUID,
  name: "hand",
  state: "running",
  cpus: 1,
  memoryMiB: 64,
  firmware: "bios",
  disks: [{ path: "/var/lib/landfall/images/hand.raw", format: "raw", target: "vda", bus: "virtio" } as TargetVM["disks"][number]],
  nics: [],
  labels: adoptionLabels(DEFAULT_CONVENTIONS, "manual"),
};
/** While set, listVMs waits for it: the scan's survey is held open across the unadopt. */
let gate: Promise<void> | undefined;

before(async () => {
  store = await openSqliteStore({ path: ":memory:" });
  const target = {
    listVMs: async () => {
      await gate;
      return [structuredClone(live)];
    },
    getVM: async () => structuredClone(live),
    setLabels: async (_uuid: string, labels: Record<string, string | null>) => {
      for (const [k, v] of Object.entries(labels)) {
        if (v === null) delete live.labels[k];
        else live.labels[k] = v;
      }
    },
    close: async () => undefined,
  } as unknown as TargetProvider;
  clients = new ProviderClients(store, { source: {}, target: { libvirt: () => target } });
  await store.create<Provider>({ apiVersion: "landfall.dev/v1beta1", kind: "Provider", metadata: { name: "kvm", namespace: "default" }, spec: { type: "libvirt", uri: "qemu:///system" } } as Provider);
  await store.create<VirtualMachine>({
    apiVersion: "landfall.dev/v1beta1",
    kind: "VirtualMachine",
    metadata: { name: "hand", namespace: "default", labels: adoptionLabels(DEFAULT_CONVENTIONS, "manual") },
    spec: { providerRef: { name: "kvm" }, uuid: UUID, importedDisk: { diskID: "hand", path: live.disks[0].path, format: "raw", source: "import" } },
  } as VirtualMachine);
  const vm = await store.get<VirtualMachine>("VirtualMachine", "default", "hand");
  await store.updateStatus({ ...vm, status: { phase: "Running", providerID: UUID } });
  await store.create(
    adoptionConfigMap(DEFAULT_CONVENTIONS, { vmName: "hand", namespace: "default", sourcePlan: "manual", sourceType: "unknown", adoptedAt: new Date().toISOString(), managementEndpoint: "kubectl" }),
  );
});

after(async () => {
  await clients.close();
  await store.close();
});

it("an unadopt during a scan's survey stays undone: no labels or ConfigMap come back", async () => {
  const service = new AdoptionService({ store, clients, conventions: DEFAULT_CONVENTIONS, log: () => undefined, virtualSize: async () => 4 << 20 });
  let open: () => void = () => undefined;
  gate = new Promise((resolve) => {
    open = resolve;
  });
  const scanning = service.scan("default", "kvm");
  await new Promise((resolve) => setTimeout(resolve, 50));
  gate = undefined;
  const unadopting = service.unadopt("default", "hand");
  // Long enough for an unadopt that does not wait for the scan to finish first (in memory, it takes a few ms).
  setTimeout(open, 300);
  await Promise.all([scanning, unadopting]);
  assert.deepEqual(live.labels, {}, "the domain keeps no adoption label");
  const configMaps = await store.list<ConfigMap>("ConfigMap");
  assert.deepEqual(
    configMaps.items.map((c) => c.metadata.name),
    [],
    "the tracking ConfigMap stays deleted",
  );
});
