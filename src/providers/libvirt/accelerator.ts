// Which accelerator libvirt domains use: KVM only where hardware virtualization is really there. /dev/kvm alone
// proves nothing: a PVM host (module kvm_pvm) has /dev/kvm, runs boot sectors, and hangs every stock Linux kernel
// after GRUB. The decision is pure; probeHost gathers its inputs.
import { constants } from "node:fs";
import { access, readdir } from "node:fs/promises";
import type { DomainType } from "./domain-xml.ts";

export type VirtTypeSetting = "auto" | "kvm" | "qemu";

export interface HostVirtualization {
  /** /dev/kvm exists and can be opened for reading and writing. */
  kvmDevice: boolean;
  /** Kernel modules present, loaded or built in (entries of /sys/module). */
  modules: readonly string[];
}

export interface VirtTypeChoice {
  virtType: DomainType;
  reason: string;
}

const HARDWARE_KVM_MODULES = ["kvm_intel", "kvm_amd"];

/** Pure: the accelerator for a setting on a host. */
export function chooseVirtType(setting: VirtTypeSetting, host: HostVirtualization): VirtTypeChoice {
  if (setting === "kvm") return { virtType: "kvm", reason: "spec.virtType is kvm" };
  if (setting === "qemu") return { virtType: "qemu", reason: "spec.virtType is qemu (TCG emulation)" };
  const hardware = HARDWARE_KVM_MODULES.find((m) => host.modules.includes(m));
  if (hardware && host.kvmDevice) return { virtType: "kvm", reason: `hardware virtualization (${hardware}, /dev/kvm usable)` };
  if (hardware) return { virtType: "qemu", reason: `${hardware} is loaded but /dev/kvm is not usable: TCG emulation` };
  const other = host.modules.find((m) => /^kvm_/.test(m));
  if (other) return { virtType: "qemu", reason: `${other} is not hardware virtualization (needs kvm_intel or kvm_amd): TCG emulation` };
  return { virtType: "qemu", reason: "no hardware virtualization (kvm_intel/kvm_amd not loaded): TCG emulation" };
}

/**
 * Pure: auto on a remote libvirt host (qemu+ssh, qemu+tls), whose kernel modules landfall cannot read: KVM when
 * libvirt offers it there (`virsh capabilities` lists a kvm domain type), with a reason saying how to override.
 */
export function chooseRemoteVirtType(setting: VirtTypeSetting, libvirtOffersKvm: boolean): VirtTypeChoice {
  if (setting !== "auto") return chooseVirtType(setting, { kvmDevice: false, modules: [] });
  return libvirtOffersKvm
    ? { virtType: "kvm", reason: "remote host: libvirt offers KVM there (set spec.virtType: qemu if it is not hardware virtualization, e.g. PVM)" }
    : { virtType: "qemu", reason: "remote host: libvirt offers no KVM there: TCG emulation" };
}

/** libvirt URIs whose hypervisor runs on this machine (its /sys/module describes it). */
export const isLocalURI = (uri: string): boolean => /^qemu:\/\/\/(system|session)\b/.test(uri);

/** `virsh capabilities` lists a guest domain type kvm. */
export const capabilitiesOfferKvm = (capabilitiesXML: string): boolean => /<domain type=['"]kvm['"]/.test(capabilitiesXML);

/** Reads what chooseVirtType needs from this host. */
export async function probeHost(): Promise<HostVirtualization> {
  // /sys/module, not /proc/modules: it also lists built-in modules, and /proc/modules is absent on some hosts.
  const modules = await readdir("/sys/module").catch(() => []);
  const kvmDevice = await access("/dev/kvm", constants.R_OK | constants.W_OK).then(
    () => true,
    () => false,
  );
  return { kvmDevice, modules };
}
