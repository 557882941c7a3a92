// Adoption as a service: gathers what decideAdoption needs from the store and a target provider, decides, and
// executes. Used by `landfall adopt`/`unadopt` (API routes), the periodic scan and VMImport's adoption step.
import type { ConfigMap } from "../../api/configmap.ts";
import { adoptionConfigMapName, type Conventions, keys } from "../../api/conventions.ts";
import { ApiError } from "../../api/errors.ts";
import type { Provider } from "../../api/provider.ts";
import type { VirtualMachine } from "../../api/virtualmachine.ts";
import type { VMImport } from "../../api/vmimport.ts";
import type { TargetProvider, TargetVM } from "../../providers/contract.ts";
import type { ResourceStore } from "../../store/types.ts";
import type { ProviderClients } from "../provider/clients.ts";
import { providerKey } from "../provider/ref.ts";
import { providerTenancyRefusal } from "../provider/tenancy-lookup.ts";
import { type AdoptionDecision, type AdoptionRequest, adoptionLabels, decideAdoption, planFromForkliftPlan, unadoptActions } from "./decide.ts";
import { executeAdoption, labelVirtualMachine } from "./execute.ts";
import { confineImageChain } from "../../disk/backing-chain.ts";
import { providerStorageRoots, resolveConfined } from "../../disk/confinement.ts";
import { withDiskSizes } from "./sizes.ts";
import { virtualMachineDiskPaths, storageRefusal } from "./storage.ts";

/** VMs a scan adopts at once. */
const SCAN_WAVE = 32;

export interface AdoptionDeps {
  store: ResourceStore;
  clients: ProviderClients;
  conventions: Conventions;
  log: (msg: string) => void;
  /** Guest-visible size of a disk image (qemu-img info), recorded on the mirror VirtualMachine. */
  virtualSize: (path: string, format: string) => Promise<number>;
}

export class AdoptionService {
  readonly #d: AdoptionDeps;

  /**
   * Every operation runs alone: each one surveys (lists the live VMs and the records) and then acts on what it
   * saw, so a periodic scan interleaved with an unadopt would "repair" the records the unadopt just removed.
   */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(deps: AdoptionDeps) {
    this.#d = deps;
  }

  #serially<T>(op: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(op, op);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #survey(namespace: string, providerName: string, requests: AdoptionRequest[]): Promise<{ provider: Provider; target: TargetProvider; decisions: AdoptionDecision[]; live: TargetVM[] }> {
    const { store, conventions } = this.#d;
    const { provider, client: target } = await this.#d.clients.targetByRef({ name: providerName }, namespace);
    const [live, managed, imports, configMaps, providers, forkliftPlans] = await Promise.all([
      target.listVMs(),
      store.list<VirtualMachine>("VirtualMachine"),
      store.list<VMImport>("VMImport"),
      store.list<ConfigMap>("ConfigMap", { labelSelector: `${keys(conventions).type}=adopted-vm` }),
      store.list<Provider>("Provider"),
      target.listForkliftPlans ? target.listForkliftPlans() : Promise.resolve([]),
    ]);
    const decisions = decideAdoption({
      conventions,
      provider,
      liveVMs: live,
      managed: managed.items,
      imports: imports.items,
      configMaps: configMaps.items,
      requests,
      sourceProviders: providers.items,
      forkliftPlans: forkliftPlans.map(planFromForkliftPlan),
      now: new Date().toISOString(),
    });
    return { provider, target, decisions, live };
  }

  /** Why a decision's mirror VirtualMachine would hold disks outside the provider's storage; undefined when none. */
  async #storageRefusal(provider: Provider, target: TargetProvider, decision: AdoptionDecision): Promise<string | undefined> {
    const mirror = decision.actions.find((a) => a.type === "create-virtualmachine");
    if (!mirror || provider.spec.type !== "libvirt") return undefined;
    const storage = await target.ensureStorage();
    const sandbox = providerStorageRoots(storage, provider.spec);
    const { roots } = sandbox;
    const outside: string[] = [];
    const chains: string[] = [];
    for (const d of virtualMachineDiskPaths(mirror.virtualMachine)) {
      const top = await resolveConfined(d.field, d.path, sandbox);
      if (!top.ok) {
        outside.push(top.resolved);
        continue;
      }
      // A disk inside may still name files outside (backing file, data file, VMDK extent): judged before reading.
      const chain = await confineImageChain(d.field, d.path, d.format, sandbox).catch((err: Error) => ({ ok: false, message: `${d.field} "${d.path}" cannot be inspected: ${err.message}` }));
      if (!chain.ok) chains.push(chain.message as string);
    }
    return storageRefusal({ vm: decision.name, provider: provider.metadata.name, pool: storage.pool, roots }, outside, chains);
  }

  /**
   * The decision with its mirror VirtualMachine carrying each disk's measured size (libvirt: the image's virtual
   * size). Called only after the storage check passed, so only confined images are opened.
   */
  async #sized(provider: Provider, decision: AdoptionDecision): Promise<AdoptionDecision> {
    if (provider.spec.type !== "libvirt") return decision;
    const actions = await Promise.all(
      decision.actions.map(async (a) => {
        if (a.type !== "create-virtualmachine") return a;
        const sizes = new Map<string, number>();
        for (const d of virtualMachineDiskPaths(a.virtualMachine)) {
          const size = await this.#d.virtualSize(d.path, d.format).catch((err: Error) => {
            this.#d.log(`adoption of ${decision.name}: size of ${d.field} "${d.path}" not measured (${err.message})`);
            return undefined;
          });
          if (size !== undefined) sizes.set(d.path, size);
        }
        return { ...a, virtualMachine: withDiskSizes(a.virtualMachine, sizes) };
      }),
    );
    return { ...decision, actions };
  }

  /** `landfall adopt PROVIDER/VM`: by UUID or unique name. A second call is a no-op ("already-adopted"). */
  adopt(namespace: string, providerName: string, vm: string, plan?: string): Promise<AdoptionDecision> {
    return this.#serially(async () => {
      const { target, decision } = await this.#judge(namespace, providerName, vm, plan);
      if (decision.actions.length > 0) {
        await executeAdoption(this.#d.store, target, decision.actions);
        this.#d.log(`adopted ${providerName}/${decision.name} (${decision.uuid}): ${decision.reason}`);
      }
      return decision;
    });
  }

  /**
   * What `adopt` would do, decided and checked exactly as `adopt` does (same survey, same refusals), with
   * nothing executed: the server's `?dryRun=All` answer, and the dashboard's adoption preview.
   */
  preview(namespace: string, providerName: string, vm: string, plan?: string): Promise<{ decision: AdoptionDecision; live: TargetVM; providerType: string }> {
    return this.#serially(async () => {
      const { provider, decision, live } = await this.#judge(namespace, providerName, vm, plan);
      return { decision, live, providerType: provider.spec.type };
    });
  }

  /** The decision for one VM, refused (Forbidden/Conflict/NotFound) when it may not be adopted; mirror disks sized. */
  async #judge(namespace: string, providerName: string, vm: string, plan?: string): Promise<{ provider: Provider; target: TargetProvider; decision: AdoptionDecision; live: TargetVM }> {
    const isUUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(vm);
    const request: AdoptionRequest = isUUID ? { uuid: vm.toLowerCase(), plan } : { name: vm, plan };
    const { provider, target, decisions, live } = await this.#survey(namespace, providerName, [request]);
    const match = live.filter((v) => (isUUID ? v.uuid === request.uuid : v.name === vm));
    if (match.length === 0) throw new ApiError("NotFound", `no VM "${vm}" on provider "${providerName}"; list them with 'landfall inventory ${providerName}'`);
    const decision = decisions.find((d) => d.uuid === match[0].uuid) as AdoptionDecision;
    if (decision.decision === "ignore") throw new ApiError(decision.forbidden ? "Forbidden" : "Conflict", `VM "${vm}" was not adopted: ${decision.reason}`);
    const refusal = await this.#storageRefusal(provider, target, decision);
    if (refusal) throw new ApiError("Forbidden", refusal);
    return { provider, target, decision: decision.actions.length > 0 ? await this.#sized(provider, decision) : decision, live: match[0] };
  }

  /** Adopts what a scan finds claimed by an adoption-enabled plan (Forklift labels, VMImport claims). */
  scan(namespace: string, providerName: string): Promise<AdoptionDecision[]> {
    return this.#serially(() => this.#scan(namespace, providerName));
  }

  async #scan(namespace: string, providerName: string): Promise<AdoptionDecision[]> {
    const { provider, target, decisions } = await this.#survey(namespace, providerName, []);
    const adoptOne = async (d: AdoptionDecision): Promise<boolean> => {
      const refusal = await this.#storageRefusal(provider, target, d);
      if (refusal) {
        this.#d.log(`scan of ${providerName}: ${refusal}`);
        return false;
      }
      await executeAdoption(this.#d.store, target, (await this.#sized(provider, d)).actions);
      this.#d.log(`adopted ${providerName}/${d.name} (${d.uuid}): ${d.reason}`);
      return true;
    };
    // VMs are adopted a wave at a time: each VM's steps stay in order (its VirtualMachine first), while the store
    // commits the writes of a whole wave together instead of one fsync per write.
    const candidates = decisions.filter((x) => x.decision === "adopt");
    const adopted: AdoptionDecision[] = [];
    for (let i = 0; i < candidates.length; i += SCAN_WAVE) {
      const wave = candidates.slice(i, i + SCAN_WAVE);
      // Settled, not raced: a failure ends the scan only once the rest of its wave has finished.
      const done = await Promise.allSettled(wave.map(adoptOne));
      const failed = done.find((r) => r.status === "rejected");
      if (failed) throw failed.reason;
      adopted.push(...wave.filter((_, j) => done[j].status === "fulfilled" && done[j].value));
    }
    return adopted;
  }

  /** Labels and records the VMs a VMImport with adoption enabled created (they are managed already). */
  adoptImported(imp: VMImport, vmNames: string[]): Promise<string[]> {
    return this.#serially(() => this.#adoptImported(imp, vmNames));
  }

  async #adoptImported(imp: VMImport, vmNames: string[]): Promise<string[]> {
    const ns = imp.spec.target.namespace ?? imp.metadata.namespace ?? "default";
    const { target, decisions } = await this.#survey(providerKey(imp.spec.target.providerRef, imp.metadata.namespace ?? "default").namespace, imp.spec.target.providerRef.name, []);
    const done: string[] = [];
    for (const name of vmNames) {
      const vm = await this.#d.store.get<VirtualMachine>("VirtualMachine", ns, name).catch(() => undefined);
      const d = vm?.status?.providerID ? decisions.find((x) => x.uuid === vm.status?.providerID) : undefined;
      if (!vm || !d || d.decision === "ignore") continue;
      if (d.actions.length > 0) await executeAdoption(this.#d.store, target, d.actions);
      await labelVirtualMachine(this.#d.store, ns, name, adoptionLabels(this.#d.conventions, d.plan ?? imp.metadata.name));
      done.push(name);
    }
    return done;
  }

  /** Removes labels, the tracking ConfigMap and the VirtualMachine (orphan): the VM keeps running, untouched. */
  unadopt(namespace: string, name: string): Promise<{ uuid: string; actions: number }> {
    return this.#serially(() => this.#unadopt(namespace, name));
  }

  async #unadopt(namespace: string, name: string): Promise<{ uuid: string; actions: number }> {
    const vm = await this.#d.store.get<VirtualMachine>("VirtualMachine", namespace, name);
    // Un-adopting rewrites the domain's labels through the Provider: only while it is open to this namespace.
    const refused = await providerTenancyRefusal(this.#d.store, vm);
    if (refused) throw new ApiError("Forbidden", `cannot unadopt VirtualMachine "${namespace}/${name}": ${refused.message}`);
    const k = keys(this.#d.conventions);
    if (vm.metadata.labels?.[k.adopted] !== "true") throw new ApiError("Conflict", `VirtualMachine "${namespace}/${name}" is not adopted (no ${k.adopted}=true label)`);
    const uuid = vm.status?.providerID ?? vm.spec.uuid;
    if (!uuid) throw new ApiError("Conflict", `VirtualMachine "${namespace}/${name}" has no domain identity (status.providerID)`);
    const { client: target } = await this.#d.clients.targetByRef(vm.spec.providerRef, namespace);
    const live = await target.getVM({ uuid });
    const configMap = await this.#d.store.get<ConfigMap>("ConfigMap", namespace, adoptionConfigMapName(name)).catch(() => undefined);
    const actions = live
      ? unadoptActions({ conventions: this.#d.conventions, live, virtualMachine: vm, configMap })
      : unadoptActions({ conventions: this.#d.conventions, live: { uuid, labels: {} } as TargetVM, virtualMachine: vm, configMap });
    await executeAdoption(this.#d.store, target, actions);
    this.#d.log(`unadopted ${namespace}/${name} (${uuid}); the VM was left running and untouched`);
    return { uuid, actions: actions.length };
  }
}
