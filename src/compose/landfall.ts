// The composition root of landfall's control plane: provider clients, the disk pipeline, the controllers
// (Provider, VirtualMachine, VMMigration, VMImport, adoption scan), admission checks, delete hooks and routes.
import { imageInfo } from "../disk/convert.ts";
import { imageSha256 } from "../disk/checksum.ts";
import { chunkBuffers } from "../disk/chunk-buffer-pool.ts";
import { transferBufferBound } from "../disk/transfer.ts";
import { AdoptionService } from "../controllers/adoption/service.ts";
import { ProviderClients, type ProviderFactories } from "../controllers/provider/clients.ts";
import { inventoryOf } from "../controllers/provider/inventory.ts";
import { InventoryCache } from "../controllers/provider/inventory-cache.ts";
import { providerReconciler } from "../controllers/provider/reconcile.ts";
import { virtualMachineReconciler } from "../controllers/virtualmachine/reconcile.ts";
import { vmActionReconciler } from "../controllers/vmaction/reconcile.ts";
import { vmImageReconciler } from "../controllers/vmimage/reconcile.ts";
import { vmImportReconciler } from "../controllers/vmimport/reconcile.ts";
import { vmMigrationReconciler } from "../controllers/vmmigration/reconcile.ts";
import type { DiskOps } from "../controllers/vmmigration/disk-ops.ts";
import { MigrationRunner } from "../controllers/vmmigration/runner.ts";
import { keys } from "../api/conventions.ts";
import type { VMMigration } from "../api/vmmigration.ts";
import { Controller as RuntimeController } from "../runtime/controller.ts";
import { EventRecorder } from "../runtime/events.ts";
import { createLogger } from "../runtime/logger.ts";
import { SharedInformers } from "../runtime/shared-informers.ts";
import { Slots } from "../runtime/slots.ts";
import { enqueueByAnnotation, enqueueOwners, enqueueReferrers } from "../runtime/mappers.ts";
import { importRefersTo, migrationRefersTo, PROVIDER_INDEX, providerChangeMatters, providerRefersTo, providerSpecChanged, SECRET_INDEX, secretWatch, vmRefersTo } from "../controllers/provider/dependents.ts";
import type { Provider } from "../api/provider.ts";
import type { VirtualMachine } from "../api/virtualmachine.ts";
import type { VMImport } from "../api/vmimport.ts";
import { storageMapAdmission, storagePathAdmission, tenancyAdmission } from "./admission.ts";
import { diskOps } from "./disk-ops.ts";
import { guestOps, virtioWinLocation } from "./guest-ops.ts";
import type { GuestConversionIO } from "../controllers/vmmigration/guest-conversion.ts";
import { registerDomainMetrics } from "./metrics.ts";
import { libvirtStorage } from "../api/libvirt-pools.ts";
import { type ProviderFactoryOptions, providerFactories } from "./providers.ts";
import { registerImportedVMRoutes } from "./imported-vms-route.ts";
import { registerInventoryRoutes, registerVMActionRoutes, virtualMachineDeleteHook } from "./routes.ts";
import type { Controller, Wire } from "./wiring.ts";

const ADOPTION_SCAN_MS = 30_000;
/** How long a paged inventory reuses one read of the hypervisor (refresh=true reads it again at once). */
const INVENTORY_MAX_AGE_MS = 30_000;
export const DEFAULT_MAX_TRANSFERS = 2;

/** What the control plane is built from that a test composition may replace (test/harness/faulty-wiring.ts). */
export interface LandfallParts {
  disk: DiskOps;
  guest: GuestConversionIO;
  providers: (opts: ProviderFactoryOptions) => ProviderFactories;
}

export const productionParts: LandfallParts = { disk: diskOps, guest: guestOps, providers: providerFactories };

/** The control plane wired from parts; `landfallWiring` is it with the production parts. */
export const landfallWiringWith = (parts: LandfallParts): Wire => (ctx) => {
  const { store, conventions, metricsRegistry } = ctx;
  const logger = createLogger();
  const events = new EventRecorder({ logger });
  const clients = new ProviderClients(store, parts.providers({ dataDir: ctx.dataDir, prefix: conventions.prefix }));
  const metrics = registerDomainMetrics(metricsRegistry, store, conventions);
  const log = (msg: string, fields?: Record<string, unknown>) => logger.info(msg, fields);
  // One bound for disk transfers across all migrations; as many migrations may run as transfers may, since a
  // migration that waits for a slot holds no CPU.
  const transferSlots = new Slots(ctx.maxTransfers ?? DEFAULT_MAX_TRANSFERS);
  // Their chunk buffers too: transfers running together share one window (transfer.ts).
  chunkBuffers.bound(transferBufferBound(ctx.maxTransfers ?? DEFAULT_MAX_TRANSFERS));
  const runner = new MigrationRunner({
    store,
    clients,
    disk: parts.disk,
    guest: parts.guest,
    virtioWin: virtioWinLocation,
    transferSlots,
    conventions,
    log,
    events,
    onFinished: metrics.finished,
  });
  const virtualSize = async (path: string, format: string) => (await imageInfo(path, { format })).virtualSizeBytes;
  const adoption = new AdoptionService({ store, clients, conventions, log, virtualSize });
  // One cache per kind for all controllers (the VirtualMachine and VMMigration controllers both read
  // VirtualMachines): at 10,000 objects a second copy is tens of MiB and a second full list at start.
  const informers = new SharedInformers({ store, logger });
  const common = { store, logger, events, metrics: metricsRegistry, informers };
  // What refers to a Provider is reconciled when it appears, changes spec, goes away or flips Ready.
  const providerWatch = { kind: "Provider", map: enqueueReferrers(PROVIDER_INDEX), changed: providerChangeMatters };

  const runtime: Array<{ name: string; start(): Promise<void>; stop(): Promise<boolean> }> = [
    new RuntimeController<Provider>({
      ...common,
      name: "provider",
      kind: "Provider",
      changed: providerSpecChanged,
      // A fixed or rotated credentials Secret is checked at once, not at the next periodic check; the watch
      // caches Secrets' metadata only (values are read when a Provider is reconciled, never kept).
      indexes: { [SECRET_INDEX]: providerRefersTo },
      watches: [secretWatch],
      reconcile: providerReconciler({ store, clients, log }),
    }),
    new RuntimeController<VirtualMachine>({
      ...common,
      name: "virtualmachine",
      kind: "VirtualMachine",
      indexes: { [PROVIDER_INDEX]: vmRefersTo },
      watches: [providerWatch],
      reconcile: virtualMachineReconciler({
        store,
        clients,
        conventions,
        imageSha256: (path, format) => imageSha256(path, format),
        virtualSize,
        log,
        events,
      }),
    }),
    new RuntimeController({
      ...common,
      name: "vmimage",
      kind: "VMImage",
      workers: 1,
      reconcile: vmImageReconciler({ store, storageOf: (p) => libvirtStorage(p.spec), imageInfo: (path, format) => imageInfo(path, { format }), imageSha256: (path, format) => imageSha256(path, format) }),
    }),
    new RuntimeController<VMMigration>({
      ...common,
      name: "vmmigration",
      kind: "VMMigration",
      maxConcurrentJobs: transferSlots.max,
      indexes: { [PROVIDER_INDEX]: migrationRefersTo },
      watches: [{ kind: "VirtualMachine", map: enqueueByAnnotation(keys(conventions).migration) }, providerWatch],
      reconcile: vmMigrationReconciler({ store, runner }),
    }),
    new RuntimeController<VMImport>({
      ...common,
      name: "vmimport",
      kind: "VMImport",
      workers: 1,
      indexes: { [PROVIDER_INDEX]: importRefersTo },
      watches: [{ kind: "VMMigration", map: enqueueOwners("VMImport") }, providerWatch],
      reconcile: vmImportReconciler({ store, clients, adoption, conventions, log }),
    }),
    new RuntimeController({ ...common, name: "vmaction", kind: "VMAction", workers: 1, reconcile: vmActionReconciler({ store, clients, adoption, conventions, log }) }),
    new RuntimeController({
      ...common,
      name: "adoption",
      kind: "Provider",
      // A scan lists every domain on the target: on a new or changed Provider and when it turns Ready, then
      // every ADOPTION_SCAN_MS — not on each inventory count the Provider controller writes.
      changed: providerChangeMatters,
      workers: 1,
      reconcile: async (key) => {
        const p = await clients.provider(key.namespace, key.name).catch(() => undefined);
        if (!p || p.metadata.deletionTimestamp || !clients.canTarget(p.spec.type)) return undefined;
        await adoption.scan(key.namespace, key.name);
        return { requeueAfterMs: ADOPTION_SCAN_MS };
      },
    }),
  ];

  let informerUsers = 0;
  const controllers: Controller[] = [
    ...runtime.map((c) => ({
      name: c.name,
      start: () => {
        informerUsers++;
        return c.start();
      },
      // The shared caches stop with the last controller that uses them.
      stop: async () => {
        await c.stop();
        if (--informerUsers === 0) await informers.stop();
      },
    })),
    { name: "provider-clients", start: () => undefined, stop: () => clients.close() },
  ];
  return {
    controllers,
    admission: [tenancyAdmission(store), storagePathAdmission(store), storageMapAdmission(store)],
    deleteHooks: { VirtualMachine: virtualMachineDeleteHook(store) },
    routes: (app, helpers) => {
      registerInventoryRoutes(helpers, store, clients, new InventoryCache((p) => inventoryOf(clients, p), { maxAgeMs: INVENTORY_MAX_AGE_MS }));
      registerImportedVMRoutes(app, helpers, store);
      registerVMActionRoutes(helpers, { store, clients, adoption, conventions, events });
    },
  };
};

export const landfallWiring: Wire = landfallWiringWith(productionParts);
