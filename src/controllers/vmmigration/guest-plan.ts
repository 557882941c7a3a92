// Decisions about the guest inside a migrated VM: whether its disk is converted, how the VirtualMachine is
// shaped for it (disk bus, machine type), what is recorded about it, and whether a Windows guest can be
// converted on this host at all. Pure.
import type { MigrationGuest } from "../../api/guest.ts";
import type { DiskBus } from "../../api/virtualmachine.ts";
import type { VMMigration } from "../../api/vmmigration.ts";

/** Only the boot disk holds the operating system to convert; data disks are copied as they are. */
export const convertsGuestOn = (m: VMMigration, diskIndex: number): boolean => diskIndex === 0 && (m.spec.options?.guestConversion ?? "auto") === "auto";

/** vSphere guestIds of Windows: windows9Server64Guest, windows2019srv_64Guest, winNetStandardGuest, win2000ProGuest… */
export const isWindowsGuestId = (guestId: string): boolean => /^win/i.test(guestId);

/** Where virt-v2v looks for the virtio-win drivers it installs into Windows guests (its default; $VIRTIO_WIN overrides). */
export const VIRTIO_WIN_DEFAULT = "/usr/share/virtio-win";

/**
 * Validating: a Windows guest converted on a host without virtio-win would fail half-way through Converting
 * (or boot without drivers); say so before anything is copied. Returns the failure message, or undefined.
 */
export function windowsConversionProblem(m: VMMigration, guestId: string, virtioWin: { path: string; present: boolean }): string | undefined {
  if (!isWindowsGuestId(guestId) || !convertsGuestOn(m, 0) || virtioWin.present) return undefined;
  return (
    `source VM is a Windows guest (guestId ${guestId}): converting it for KVM needs the virtio-win drivers, ` +
    `which are not installed on this host (looked for ${virtioWin.path}; set VIRTIO_WIN to use another place). ` +
    "Install virtio-win there, or set spec.options.guestConversion: skip and spec.target.diskBus: sata to migrate the disk unchanged"
  );
}

/** The guest was converted for virtio (drivers in its initramfs or driver store). */
export const guestConverted = (guest: MigrationGuest | undefined): boolean => Boolean(guest && guest.os !== "unknown" && guest.conversion.length > 0);

/**
 * Disk bus of the created VM: the user's choice; else SATA for Windows and for guests left unconverted that have
 * an operating system (a VMware guest's initramfs may lack virtio); else virtio.
 */
export function diskBusForGuest(m: VMMigration, guestId: string, guest: MigrationGuest | undefined): DiskBus {
  if (m.spec.target.diskBus) return m.spec.target.diskBus;
  if (isWindowsGuestId(guestId) && !guestConverted(guest)) return "sata";
  if ((m.spec.options?.guestConversion ?? "auto") === "skip") return "sata";
  return "virtio";
}

/** q35 for an inspected, converted operating system; otherwise the hypervisor's default machine (i440fx here). */
export const machineTypeForGuest = (guest: MigrationGuest | undefined): string | undefined => (guestConverted(guest) ? "q35" : undefined);

/** The annotation on the created VirtualMachine: what was found and done, in one line of JSON. */
export function guestAnnotation(guest: MigrationGuest): string {
  const { os, distro, version, firmware, conversion } = guest;
  return JSON.stringify({ os, distro, version, firmware, conversion });
}
