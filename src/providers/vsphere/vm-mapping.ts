// VirtualMachine properties (as the PropertyCollector returns them) → landfall's SourceVM. Pure.
import type { SourceDisk, SourceNIC, SourcePowerState, SourceVM } from "../contract.ts";
import { parseDatastorePath } from "./datastore-path.ts";
import { asArray, bool, num, text, type XmlNode, xsiType } from "./soap-xml.ts";

/** The properties listVMs/getVM retrieve; mapVM reads exactly these. */
export const VM_PROPERTIES = [
  "name",
  "config.uuid",
  "config.guestId",
  "config.template",
  "config.firmware",
  "config.hardware.numCPU",
  "config.hardware.memoryMB",
  "config.hardware.device",
  "runtime.powerState",
  "snapshot",
];

const CONTROLLER_KINDS: Record<string, string> = {
  ParaVirtualSCSIController: "scsi",
  VirtualLsiLogicController: "scsi",
  VirtualLsiLogicSASController: "scsi",
  VirtualBusLogicController: "scsi",
  VirtualSCSIController: "scsi",
  VirtualAHCIController: "sata",
  VirtualSATAController: "sata",
  VirtualIDEController: "ide",
  VirtualNVMEController: "nvme",
};

const NIC_MODELS: Record<string, string> = {
  VirtualVmxnet3: "vmxnet3",
  VirtualVmxnet3Vrdma: "vmxnet3",
  VirtualVmxnet2: "vmxnet2",
  VirtualVmxnet: "vmxnet",
  VirtualE1000: "e1000",
  VirtualE1000e: "e1000e",
  VirtualPCNet32: "pcnet32",
  VirtualSriovEthernetCard: "sriov",
};

/** Device nodes of a `config.hardware.device` value (an ArrayOfVirtualDevice). */
export function devicesOf(deviceArray: XmlNode): XmlNode[] {
  return asArray(deviceArray?.VirtualDevice);
}

/** Disks in device order; `capacityInBytes` falls back to `capacityInKB * 1024` (vcsim fills only the latter). */
export function disksOf(devices: XmlNode[]): SourceDisk[] {
  const controllers = new Map<number, string>();
  for (const d of devices) {
    const kind = CONTROLLER_KINDS[xsiType(d)];
    if (kind) controllers.set(num(d.key), kind);
  }
  return devices
    .filter((d) => xsiType(d) === "VirtualDisk")
    .map((d) => {
      const fileName = text(d.backing?.fileName);
      const bytes = num(d.capacityInBytes);
      const disk: SourceDisk = {
        key: num(d.key),
        label: text(d.deviceInfo?.label),
        fileName,
        capacityBytes: bytes > 0 ? bytes : num(d.capacityInKB) * 1024,
        datastore: fileName ? parseDatastorePath(fileName).datastore : "",
        controller: controllers.get(num(d.controllerKey)) ?? "unknown",
      };
      if (d.backing?.thinProvisioned !== undefined) disk.thinProvisioned = bool(d.backing.thinProvisioned);
      if (d.backing) {
        disk.chain = backingChain(d.backing);
        disk.readableBy = readableBy(disk.chain);
      }
      return disk;
    });
}

const DELTA_FORMATS: Record<string, string> = { redoLogFormat: "redoLog", seSparseFormat: "seSparse", nativeFormat: "native" };

/** A disk backing's format in vSphere's terms: a delta's deltaDiskFormat, else the backing kind. */
function backingFormat(backing: XmlNode, type: string): string {
  const delta = text(backing.deltaDiskFormat);
  if (delta) return DELTA_FORMATS[delta] ?? delta;
  if (type.startsWith("VirtualDiskFlatVer")) return "flat";
  if (type.startsWith("VirtualDiskSparseVer")) return "sparse";
  if (type === "VirtualDiskSeSparseBackingInfo") return "seSparse";
  if (type === "VirtualDiskRawDiskMappingVer1BackingInfo") return text(backing.compatibilityMode) === "physicalMode" ? "rdm (physical)" : "rdm";
  return type.replace(/^VirtualDisk/, "").replace(/BackingInfo$/, "") || "unknown";
}

/** The backing and its parents (`backing.parent`), top first. A parent has its child's declared type, so SOAP omits its xsi:type. */
export function backingChain(backing: XmlNode): Array<{ file: string; format: string }> {
  const out: Array<{ file: string; format: string }> = [];
  const type = xsiType(backing);
  for (let b = backing; b && out.length < 256; b = b.parent) out.push({ file: text(b.fileName), format: backingFormat(b, xsiType(b) || type) });
  return out;
}

/**
 * Which transports can read a chain: the datastore file API reads files (flat extents by range, sparse
 * layers composed locally) but not a LUN (RDM) or a vSAN/vVol object (native); an NFC export reads
 * everything but a physical-mode RDM.
 */
export function readableBy(chain: Array<{ format: string }>): Array<"datastore" | "nfc"> {
  const out: Array<"datastore" | "nfc"> = [];
  if (chain.every((l) => ["flat", "sparse", "redoLog", "seSparse"].includes(l.format))) out.push("datastore");
  if (chain.every((l) => l.format !== "rdm (physical)")) out.push("nfc");
  return out;
}

/** Snapshots in a VirtualMachineSnapshotInfo (the whole tree). */
export function snapshotCount(info: XmlNode): number {
  const count = (trees: XmlNode): number => asArray(trees).reduce((n: number, t: XmlNode) => n + 1 + count(t.childSnapshotList), 0);
  return info ? count(info.rootSnapshotList) : 0;
}

/** Names of networks a NIC backing refers to by key (distributed portgroups), resolved by the caller. */
export function nicsOf(devices: XmlNode[], portgroupNames: ReadonlyMap<string, string> = new Map()): SourceNIC[] {
  return devices
    .filter((d) => NIC_MODELS[xsiType(d)] !== undefined)
    .map((d) => ({
      network: networkOf(d.backing, portgroupNames),
      macAddress: text(d.macAddress).toLowerCase(),
      model: NIC_MODELS[xsiType(d)],
    }));
}

function networkOf(backing: XmlNode, portgroupNames: ReadonlyMap<string, string>): string {
  switch (xsiType(backing)) {
    case "VirtualEthernetCardNetworkBackingInfo":
      return text(backing.deviceName);
    case "VirtualEthernetCardDistributedVirtualPortBackingInfo": {
      const key = text(backing.port?.portgroupKey);
      return portgroupNames.get(key) ?? key;
    }
    case "VirtualEthernetCardOpaqueNetworkBackingInfo":
      return text(backing.opaqueNetworkId);
    default:
      return "";
  }
}

/** Portgroup keys NIC backings refer to, so the caller can look their names up. */
export function portgroupKeysOf(devices: XmlNode[]): string[] {
  return devices
    .filter((d) => xsiType(d.backing) === "VirtualEthernetCardDistributedVirtualPortBackingInfo")
    .map((d) => text(d.backing.port?.portgroupKey));
}

export function powerStateOf(node: XmlNode): SourcePowerState {
  const s = text(node);
  return s === "poweredOn" || s === "suspended" ? s : "poweredOff";
}

export function isTemplate(props: Record<string, XmlNode>): boolean {
  return bool(props["config.template"]);
}

export function mapVM(id: string, props: Record<string, XmlNode>, portgroupNames?: ReadonlyMap<string, string>): SourceVM {
  const devices = devicesOf(props["config.hardware.device"]);
  return {
    name: text(props.name),
    id,
    uuid: text(props["config.uuid"]),
    powerState: powerStateOf(props["runtime.powerState"]),
    guestOS: text(props["config.guestId"]),
    cpus: num(props["config.hardware.numCPU"]),
    memoryMiB: num(props["config.hardware.memoryMB"]),
    firmware: text(props["config.firmware"]) === "efi" ? "uefi" : "bios",
    disks: disksOf(devices),
    nics: nicsOf(devices, portgroupNames),
    snapshotCount: snapshotCount(props.snapshot),
  };
}
