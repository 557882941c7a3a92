// VirtualMachine reconcile: observe (store, provider, disks), decide (decide.ts), act, write status.
import { providerKey } from "../provider/ref.ts";
import { stat } from "node:fs/promises";
import { type Conventions, keys } from "../../api/conventions.ts";
import { ApiError } from "../../api/errors.ts";
import type { Provider } from "../../api/provider.ts";
import type { VirtualMachine, VirtualMachineStatus } from "../../api/virtualmachine.ts";
import type { VMImage } from "../../api/vmimage.ts";
import type { TargetProvider, TargetVM } from "../../providers/contract.ts";
import type { EventSink } from "../../runtime/events.ts";
import { type ConditionUpdate, setCondition as setConditionIn } from "../../runtime/conditions.ts";
import { addFinalizer, removeFinalizer } from "../../runtime/finalizers.ts";
import { patchObject, patchStatus } from "../../runtime/status.ts";
import type { ResourceStore } from "../../store/types.ts";
import type { ProviderClients } from "../provider/clients.ts";
import { providerTenancyRefusal } from "../provider/tenancy-lookup.ts";
import { decideVM, needsFinalizer, OWNER_UID_LABEL, restartRequired, domainNameFor, domainUUIDFor, type PlannedDisk, phaseFor, shutdownGraceFor, VM_FINALIZER, type VMAction, type VMObservation, wantsRunning } from "./decide.ts";
import { confineImageChain } from "../../disk/backing-chain.ts";
import { providerStorageRoots } from "../../disk/confinement.ts";
import { AGENT_TIMEOUT_MS, agentCheckFor, agentRequeueMs, guestStatusFrom } from "./guest-agent.ts";

export interface VMReconcilerDeps {
  store: ResourceStore;
  clients: ProviderClients;
  conventions: Conventions;
  /** Guest-visible sha256 of an image ("sha256:<hex>"), recorded once for disks that arrive without one. */
  imageSha256: (path: string, format: string) => Promise<string>;
  /** Virtual size of an image in bytes. */
  /** Virtual size of an image of a known format (never guessed: a raw guest disk may carry a qcow2 header). */
  virtualSize: (path: string, format: string) => Promise<number>;
  log: (msg: string, fields?: Record<string, unknown>) => void;
  events?: EventSink;
}

export interface ReconcileResult {
  requeueAfterMs?: number;
}

const GiB = 2 ** 30;
const SHUTDOWN_POLL_MS = 5_000;

export function virtualMachineReconciler(deps: VMReconcilerDeps) {
  return async function reconcile(key: { namespace: string; name: string }): Promise<ReconcileResult | undefined> {
    let vm: VirtualMachine;
    try {
      vm = await deps.store.get<VirtualMachine>("VirtualMachine", key.namespace, key.name);
    } catch (err) {
      if (err instanceof ApiError && err.reason === "NotFound") return undefined;
      throw err;
    }
    if (needsFinalizer(vm)) vm = await patchObject<VirtualMachine>(deps.store, "VirtualMachine", key.namespace, key.name, (o) => addFinalizer(o, VM_FINALIZER));
    const obs = await observe(deps, vm);
    const actions = decideVM(obs);
    const result = await act(deps, vm, obs, actions);
    return result;
  };
}

async function observe(deps: VMReconcilerDeps, vm: VirtualMachine): Promise<VMObservation & { target?: TargetProvider }> {
  const ns = vm.metadata.namespace ?? "default";
  const base: VMObservation & { target?: TargetProvider } = {
    vm,
    now: Date.now(),
    providerReady: false,
    diskProblems: [],
    disks: [],
    domainName: domainNameFor(vm),
  };
  const ref = providerKey(vm.spec.providerRef, ns);
  let provider: Provider;
  try {
    provider = await deps.store.get<Provider>("Provider", ref.namespace, ref.name);
  } catch (err) {
    if (err instanceof ApiError && err.reason === "NotFound") {
      return { ...base, providerMissing: true, providerMessage: `spec.providerRef: Provider "${ref.name}" not found in namespace "${ref.namespace}"; create it and this VirtualMachine is reconciled at once` };
    }
    throw err;
  }
  // Before the Provider is contacted; on deletion nothing is observed either, so the domain is left untouched.
  const refused = await providerTenancyRefusal(deps.store, vm);
  if (refused) return { ...base, tenancyRefusal: refused.message };
  let target: TargetProvider;
  try {
    target = await deps.clients.target(provider);
  } catch (err) {
    return { ...base, providerMessage: (err as Error).message };
  }
  const health = await target.check();
  if (!health.ready) return { ...base, target, providerMessage: `Provider "${provider.metadata.name}": ${health.reason}: ${health.message}` };
  const storage = await target.ensureStorage();
  const roots = providerStorageRoots(storage, provider.spec);
  // The whole chain of every disk is judged before anything reads, hashes, grows or defines it.
  const confine = (field: string, written: string, format: string) =>
    confineImageChain(field, written, format, roots).catch((err: Error) => ({ ok: false, resolved: written, message: `${field} "${written}": ${err.message}`, files: [] }));
  const bus = vm.spec.diskBus ?? "virtio";
  const problems: string[] = [];
  const disks: PlannedDisk[] = [];

  const planFile = async (field: string, diskID: string, path: string | undefined, format: string, sizeGiB?: number) => {
    if (target.describeVolume) {
      // Volumes that are not local files (KubeVirt DataVolumes): the target says what exists; nothing is read here.
      const volume = await target.describeVolume(path ?? diskID);
      disks.push({ diskID, path: volume?.path ?? path ?? diskID, format: volume?.format ?? format, bus, exists: Boolean(volume) });
      return;
    }
    const written = path ?? `${storage.path}/${diskID}.${format}`;
    const conf = await confine(field, written, format);
    if (!conf.ok) {
      problems.push(conf.message as string);
      return;
    }
    const exists = await stat(conf.resolved).then((s) => s.isFile(), () => false);
    const disk: PlannedDisk = { diskID, path: conf.resolved, format, bus, exists };
    if (sizeGiB !== undefined) disk.sizeBytes = sizeGiB * GiB;
    if (exists && sizeGiB !== undefined) disk.virtualSizeBytes = await deps.virtualSize(conf.resolved, format);
    disks.push(disk);
  };

  if (vm.spec.importedDisk) {
    const d = vm.spec.importedDisk;
    await planFile("spec.importedDisk.path", d.diskID, d.path, d.format ?? "qcow2", d.sizeGiB);
  } else if (vm.spec.imageRef) {
    try {
      const image = await deps.store.get<VMImage>("VMImage", ns, vm.spec.imageRef.name);
      const conf = await confine(`VMImage "${image.metadata.name}" spec.path`, image.spec.path, image.spec.format ?? "qcow2");
      if (!conf.ok) problems.push(conf.message as string);
      else {
        const diskID = `${vm.metadata.name}-root-${(vm.metadata.uid as string).slice(0, 4)}`;
        // The overlay landfall made is judged like any disk: a file swapped in at its name must not lead out.
        const overlay = await confine(`overlay of VMImage "${image.metadata.name}"`, `${storage.path}/${diskID}.qcow2`, "qcow2");
        if (!overlay.ok) problems.push(overlay.message as string);
        else {
          const exists = await stat(overlay.resolved).then(() => true, () => false);
          disks.push({ diskID, path: overlay.resolved, format: "qcow2", bus, exists, backing: { path: conf.resolved, format: image.spec.format ?? "qcow2" } });
        }
      }
    } catch (err) {
      if (err instanceof ApiError && err.reason === "NotFound") problems.push(`spec.imageRef: VMImage "${vm.spec.imageRef.name}" not found in namespace "${ns}"`);
      else throw err;
    }
  }
  for (const [i, d] of (vm.spec.dataDisks ?? []).entries()) {
    await planFile(`spec.dataDisks[${i}].path`, d.diskID, d.path, d.format ?? "qcow2", d.sizeGiB);
  }

  const domain = await target.getVM({ uuid: domainUUIDFor(vm) });
  const domainWithName = domain ? undefined : await target.getVM({ name: base.domainName });
  return { ...base, target, providerReady: true, diskProblems: problems, disks, domain, domainWithName };
}

async function act(deps: VMReconcilerDeps, vm: VirtualMachine, obs: VMObservation & { target?: TargetProvider }, actions: VMAction[]): Promise<ReconcileResult | undefined> {
  const ns = vm.metadata.namespace ?? "default";
  const target = obs.target;
  let domain: TargetVM | undefined = obs.domain;
  let failed: { reason: string; message: string } | undefined;
  let waiting: { reason: string; message: string } | undefined;
  let requeueAfterMs: number | undefined;
  let shutdownAsked = false;
  let restartAcknowledged: string | undefined;

  // The checksum of the disk as placed is stored before anything changes it (growDisk, the first boot) and
  // before the domain exists: a crash between define and the next status write would otherwise lose it.
  if (actions.some((a) => a.type === "defineDomain") && !vm.status?.diskInfo?.targetChecksum) {
    const checksum = await recordChecksum(deps, vm, obs.disks[0]);
    if (checksum) {
      await writeStatus(deps, vm, (s) => {
        s.diskInfo = { ...(s.diskInfo ?? {}), targetChecksum: checksum };
      });
    }
  }

  for (const a of actions) {
    switch (a.type) {
      case "removeFinalizer":
        await patchObject<VirtualMachine>(deps.store, "VirtualMachine", ns, vm.metadata.name, (o) => removeFinalizer(o, VM_FINALIZER));
        return undefined;
      case "deleteDomain":
        await target?.deleteVM(a.uuid, { keepDisks: a.keepDisks });
        deps.log(`vm ${ns}/${vm.metadata.name}: domain ${a.uuid} deleted (keepDisks=${a.keepDisks})`);
        deps.events?.record(vm, "Normal", "DomainDeleted", `domain ${a.uuid} deleted; disks ${a.keepDisks ? "kept" : "removed"}`);
        break;
      case "createOverlay":
        if (a.disk.backing) {
          await target?.createOverlay({ diskID: a.disk.diskID, backingPath: a.disk.backing.path, backingFormat: a.disk.backing.format });
        }
        break;
      case "growDisk":
        await target?.growDisk(a.disk.path, a.disk.format, a.disk.sizeBytes as number);
        break;
      case "defineDomain": {
        if (!target) break;
        domain = await target.createVM({ ...a.spec, annotations: provenanceOf(vm, deps.conventions) });
        deps.log(`vm ${ns}/${vm.metadata.name}: defined domain ${domain.name} (${domain.uuid})`);
        deps.events?.record(vm, "Normal", "DomainDefined", `defined domain ${domain.name} (${domain.uuid})`);
        await writeStatus(deps, vm, (s) => {
          s.providerID = domain?.uuid;
          s.domainName = domain?.name;
        });
        if (wantsRunning(vm)) {
          await target.setPower(domain.uuid, "start");
          domain = (await target.getVM({ uuid: domain.uuid })) ?? domain;
        }
        break;
      }
      case "setResources":
        await target?.setResources(a.uuid, { cpus: a.cpus, memoryMiB: a.memoryMiB });
        deps.events?.record(vm, "Normal", "ResourcesChanged", `domain ${a.uuid}: ${a.cpus} CPUs, ${a.memoryMiB} MiB`);
        domain = (await target?.getVM({ uuid: a.uuid })) ?? domain;
        break;
      case "releaseDomain":
        await target?.setLabels(a.uuid, { [OWNER_UID_LABEL]: null, "landfall.dev/namespace": null, "landfall.dev/name": null });
        break;
      case "claimDomain":
        await target?.setLabels(a.uuid, { [OWNER_UID_LABEL]: vm.metadata.uid as string, "landfall.dev/namespace": ns, "landfall.dev/name": vm.metadata.name });
        break;
      case "power":
        await target?.setPower(a.uuid, a.action);
        deps.events?.record(vm, "Normal", `Power${a.action[0].toUpperCase()}${a.action.slice(1)}`, `domain ${a.uuid}: ${a.action}`);
        if (a.action === "shutdown") {
          shutdownAsked = true;
          // Look again when the guest may have stopped, and no later than when its grace runs out.
          const grace = shutdownGraceFor(vm);
          requeueAfterMs = Math.min(SHUTDOWN_POLL_MS, "ms" in grace ? grace.ms + 100 : SHUTDOWN_POLL_MS);
        }
        domain = (await target?.getVM({ uuid: a.uuid })) ?? domain;
        break;
      case "acknowledgeRestart":
        restartAcknowledged = a.request;
        break;
      case "fail":
        failed = { reason: a.reason, message: a.message };
        deps.events?.record(vm, "Warning", a.reason, a.message);
        break;
      case "wait":
        waiting = { reason: a.reason, message: a.message };
        requeueAfterMs = a.requeueAfterMs;
        break;
    }
  }
  if (vm.metadata.deletionTimestamp) return requeueAfterMs === undefined ? undefined : { requeueAfterMs };

  const phase = phaseFor({ vm, domain }, Boolean(failed));
  const wants = wantsRunning(vm);
  // The guest agent, asked with a short bound and never holding up Ready (guest-agent.ts).
  const agentCheck = failed ? ({ type: "none" } as const) : agentCheckFor(vm, domain, obs.now);
  let guest: VirtualMachineStatus["guest"];
  if (agentCheck.type === "ask" && domain && target?.guestInfo) {
    const info = await target.guestInfo(domain.uuid, { timeoutMs: AGENT_TIMEOUT_MS }).catch(() => undefined);
    guest = guestStatusFrom(vm.status?.guest, info, new Date(obs.now).toISOString());
    const again = agentRequeueMs(agentCheck, Boolean(info));
    if (again !== undefined) requeueAfterMs = Math.min(requeueAfterMs ?? again, again);
  } else if (agentCheck.type === "giveUp") {
    guest = guestStatusFrom(vm.status?.guest, undefined, new Date(obs.now).toISOString(), agentCheck.message);
  } else if (agentCheck.type === "later") {
    requeueAfterMs = Math.min(requeueAfterMs ?? agentCheck.afterMs, agentCheck.afterMs);
  }
  const settled = domain && (wants ? domain.state === "running" : domain.state !== "running" && domain.state !== "paused");
  await writeStatus(deps, vm, (s) => {
    s.phase = waiting && !domain ? "Pending" : phase;
    if (domain) {
      s.providerID = domain.uuid;
      s.domainName = domain.name;
      s.powerState = domain.state;
      if (domain.consoleLog) s.consoleLog = domain.consoleLog;
      // A size measured at adoption stays with its volume (rendering for Cozystack needs it).
      const measured = new Map((s.disks ?? []).filter((x) => x.sizeBytes !== undefined).map((x) => [x.path, x.sizeBytes as number]));
      s.disks = domain.disks.map((d, i) => ({
        diskID: obs.disks[i]?.diskID ?? d.path.split("/").pop() ?? d.path,
        path: d.path,
        format: d.format,
        bus: d.bus,
        ...(measured.has(d.path) ? { sizeBytes: measured.get(d.path) } : {}),
      }));
    }
    const boot = obs.disks[0];
    if (boot) s.diskInfo = { ...(s.diskInfo ?? {}), targetFormat: boot.format, path: boot.path };
    if (vm.spec.importedDisk) s.importID = vm.spec.importedDisk.diskID;
    if (guest) s.guest = guest;
    const checksum = vm.metadata.annotations?.[keys(deps.conventions).diskChecksum];
    if (checksum && !s.diskInfo?.targetChecksum) s.diskInfo = { ...(s.diskInfo ?? {}), targetChecksum: checksum };
    s.observedGeneration = vm.metadata.generation;
    if (restartAcknowledged !== undefined) s.observedRestartRequest = restartAcknowledged;
    if (failed) {
      s.message = failed.message;
      setCondition(s, { type: "Ready", status: "False", reason: failed.reason, message: failed.message });
    } else if (waiting) {
      s.message = waiting.message;
      setCondition(s, { type: "Ready", status: "False", reason: waiting.reason, message: waiting.message });
    } else if (settled) {
      s.message = undefined;
      setCondition(s, { type: "Ready", status: "True", reason: wants ? "Running" : "Stopped", message: `domain ${domain?.name} is ${domain?.state}` });
    } else {
      setCondition(s, { type: "Ready", status: "False", reason: "Reconciling", message: `domain ${domain?.name ?? "(not defined)"} is ${domain?.state ?? "missing"}; wanted ${wants ? "running" : "stopped"}` });
    }
    if (restartRequired(vm, domain)) {
      setCondition(s, {
        type: "RestartRequired",
        status: "True",
        reason: "ResourcesChanged",
        message: `spec asks for ${vm.spec.cpus ?? 1} CPUs and ${vm.spec.memoryMiB ?? 1024} MiB; the running domain has ${domain?.cpus} and ${domain?.memoryMiB} MiB — stop and start it (landfall stop/start vm ${vm.metadata.name}) to apply`,
      });
    } else {
      s.conditions = (s.conditions ?? []).filter((c) => c.type !== "RestartRequired");
    }
    if (shutdownAsked && !s.conditions?.some((c) => c.type === "ShutdownRequested" && c.status === "True")) {
      setCondition(s, { type: "ShutdownRequested", status: "True", reason: "PowerStateOff", message: "ACPI shutdown sent; powering off hard if the guest does not stop in time" });
    }
    if (!wants || domain?.state !== "running") return;
    s.conditions = (s.conditions ?? []).filter((c) => c.type !== "ShutdownRequested");
  });
  if (!settled && requeueAfterMs === undefined && !failed) requeueAfterMs = 3_000;
  return requeueAfterMs === undefined ? undefined : { requeueAfterMs };
}

/** The VM's provenance annotations, which the target keeps with the VM where it can (KubeVirt). */
function provenanceOf(vm: VirtualMachine, conventions: Conventions): Record<string, string> {
  const k = keys(conventions);
  const wanted = [k.migratedFrom, k.migration, k.importedDiskID, k.diskChecksum, k.sourceChecksum];
  return Object.fromEntries(Object.entries(vm.metadata.annotations ?? {}).filter(([key]) => wanted.includes(key as (typeof wanted)[number])));
}

/** The guest-visible checksum of the boot disk as it arrived, taken once before first boot. */
async function recordChecksum(deps: VMReconcilerDeps, vm: VirtualMachine, boot: PlannedDisk | undefined): Promise<string | undefined> {
  const k = keys(deps.conventions);
  const fromMigration = vm.metadata.annotations?.[k.diskChecksum];
  if (fromMigration) return fromMigration;
  // A warm migration annotates the checksum itself once the VM runs (from its staging file, ADR 0019): not read here.
  if (vm.metadata.annotations?.[k.migration]) return undefined;
  if (!vm.spec.importedDisk || !boot?.exists) return undefined;
  return deps.imageSha256(boot.path, boot.format).catch(() => undefined);
}

function setCondition(s: VirtualMachineStatus, c: ConditionUpdate): void {
  s.conditions = setConditionIn(s.conditions, c);
}

async function writeStatus(deps: VMReconcilerDeps, vm: VirtualMachine, mutate: (s: VirtualMachineStatus) => void): Promise<void> {
  await patchStatus<VirtualMachine, VirtualMachineStatus>(deps.store, "VirtualMachine", vm.metadata.namespace ?? "default", vm.metadata.name, mutate);
}
