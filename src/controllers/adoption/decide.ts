// Adoption decisions: which live VMs on a target provider landfall brings under management, and how. Pure: the
// caller lists the world (live VMs, VirtualMachines, VMImports, ConfigMaps, requests), executes the actions.
//
// Rules (DESIGN.md "Adoption semantics"):
// - identity is the domain UUID (`status.providerID`), never the name alone;
// - a namespace is never inferred from a name: an unclaimed VM adopted on request lands in its Provider's namespace;
//   a VM claimed by a plan lands in the plan's target namespace, and only when the plan targets this Provider, the
//   Provider is open to the plan's namespaces (tenancy), the plan lists the VM and has adoption enabled — a plan
//   label is a claim anyone can write;
// - VMs landfall created through a VMImport with adoption enabled are managed already: labels + ConfigMap only;
//   VMs other tools created also get a mirroring VirtualMachine (`importedDisk.source: import`);
// - a second pass over the executed result yields no actions.
import type { ConfigMap } from "../../api/configmap.ts";
import { adoptionConfigMapName, type Conventions, keys, MANAGED_BY, targetNameFor } from "../../api/conventions.ts";
import type { Provider } from "../../api/provider.ts";
import { providerKey } from "../provider/ref.ts";
import { isOpenTo, tenancyRefusal } from "../provider/tenancy.ts";
import type { DataDisk, DiskFormat, VirtualMachine } from "../../api/virtualmachine.ts";
import type { VMImport } from "../../api/vmimport.ts";
import type { TargetVM } from "../../providers/contract.ts";

export type AdoptionAction =
  | { type: "set-labels"; uuid: string; labels: Record<string, string | null> }
  | { type: "create-configmap"; configMap: ConfigMap }
  | { type: "create-virtualmachine"; virtualMachine: VirtualMachine }
  | { type: "delete-configmap"; namespace: string; name: string }
  /** Forget the VirtualMachine resource and leave the VM running and untouched (`delete --cascade=orphan`). */
  | { type: "orphan-virtualmachine"; namespace: string; name: string };

export interface AdoptionDecision {
  uuid: string;
  /** The live VM's name on the provider. */
  name: string;
  decision: "adopt" | "already-adopted" | "ignore";
  reason: string;
  /** Set when the VM is left alone because tenancy forbids it (an explicit request answers 403). */
  forbidden?: true;
  /** The plan (VMImport or Forklift Plan name) the VM is adopted for. */
  plan?: string;
  actions: AdoptionAction[];
}

/** An explicit `landfall adopt PROVIDER/VM`: by UUID, or by a name that must match exactly one live VM. */
export interface AdoptionRequest {
  uuid?: string;
  name?: string;
  /** Recorded as `<prefix>/original-plan`; defaults to "manual". */
  plan?: string;
}

/** Where a live VM belongs in landfall: its namespace and the VirtualMachine name it would get. */
export interface LiveLocation {
  namespace: string;
  name: string;
}

export interface AdoptionInput {
  conventions: Conventions;
  /** The target Provider the live VMs were listed from. */
  provider: Provider;
  liveVMs: TargetVM[];
  /** VirtualMachines landfall manages (any namespace); matched to live VMs by `status.providerID`. */
  managed: VirtualMachine[];
  imports: VMImport[];
  /** Forklift Plans seen on a KubeVirt target, converted with planFromForkliftPlan. */
  forkliftPlans?: AdoptionPlan[];
  configMaps: ConfigMap[];
  requests?: AdoptionRequest[];
  /** Source Providers, to name `sourceType` in the ConfigMap (vsphere → vmware). */
  sourceProviders?: Provider[];
  /** ISO timestamp written as `adoptedAt`. */
  now: string;
}

/**
 * A live VM adopted into `namespace` (decided elsewhere, never from its name): named after its domain name without
 * that namespace's `<namespace>--` prefix (landfall's own domain naming, so `ns/web01` keeps domain `ns--web01`),
 * else after its whole domain name made DNS-1123.
 */
export function adoptedLocation(vm: TargetVM, namespace: string): LiveLocation {
  const prefix = `${namespace}--`;
  return { namespace, name: targetNameFor(vm.name.startsWith(prefix) && vm.name.length > prefix.length ? vm.name.slice(prefix.length) : vm.name) };
}

/** The labels an adopted VM (and its VirtualMachine) carries. */
export function adoptionLabels(conventions: Conventions, plan: string): Record<string, string> {
  const k = keys(conventions);
  return {
    [k.adopted]: "true",
    [k.source]: "vm-import",
    [k.originalPlan]: labelValue(plan),
    [MANAGED_BY]: conventions.manager,
  };
}

export interface AdoptionRecord {
  vmName: string;
  namespace: string;
  sourcePlan: string;
  sourceType: string;
  adoptedAt: string;
  managementEndpoint: string;
}

/** The tracking ConfigMap `vm-adopted-<vm>`; it outlives the import (nothing owns it). */
export function adoptionConfigMap(conventions: Conventions, r: AdoptionRecord): ConfigMap {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: adoptionConfigMapName(r.vmName),
      namespace: r.namespace,
      labels: { [keys(conventions).type]: "adopted-vm", [MANAGED_BY]: conventions.manager },
    },
    data: {
      vmName: r.vmName,
      sourcePlan: r.sourcePlan,
      sourceType: r.sourceType,
      adoptedAt: r.adoptedAt,
      managementEndpoint: r.managementEndpoint,
    },
  };
}

const DISK_FORMATS: readonly string[] = ["qcow2", "vmdk", "raw", "vdi", "vhdx"];
const NIC_MODELS: readonly string[] = ["virtio", "e1000", "e1000e", "rtl8139"];

/** A disk id from a volume's file name: `/pool/web01-disk0.qcow2` → `web01-disk0`. */
export function diskIDFromPath(path: string): string {
  const base = path.split("/").pop() ?? path;
  const stem = base.replace(/\.(qcow2|vmdk|raw|img|vdi|vhdx)$/i, "");
  return stem.replace(/^[^A-Za-z0-9]+/, "").replace(/[^-A-Za-z0-9_.]/g, "-") || "disk";
}

function diskFormat(format: string): DiskFormat | undefined {
  return DISK_FORMATS.includes(format) ? (format as DiskFormat) : undefined;
}

/**
 * A VirtualMachine whose spec says exactly what the live VM is, so reconciling it changes nothing: same disks
 * (paths and formats, never copied), CPUs, memory, firmware, bus, NICs with their MACs and the run state.
 * `status.providerID` carries the identity; the executor writes it with the status subresource.
 */
export function mirrorVirtualMachine(
  conventions: Conventions,
  live: TargetVM,
  target: { providerName: string; providerNamespace: string; namespace: string; name: string; plan?: string },
): VirtualMachine {
  // CD-ROMs and other read-only media are not disks the VM owns.
  const disks = live.disks.filter((d) => !d.readonly);
  const boot = disks[0];
  if (!boot) throw new Error(`VM "${live.name}" (${live.uuid}) has no writable disk; nothing to mirror as importedDisk`);
  const dataDisks: DataDisk[] = disks.slice(1).map((d) => {
    const format = diskFormat(d.format);
    return { diskID: diskIDFromPath(d.path), path: d.path, ...(format ? { format } : {}) };
  });
  const bootFormat = diskFormat(boot.format);
  const bus = boot.bus === "ide" ? undefined : boot.bus;
  const k = keys(conventions);
  return {
    apiVersion: "landfall.dev/v1beta1",
    kind: "VirtualMachine",
    metadata: {
      name: target.name,
      namespace: target.namespace,
      labels: adoptionLabels(conventions, target.plan ?? "manual"),
      annotations: { [k.importedDiskID]: diskIDFromPath(boot.path) },
    },
    spec: {
      providerRef: { name: target.providerName, ...(target.providerNamespace === target.namespace ? {} : { namespace: target.providerNamespace }) },
      importedDisk: {
        diskID: diskIDFromPath(boot.path),
        path: boot.path,
        ...(bootFormat ? { format: bootFormat } : {}),
        source: "import",
      },
      ...(dataDisks.length ? { dataDisks } : {}),
      cpus: live.cpus,
      memoryMiB: live.memoryMiB,
      firmware: live.firmware,
      ...(bus ? { diskBus: bus } : {}),
      networks: live.nics.map((n) => ({
        name: n.network,
        ...(n.macAddress ? { macAddress: n.macAddress.toLowerCase() } : {}),
        ...(NIC_MODELS.includes(n.model) ? { model: n.model as "virtio" } : {}),
      })),
      ...powerStateOf(live),
      // Identity by UUID: the VirtualMachine controller finds this very domain, never defines a new one.
      uuid: live.uuid.toLowerCase(),
    },
    status: { providerID: live.uuid, domainName: live.name, phase: live.state === "running" ? "Running" : "Stopped" },
  };
}

function powerStateOf(live: TargetVM): { powerState?: "On" | "Off" } {
  // A paused domain is still an active one: saying Off would make the reconciler shut it down.
  if (live.state === "running" || live.state === "paused") return { powerState: "On" };
  if (live.state === "unknown") return {};
  return { powerState: "Off" };
}

const SOURCE_TYPES: Record<string, string> = { vsphere: "vmware", proxmox: "proxmox", libvirt: "libvirt", kubevirt: "kubevirt" };

/**
 * A plan VMs may be adopted for: a landfall VMImport, or a Forklift Plan seen on a KubeVirt target (converted with
 * planFromForkliftPlan by the provider that lists it).
 */
export interface AdoptionPlan {
  kind: "VMImport" | "Plan";
  name: string;
  uid?: string;
  namespace: string;
  targetNamespace: string;
  /** The target Provider the plan sends VMs to; undefined for a Forklift Plan (the cluster it runs in). */
  targetProvider?: { namespace: string; name: string };
  adoptionEnabled: boolean;
  sourceProvider?: string;
  /** Source VMs the plan lists (and, for a VMImport, the target names it gives them). */
  vms: Array<{ id?: string; name?: string }>;
  /** VirtualMachines the plan created itself (a VMImport's status.vms[].targetName in its target namespace). */
  created: LiveLocation[];
}

export function planFromVMImport(vmi: VMImport): AdoptionPlan {
  const namespace = vmi.metadata.namespace ?? "default";
  const targetNamespace = vmi.spec.target.namespace ?? namespace;
  const status = vmi.status?.vms ?? [];
  return {
    kind: "VMImport",
    name: vmi.metadata.name,
    uid: vmi.metadata.uid,
    namespace,
    targetNamespace,
    targetProvider: { namespace: providerKey(vmi.spec.target.providerRef, namespace).namespace, name: vmi.spec.target.providerRef.name },
    adoptionEnabled: vmi.spec.adoption?.enabled ?? true,
    sourceProvider: vmi.spec.source.providerRef.name,
    vms: [
      ...vmi.spec.vms.map((v) => ({ id: v.id, name: v.name })),
      ...status.map((v) => ({ id: v.id, name: v.name })),
      ...status.map((v) => ({ name: v.targetName })),
    ],
    created: status.filter((v) => v.migration).map((v) => ({ namespace: targetNamespace, name: v.targetName })),
  };
}

const ADOPTION_ENABLED = "vm-import.cozystack.io/adoption-enabled";
const TARGET_NAMESPACE = "vm-import.cozystack.io/target-namespace";

/** A forklift.konveyor.io Plan as a KubeVirt provider lists it (only the fields adoption reads). */
export interface ForkliftPlanObject {
  metadata: { name: string; namespace?: string; uid?: string; annotations?: Record<string, string> };
  spec: { targetNamespace?: string; vms?: Array<{ id?: string; name?: string }>; provider?: { source?: { name?: string } } };
}

/** Without Cozystack's annotation a Plan was not made for adoption: adopt only when it says "true". */
export function planFromForkliftPlan(plan: ForkliftPlanObject): AdoptionPlan {
  const namespace = plan.metadata.namespace ?? "default";
  const a = plan.metadata.annotations ?? {};
  return {
    kind: "Plan",
    name: plan.metadata.name,
    uid: plan.metadata.uid,
    namespace,
    targetNamespace: plan.spec.targetNamespace ?? a[TARGET_NAMESPACE] ?? namespace,
    adoptionEnabled: a[ADOPTION_ENABLED] === "true",
    sourceProvider: plan.spec.provider?.source?.name,
    vms: (plan.spec.vms ?? []).map((v) => ({ id: v.id, name: v.name })),
    created: [],
  };
}

/** Labels Forklift puts on the KubeVirt VMs it creates: the design note's, and released Forklift's (plan = Plan UID). */
export const FORKLIFT_LABELS = {
  planName: "forklift.konveyor.io/plan",
  vmName: "forklift.konveyor.io/vm-name",
  planUID: "plan",
  migration: "migration",
  vmID: "vmID",
} as const;

/** What a VM's labels claim about the plan that made it. Every field is a claim to verify, not a fact. */
export interface PlanClaim {
  planName?: string;
  planUID?: string;
  vmID?: string;
  vmName?: string;
  migration?: string;
}

/** Recognises a Forklift-created VM by its labels; undefined when it carries none. */
export function forkliftClaim(labels: Record<string, string>): PlanClaim | undefined {
  const planName = labels[FORKLIFT_LABELS.planName];
  const planUID = labels[FORKLIFT_LABELS.planUID];
  if (!planName && !planUID) return undefined;
  const claim: PlanClaim = { planName, planUID, vmID: labels[FORKLIFT_LABELS.vmID], vmName: labels[FORKLIFT_LABELS.vmName], migration: labels[FORKLIFT_LABELS.migration] };
  return Object.fromEntries(Object.entries(claim).filter(([, v]) => v !== undefined)) as PlanClaim;
}

/** A plan claim from Forklift's labels or landfall's own (`<prefix>/vm-import`, `<prefix>/original-plan`). */
function claimedPlanOf(labels: Record<string, string>, conventions: Conventions): PlanClaim | undefined {
  const forklift = forkliftClaim(labels);
  if (forklift) return forklift;
  const k = keys(conventions);
  const planName = labels[k.vmImport] ?? labels[k.originalPlan];
  return planName ? { planName } : undefined;
}

const providerIdentity = (p: Provider) => ({ namespace: p.metadata.namespace ?? "default", name: p.metadata.name });

/** Why tenancy forbids `provider` for VMs of a plan (own and target namespace), or undefined when it allows it. */
function planTenancyRefusal(provider: Provider, plan: AdoptionPlan): string | undefined {
  const p = providerIdentity(provider);
  const refusal = tenancyRefusal(
    {
      namespaces: [
        { field: "metadata.namespace", namespace: plan.namespace },
        { field: "spec.target.namespace", namespace: plan.targetNamespace },
      ],
      providers: [{ field: "spec.target.providerRef", ref: { name: p.name }, namespace: p.namespace }],
    },
    () => provider,
  );
  return refusal && `${plan.kind} ${plan.namespace}/${plan.name}: ${refusal.message}`;
}

/**
 * Verifies a claim: the plan exists, targets this Provider, lists the VM, allows adoption, and tenancy lets the
 * Provider serve the plan's namespaces. The VM then lands in the plan's target namespace.
 */
function planAdmits(plans: AdoptionPlan[], claim: PlanClaim, live: TargetVM, provider: Provider): { plan?: AdoptionPlan; at?: LiveLocation; reason: string; forbidden?: true } {
  const named = claim.planUID ? `plan UID ${claim.planUID}` : `plan "${claim.planName}"`;
  const candidates = plans.filter((p) => (claim.planUID ? p.uid === claim.planUID : p.name === claim.planName));
  if (!candidates.length) return { reason: `claims ${named}, which does not exist` };
  const here = providerIdentity(provider);
  const local = candidates.filter((p) => !p.targetProvider || (p.targetProvider.namespace === here.namespace && p.targetProvider.name === here.name));
  if (!local.length) {
    const where = candidates.map((p) => `${p.namespace}/${p.name} → ${p.targetProvider?.namespace}/${p.targetProvider?.name}`).join(", ");
    return { reason: `claims ${named} (${where}), which does not target Provider "${here.namespace}/${here.name}": a plan label is a claim anyone can write` };
  }
  const listing = local.filter((p) => {
    const { ids, names } = listedVMs(p);
    return (claim.vmID && ids.has(claim.vmID)) || (claim.vmName && names.has(claim.vmName)) || (p.kind === "VMImport" && names.has(adoptedLocation(live, p.targetNamespace).name));
  });
  const [listed] = listing;
  if (!listed) return { reason: `claims ${named}, which does not list it (vmID ${claim.vmID ?? "-"}, name ${claim.vmName ?? live.name})` };
  // Plan names repeat across namespaces: a claim by name that several plans could satisfy decides no namespace.
  if (listing.length > 1) {
    return { reason: `claims ${named}, which ${listing.map((p) => `${p.kind} ${p.namespace}/${p.name}`).join(" and ")} all list; adopt it explicitly (landfall adopt) into the right namespace` };
  }
  if (!listed.adoptionEnabled) return { reason: `${listed.kind} ${listed.namespace}/${listed.name} has adoption disabled` };
  const refused = planTenancyRefusal(provider, listed);
  if (refused) return { reason: refused, forbidden: true };
  const at = adoptedLocation(live, listed.targetNamespace);
  return { plan: listed, at, reason: `listed in ${listed.kind} ${listed.namespace}/${listed.name}; adopted into its target namespace ${at.namespace}` };
}

const locationKey = (namespace: string, name: string) => `${namespace}/${name}`;

/** The first of `items` at each namespace/name (what a linear find would return), for lookups in a fleet. */
function byLocation<T extends { metadata: { namespace?: string; name: string } }>(items: readonly T[]): Map<string, T> {
  const at = new Map<string, T>();
  for (const item of items) {
    const key = locationKey(item.metadata.namespace ?? "default", item.metadata.name);
    if (!at.has(key)) at.set(key, item);
  }
  return at;
}

interface AdoptionIndex {
  managedAt: Map<string, VirtualMachine>;
  configMapsAt: Map<string, ConfigMap>;
}

// Lookups per live VM over every managed VM and record made deciding a fleet of 10,000 quadratic: index once.
const indexes = new WeakMap<AdoptionInput, AdoptionIndex>();
function indexOf(input: AdoptionInput): AdoptionIndex {
  let index = indexes.get(input);
  if (!index) {
    index = { managedAt: byLocation(input.managed), configMapsAt: byLocation(input.configMaps) };
    indexes.set(input, index);
  }
  return index;
}

const planListings = new WeakMap<AdoptionPlan, { ids: Set<string>; names: Set<string> }>();
function listedVMs(plan: AdoptionPlan): { ids: Set<string>; names: Set<string> } {
  let listed = planListings.get(plan);
  if (!listed) {
    listed = { ids: new Set(plan.vms.flatMap((v) => (v.id ? [v.id] : []))), names: new Set(plan.vms.flatMap((v) => (v.name ? [v.name] : []))) };
    planListings.set(plan, listed);
  }
  return listed;
}

/** Decides, for every live VM, whether to adopt it, whether it is adopted already, or why it is left alone. */
export function decideAdoption(input: AdoptionInput): AdoptionDecision[] {
  const plans = [...input.imports.map(planFromVMImport), ...(input.forkliftPlans ?? [])];
  const here = providerIdentity(input.provider);
  const onThisProvider = (vm: VirtualMachine) =>
    vm.spec.providerRef.name === here.name && providerKey(vm.spec.providerRef, vm.metadata.namespace ?? "default").namespace === here.namespace;
  const byUUID = new Map<string, VirtualMachine>();
  for (const vm of input.managed) {
    if (vm.status?.providerID && onThisProvider(vm)) byUUID.set(vm.status.providerID, vm);
  }
  return input.liveVMs.map((live) => {
    const managed = byUUID.get(live.uuid);
    if (managed) return decideManaged(input, plans, live, managed);
    return decideForeign(input, plans, live);
  });
}

/** A live VM landfall already has a VirtualMachine for (matched by UUID). */
function decideManaged(input: AdoptionInput, plans: AdoptionPlan[], live: TargetVM, vm: VirtualMachine): AdoptionDecision {
  const k = keys(input.conventions);
  const base = { uuid: live.uuid, name: live.name };
  const ns = vm.metadata.namespace ?? "default";
  // Being deleted (an unadopt orphans it, then its finalizer is released): its records were removed on purpose.
  // "Repairing" them in between put the adoption labels back on a domain just unadopted.
  if (vm.metadata.deletionTimestamp) {
    return { ...base, decision: "ignore", reason: `VirtualMachine ${ns}/${vm.metadata.name} is being deleted; its adoption records are not repaired`, actions: [] };
  }
  const createdBy = plans.find((p) => p.kind === "VMImport" && p.created.some((c) => c.namespace === ns && c.name === vm.metadata.name));
  // An earlier adoption (a mirror) carries its plan in its own labels, which landfall wrote.
  const plan = createdBy?.name ?? (vm.metadata.labels?.[k.adopted] === "true" ? vm.metadata.labels?.[k.originalPlan] : undefined);
  if (!plan) return { ...base, decision: "ignore", reason: `managed by landfall as VirtualMachine ${ns}/${vm.metadata.name}; not an import`, actions: [] };
  if (createdBy && !createdBy.adoptionEnabled) {
    return { ...base, decision: "ignore", reason: `VMImport ${createdBy.namespace}/${createdBy.name} has adoption disabled`, actions: [] };
  }
  const sourceType = createdBy ? sourceTypeOf(input, createdBy.sourceProvider) : (configMapFor(input, ns, vm.metadata.name)?.data?.sourceType ?? "unknown");
  const actions = missingRecords(input, live, { namespace: ns, name: vm.metadata.name }, plan, sourceType);
  if (actions.length === 0) return { ...base, decision: "already-adopted", reason: `adopted for ${plan} as VirtualMachine ${ns}/${vm.metadata.name}`, plan, actions };
  const why = createdBy ? `created by VMImport ${createdBy.namespace}/${createdBy.name} with adoption enabled` : `repairing adoption records for ${plan}`;
  return { ...base, decision: "adopt", reason: why, plan, actions };
}

/** A live VM landfall does not manage: adopt it only for a verified plan claim or an explicit request. */
function decideForeign(input: AdoptionInput, plans: AdoptionPlan[], live: TargetVM): AdoptionDecision {
  const base = { uuid: live.uuid, name: live.name };
  const request = requestFor(input, live);
  const here = providerIdentity(input.provider);
  let plan: string | undefined;
  let sourceType = "unknown";
  let reason: string;
  let at: LiveLocation;
  if (request && "ambiguous" in request) {
    return { ...base, decision: "ignore", reason: request.ambiguous, actions: [] };
  }
  if (request) {
    if (!isOpenTo(input.provider, here.namespace)) {
      const reason = `Provider "${here.namespace}/${here.name}" is not open to its own namespace "${here.namespace}" (spec.tenants lists ${(input.provider.spec.tenants ?? []).join(", ")}): an unclaimed VM adopted from it would land there`;
      return { ...base, decision: "ignore", reason, forbidden: true, actions: [] };
    }
    plan = request.plan ?? "manual";
    at = adoptedLocation(live, here.namespace);
    reason = `explicit adoption request for ${request.uuid ? `UUID ${request.uuid}` : `name "${request.name}"`}; adopted into the Provider's namespace ${here.namespace}`;
  } else {
    const claim = claimedPlanOf(live.labels, input.conventions);
    if (!claim) return { ...base, decision: "ignore", reason: "not managed, no plan claim and no adoption request", actions: [] };
    const verdict = planAdmits(plans, claim, live, input.provider);
    if (!verdict.plan || !verdict.at) return { ...base, decision: "ignore", reason: verdict.reason, ...(verdict.forbidden ? { forbidden: true as const } : {}), actions: [] };
    plan = verdict.plan.name;
    at = verdict.at;
    sourceType = sourceTypeOf(input, verdict.plan.sourceProvider);
    reason = verdict.reason;
  }
  const clash = indexOf(input).managedAt.get(locationKey(at.namespace, at.name));
  if (clash) {
    return {
      ...base,
      decision: "ignore",
      reason: `VirtualMachine ${at.namespace}/${at.name} already exists for UUID ${clash.status?.providerID ?? "(none)"}; a VM is never matched by name — rename one of them to adopt this VM`,
      actions: [],
    };
  }
  if (!live.disks.some((d) => !d.readonly)) return { ...base, decision: "ignore", reason: "has no writable disk to mirror", actions: [] };
  const mirror = mirrorVirtualMachine(input.conventions, live, { providerName: here.name, providerNamespace: here.namespace, ...at, plan });
  const actions: AdoptionAction[] = [
    ...missingRecords(input, live, at, plan, sourceType),
    { type: "create-virtualmachine", virtualMachine: mirror },
  ];
  return { ...base, decision: "adopt", reason, plan, actions };
}

/** Labels and ConfigMap that are not yet in place (empty when adoption is complete). */
function missingRecords(input: AdoptionInput, live: TargetVM, at: LiveLocation, plan: string, sourceType: string): AdoptionAction[] {
  const actions: AdoptionAction[] = [];
  const want = adoptionLabels(input.conventions, plan);
  const missing = Object.entries(want).filter(([key, value]) => live.labels[key] !== value);
  if (missing.length) actions.push({ type: "set-labels", uuid: live.uuid, labels: Object.fromEntries(missing) });
  if (!configMapFor(input, at.namespace, at.name)) {
    const configMap = adoptionConfigMap(input.conventions, {
      vmName: at.name,
      namespace: at.namespace,
      sourcePlan: plan,
      sourceType,
      adoptedAt: input.now,
      managementEndpoint: input.conventions.managementEndpoint,
    });
    actions.push({ type: "create-configmap", configMap });
  }
  return actions;
}

function configMapFor(input: AdoptionInput, namespace: string, vmName: string): ConfigMap | undefined {
  return indexOf(input).configMapsAt.get(locationKey(namespace, adoptionConfigMapName(vmName)));
}

function requestFor(input: AdoptionInput, live: TargetVM): AdoptionRequest | { ambiguous: string } | undefined {
  for (const r of input.requests ?? []) {
    if (r.uuid) {
      if (r.uuid === live.uuid) return r;
      continue;
    }
    if (r.name && r.name === live.name) {
      const same = input.liveVMs.filter((v) => v.name === r.name);
      if (same.length > 1) return { ambiguous: `adoption request names "${r.name}", which ${same.length} VMs share; request it by UUID` };
      return r;
    }
  }
  return undefined;
}

function sourceTypeOf(input: AdoptionInput, providerName: string | undefined): string {
  const p = input.sourceProviders?.find((s) => s.metadata.name === providerName);
  return p ? (SOURCE_TYPES[p.spec.type] ?? p.spec.type) : "unknown";
}

function labelValue(v: string): string {
  return v.replace(/[^-A-Za-z0-9_.]/g, "-").slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "") || "manual";
}

export interface UnadoptInput {
  conventions: Conventions;
  live: TargetVM;
  virtualMachine?: VirtualMachine;
  configMap?: ConfigMap;
}

/**
 * Undoes an adoption and nothing more: removes the adoption labels, the tracking ConfigMap and forgets the
 * VirtualMachine with orphan semantics. Never a power action, a domain deletion or a disk deletion.
 */
export function unadoptActions(input: UnadoptInput): AdoptionAction[] {
  const actions: AdoptionAction[] = [];
  const present = Object.keys(adoptionLabels(input.conventions, "x")).filter((key) => key in input.live.labels);
  if (present.length) actions.push({ type: "set-labels", uuid: input.live.uuid, labels: Object.fromEntries(present.map((key) => [key, null])) });
  if (input.configMap) {
    actions.push({ type: "delete-configmap", namespace: input.configMap.metadata.namespace ?? "default", name: input.configMap.metadata.name });
  }
  if (input.virtualMachine) {
    const vm = input.virtualMachine;
    actions.push({ type: "orphan-virtualmachine", namespace: vm.metadata.namespace ?? "default", name: vm.metadata.name });
  }
  return actions;
}
