// VirtualMachine reconcile decisions: pure functions from what was observed to what to do.
// Naming: a VM "wants" a power state; a domain "is" in one; a disk "exists" or "misses".
import type { DiskBus, VirtualMachine } from "../../api/virtualmachine.ts";
import type { TargetDisk, TargetVM, TargetVMSpec } from "../../providers/contract.ts";

export const VM_FINALIZER = "landfall.dev/vm-cleanup";
/** Domain label naming the VirtualMachine (by uid) that owns it. */
export const OWNER_UID_LABEL = "landfall.dev/owner-uid";
export const DELETE_DISKS_ANNOTATION = "landfall.dev/delete-disks";
export const ORPHAN_ANNOTATION = "landfall.dev/orphan";
/**
 * A restart as a resource change (kubectl, GitOps, operator mode): set it to a new value (e.g. the time) and
 * the controller reboots the running domain once, then records the value in status.observedRestartRequest.
 */
export const RESTART_ANNOTATION = "landfall.dev/restart-requested-at";
/** How long an ACPI shutdown may take before the domain is powered off hard. */
export const SHUTDOWN_GRACE_MS = 120_000;
/** Per-VM override of SHUTDOWN_GRACE_MS in whole seconds: guests without ACPI ignore a shutdown request. */
export const SHUTDOWN_GRACE_ANNOTATION = "landfall.dev/shutdown-grace-seconds";

export interface PlannedDisk {
  diskID: string;
  path: string;
  format: string;
  bus: DiskBus;
  exists: boolean;
  /** Set for imageRef VMs: the base image the overlay is built on. */
  backing?: { path: string; format: string };
  /** Grow to this size (bytes) when the disk is smaller. */
  sizeBytes?: number;
  virtualSizeBytes?: number;
}

export interface VMObservation {
  vm: VirtualMachine;
  now: number;
  providerReady: boolean;
  providerMessage?: string;
  /** The Provider named by spec.providerRef does not exist (its creation wakes the VM: runtime watch). */
  providerMissing?: boolean;
  /** Why the VM may not use its Provider (tenancy); the VM is then left alone and nothing is observed. */
  tenancyRefusal?: string;
  /** Problems found resolving disks (missing image, path outside storage); each fails the VM. */
  diskProblems: string[];
  disks: PlannedDisk[];
  domainName: string;
  /** The domain with the VM's identity (status.providerID or spec.uuid), if any. */
  domain?: TargetVM;
  /** A domain holding the name we would define, if any. */
  domainWithName?: TargetVM;
  consoleLogDir?: string;
  kvm?: boolean;
}

export type VMAction =
  | { type: "removeFinalizer" }
  | { type: "createOverlay"; disk: PlannedDisk }
  | { type: "growDisk"; disk: PlannedDisk }
  | { type: "defineDomain"; spec: TargetVMSpec }
  | { type: "claimDomain"; uuid: string }
  /** CPUs/memory changed in the spec: applied to a stopped domain's definition. */
  | { type: "setResources"; uuid: string; cpus: number; memoryMiB: number }
  /** Orphan: forget the domain — only landfall's own ownership labels go, so it can be adopted again. */
  | { type: "releaseDomain"; uuid: string }
  | { type: "power"; uuid: string; action: "start" | "shutdown" | "stop" | "reboot" }
  /** The restart asked for by RESTART_ANNOTATION is done (or moot): record its value in status. */
  | { type: "acknowledgeRestart"; request: string }
  | { type: "deleteDomain"; uuid: string; keepDisks: boolean }
  | { type: "fail"; reason: string; message: string }
  | { type: "wait"; reason: string; message: string; requeueAfterMs: number };

const carriesDeletion = (vm: VirtualMachine) => Boolean(vm.metadata.deletionTimestamp);
const carriesFinalizer = (vm: VirtualMachine) => (vm.metadata.finalizers ?? []).includes(VM_FINALIZER);
export const wantsRunning = (vm: VirtualMachine) => (vm.spec.powerState ?? "On") === "On";
const domainRuns = (d: TargetVM) => d.state === "running" || d.state === "paused";
const domainOwnedBy = (d: TargetVM, vm: VirtualMachine) => d.labels[OWNER_UID_LABEL] === vm.metadata.uid;

export const MISSING_PROVIDER_RECHECK_MS = { min: 10_000, max: 300_000 };

/**
 * When to look again for a Provider that does not exist. Its creation enqueues the VM (the Provider watch), so
 * this poll is only a safety net and backs off: as long as the VM has waited so far (its Ready condition has
 * been False with reason ProviderNotFound since then), between 10 s and 5 min — each wait doubles the next.
 */
export function missingProviderRecheckMs(vm: VirtualMachine, now: number): number {
  const ready = vm.status?.conditions?.find((c) => c.type === "Ready");
  const since = ready?.status === "False" && ready.reason === "ProviderNotFound" && ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : now;
  const waited = Number.isFinite(since) ? now - since : 0;
  return Math.min(MISSING_PROVIDER_RECHECK_MS.max, Math.max(MISSING_PROVIDER_RECHECK_MS.min, waited));
}

/** libvirt domain names are unique per host, across namespaces. */
export function domainNameFor(vm: VirtualMachine): string {
  const ns = vm.metadata.namespace ?? "default";
  return vm.status?.domainName ?? (ns === "default" ? vm.metadata.name : `${ns}--${vm.metadata.name}`);
}

/** Identity of the domain: status.providerID once known, else the firmware UUID the VM asks for, else its uid. */
export function domainUUIDFor(vm: VirtualMachine): string {
  return vm.status?.providerID ?? vm.spec.uuid ?? (vm.metadata.uid as string);
}

/** The VM's shutdown grace in ms, or an error message naming the annotation when its value is not a number. */
export function shutdownGraceFor(vm: VirtualMachine): { ms: number } | { error: string } {
  const raw = vm.metadata.annotations?.[SHUTDOWN_GRACE_ANNOTATION];
  if (raw === undefined) return { ms: SHUTDOWN_GRACE_MS };
  if (!/^[0-9]{1,6}$/.test(raw)) return { error: `annotation ${SHUTDOWN_GRACE_ANNOTATION} "${raw}" must be a whole number of seconds (0-999999)` };
  return { ms: Number(raw) * 1000 };
}

export function domainSpecFor(vm: VirtualMachine, disks: PlannedDisk[], name: string): TargetVMSpec {
  const bus = vm.spec.diskBus ?? "virtio";
  const targetDisks: TargetDisk[] = disks.map((d) => ({ path: d.path, format: d.format, bus: d.bus ?? bus }));
  return {
    name,
    uuid: domainUUIDFor(vm),
    cpus: vm.spec.cpus ?? 1,
    memoryMiB: vm.spec.memoryMiB ?? 1024,
    firmware: vm.spec.firmware ?? "bios",
    ...(vm.spec.cpuModel ? { cpuModel: vm.spec.cpuModel } : {}),
    ...(vm.spec.machineType ? { machineType: vm.spec.machineType } : {}),
    disks: targetDisks,
    nics: (vm.spec.networks ?? []).map((n) => ({ network: n.name, macAddress: n.macAddress, model: n.model ?? "virtio" })),
    labels: {
      [OWNER_UID_LABEL]: vm.metadata.uid as string,
      "landfall.dev/namespace": vm.metadata.namespace ?? "default",
      "landfall.dev/name": vm.metadata.name,
    },
    description: `landfall VirtualMachine ${vm.metadata.namespace ?? "default"}/${vm.metadata.name}`,
  };
}

/** The restart request not yet acted upon, if any. */
export function pendingRestart(vm: VirtualMachine): string | undefined {
  const asked = vm.metadata.annotations?.[RESTART_ANNOTATION];
  return asked !== undefined && asked !== "" && asked !== vm.status?.observedRestartRequest ? asked : undefined;
}

/**
 * The finalizer goes on before anything is observed, created or changed (so a delete can never orphan what this
 * controller made); deciding it needs no observation, so the reconciler adds it and goes on in the same pass.
 */
export function needsFinalizer(vm: VirtualMachine): boolean {
  return !carriesDeletion(vm) && !carriesFinalizer(vm);
}

/** What to do about an observed VirtualMachine that carries its finalizer (needsFinalizer) or is being deleted. */
export function decideVM(o: VMObservation): VMAction[] {
  const { vm } = o;
  if (carriesDeletion(vm)) {
    if (!carriesFinalizer(vm)) return [];
    const orphan = vm.metadata.annotations?.[ORPHAN_ANNOTATION] === "true";
    const keepDisks = vm.metadata.annotations?.[DELETE_DISKS_ANNOTATION] !== "true";
    if (o.domain && !orphan && (domainOwnedBy(o.domain, vm) || !o.domain.labels[OWNER_UID_LABEL])) {
      if (!o.providerReady) return [{ type: "wait", reason: "ProviderNotReady", message: `cannot delete the domain yet: ${o.providerMessage ?? "provider not ready"}`, requeueAfterMs: 10_000 }];
      return [{ type: "deleteDomain", uuid: o.domain.uuid, keepDisks }, { type: "removeFinalizer" }];
    }
    if (o.domain && orphan && domainOwnedBy(o.domain, vm) && o.providerReady) return [{ type: "releaseDomain", uuid: o.domain.uuid }, { type: "removeFinalizer" }];
    return [{ type: "removeFinalizer" }];
  }
  if (o.tenancyRefusal) return [{ type: "fail", reason: "ProviderNotAllowed", message: o.tenancyRefusal }];
  if (o.providerMissing) {
    return [{ type: "wait", reason: "ProviderNotFound", message: o.providerMessage ?? "target provider not found", requeueAfterMs: missingProviderRecheckMs(vm, o.now) }];
  }
  if (!o.providerReady) {
    return [{ type: "wait", reason: "ProviderNotReady", message: o.providerMessage ?? "target provider is not ready", requeueAfterMs: 10_000 }];
  }
  if (o.diskProblems.length > 0) return [{ type: "fail", reason: "InvalidDisk", message: o.diskProblems.join("; ") }];

  if (!o.domain) {
    if (o.domainWithName) {
      return [{
        type: "fail",
        reason: "TargetExists",
        message: `a libvirt domain named "${o.domainName}" already exists (UUID ${o.domainWithName.uuid}) and is not this VirtualMachine's; delete it, adopt it, or choose another name`,
      }];
    }
    const actions: VMAction[] = [];
    for (const d of o.disks) {
      if (!d.exists && d.backing) actions.push({ type: "createOverlay", disk: d });
      else if (!d.exists) {
        return [{ type: "wait", reason: "DiskNotFound", message: `disk "${d.diskID}" not found at ${d.path}; import it there or set the path`, requeueAfterMs: 15_000 }];
      } else if (d.sizeBytes !== undefined && d.virtualSizeBytes !== undefined && d.sizeBytes > d.virtualSizeBytes) {
        actions.push({ type: "growDisk", disk: d });
      }
    }
    actions.push({ type: "defineDomain", spec: domainSpecFor(vm, o.disks, o.domainName) });
    // A domain defined (and started) now is as fresh as a restart makes it.
    const request = pendingRestart(vm);
    if (request !== undefined) actions.push({ type: "acknowledgeRestart", request });
    return actions;
  }

  const actions: VMAction[] = [];
  if (!domainOwnedBy(o.domain, vm)) {
    if (o.domain.labels[OWNER_UID_LABEL]) {
      return [{ type: "fail", reason: "TargetExists", message: `domain ${o.domain.uuid} ("${o.domain.name}") belongs to another VirtualMachine (uid ${o.domain.labels[OWNER_UID_LABEL]})` }];
    }
    // An unlabelled domain with our identity: one we defined before a crash, or one adopted by UUID.
    actions.push({ type: "claimDomain", uuid: o.domain.uuid });
  }
  const wants = wantsRunning(vm);
  const runs = domainRuns(o.domain);
  const resources = resourcesChanged(vm, o.domain);
  // A running domain takes new CPUs/memory at its next cold boot (see restartRequired); a stopped one now.
  if (resources && !runs) actions.push({ type: "setResources", uuid: o.domain.uuid, ...resources });
  if (wants && !runs) actions.push({ type: "power", uuid: o.domain.uuid, action: "start" });
  if (!wants && runs) {
    const grace = shutdownGraceFor(vm);
    if ("error" in grace) return [...actions, { type: "fail", reason: "InvalidAnnotation", message: grace.error }];
    const asked = Date.parse(vm.status?.conditions?.find((c) => c.type === "ShutdownRequested")?.lastTransitionTime ?? "");
    const graceOver = Number.isFinite(asked) && o.now - asked >= grace.ms;
    actions.push({ type: "power", uuid: o.domain.uuid, action: graceOver ? "stop" : "shutdown" });
  }
  // Only a domain that runs and should keep running is rebooted; starting or stopping one answers the request.
  const request = pendingRestart(vm);
  if (request !== undefined) {
    if (wants && runs) actions.push({ type: "power", uuid: o.domain.uuid, action: "reboot" });
    actions.push({ type: "acknowledgeRestart", request });
  }
  return actions;
}

/** The spec's CPUs/memory when they differ from the domain's, else undefined. */
export function resourcesChanged(vm: VirtualMachine, domain: TargetVM): { cpus: number; memoryMiB: number } | undefined {
  const cpus = vm.spec.cpus ?? 1;
  const memoryMiB = vm.spec.memoryMiB ?? 1024;
  return cpus !== domain.cpus || memoryMiB !== domain.memoryMiB ? { cpus, memoryMiB } : undefined;
}

/** A running domain whose CPUs/memory differ from the spec needs a stop and start to take them. */
export const restartRequired = (vm: VirtualMachine, domain: TargetVM | undefined): boolean =>
  Boolean(domain && domainRuns(domain) && resourcesChanged(vm, domain));

/** The phase a VM shows for what was observed. */
export function phaseFor(o: Pick<VMObservation, "vm" | "domain">, failed: boolean): "Pending" | "Provisioning" | "Running" | "Stopped" | "Failed" {
  if (failed) return "Failed";
  if (!o.domain) return o.vm.status?.providerID ? "Provisioning" : "Pending";
  if (domainRuns(o.domain)) return "Running";
  return "Stopped";
}
