// Preparing a VM for export and undoing it afterwards: cold (guest shutdown, falling back to power off) or
// snapshot (a non-memory snapshot whose base disks are read). Every step is idempotent, so a restarted
// server can finish an export from the JSON ExportSession alone.
import { setTimeout as sleep } from "node:timers/promises";
import type { ExportSession, SourcePowerState, SourceVM } from "../contract.ts";
import { isFault } from "./errors.ts";
import { retrieveOne } from "./property-collector.ts";
import type { VsphereClient } from "./soap-client.ts";
import { asArray, type MoRef, moRef, moRefOf, text, type XmlNode } from "./soap-xml.ts";
import { runTask } from "./tasks.ts";
import { devicesOf, disksOf, powerStateOf } from "./vm-mapping.ts";

export interface ExportTimeouts {
  /** How long a guest may take to shut down before the VM is powered off. */
  shutdownMs: number;
  pollMs: number;
}

const vmRef = (id: string) => moRef("VirtualMachine", id);

export async function powerStateNow(client: VsphereClient, vmID: string): Promise<SourcePowerState> {
  const props = await retrieveOne(client, vmRef(vmID), ["runtime.powerState"]);
  return powerStateOf(props["runtime.powerState"]);
}

/** Asks the guest to shut down; powers off when tools are missing, the guest refuses, or time runs out. */
export async function shutDown(client: VsphereClient, vmID: string, timeouts: ExportTimeouts): Promise<"guest" | "powerOff"> {
  try {
    await client.call("ShutdownGuest", vmRef(vmID));
    const deadline = Date.now() + timeouts.shutdownMs;
    while (Date.now() < deadline) {
      if ((await powerStateNow(client, vmID)) === "poweredOff") return "guest";
      await sleep(timeouts.pollMs);
    }
  } catch (err) {
    // ToolsUnavailable, InvalidState, NotSupported…: the guest cannot be asked, so pull the plug.
    if (!isFault(err)) throw err;
  }
  if ((await powerStateNow(client, vmID)) !== "poweredOff") await powerOff(client, vmID);
  return "powerOff";
}

export async function powerOff(client: VsphereClient, vmID: string): Promise<void> {
  try {
    await runTask(client, "PowerOffVM_Task", vmRef(vmID), {});
  } catch (err) {
    if (!isFault(err, "InvalidPowerState")) throw err;
  }
}

export async function powerOn(client: VsphereClient, vmID: string): Promise<void> {
  if ((await powerStateNow(client, vmID)) === "poweredOn") return;
  try {
    await runTask(client, "PowerOnVM_Task", vmRef(vmID), {});
  } catch (err) {
    if (!isFault(err, "InvalidPowerState")) throw err;
  }
}

export async function prepare(
  client: VsphereClient,
  vm: SourceVM,
  mode: "cold" | "snapshot",
  timeouts: ExportTimeouts,
  snapshotName = `landfall-export-${new Date().toISOString()}`,
): Promise<ExportSession> {
  const powerStateBefore = await powerStateNow(client, vm.id);
  if (mode === "cold") {
    const poweredOffByExport = powerStateBefore === "poweredOn";
    if (poweredOffByExport) await shutDown(client, vm.id, timeouts);
    return { vmID: vm.id, mode, powerStateBefore, poweredOffByExport, disks: vm.disks };
  }
  // A snapshot of this name is an earlier attempt's (the name carries the migration's identity): reuse it.
  const snapshot =
    (await findSnapshot(client, vm.id, snapshotName)) ??
    moRefOf(
      await runTask(client, "CreateSnapshot_Task", vmRef(vm.id), {
        name: snapshotName,
        description: "Created by landfall to copy the disks of a running VM; removed when the copy ends.",
        memory: false,
        quiesce: false,
      }),
    );
  // The snapshot's own configuration names the disks frozen at snapshot time (the VM now writes to deltas).
  const props = await retrieveOne(client, snapshot, ["config.hardware.device"]);
  return {
    vmID: vm.id,
    mode,
    powerStateBefore,
    poweredOffByExport: false,
    snapshotID: snapshot.value,
    snapshotName,
    disks: disksOf(devicesOf(props["config.hardware.device"])),
  };
}

/** The VM's snapshot with this name, searched through the whole snapshot tree. */
export async function findSnapshot(client: VsphereClient, vmID: string, name: string): Promise<MoRef | undefined> {
  const props = await retrieveOne(client, vmRef(vmID), ["snapshot"]);
  const search = (trees: XmlNode[]): MoRef | undefined => {
    for (const t of trees) {
      if (text(t.name) === name) return moRefOf(t.snapshot);
      const inChild = search(asArray(t.childSnapshotList));
      if (inChild) return inChild;
    }
    return undefined;
  };
  return search(asArray(props.snapshot?.rootSnapshotList));
}

export async function finish(client: VsphereClient, session: ExportSession, restorePower: boolean): Promise<void> {
  const snapshotID = session.snapshotID ?? (session.snapshotName ? (await findSnapshot(client, session.vmID, session.snapshotName))?.value : undefined);
  if (snapshotID) {
    try {
      await runTask(client, "RemoveSnapshot_Task", moRef("VirtualMachineSnapshot", snapshotID), {
        removeChildren: false,
        consolidate: true,
      });
    } catch (err) {
      // Already removed by an earlier finishExport that did not record its success.
      if (!isFault(err, "ManagedObjectNotFound") && (err as { code?: string }).code !== "NotFound") throw err;
    }
  }
  if (restorePower && session.poweredOffByExport) await powerOn(client, session.vmID);
}
