// The production guest conversion handed to the migration runner: virt-v2v-in-place with libguestfs' appliance
// under TCG where this host has no hardware virtualization (the same rule as the libvirt target's accelerator),
// and where virt-v2v looks for virtio-win.
import { stat } from "node:fs/promises";
import type { GuestConversionIO } from "../controllers/vmmigration/guest-conversion.ts";
import { VIRTIO_WIN_DEFAULT } from "../controllers/vmmigration/guest-plan.ts";
import { mayHoldGuest } from "../guest/convert.ts";
import { guestConversionTools } from "../guest/tools.ts";
import { chooseVirtType, probeHost } from "../providers/libvirt/accelerator.ts";

let forceTcg: Promise<boolean> | undefined;
/** Decided once per process: the host does not change underneath it. */
const appliancesNeedTcg = (): Promise<boolean> => {
  forceTcg ??= probeHost().then((host) => chooseVirtType("auto", host).virtType === "qemu");
  return forceTcg;
};

export const guestOps: GuestConversionIO = {
  tools: guestConversionTools({ forceTcg: appliancesNeedTcg }),
  mayHoldGuest: (image, signal) => mayHoldGuest(image, signal),
};

/** virt-v2v's own rule: $VIRTIO_WIN, else /usr/share/virtio-win. */
export async function virtioWinLocation(): Promise<{ path: string; present: boolean }> {
  const path = process.env["VIRTIO_WIN"] || VIRTIO_WIN_DEFAULT;
  return { path, present: await stat(path).then(() => true, () => false) };
}
