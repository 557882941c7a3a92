// Changed-block tracking (CBT) for warm migration: turning it on or off (ReconfigVM_Task with
// changeTrackingEnabled) and asking which areas of a snapshot's disk — or of a powered-off VM's disk as it stands —
// changed since an earlier changeId (QueryChangedDiskAreas, paged by startOffset as vSphere answers in pieces).
import type { ChangedArea, ExportSession, SourceDisk } from "../contract.ts";
import { mergeAreas } from "../../disk/areas.ts";
import { isFault, SourceProviderError } from "./errors.ts";
import { retrieveOne } from "./property-collector.ts";
import type { VsphereClient } from "./soap-client.ts";
import { parseDiskChangeInfo } from "./disk-change-info.ts";
import { bool, moRef, typed } from "./soap-xml.ts";
import { devicesOf, disksOf } from "./vm-mapping.ts";
import { runTask } from "./tasks.ts";

export async function setChangeTracking(client: VsphereClient, vmID: string, enabled: boolean): Promise<void> {
  const props = await retrieveOne(client, moRef("VirtualMachine", vmID), ["config.changeTrackingEnabled"]);
  if (bool(props["config.changeTrackingEnabled"]) === enabled) return;
  await runTask(client, "ReconfigVM_Task", moRef("VirtualMachine", vmID), { spec: typed("VirtualMachineConfigSpec", { changeTrackingEnabled: enabled }) });
}

/**
 * ESXi refuses a changeId it no longer knows (CBT was reset: someone consolidated the snapshot chain, moved the
 * disk, or switched tracking off and on) with a FileFault or InvalidArgument; that is a lost changeId, not a
 * failed source: code ChangeIdInvalid, so the caller copies the disk in full instead.
 */
function changeIdRefused(err: unknown, session: ExportSession, disk: SourceDisk, sinceChangeId: string): unknown {
  if (sinceChangeId === "*" || !isFault(err, "FileFault", "InvalidArgument")) return err;
  return new SourceProviderError(
    "ChangeIdInvalid",
    `QueryChangedDiskAreas of VM ${session.vmID} disk ${disk.key}: changeId "${sinceChangeId}" is no longer valid (${err.message}); changed block tracking was reset, so the disk must be copied in full`,
    { cause: err },
  );
}

/**
 * What must hold before asking. For "*" (what the disk holds): tracking on — ESXi answers a VM without it with a bare
 * FileFault naming a file, which tells an operator nothing. Without a snapshot: vSphere answers for the VM's disks as
 * they stand, and only while the VM is powered off — a cold session's VM stays off while it is read —; asked only of
 * a disk without snapshots (one layer, the very file the export reads), since for a chain the API's "current
 * snapshot" is not plainly the state the guest sees: a chain's allocation comes from its layers instead (the composed
 * reader's allocatedAreas). One property read for both.
 */
async function checkAskable(client: VsphereClient, session: ExportSession, disk: SourceDisk, sinceChangeId: string): Promise<void> {
  const what = `QueryChangedDiskAreas of VM ${session.vmID} disk ${disk.key}`;
  if (!session.snapshotID && session.mode !== "cold") {
    throw new SourceProviderError("SourceError", `${what}: the export session has no snapshot; changes of a running VM are read against one`);
  }
  const props = await retrieveOne(client, moRef("VirtualMachine", session.vmID), ["config.changeTrackingEnabled", ...(session.snapshotID ? [] : ["config.hardware.device"])]);
  if (sinceChangeId === "*" && !bool(props["config.changeTrackingEnabled"])) {
    throw new SourceProviderError("NotSupported", `${what}: changed block tracking is off on the VM, so vSphere cannot say which areas hold data`);
  }
  if (session.snapshotID) return;
  const current = disksOf(devicesOf(props["config.hardware.device"])).find((d) => d.key === disk.key);
  if (current?.fileName !== disk.fileName || (current.chain?.length ?? 1) !== 1) {
    const layers = current?.chain?.length ?? 0;
    throw new SourceProviderError("NotSupported", `${what}: the disk as it stands is ${current ? `${current.fileName}, ${layers} layers` : "gone"}, not the one layer ${disk.fileName} the export reads; its allocation is taken from the layers read`);
  }
}

export async function queryChangedAreas(client: VsphereClient, session: ExportSession, disk: SourceDisk, sinceChangeId: string): Promise<ChangedArea[]> {
  if (!session.snapshotID || sinceChangeId === "*") await checkAskable(client, session, disk, sinceChangeId);
  const areas: ChangedArea[] = [];
  for (let startOffset = 0; startOffset < disk.capacityBytes; ) {
    const info = await client
      .callText("QueryChangedDiskAreas", moRef("VirtualMachine", session.vmID), {
        ...(session.snapshotID ? { snapshot: moRef("VirtualMachineSnapshot", session.snapshotID) } : {}),
        deviceKey: disk.key,
        startOffset,
        changeId: sinceChangeId,
      })
      .then(parseDiskChangeInfo)
      .catch((err: unknown) => {
        throw changeIdRefused(err, session, disk, sinceChangeId);
      });
    for (const area of info.areas) areas.push(area);
    const covered = info.startOffset + info.length;
    // A server that answers no progress would loop forever: fail naming what it said.
    if (covered <= startOffset) {
      throw new SourceProviderError("SourceError", `QueryChangedDiskAreas of VM ${session.vmID} disk ${disk.key} at startOffset ${startOffset} covered nothing (length ${info.length})`);
    }
    startOffset = covered;
  }
  return mergeAreas(areas);
}
