// Preparing a VM for export and undoing it afterwards: cold (guest shutdown, falling back to power off) or
// snapshot (a non-memory snapshot whose base disks are read). Every step is idempotent, so a restarted
// server can finish an export from the JSON ExportSession alone.
import { setTimeout as sleep } from "node:timers/promises";
import type { ExportSession, SourcePowerState, SourceVM } from "../contract.ts";
import { isFault } from "./errors.ts";
import { retrieveOne } from "./property-collector.ts";
import type { VsphereClient } from "./soap-client.ts";
import { moRef, moRefOf } from "./soap-xml.ts";
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
): Promise<ExportSession> {
  const powerStateBefore = await powerStateNow(client, vm.id);
  if (mode === "cold") {
    const poweredOffByExport = powerStateBefore === "poweredOn";
    if (poweredOffByExport) await shutDown(client, vm.id, timeouts);
    return { vmID: vm.id, mode, powerStateBefore, poweredOffByExport, disks: vm.disks };
  }
  const snapshot = moRefOf(
    await runTask(client, "CreateSnapshot_Task", vmRef(vm.id), {
      name: `landfall-export-${new Date().toISOString()}`,
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
    disks: disksOf(devicesOf(props["config.hardware.device"])),
  };
}

export async function finish(client: VsphereClient, session: ExportSession, restorePower: boolean): Promise<void> {
  if (session.snapshotID) {
    try {
      await runTask(client, "RemoveSnapshot_Task", moRef("VirtualMachineSnapshot", session.snapshotID), {
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
